/**
 * The package's entry points (package.json "exports": callhook/client, callhook/http, callhook/verify) used as an
 * outside project would: `npm run build` into a temporary package directory (package.json, README.md, dist/), `npm
 * pack` it, then a new project (its own package.json and strict tsconfig, module nodenext) installs the tarball with
 * the registry's typescript and @types/node (our versions), type-checks a file importing the three entry points —
 * with `@ts-expect-error` lines, so the types must be real, not `any` — and runs the compiled JavaScript, as ESM and
 * as CommonJS: verify checks signatures made with node:crypto, the HTTP client talks to a small local server that
 * answers as the API does, and callhook/client refuses bad events (InvalidCallEventError) without any Temporal.
 * (Emitting through a real Temporal client is tested in test/client.test.ts; the HTTP client against the real API in
 * test/http-client.test.ts.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '..');
const run = promisify(execFile);
/** tsc of src/ with declarations, webpack and esbuild bundles. */
const BUILD_TIMEOUT_MS = 180_000;
/** The tarball's dependencies (Temporal's SDK among them), from npm's cache when it has them. */
const INSTALL_TIMEOUT_MS = 240_000;

const ourVersion = (pkg: string): string => (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

let work: string;
/** The package as npm packs it: package.json, README.md and a fresh dist/ (the build's output). */
let packageDir: string;
let tarball: string;
let packedFiles: string[];
let consumer: string;

async function exec(command: string, args: string[], cwd: string, timeout: number): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(command, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${(err as Error).message}\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-packages-'));
  packageDir = path.join(work, 'callhook');
  consumer = path.join(work, 'consumer');
  fs.mkdirSync(packageDir);
  for (const file of ['package.json', 'README.md']) fs.copyFileSync(path.join(ROOT, file), path.join(packageDir, file));
  // The build the prepack script runs, into the temporary package rather than the repository's dist/.
  await exec('npm', ['run', 'build', '--', '--out-dir', path.join(packageDir, 'dist')], ROOT, BUILD_TIMEOUT_MS);
  // --ignore-scripts: prepack's build is done (scripts/ is not in the temporary package).
  const packed = JSON.parse((await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], packageDir, 60_000)).stdout) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = path.join(work, packed[0]!.filename);
  packedFiles = packed[0]!.files.map((f) => f.path);

  fs.mkdirSync(path.join(consumer, 'src'), { recursive: true });
  for (const [file, text] of Object.entries(CONSUMER_FILES)) fs.writeFileSync(path.join(consumer, file), text);
  await exec(
    'npm',
    ['install', tarball, `typescript@${ourVersion('typescript')}`, `@types/node@${ourVersion('@types/node')}`, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
    consumer,
    INSTALL_TIMEOUT_MS,
  );
});

