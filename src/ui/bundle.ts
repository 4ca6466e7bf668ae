/**
 * The Webhooks page. Compiled by `npm run build`, it is read from the files the build wrote beside
 * this module (page/). Otherwise (`npm start`, the tests) it is bundled in memory by esbuild
 * (Preact + TSX from src/ui/client) the first time it is asked for, and kept for the life of the
 * process: no build step before `npm start`, nothing written to disk. esbuild is loaded only then,
 * so production needs neither it nor the client sources. A bundle takes about a tenth of a
 * second; the asset names carry a content hash so browsers may cache them for good.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { logger } from '../observability/logger';
import type { PageAsset, PageBundle } from './page-bundle';
import { pageHtml } from './page-html';
import { MANIFEST, readPrebuiltPage } from './prebuilt-page';

export type { PageBundle };

/** Where `npm run build` writes the page, beside the compiled form of this module (dist/ui/page/). */
const PREBUILT_DIR = path.join(__dirname, 'page');

const CLIENT_DIR = path.join(__dirname, 'client');
/** Where the page's assets are served: `/ui/<file>`. */
export const ASSET_PATH = '/ui/';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Builds the page (no cache: see pageBundle). */
export async function buildPageBundle(): Promise<PageBundle> {
  const started = performance.now();
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: CLIENT_DIR,
    entryPoints: { app: path.join(CLIENT_DIR, 'main.tsx') },
    tsconfig: path.join(CLIENT_DIR, 'tsconfig.json'),
    bundle: true,
    write: false,
    outdir: 'out',
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  for (const warning of result.warnings) {
    logger.warn({ location: warning.location, text: warning.text }, 'Webhooks page bundle: esbuild warning');
  }
  const assets = new Map<string, PageAsset>();
  const names: Record<string, string> = {};
  for (const file of result.outputFiles) {
    const extension = path.extname(file.path);
    const contentType = CONTENT_TYPES[extension];
    if (!contentType) throw new Error(`Webhooks page bundle: unexpected output file ${file.path}`);
    const hash = createHash('sha256').update(file.contents).digest('hex').slice(0, 16);
    const name = `app.${hash}${extension}`;
    names[extension] = name;
    const body = Buffer.from(file.contents);
    assets.set(name, { contentType, body, gzipped: gzipSync(body, { level: 9 }) });
  }
  if (!names['.js'] || !names['.css']) throw new Error(`Webhooks page bundle: expected a script and a stylesheet, got ${[...assets.keys()].join(', ')}`);
  const html = pageHtml({ script: `${ASSET_PATH}${names['.js']}`, stylesheet: `${ASSET_PATH}${names['.css']}` });
  logger.info(
    {
      ms: Math.round(performance.now() - started),
      assets: Object.fromEntries([...assets].map(([name, a]) => [name, { bytes: a.body.length, gzipBytes: a.gzipped.length }])),
    },
    'Webhooks page bundled',
  );
  return { html, assets };
}

let bundled: Promise<PageBundle> | undefined;

/** The page, read (built code) or built (sources) once per process; a failure is logged and tried again on the next request. */
export function pageBundle(): Promise<PageBundle> {
  const prebuilt = existsSync(path.join(PREBUILT_DIR, MANIFEST));
  bundled ??= (prebuilt ? readPrebuiltPage(PREBUILT_DIR) : buildPageBundle()).catch((err: unknown) => {
    bundled = undefined;
    logger.error({ err, ...(prebuilt ? { pageDir: PREBUILT_DIR } : { clientDir: CLIENT_DIR }) }, `Webhooks page: the ${prebuilt ? 'prebuilt page could not be read' : 'bundle failed to build'}`);
    throw err;
  });
  return bundled;
}
