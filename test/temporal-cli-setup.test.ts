/**
 * `ensureTemporalCli`: the order (an existing CLI, a Go build, the SDK download, a clear error),
 * progress, atomic placement. A fake `go` on PATH writes a fake `temporal`, so nothing is really
 * built; the SDK download is replaced. The last tests run the real `npm run temporal:cli` script.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import pino from 'pino';
import {
  TEMPORAL_CLI_GO_MODULE,
  TEMPORAL_CLI_MIN_GO,
  TEMPORAL_CLI_VERSION,
  cliCacheRoot,
  downloadedCliPath,
  findOnPath,
  findTemporalCli,
  pinnedCliPath,
} from '../src/temporal/cli-location';
import type { CliSetupEvent } from '../src/temporal/cli-setup-events';
import { cliSetupProgress, formatElapsed } from '../src/temporal/cli-setup-progress';
import { TemporalCliUnavailableError, explainDevServerStartFailure, sdkDownloadFailure } from '../src/temporal/cli-unavailable';
import { ensureTemporalCli, type EnsureCliOptions } from '../src/temporal/ensure-cli';
import { goVersionAtLeast, parseGoVersion } from '../src/temporal/go-version';

const SDK_VERSION = '9.9.9';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
const roots: string[] = [];
after(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

/**
 * A fake `go`: `env GOVERSION`, `mod download -json`, `list -deps` (3 packages), `install -v` (prints
 * the 3 packages, then writes a `temporal` into GOBIN), `version -m` (the module version built in).
 * Every call is appended to go.log with its GOBIN. FAKE_GO_* variables change its behaviour.
 */
const FAKE_GO = `#!/bin/sh
PATH=/usr/bin:/bin
echo "$* GOBIN=$GOBIN" >> "$FAKE_GO_LOG"
case "$1" in
  env) echo "\${FAKE_GO_VERSION:-go1.26.0}" ;;
  mod)
    mkdir -p "$FAKE_GO_MODDIR/cmd/temporal"
    printf '{"Path":"github.com/temporalio/cli","Version":"v1.5.1","Dir":"%s"}\\n' "$FAKE_GO_MODDIR" ;;
  list)
    echo "go: downloading github.com/example/dependency v1.0.0" >&2
    printf 'fmt\\nos\\ngithub.com/temporalio/cli/cmd/temporal\\n' ;;
  install)
    echo "go: downloading github.com/temporalio/cli v1.5.1" >&2
    for pkg in fmt os github.com/temporalio/cli/cmd/temporal; do
      echo "$pkg" >&2
      sleep "\${FAKE_GO_SLEEP:-0}"
    done
    if [ -n "$FAKE_GO_FAIL_INSTALL" ]; then echo "cmd/temporal/main.go:1: compile error: boom" >&2; exit 2; fi
    printf '#!/bin/sh\\necho "temporal version 0.0.0-DEV (Server 1.29.1, UI 2.42.1)"\\n' > "$GOBIN/temporal"
    chmod +x "$GOBIN/temporal" ;;
  version)
    printf '%s: go1.26.0\\n\\tpath\\tgithub.com/temporalio/cli/cmd/temporal\\n' "$3"
    printf '\\tmod\\tgithub.com/temporalio/cli\\t%s\\th1:abc=\\n' "\${FAKE_GO_BUILT_VERSION:-v1.5.1}" ;;
esac
`;

interface Sandbox {
  root: string;
  env: NodeJS.ProcessEnv;
  /** The `go` calls so far. */
  goCalls(): string[];
}

/** A temp dir with a cache (XDG_CACHE_HOME) and a PATH holding only the fake go (or nothing). */
function sandbox(options: { go?: boolean; extraEnv?: NodeJS.ProcessEnv } = {}): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-cli-setup-'));
  roots.push(root);
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin);
  if (options.go ?? true) fs.writeFileSync(path.join(bin, 'go'), FAKE_GO, { mode: 0o755 });
  const log = path.join(root, 'go.log');
  fs.writeFileSync(log, '');
  return {
    root,
    env: {
      PATH: bin,
      XDG_CACHE_HOME: path.join(root, 'cache'),
      FAKE_GO_LOG: log,
      FAKE_GO_MODDIR: path.join(root, 'module'),
      ...options.extraEnv,
    },
    goCalls: () => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean),
  };
}