after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test("package.json's files: npm pack of the repository would ship dist/, package.json and README.md only", async () => {
  const dryRun = JSON.parse((await exec('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], ROOT, 60_000)).stdout) as { files: { path: string }[] }[];
  const shipped = dryRun[0]!.files.map((f) => f.path);
  assert.deepEqual(shipped.filter((file) => !file.startsWith('dist/') && !['package.json', 'README.md'].includes(file) && !/^LICEN[CS]E/i.test(file)), []);
});

test('the tarball holds the compiled entry points and their declarations, and no sources or tests', () => {
  for (const entry of ['packages/client', 'packages/http/index', 'packages/http/schema', 'packages/verify', 'temporal/call-events-client', 'verify/index']) {
    for (const ext of ['.js', '.d.ts']) assert.ok(packedFiles.includes(`dist/${entry}${ext}`), `dist/${entry}${ext} packed`);
  }
  assert.deepEqual(packedFiles.filter((file) => !file.startsWith('dist/') && !['package.json', 'README.md'].includes(file)), []);
  assert.deepEqual(packedFiles.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')), [], 'no TypeScript sources');
  // Every "exports" target is in the tarball.
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
  const targets = Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)));
  for (const target of targets) assert.ok(packedFiles.includes(path.posix.normalize(target)), `${target} packed`);
});

test('an outside project type-checks against the three entry points (strict, nodenext); the types are real', async () => {
  // Its own tsconfig: strict, exactOptionalPropertyTypes, skipLibCheck (Temporal's own declarations need it). In
  // src/index.ts, each line marked to expect an error must meet one, or tsc fails: a type gone `any` would not.
  await exec(process.execPath, [path.join(consumer, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], consumer, 120_000);
  assert.ok(fs.existsSync(path.join(consumer, 'out', 'index.js')) && fs.existsSync(path.join(consumer, 'out', 'require.cjs')));
});

test("callhook's own declarations type-check without skipLibCheck (no type of a dev dependency, such as pg's, leaks into them)", async () => {
  const tsc = path.join(consumer, 'node_modules', 'typescript', 'bin', 'tsc');
  // Temporal's declarations have errors of their own without skipLibCheck (@types/ms is not among their
  // dependencies); only errors in callhook's files fail this.
  const result = await run(process.execPath, [tsc, '-p', '.', '--noEmit', '--skipLibCheck', 'false', '--exactOptionalPropertyTypes', 'false'], {
    cwd: consumer,
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '' }));
  const errors = `${result.stdout}${result.stderr}`.split('\n').filter((line) => /error TS\d+/.test(line));
  assert.deepEqual(errors.filter((line) => !line.startsWith('node_modules/@temporalio/')), [], 'errors outside Temporal’s declarations');
});

test('the compiled project runs: verify, the HTTP client, the client-side validation (ESM and CommonJS)', async () => {
  const { stdout } = await exec(process.execPath, ['out/index.js'], consumer, 30_000);
  const result = JSON.parse(stdout) as Record<string, any>;
  assert.equal(result.verify.standard.ok, true);
  assert.equal(result.verify.standard.eventId, 'evt_1');
  assert.deepEqual([result.verify.tampered, result.verify.rsa, result.verify.hex, result.verify.thrown], [false, true, true, 'missing header x-signature']);
  assert.match(result.client.id, /^evt_/);
  assert.deepEqual(result.client.errors, []);
  assert.match(result.client.refused, /^invalid call event: body\.data\.callId: /);
  assert.match(result.batch, /^invalid call event: events\[1\]: eventType: /);
  assert.deepEqual(result.http, {
    emitted: 'evt_1',
    statuses: ['succeeded after 1 attempt(s)'],
    missing: [404, 'not_found'],
    requests: ['POST /v1/events Bearer key-1', 'GET /v1/calls/call-1/deliveries?limit=10 Bearer key-1', 'GET /v1/calls/call-2/deliveries Bearer key-1'],
    sentBody: { eventType: 'OUTBOUND_CALL_COMPLETED', body: { data: { callId: 'call-1', clientId: 'client-1' } } },
  });

  const required = JSON.parse((await exec(process.execPath, ['out/require.cjs'], consumer, 30_000)).stdout) as Record<string, unknown>;
  assert.deepEqual(required, { client: 'function', http: 'function', verify: { ok: false, reason: 'missing header x-signature' } });
});

/** The outside project: package.json (ESM), tsconfig.json, src/index.ts (ESM) and src/require.cts (CommonJS). */
const CONSUMER_FILES: Record<string, string> = {
  'package.json': `${JSON.stringify({ name: 'callhook-consumer', private: true, type: 'module' }, null, 2)}\n`,
  'tsconfig.json': `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        lib: ['ES2023'],
        types: ['node'],
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        skipLibCheck: true,
        rootDir: 'src',
        outDir: 'out',
      },
      include: ['src'],
    },
    null,
    2,
  )}\n`,
  'src/index.ts': String.raw`import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { emitCallEvent, emitCallEvents, InvalidCallEventError, toCallEvent, type CallEvent, type EmitResult, type SubmitEvent } from 'callhook/client';
import { createCallhookClient, type CallhookClient, type CallhookSchemas } from 'callhook/http';
import { assertVerified, verifyHexHmac, verifyRsa, verifyStandardWebhook, WebhookVerificationError } from 'callhook/verify';

type TemporalClient = Parameters<typeof emitCallEvent>[0];

// Types only (never called): each @ts-expect-error must meet an error, or tsc fails.
export async function typeChecks(temporal: TemporalClient, callhook: CallhookClient): Promise<void> {
  // @ts-expect-error: body.data.clientId is required
  const missing: SubmitEvent = { eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId: 'c' } } };
  // @ts-expect-error: the options need a taskQueue
  await emitCallEvent(temporal, { eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId: 'c', clientId: 'x' } } }, {});
  const result: EmitResult = await emitCallEvent(temporal, missing, { taskQueue: 'callhook' });
  // @ts-expect-error: runId is a string
  const runId: number = result.runId;
  // @ts-expect-error: no such route
  await callhook.GET('/v1/no-such-route');
  // @ts-expect-error: kind is custom, slack, teams or email
  await callhook.POST('/v1/endpoints', { body: { clientId: 'c', kind: 'fax', events: ['*'] } });
  const { data } = await callhook.GET('/v1/calls/{callId}/deliveries', { params: { path: { callId: 'c' } } });
  // @ts-expect-error: a delivery's status is pending, succeeded, failed or skipped
  const status: 'delivered' | undefined = data?.data[0]?.status;
  // @ts-expect-error: secret and secrets are exclusive
  verifyStandardWebhook({ body: '', headers: {}, secret: 'whsec_AA==', secrets: ['whsec_AA=='] });
  void runId;
  void status;
}

function verifyChecks(): Record<string, unknown> {
  const body = JSON.stringify({ id: 'evt_1', eventType: 'OUTBOUND_CALL_COMPLETED' });
  const now = Math.floor(Date.now() / 1000);

  // Standard Webhooks (hmac endpoints): "{id}.{timestamp}.{body}", keyed by the base64 part of whsec_...
  const key = randomBytes(24);
  const secret = 'whsec_' + key.toString('base64');
  const signature = createHmac('sha256', key).update('evt_1.' + now + '.' + body).digest('base64');
  const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(now), 'webhook-signature': 'v1,' + signature };
  const standard = verifyStandardWebhook({ body, headers, secret });
  assertVerified(standard);
  const tampered = verifyStandardWebhook({ body: body.replace('evt_1', 'evt_2'), headers, secret });

  // RSA (x-recho-signature): "{timestamp}.{body}", RSASSA-PKCS1-v1_5 with SHA-256, base64.
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaSignature = sign('sha256', Buffer.from(now + '.' + body), privateKey).toString('base64');
  const rsa = verifyRsa({
    body: Buffer.from(body),
    headers: new Headers({ 'x-recho-timestamp': String(now), 'x-recho-signature': rsaSignature }),
    publicKeys: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });

  // hex HMAC (hmac-hex endpoints): lowercase hex of the body, keyed by the secret's UTF-8.
  const hex = verifyHexHmac({ body, headers: { 'x-signature': createHmac('sha256', 'hex-secret').update(body).digest('hex') }, secret: 'hex-secret' });
  let thrown = '';
  try {
    assertVerified(verifyHexHmac({ body, headers: {}, secret: 'hex-secret' }));
  } catch (err) {
    assert.ok(err instanceof WebhookVerificationError);
    thrown = err.reason;
  }
  return { standard, tampered: tampered.ok, rsa: rsa.ok, hex: hex.ok, thrown };
}

function clientChecks(): Record<string, unknown> {
  const event: CallEvent = toCallEvent({ eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId: 'call-1', clientId: 'client-1' } } });
  let refused = '';
  try {
    toCallEvent({ eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId: 'not a call id', clientId: 'client-1' } } });
  } catch (err) {
    assert.ok(err instanceof InvalidCallEventError);
    refused = err.message;
  }
  return { id: event.id, errors: event.body.errors, refused };
}

/** Every event is checked before anything is sent: this Temporal client fails the run if it is touched. */
async function batchRefusedBeforeTemporal(): Promise<string> {
  const untouchable = new Proxy({}, { get: () => assert.fail('the Temporal client was used') }) as TemporalClient;
  const events: SubmitEvent[] = [
    { eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId: 'call-1', clientId: 'client-1' } } },
    { eventType: 'not a type', body: { data: { callId: 'call-1', clientId: 'client-1' } } },
  ];
  return emitCallEvents(untouchable, events, { taskQueue: 'callhook' }).then(
    () => assert.fail('an invalid batch was emitted'),
    (err: unknown) => (err instanceof InvalidCallEventError ? err.message : assert.fail(String(err))),
  );
}

function describe(entry: CallhookSchemas['DeliveryLogEntry']): string {
  return entry.status + ' after ' + entry.attemptCount + ' attempt(s)';
}

/** A server answering as the API would, recording what it was sent. */
async function httpChecks(): Promise<Record<string, unknown>> {
  const seen: { method: string; url: string; authorization: string | undefined; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && req.url === '/v1/events') {
        res.statusCode = 202;
        res.end(JSON.stringify({ id: 'evt_1', callId: 'call-1', workflowId: 'call-1' }));
      } else if (req.method === 'GET' && req.url?.startsWith('/v1/calls/call-1/deliveries')) {
        // Only the fields read below: the server is not typed, the client's side is.
        const entry = { id: 'dlv_1', eventId: 'evt_1', endpointId: 'ep_1', callId: 'call-1', status: 'succeeded', attemptCount: 1 };
        res.end(JSON.stringify({ callId: 'call-1', data: [entry], nextCursor: null }));
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ error: { code: 'not_found', message: 'no such call', details: null } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const callhook = createCallhookClient({ baseUrl: 'http://127.0.0.1:' + (server.address() as AddressInfo).port, apiKey: 'key-1' });
    const emitted = await callhook.POST('/v1/events', {
      body: { eventType: 'OUTBOUND_CALL_COMPLETED', body: { data: { callId: 'call-1', clientId: 'client-1' } } },
    });
    const log = await callhook.GET('/v1/calls/{callId}/deliveries', { params: { path: { callId: 'call-1' }, query: { limit: 10 } } });
    const missing = await callhook.GET('/v1/calls/{callId}/deliveries', { params: { path: { callId: 'call-2' } } });
    return {
      emitted: emitted.data?.id,
      statuses: log.data?.data.map(describe),
      missing: [missing.response.status, missing.error?.error.code],
      requests: seen.map((r) => r.method + ' ' + r.url + ' ' + (r.authorization ?? '-')),
      sentBody: seen[0] ? JSON.parse(seen[0].body) : undefined,
    };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

console.log(JSON.stringify({ verify: verifyChecks(), client: clientChecks(), batch: await batchRefusedBeforeTemporal(), http: await httpChecks() }));
`,
  'src/require.cts': String.raw`// A CommonJS module of the same project: require() of the same entry points.
import { toCallEvent } from 'callhook/client';
import { createCallhookClient } from 'callhook/http';
import { verifyHexHmac } from 'callhook/verify';

console.log(JSON.stringify({ client: typeof toCallEvent, http: typeof createCallhookClient, verify: verifyHexHmac({ body: 'x', headers: {}, secret: 's' }) }));
`,
};
