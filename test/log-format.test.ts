/**
 * Logs: human-readable lines on a terminal (the formatter, tested directly: a pseudo-terminal is
 * not at hand in a test), JSON lines otherwise (a child process whose stdout is a pipe), and the
 * addresses `npm start` ends its start-up with.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import pino from 'pino';
import { formatPrettyLine, formatPrettyRecord, resolveLogFormat } from '../src/observability/log-format';
import { formatAddressBlock, reportStartup, startupAddresses } from '../src/process/startup-summary';

/** 18:22:01 local time, as pino's isoTime writes it. */
const TIME = new Date(2026, 4, 12, 18, 22, 1).toISOString();

describe('pretty log lines', () => {
  test('time, level, message, then the fields: nested ones dotted, spaced values quoted', () => {
    const line = formatPrettyRecord(
      {
        level: 30,
        time: TIME,
        service: 'callhook',
        msg: 'callhook running',
        taskQueue: 'callhook',
        signingKey: { id: 'k1', source: 'generated' },
        email: 'disabled (no SMTP_URL)',
        count: 3,
        tags: ['a', 'b'],
      },
      { color: false },
    );
    assert.equal(line, '18:22:01 INFO  callhook running  taskQueue=callhook signingKey.id=k1 signingKey.source=generated email="disabled (no SMTP_URL)" count=3 tags=["a","b"]\n');
  });

  test("an error's stack on the lines below, indented; its own fields inline", () => {
    const err = pino.stdSerializers.err(Object.assign(new Error('boom', { cause: new Error('inner') }), { code: 'E42' }));
    const text = formatPrettyRecord({ level: 60, time: TIME, msg: 'callhook failed to start', err }, { color: false });
    const [head, ...below] = text.trimEnd().split('\n');
    assert.equal(head, '18:22:01 FATAL callhook failed to start  err.code=E42');
    assert.equal(below[0], '    Error: boom');
    assert.match(below[1] ?? '', /^ {8}at /);
    assert.ok(below.some((l) => l === '    caused by: Error: inner'), text);
  });

  test('each level has a five-letter label; colour only when asked', () => {
    const labels = [10, 20, 30, 40, 50, 60].map((level) => formatPrettyRecord({ level, time: TIME, msg: 'm' }, { color: false }).slice(9, 15));
    assert.deepEqual(labels, ['TRACE ', 'DEBUG ', 'INFO  ', 'WARN  ', 'ERROR ', 'FATAL ']);
    const colored = formatPrettyRecord({ level: 40, time: TIME, msg: 'careful', n: 1 }, { color: true });
    assert.equal(colored, '\x1b[2m18:22:01\x1b[0m \x1b[33mWARN \x1b[0m careful  \x1b[2mn=\x1b[0m1\n');
  });

  test('a JSON line is parsed; anything else is shown as it is', () => {
    assert.equal(formatPrettyLine(`{"level":30,"time":"${TIME}","msg":"hi"}\n`, { color: false }), '18:22:01 INFO  hi\n');
    assert.equal(formatPrettyLine('not json', { color: false }), 'not json\n');
  });

  test('LOG_FORMAT overrides; unset: pretty on a terminal, JSON otherwise', () => {
    assert.equal(resolveLogFormat(undefined, true), 'pretty');
    assert.equal(resolveLogFormat(undefined, false), 'json');
    assert.equal(resolveLogFormat('json', true), 'json');
    assert.equal(resolveLogFormat('pretty', false), 'pretty');
  });
});

describe('the logger of a process', () => {
  const logFrom = (env: NodeJS.ProcessEnv) =>
    spawnSync(
      process.execPath,
      ['--import', 'tsx', '-e', "require('./src/observability/logger').logger.info({ api: 'http://127.0.0.1:3000/v1' }, 'hello')"],
      { cwd: path.join(__dirname, '..'), env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: '', ...env }, encoding: 'utf8' },
    );

  test('stdout not a terminal: JSON lines', () => {
    const child = logFrom({});
    assert.equal(child.status, 0, child.stderr);
    const record = JSON.parse(child.stdout) as Record<string, unknown>;
    assert.equal(record.msg, 'hello');
    assert.equal(record.api, 'http://127.0.0.1:3000/v1');
    assert.equal(record.service, 'callhook');
    assert.equal(record.level, 30);
  });

  test('LOG_FORMAT=pretty: human-readable even into a pipe (NO_COLOR: no escapes)', () => {
    const child = logFrom({ LOG_FORMAT: 'pretty', NO_COLOR: '1' });
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /^\d\d:\d\d:\d\d INFO  hello {2}api=http:\/\/127\.0\.0\.1:3000\/v1\n$/);
  });
});

describe('the end of npm start', () => {
  const addresses = startupAddresses({
    baseUrl: 'http://localhost:3000/',
    temporalAddress: '127.0.0.1:7233',
    temporalUi: 'http://localhost:8233',
    dataDir: '.data',
  });

  test('the page, the API, the Temporal Web UI and the data directory', () => {
    assert.deepEqual(addresses, {
      page: 'http://localhost:3000/',
      api: 'http://localhost:3000/v1',
      temporalUi: 'http://localhost:8233',
      temporalAddress: '127.0.0.1:7233',
      dataDir: path.resolve('.data'),
    });
  });

  test('JSON logs: one record with the addresses and the details', () => {
    const records: Record<string, unknown>[] = [];
    const written: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => records.push(JSON.parse(line) as Record<string, unknown>) });
    reportStartup(addresses, { taskQueue: 'callhook' }, { logger, format: 'json', write: (t) => written.push(t), color: false });
    assert.equal(records.length, 1);
    assert.equal(records[0]?.msg, 'callhook running');
    for (const key of ['page', 'api', 'temporalUi', 'dataDir', 'taskQueue'] as const) {
      assert.ok(records[0]?.[key], `the record has ${key}`);
    }
    assert.deepEqual(written, []);
  });

  test('pretty logs: the record line, then a short block of the addresses', () => {
    const records: Record<string, unknown>[] = [];
    const written: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => records.push(JSON.parse(line) as Record<string, unknown>) });
    reportStartup(addresses, { taskQueue: 'callhook' }, { logger, format: 'pretty', write: (t) => written.push(t), color: false });
    assert.deepEqual(records.map((r) => [r.msg, r.taskQueue, r.page]), [['callhook running', 'callhook', undefined]]);
    assert.deepEqual(written, [
      [
        '',
        '  Webhooks page    http://localhost:3000/',
        '  API              http://localhost:3000/v1',
        '  Temporal Web UI  http://localhost:8233',
        `  Data             ${path.resolve('.data')}`,
        '',
        '  Ctrl-C stops callhook.',
        '',
        '',
      ].join('\n'),
    ]);
    const silent = pino({ level: 'warn' }, { write: () => {} });
    const none: string[] = [];
    reportStartup(addresses, {}, { logger: silent, format: 'pretty', write: (t) => none.push(t), color: false });
    assert.deepEqual(none, [], 'LOG_LEVEL above info: no block either');
  });

  test('with TEMPORAL_ADDRESS (no dev server): the Temporal address instead of a Web UI', () => {
    const remote = startupAddresses({ baseUrl: 'http://127.0.0.1:3000', temporalAddress: 'temporal.internal:7233', dataDir: '/srv/callhook' });
    assert.equal(remote.temporalUi, undefined);
    assert.match(formatAddressBlock(remote, false), /\n {2}Temporal {7}temporal\.internal:7233\n/);
  });
});
