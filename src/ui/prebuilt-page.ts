/**
 * The Webhooks page as `npm run build` bundled it, once, into dist/ui/page/: what the compiled API serves (see
 * pageBundle in ./bundle.ts), with no esbuild and no client sources at run time.
 */
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PageAsset, PageBundle } from './page-bundle';

/** Where, in the build's output directory, the page's files are: the manifest and the hashed assets. */
export const PREBUILT_PAGE_DIR = path.join('ui', 'page');
export const MANIFEST = 'manifest.json';

interface Manifest {
  html: string;
  assets: { name: string; contentType: string }[];
}

/** Writes a bundled page (src/ui/bundle.ts's `buildPageBundle()`) to `dir`: each asset, gzipped beside it, and the manifest. */
export async function writePrebuiltPage(bundle: PageBundle, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const manifest: Manifest = { html: bundle.html, assets: [] };
  for (const [name, asset] of bundle.assets) {
    await writeFile(path.join(dir, name), asset.body);
    await writeFile(path.join(dir, `${name}.gz`), asset.gzipped);
    manifest.assets.push({ name, contentType: asset.contentType });
  }
  await writeFile(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Reads the page `writePrebuiltPage` wrote to `dir`. */
export async function readPrebuiltPage(dir: string): Promise<PageBundle> {
  const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  const assets = new Map<string, PageAsset>();
  for (const { name, contentType } of manifest.assets) {
    const [body, gzipped] = await Promise.all([readFile(path.join(dir, name)), readFile(path.join(dir, `${name}.gz`))]);
    assets.set(name, { contentType, body, gzipped });
  }
  return { html: manifest.html, assets };
}
