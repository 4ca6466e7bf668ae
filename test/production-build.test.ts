/**
 * The production build: `npm run build` into a temporary directory laid out like the Docker image's /app (dist/,
 * package.json, node_modules), then its compiled API, worker, main.js and CLIs run with plain node — no tsx — against
 * a real Temporal dev server and a real Postgres, and deliver an event to a real receiver.
 *
 * Every compiled process runs with test/fixtures/production-guard.cjs preloaded: resolving tsx, typescript, webpack,
 * esbuild, @temporalio/testing or @swc/core (from require() or import()) fails as if they were not installed, and is
 * logged; the test asserts the log stays empty. (@temporalio/worker's own top-level require of webpack gets a
 * stand-in that throws on any use: the worker runs the prebuilt workflow bundle, never webpack.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { KeyRing } from '../src/crypto/key-ring';
import { logger } from '../src/observability/logger';
import { startDevServer } from '../src/temporal/dev-server';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { Receiver } from './helpers/receiver';
import { ServiceProcess, type LogLine } from './helpers/service-process';
import { freePort } from './helpers/local-services';

const ROOT = path.resolve(__dirname, '..');
const GUARD = path.join(__dirname, 'fixtures', 'production-guard.cjs');
/** tsc of src/ (about 10 s alone), webpack and esbuild bundles; slower while a dev server and Postgres start beside it. */
const BUILD_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 30_000;
const ADMIN_KEY = randomBytes(24).toString('hex');
const SECRETS_KEYS = KeyRing.generateText('prod');

const run = promisify(execFile);

logger.level = process.env.LOG_LEVEL ?? 'silent';

/** A temporary /app: dist/ (the build), package.json, node_modules (a link to the repository's). */
let app: string;
let dist: string;
/** Where the guard writes what it refused, for the processes that must load nothing of the kind. */
let guardLog: string;
let env: TestWorkflowEnvironment | undefined;
let db: TestDatabase | undefined;
let receiver: Receiver | undefined;
const services: ServiceProcess[] = [];
let apiBase: string;
let worker: ServiceProcess;

before(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-prod-'));
  dist = path.join(app, 'dist');
  guardLog = path.join(app, 'guard.log');
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'), 'dir');
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
  await Promise.all([
    run('npm', ['run', 'build', '--', '--out-dir', dist], { cwd: ROOT, timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }).catch((err: unknown) => {
      const { stdout, stderr } = err as { stdout?: string; stderr?: string };
      throw new Error(`npm run build failed: ${(err as Error).message}\n${stdout ?? ''}\n${stderr ?? ''}`);
    }),
    startDevServer().then((started) => void (env = started)),
    createTestDatabase().then((created) => void (db = created)),
    Receiver.start().then((started) => void (receiver = started)),
  ]);
  const port = await freePort();
  apiBase = `http://127.0.0.1:${port}`;
  worker = startCompiled('worker', 'worker.js', serviceEnv());
  const api = startCompiled('api', 'api/main.js', { ...serviceEnv(), PORT: String(port) });
  await Promise.all([worker.waitForLog('worker running', START_TIMEOUT_MS), api.waitForLog('callhook API running', START_TIMEOUT_MS)]);
});

after(async () => {
  await Promise.all(services.map((service) => service.kill()));
  try {
    await receiver?.stop();
    await env?.teardown();
  } finally {
    await db?.drop();
    if (app) fs.rmSync(app, { recursive: true, force: true });
  }
});

/** A compiled entry point of dist/, run with plain node from the temporary /app, the guard preloaded. */
function startCompiled(name: string, script: string, environment: Record<string, string>, log = guardLog): ServiceProcess {
  const service = ServiceProcess.start(name, path.join(dist, script), { ...environment, PRODUCTION_GUARD_LOG: log }, { nodeArgs: ['--require', GUARD], cwd: app });
  services.push(service);
  return service;
}

/** A compiled CLI (dist/cli/…), run to its end with the guard preloaded. */
async function runCompiled(script: string, args: string[], environment: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--require', GUARD, path.join(dist, script), ...args], {
    cwd: app,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...environment, PRODUCTION_GUARD_LOG: guardLog },
    timeout: 30_000,
  });
}

/** Production settings, pointed at the test's Temporal and database; http receivers on loopback allowed. */
function serviceEnv(): Record<string, string> {
  return {
    NODE_ENV: 'production',
    TEMPORAL_ADDRESS: env!.address,
    DATABASE_URL: db!.url,
    HOST: '127.0.0.1',
    TEMPORAL_TASK_QUEUE: `prod-build-${process.pid}`,
    ADMIN_API_KEYS: ADMIN_KEY,
    SECRETS_ENCRYPTION_KEYS: SECRETS_KEYS,
    ALLOW_HTTP_URLS: 'true',
    ALLOW_PRIVATE_NETWORKS: 'true',
    WORKER_METRICS_PORT: '0',
    TEMPORAL_METRICS_ADDRESS: 'off',
    RECONCILE_EVERY: 'off',
    DATA_DIR: path.join(app, 'data'),
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
  };
}
async function api(method: string, route: string, body?: unknown, base = apiBase): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