function fakeCli(file: string, version = '1.5.1'): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\necho "temporal version ${version}"\n`, { mode: 0o755 });
  return file;
}

const failingDownload = async (): Promise<string> => {
  throw new Error(
    'Failed to start ephemeral server: failed to download ephemeral server executable: error sending request for url (https://temporal.download/cli/default): error sending request for url (https://temporal.download/cli/default): dns error',
  );
};

async function ensure(box: Sandbox, options: Omit<EnsureCliOptions, 'env'> = {}): Promise<{ result: Awaited<ReturnType<typeof ensureTemporalCli>>; events: CliSetupEvent[] }> {
  const events: CliSetupEvent[] = [];
  const result = await ensureTemporalCli({
    env: box.env,
    sdkVersion: SDK_VERSION,
    download: failingDownload,
    logger: pino({ level: 'silent' }),
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { result, events };
}

/** What is in the cache root, staging directories included. */
function cacheEntries(box: Sandbox): string[] {
  const root = cliCacheRoot(box.env);
  return fs.existsSync(root) ? fs.readdirSync(root).sort() : [];
}

describe('an existing CLI is used at once', () => {
  test('TEMPORAL_CLI_PATH first; go is not run', async () => {
    const box = sandbox();
    const cli = fakeCli(path.join(box.root, 'mine', 'temporal'));
    fakeCli(pinnedCliPath(box.env));
    box.env.TEMPORAL_CLI_PATH = cli;
    const { result, events } = await ensure(box);
    assert.deepEqual(result, { path: cli, source: 'TEMPORAL_CLI_PATH' });
    assert.deepEqual(events.map((e) => e.type), ['found', 'done']);
    assert.deepEqual(box.goCalls(), []);
  });

  test('TEMPORAL_CLI_PATH that is not executable is an error naming it', async () => {
    const box = sandbox();
    box.env.TEMPORAL_CLI_PATH = path.join(box.root, 'missing');
    await assert.rejects(ensure(box), /TEMPORAL_CLI_PATH=.*missing is not an executable file/);
  });

  test('then the pinned build, then an earlier SDK download, then temporal on PATH', async () => {
    const box = sandbox();
    const onPath = fakeCli(path.join(box.root, 'bin', 'temporal'));
    assert.deepEqual((await ensure(box)).result, { path: onPath, source: 'PATH' });
    const downloaded = fakeCli(downloadedCliPath(SDK_VERSION, box.env));
    assert.deepEqual((await ensure(box)).result, { path: downloaded, source: 'SDK download' });
    const pinned = fakeCli(pinnedCliPath(box.env));
    assert.deepEqual((await ensure(box)).result, { path: pinned, source: 'pinned build' });
    assert.deepEqual(box.goCalls(), []);
    assert.equal(findTemporalCli(box.env), pinned);
  });
});

describe('no CLI: the pinned release is built with go', () => {
  test('built in a staging directory, checked, renamed into the cache; progress counts packages', async () => {
    const box = sandbox();
    const { result, events } = await ensure(box);
    const pinned = pinnedCliPath(box.env);
    assert.deepEqual(result, { path: pinned, source: 'pinned build' });
    assert.match(spawnSync(pinned, ['--version'], { encoding: 'utf8' }).stdout, /^temporal version/);
    assert.ok(pinned.startsWith(path.join(box.root, 'cache', 'callhook')), 'the cache is under XDG_CACHE_HOME, outside the repository');

    const calls = box.goCalls();
    assert.deepEqual(
      calls.map((call) => call.split(' ').slice(0, 2).join(' ')),
      ['env GOVERSION', 'mod download', 'list -deps', 'install -v', 'version -m'],
    );
    const install = calls.find((call) => call.startsWith('install'));
    assert.match(install ?? '', new RegExp(`${TEMPORAL_CLI_GO_MODULE}/cmd/temporal@${TEMPORAL_CLI_VERSION} GOBIN=.*/callhook/\\.staging-${process.pid}-`));
    assert.deepEqual(cacheEntries(box), [`temporal-cli-${TEMPORAL_CLI_VERSION}`], 'the staging directory is gone');

    assert.deepEqual(events[0], { type: 'build-started', goVersion: 'go1.26.0' });
    const progress = events.filter((e): e is Extract<CliSetupEvent, { type: 'build-progress' }> => e.type === 'build-progress');
    assert.ok(progress.some((p) => p.stage === 'fetching' && p.modulesDownloaded === 1));
    const compiling = progress.filter((p) => p.stage === 'compiling');
    assert.deepEqual([...new Set(compiling.map((p) => `${p.compiled}/${p.total}`))], ['0/3', '1/3', '2/3', '3/3']);
    assert.equal(progress.at(-1)?.modulesDownloaded, 2);
    const finished = events.find((e) => e.type === 'build-finished');
    assert.ok(finished && finished.type === 'build-finished' && finished.compiled === 3 && finished.cli.path === pinned);
    assert.equal(events.at(-1)?.type, 'done');

    const again = await ensure(box);
    assert.deepEqual(again.events.map((e) => e.type), ['found', 'done'], 'not built twice');
    assert.equal(box.goCalls().length, calls.length);
  });

  test('an interrupted build leaves no binary and no staging directory; an abandoned one is cleaned up', async () => {
    const box = sandbox({ extraEnv: { FAKE_GO_SLEEP: '1' } });
    const abort = new AbortController();
    const building = ensure(box, {
      signal: abort.signal,
      onEvent: (event) => {
        if (event.type === 'build-progress' && event.compiled === 1) abort.abort();
      },
    });
    await assert.rejects(building, { name: 'AbortError' });
    assert.equal(fs.existsSync(pinnedCliPath(box.env)), false);
    assert.deepEqual(cacheEntries(box), []);

    // A build killed outright (its process gone) leaves a staging directory: the next build removes it.
    const deadPid = spawnSync('true').pid;
    const abandoned = path.join(cliCacheRoot(box.env), `.staging-${deadPid}-0000`);
    fakeCli(path.join(abandoned, 'temporal'), 'half-written');
    box.env.FAKE_GO_SLEEP = '0';
    await ensure(box);
    assert.deepEqual(cacheEntries(box), [`temporal-cli-${TEMPORAL_CLI_VERSION}`]);
  });

  test('two processes building at once both end with the whole binary', async () => {
    const box = sandbox();
    const [a, b] = await Promise.all([ensure(box), ensure(box)]);
    assert.equal(a.result.path, b.result.path);
    assert.match(spawnSync(a.result.path, ['--version'], { encoding: 'utf8' }).stdout, /^temporal version/);
    assert.deepEqual(cacheEntries(box), [`temporal-cli-${TEMPORAL_CLI_VERSION}`]);
  });
});

describe('no build: the SDK download, else a clear error', () => {
  test('a failed build falls back to the download', async () => {
    const box = sandbox({ extraEnv: { FAKE_GO_FAIL_INSTALL: '1' } });
    const downloaded = downloadedCliPath(SDK_VERSION, box.env);
    const { result, events } = await ensure(box, { download: async () => fakeCli(downloaded) });
    assert.deepEqual(result, { path: downloaded, source: 'SDK download' });
    const unavailable = events.find((e) => e.type === 'build-unavailable');
    assert.ok(unavailable?.type === 'build-unavailable');
    assert.match(unavailable.reason, /go install with go1\.26\.0 failed: go install -v .* failed:\n[^]*compile error: boom/);
    assert.deepEqual(
      events.map((e) => e.type).filter((t) => t !== 'build-progress'),
      ['build-started', 'build-unavailable', 'download-started', 'download-finished', 'done'],
    );
    assert.deepEqual(cacheEntries(box), ['temporal-cli-sdk-typescript-9.9.9'], 'the failed build left nothing');
  });

  test('a build of another release is not kept', async () => {
    const box = sandbox({ extraEnv: { FAKE_GO_BUILT_VERSION: 'v1.4.0' } });
    await assert.rejects(ensure(box), (err: unknown) => {
      assert.ok(err instanceof TemporalCliUnavailableError);
      assert.match(err.reasons.build, /is not github\.com\/temporalio\/cli v1\.5\.1; go version -m says:[^]*v1\.4\.0/);
      return true;
    });
    assert.deepEqual(cacheEntries(box), []);
  });

  test('no go and no download: the error says what to install', async () => {
    const box = sandbox({ go: false });
    const events: CliSetupEvent[] = [];
    const error = await ensure(box, { onEvent: (e) => events.push(e) }).then(
      () => assert.fail('expected a failure'),
      (err: unknown) => err,
    );
    assert.ok(error instanceof TemporalCliUnavailableError);
    assert.equal(error.reasons.build, 'go is not on PATH');
    assert.equal(
      error.reasons.download,
      'failed to download ephemeral server executable: error sending request for url (https://temporal.download/cli/default): dns error',
    );
    for (const advice of [`install Go ${TEMPORAL_CLI_MIN_GO} or newer`, 'internet access', 'TEMPORAL_CLI_PATH', 'TEMPORAL_ADDRESS']) {
      assert.ok(error.message.includes(advice), `the message mentions ${advice}:\n${error.message}`);
    }
    assert.equal(error.stack, `TemporalCliUnavailableError: ${error.message}`);
    assert.ok(error.cause instanceof Error);
    assert.deepEqual(events.map((e) => e.type), ['build-unavailable', 'download-started', 'download-unavailable', 'done']);
  });

  test('a Go older than the release needs is tried, and named when the build fails', async () => {
    const box = sandbox({ extraEnv: { FAKE_GO_VERSION: 'go1.22.1', FAKE_GO_FAIL_INSTALL: '1' } });
    await assert.rejects(ensure(box), (err: unknown) => {
      assert.ok(err instanceof TemporalCliUnavailableError);
      assert.match(err.reasons.build, /go1\.22\.1 is older than the Go 1\.25\.0 that Temporal CLI v1\.5\.1 needs/);
      return true;
    });
  });

  test("the dev server's own download failure is explained; other errors pass through", () => {
    const sdkError = new Error('Failed to start ephemeral server: failed to download ephemeral server executable: a: a: dns error');
    const explained = explainDevServerStartFailure(sdkError);
    assert.ok(explained instanceof TemporalCliUnavailableError);
    assert.equal(explained.reasons.download, 'failed to download ephemeral server executable: a: dns error');
    assert.equal(explained.cause, sdkError);
    const other = new Error('port 7233 in use');
    assert.equal(explainDevServerStartFailure(other), other);
    assert.equal(sdkDownloadFailure('x: y: y: z'), 'x: y: z');
  });
});

describe('progress display', () => {
  function capture() {
    const records: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line) as Record<string, unknown>) });
    const written: string[] = [];
    return { records, logger, written, stream: { write: (text: string) => written.push(text), columns: 200 } };
  }
  const compiling = (compiled: number, total: number | undefined): CliSetupEvent => ({ type: 'build-progress', stage: 'compiling', modulesDownloaded: 0, compiled, total });

  test('on a terminal: one status line redrawn in place, cleared at the end', () => {
    const out = capture();
    let clock = 0;
    const display = cliSetupProgress({ ...out, interactive: true, now: () => clock });
    display({ type: 'build-started', goVersion: 'go1.26.0' });
    display(compiling(412, 1298));
    clock = 72_000;
    display({ type: 'build-finished', cli: { path: '/c/temporal', source: 'pinned build' }, elapsedMs: 291_000, compiled: 1290 });
    display({ type: 'done' });
    assert.deepEqual(out.written, [
      `\r\x1b[2K⠋ building Temporal CLI ${TEMPORAL_CLI_VERSION} · fetching modules · 0s`,
      '\r\x1b[2K',
    ]);
    assert.deepEqual(
      out.records.map((r) => r.msg),
      [
        `no Temporal CLI found: building Temporal CLI ${TEMPORAL_CLI_VERSION} with go1.26.0 (about 5 minutes the first time, then kept)`,
        `built Temporal CLI ${TEMPORAL_CLI_VERSION} in 4m 51s`,
      ],
    );
  });

  test('on a terminal, the timer redraws with the counts and the time so far', async () => {
    const out = capture();
    let clock = 0;
    const display = cliSetupProgress({ ...out, interactive: true, now: () => clock });
    display({ type: 'build-started', goVersion: 'go1.26.0' });
    display(compiling(412, 1298));
    clock = 72_000;
    await new Promise((resolve) => setTimeout(resolve, 250));
    display({ type: 'done' });
    assert.ok(
      out.written.some((text) => text.startsWith('\r\x1b[2K') && text.endsWith(`building Temporal CLI ${TEMPORAL_CLI_VERSION} · 412 of 1298 packages compiled · 1m 12s`)),
      out.written.join('\n'),
    );
  });

  test('elsewhere: a "still building" record every interval, with the counts as fields', async () => {
    const out = capture();
    let clock = 0;
    const display = cliSetupProgress({ ...out, interactive: false, reportEveryMs: 50, now: () => clock });
    display({ type: 'build-started', goVersion: 'go1.26.0' });
    display(compiling(412, undefined));
    clock = 45_000;
    await new Promise((resolve) => setTimeout(resolve, 130));
    display({ type: 'done' });
    const still = out.records.filter((r) => String(r.msg).startsWith('still building'));
    assert.ok(still.length >= 2, JSON.stringify(out.records));
    assert.equal(still[0]?.msg, 'still building the Temporal CLI… 45s, 412 packages compiled');
    assert.equal(still[0]?.packagesCompiled, 412);
    assert.equal(still[0]?.elapsedS, 45);
    assert.deepEqual(out.written, [], 'no status line off a terminal');
    const count = out.records.length;
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(out.records.length, count, 'nothing after done');
  });

  test('a CLI found is logged at debug only; elapsed times read 45s, 4m 05s', () => {
    const out = capture();
    cliSetupProgress({ ...out, interactive: true })({ type: 'found', cli: { path: '/x/temporal', source: 'PATH' } });
    assert.deepEqual(out.records.map((r) => r.level), [20]);
    assert.deepEqual(out.written, []);
    assert.deepEqual([formatElapsed(45_000), formatElapsed(245_000)], ['45s', '4m 05s']);
  });
});

describe('Go versions', () => {
  test('parsed and compared', () => {
    assert.deepEqual(parseGoVersion('go1.26.8'), [1, 26, 8]);
    assert.deepEqual(parseGoVersion('go1.25'), [1, 25, 0]);
    assert.deepEqual(parseGoVersion('devel go1.27-abcdef'), [1, 27, 0]);
    assert.equal(parseGoVersion('devel abcdef'), undefined);
    assert.equal(goVersionAtLeast('go1.25.0', TEMPORAL_CLI_MIN_GO), true);
    assert.equal(goVersionAtLeast('go1.26.1', TEMPORAL_CLI_MIN_GO), true);
    assert.equal(goVersionAtLeast('go1.24.9', TEMPORAL_CLI_MIN_GO), false);
    assert.equal(goVersionAtLeast('devel abc', TEMPORAL_CLI_MIN_GO), undefined);
  });

  test("TEMPORAL_CLI_MIN_GO is the pinned release's go directive", async (t) => {
    const go = findOnPath('go', process.env);
    if (!go) return t.skip('no go on PATH');
    const { stdout } = await promisify(execFile)(go, ['mod', 'download', '-json', `${TEMPORAL_CLI_GO_MODULE}@${TEMPORAL_CLI_VERSION}`], { cwd: os.tmpdir() });
    const { Dir } = JSON.parse(stdout) as { Dir: string };
    assert.equal(/^go\s+(\S+)/m.exec(fs.readFileSync(path.join(Dir, 'go.mod'), 'utf8'))?.[1], TEMPORAL_CLI_MIN_GO);
  });
});

describe('npm run temporal:cli', () => {
  const script = path.join(__dirname, '..', 'scripts', 'ensure-temporal-cli.ts');
  const run = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...args], { cwd: path.join(__dirname, '..'), env: { ...process.env, LOG_LEVEL: 'info' } });

  test('with the CLI present: prints its path at once, builds nothing; --quiet prints nothing', async (t) => {
    const existing = findTemporalCli();
    if (!existing) return t.skip('no Temporal CLI here (npm test sets one up before the test files)');
    const started = Date.now();
    const { stdout, stderr } = await run();
    assert.equal(stdout, `${existing}\n`);
    assert.equal(stderr, '');
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    const quiet = await run('--quiet');
    assert.deepEqual([quiet.stdout, quiet.stderr], ['', '']);
  });

  test('with none to be had: exit 1 and the message, as JSON lines off a terminal', async () => {
    const box = sandbox({ go: false });
    // The SDK's download goes through a proxy that refuses connections: it fails at once, with or without internet.
    const proxy = `http://127.0.0.1:${await closedPort()}`;
    const env = { ...box.env, PATH: path.dirname(process.execPath), LOG_LEVEL: 'info', HTTPS_PROXY: proxy, https_proxy: proxy, NO_PROXY: '', no_proxy: '' };
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: path.join(__dirname, '..'), env, encoding: 'utf8' });
    assert.equal(child.status, 1, child.stderr);
    assert.equal(child.stdout, '');
    const records = child.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { type: string; message: string } });
    const fatal = records.at(-1);
    assert.equal(fatal?.level, 60);
    assert.equal(fatal?.err?.type, 'TemporalCliUnavailableError');
    assert.match(fatal?.err?.message ?? '', /go is not on PATH[^]*download by the Temporal SDK: failed to download[^]*install Go 1\.25\.0 or newer/);
    assert.deepEqual(cacheEntries(box), [], 'nothing left in the cache');
  });
});
