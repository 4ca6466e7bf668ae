/**
 * `npm run build [-- --out-dir <dir>]`: the production build, in dist/ unless told otherwise. Its output runs with
 * plain node (`npm run start:prod`, `api:prod`, `worker:prod`, `keys:prod`, `secrets:prod`, `temporal:setup:prod`;
 * the Docker image): no tsx, TypeScript, webpack, esbuild or @temporalio/testing is loaded at run time.
 *
 * 1. tsc -p tsconfig.build.json: src/ as CommonJS, with .d.ts declarations (the types of callhook/client, /http,
 *    /verify: package.json "exports"); not the page's browser code, tests, scripts or bench;
 * 2. the SQL migrations, beside the compiled db/migrate.js (it reads them from its own directory);
 * 3. the workflow code, bundled once with webpack as a worker would at every start: workflow-bundle.js, and
 *    workflow-bundle-traced.js with the OpenTelemetry workflow interceptors (tracing on), which the compiled worker
 *    loads instead (`workflowCodeOptions` in src/worker.ts);
 * 4. the Webhooks page, bundled once with esbuild: ui/page/, which the compiled ui/bundle.js serves (pageBundle).
 *
 * The output directory is emptied first. The compiled code finds its packages in node_modules/ beside (above) it.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger } from '@temporalio/worker';
import { PREBUILT_PAGE_DIR, writePrebuiltPage } from '../src/ui/prebuilt-page';
import { buildPageBundle } from '../src/ui/bundle';
import { TRACED_WORKFLOW_BUNDLE_FILE, WORKFLOW_BUNDLE_FILE, bundleWorkflows } from '../src/worker';

const ROOT = path.resolve(__dirname, '..');

function outDirFromArgs(): string {
  const { values } = parseArgs({ options: { 'out-dir': { type: 'string' } } });
  const outDir = path.resolve(ROOT, values['out-dir'] ?? 'dist');
  // It is emptied: never the repository (or a directory holding it), nor one of its source directories.
  const fromOut = path.relative(outDir, ROOT);
  const holdsRoot = fromOut === '' || (!fromOut.startsWith('..') && !path.isAbsolute(fromOut));
  const inSources = ['src', 'test', 'scripts', 'bench', 'node_modules'].some((dir) => !path.relative(path.join(ROOT, dir), outDir).startsWith('..'));
  if (holdsRoot || inSources) throw new Error(`--out-dir ${outDir}: not a directory the build may empty`);
  return outDir;
}

function step(what: string): () => void {
  const started = performance.now();
  process.stdout.write(`build: ${what}…\n`);
  return () => process.stdout.write(`build: ${what}: ${Math.round(performance.now() - started)} ms\n`);
}

async function main(): Promise<void> {
  const outDir = outDirFromArgs();
  await rm(outDir, { recursive: true, force: true });

  let done = step(`tsc -p tsconfig.build.json → ${outDir}`);
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) throw new Error(`tsc failed (exit ${tsc.status ?? tsc.signal})`);
  done();

  done = step('SQL migrations');
  const migrations = path.join(ROOT, 'src', 'db', 'migrations');
  const target = path.join(outDir, 'db', 'migrations');
  await mkdir(target, { recursive: true });
  const sql = (await readdir(migrations)).filter((name) => name.endsWith('.sql'));
  await Promise.all(sql.map((name) => copyFile(path.join(migrations, name), path.join(target, name))));
  done();

  done = step('workflow bundles (webpack): without and with the tracing interceptors');
  const [bundle, traced] = await Promise.all([bundleWorkflows(new DefaultLogger('WARN')), bundleWorkflows(new DefaultLogger('WARN'), { traced: true })]);
  await writeFile(path.join(outDir, WORKFLOW_BUNDLE_FILE), bundle.code);
  await writeFile(path.join(outDir, TRACED_WORKFLOW_BUNDLE_FILE), traced.code);
  done();

  done = step('Webhooks page (esbuild)');
  await writePrebuiltPage(await buildPageBundle(), path.join(outDir, PREBUILT_PAGE_DIR));
  done();
  const main = path.relative(process.cwd(), path.join(outDir, 'main.js'));
  process.stdout.write(`build: done; run it with node ${main.startsWith('..') ? path.join(outDir, 'main.js') : main}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`build failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