function refused(): string {
  return fs.existsSync(guardLog) ? fs.readFileSync(guardLog, 'utf8') : '';
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((file) => file.split(path.sep).join('/'));
}

test('npm run build: compiled JavaScript and its declarations, the migrations, the workflow bundle and the prebuilt page; no sources', () => {
  const files = new Set(listFiles(dist));
  const packages = ['packages/client', 'packages/http/index', 'packages/http/schema', 'packages/verify'].flatMap((entry) => [`${entry}.js`, `${entry}.d.ts`]);
  for (const file of ['main.js', 'worker.js', 'api/main.js', 'temporal/setup.js', 'cli/keys.js', 'cli/secrets.js', 'workflow-bundle.js', 'ui/page/manifest.json', ...packages]) {
    assert.ok(files.has(file), `dist/${file}`);
  }
  const migrations = fs.readdirSync(path.join(ROOT, 'src', 'db', 'migrations')).filter((name) => name.endsWith('.sql'));
  assert.deepEqual(fs.readdirSync(path.join(dist, 'db', 'migrations')).sort(), migrations.sort());
  // Declarations (.d.ts: the types of callhook/client, callhook/http, callhook/verify) are no sources.
  assert.deepEqual([...files].filter((file) => (/\.tsx?$/.test(file) && !file.endsWith('.d.ts')) || file.startsWith('ui/client')), [], 'no TypeScript, no page sources');
});

test('the compiled API and worker, with plain node, deliver an event and serve the page, loading no dev package', async () => {
  const running = worker.lines.map((line) => JSON.parse(line) as LogLine).find((line) => line.msg === 'worker running');
  assert.equal(running?.workflowCode, 'prebuilt bundle', 'the worker runs the workflow bundle the build made');

  const endpoint = await api('POST', '/v1/endpoints', { clientId: 'client-prod', kind: 'custom', url: receiver!.url, events: ['*'] });
  assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
  const callId = `call-prod-${Date.now()}`;
  const event = await api('POST', '/v1/events', { eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId, clientId: 'client-prod' } } });
  assert.equal(event.status, 202, JSON.stringify(event.body));
  await receiver!.waitFor(1, 30_000);
  assert.match(receiver!.requests[0]!.rawBody, new RegExp(callId));

  const page = await api('GET', '/');
  assert.equal(page.status, 200);
  const script = /src="(\/ui\/app\.[0-9a-f]+\.js)"/.exec(page.body as string)?.[1];
  assert.ok(script, 'the page names its script');
  const asset = await fetch(`${apiBase}${script}`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('content-type') ?? '', /javascript/);
  assert.ok((await asset.text()).length > 1_000, 'the bundled script');
  const openapi = await api('GET', '/openapi.json');
  assert.equal(openapi.body.info.version, JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);

  assert.equal(refused(), '', 'nothing refused by the guard');
});

test('npm run start:prod (dist/main.js): API and worker in one process, on TEMPORAL_ADDRESS and DATABASE_URL', async () => {
  const port = await freePort();
  const main = startCompiled('main', 'main.js', { ...serviceEnv(), TEMPORAL_TASK_QUEUE: `prod-main-${process.pid}`, PORT: String(port) });
  await main.waitForLog('callhook running', START_TIMEOUT_MS);
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
  assert.equal(ready.status, 200);
  await main.kill('SIGTERM');
  assert.equal((await main.exited).code, 0, main.tail());
  assert.equal(refused(), '', 'nothing refused by the guard');
});

test('without TEMPORAL_ADDRESS, a production install (no @temporalio/testing) refuses to start a dev server, and says why', async () => {
  const log = path.join(app, 'guard-no-temporal.log');
  const { TEMPORAL_ADDRESS: _, ...rest } = serviceEnv();
  const main = startCompiled('main-no-temporal', 'main.js', { ...rest, PORT: String(await freePort()) }, log);
  const { code } = await main.exited;
  assert.equal(code, 1);
  const fatal = main.lines.map((line) => JSON.parse(line) as LogLine).find((line) => line.msg === 'callhook failed to start');
  assert.match(JSON.stringify(fatal?.err), /DevServerUnavailableError.*Set TEMPORAL_ADDRESS/, main.tail());
  // The one package it looked for, as an install without dev dependencies would.
  assert.match(fs.readFileSync(log, 'utf8').trim(), /^\d+ main\.js: @temporalio\/testing \(from .*temporal-testing\.js\)$/);
});

test('keys:prod and secrets:prod run compiled', async () => {
  const generated = await runCompiled('cli/secrets.js', ['generate-key', '--id', 'next'], {});
  assert.match(generated.stdout.trim(), /^next:[A-Za-z0-9+/]+=*$/);
  const created = await runCompiled('cli/keys.js', ['create', '--client', 'client-prod', '--name', 'crm'], { DATABASE_URL: db!.url, SECRETS_ENCRYPTION_KEYS: SECRETS_KEYS });
  assert.match(created.stderr, /created client key .* for client client-prod/);
  assert.ok(created.stdout.trim().length >= 16, 'the key, printed once');
  assert.equal(refused(), '', 'nothing refused by the guard');
});

