import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Agent } from 'undici';
import { USER_AGENT, type DeliveryNetwork } from '../src/destinations/http';
import { createDeliveryAgent } from '../src/destinations/network-policy';
import {
  OAuth2TokenCache,
  OAuth2TokenError,
  oauth2AttemptFailure,
  type OAuth2ClientCredentials,
} from '../src/destinations/oauth2-tokens';
import { Receiver, type ReceivedRequest, type Reply } from './helpers/receiver';

/** A client id and secret with characters RFC 6749 §2.3.1 says to form-urlencode before Basic. */
const SPECIAL_ID = 'client id:1';
const SPECIAL_SECRET = 'p@ss w+rd/é&=%';
/** The same, form-urlencoded, written out by hand so the test does not share the code under test. */
const SPECIAL_ID_ENCODED = 'client+id%3A1';
const SPECIAL_SECRET_ENCODED = 'p%40ss+w%2Brd%2F%C3%A9%26%3D%25';

const CLIENTS: Record<string, string> = {
  'client-a': 'secret-a-0123456789',
  'client-b': 'secret-b-0123456789',
  [SPECIAL_ID]: SPECIAL_SECRET,
};

/** How the token server answers; tests change it between requests. */
interface TokenServerConfig {
  /** Seconds; undefined: no expires_in in the answer. */
  expiresIn: number | undefined;
  tokenType: string;
  delayMs: number;
  /** When set, answers every request instead of the normal token logic. */
  override?: (request: ReceivedRequest) => Reply;
}

/** Which client the request authenticated as (Basic or in the form), or why not. */
function authenticate(request: ReceivedRequest): { clientId: string } | { problem: string } {
  const form = new URLSearchParams(request.rawBody);
  const header = request.headers.authorization;
  let id: string | null;
  let secret: string | null;
  if (header) {
    if (form.has('client_secret')) return { problem: 'two authentication methods' };
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
    if (!match) return { problem: 'not Basic' };
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { problem: 'no colon' };
    // Each part is form-urlencoded (RFC 6749 §2.3.1): decode it as a form value.
    id = new URLSearchParams(`v=${decoded.slice(0, colon)}`).get('v');
    secret = new URLSearchParams(`v=${decoded.slice(colon + 1)}`).get('v');
  } else {
    id = form.get('client_id');
    secret = form.get('client_secret');
  }
  if (id === null || secret === null || CLIENTS[id] !== secret) return { problem: 'client authentication failed' };
  return { clientId: id };
}

/** An RFC 6749 §4.4 token endpoint: checks the client, issues a fresh random token each time. */
function tokenResponder(config: TokenServerConfig) {
  return (request: ReceivedRequest): Reply => {
    if (config.override) return config.override(request);
    const json = (status: number, body: unknown): Reply => ({
      status,
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      delayMs: config.delayMs,
    });
    if (request.method !== 'POST') return json(405, { error: 'invalid_request' });
    if (new URLSearchParams(request.rawBody).get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
    const auth = authenticate(request);
    if ('problem' in auth) return json(400, { error: 'invalid_client', error_description: auth.problem });
    return json(200, {
      access_token: `tok_${randomBytes(12).toString('base64url')}`,
      token_type: config.tokenType,
      ...(config.expiresIn !== undefined && { expires_in: config.expiresIn }),
    });
  };
}

function credentials(server: Receiver, overrides: Partial<OAuth2ClientCredentials> = {}): OAuth2ClientCredentials {
  return { tokenUrl: server.url, clientId: 'client-a', clientSecret: CLIENTS['client-a']!, method: 'client_secret_basic', ...overrides };
}

const never = (): AbortSignal => new AbortController().signal;

/** The rejection, which must be an OAuth2TokenError. */
async function tokenError(promise: Promise<unknown>): Promise<OAuth2TokenError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OAuth2TokenError, `expected an OAuth2TokenError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the token request to fail');
}

function assertNoSecret(err: OAuth2TokenError, secret: string): void {
  for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]) assert.ok(!err.message.includes(form), err.message);
}

/** A TCP port on loopback that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('OAuth2TokenCache', () => {
  let agent: Agent;
  let network: DeliveryNetwork;
  let server: Receiver;
  let config: TokenServerConfig;
  let clock: number;
  let cache: OAuth2TokenCache;

  /** A fresh cache, clock and server config; the server's request log restarts from the current length. */
  function reset(options: { timeoutMs?: number; maxEntries?: number } = {}): { requestsSoFar: () => number } {
    config = { expiresIn: 3600, tokenType: 'Bearer', delayMs: 0 };
    server.setResponder(tokenResponder(config));
    clock = 1_000_000;
    cache = new OAuth2TokenCache({ network, now: () => clock, ...options });
    const start = server.requests.length;
    return { requestsSoFar: () => server.requests.length - start };
  }

  before(async () => {
    agent = createDeliveryAgent({ allowPrivateNetworks: true });
    network = { agent, allowPrivateNetworks: true };
    server = await Receiver.start();
  });
  after(async () => {
    await server.stop();
    await agent.close();
  });

  test('client_secret_basic: form-urlencoded id and secret in Basic (RFC 6749 §2.3.1), nothing in the form', async () => {
    const { requestsSoFar } = reset();
    const token = await cache.token('ep_1', credentials(server, { clientId: SPECIAL_ID, clientSecret: SPECIAL_SECRET }), never());
    assert.match(token, /^tok_/);
    assert.equal(requestsSoFar(), 1);
    const request = server.requests.at(-1)!;
    assert.equal(request.method, 'POST');
    const expected = `Basic ${Buffer.from(`${SPECIAL_ID_ENCODED}:${SPECIAL_SECRET_ENCODED}`).toString('base64')}`;
    assert.equal(request.headers.authorization, expected);
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(request.headers.accept, 'application/json');
    assert.equal(request.headers['user-agent'], USER_AGENT);
    const form = new URLSearchParams(request.rawBody);
    assert.deepEqual([...form.keys()], ['grant_type']);
    assert.equal(form.get('grant_type'), 'client_credentials');
  });

  test('client_secret_post: client_id and client_secret in the form, no Authorization header', async () => {
    const { requestsSoFar } = reset();
    await cache.token('ep_1', credentials(server, { clientId: SPECIAL_ID, clientSecret: SPECIAL_SECRET, method: 'client_secret_post' }), never());
    assert.equal(requestsSoFar(), 1);
    const request = server.requests.at(-1)!;
    assert.equal(request.headers.authorization, undefined);
    const form = new URLSearchParams(request.rawBody);
    assert.equal(form.get('grant_type'), 'client_credentials');
    assert.equal(form.get('client_id'), SPECIAL_ID);
    assert.equal(form.get('client_secret'), SPECIAL_SECRET);
    assert.ok(request.rawBody.includes(`client_secret=${SPECIAL_SECRET_ENCODED}`), request.rawBody);
  });

  test('scope and audience are sent when given, and only then', async () => {
    reset();
    await cache.token('ep_1', credentials(server, { scope: 'calls:write events.read', audience: 'https://api.example.com/' }), never());
    const form = new URLSearchParams(server.requests.at(-1)!.rawBody);
    assert.equal(form.get('scope'), 'calls:write events.read');
    assert.equal(form.get('audience'), 'https://api.example.com/');
    await cache.token('ep_2', credentials(server), never());
    const plain = new URLSearchParams(server.requests.at(-1)!.rawBody);
    assert.equal(plain.has('scope'), false);
    assert.equal(plain.has('audience'), false);
  });

  test('a token is cached per endpoint: 20 concurrent and 20 sequential calls fetch once; another endpoint fetches its own', async () => {
    const { requestsSoFar } = reset();
    const creds = credentials(server);
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => cache.token('ep_a', creds, never())));
    assert.equal(new Set(concurrent).size, 1);
    for (let i = 0; i < 20; i++) assert.equal(await cache.token('ep_a', creds, never()), concurrent[0]);
    assert.equal(requestsSoFar(), 1);
    const other = await Promise.all(Array.from({ length: 20 }, () => cache.token('ep_b', creds, never())));
    assert.equal(new Set(other).size, 1);
    assert.notEqual(other[0], concurrent[0]);
    assert.equal(requestsSoFar(), 2);
  });

  test('single flight: concurrent callers share one slow request', async () => {
    const { requestsSoFar } = reset();
    config.delayMs = 150;
    const creds = credentials(server);
    const already = server.requests.length;
    const first = cache.token('ep_slow', creds, never());
    await server.waitFor(already + 1); // the request has reached the server, which answers in 150 ms
    const rest = Array.from({ length: 19 }, () => cache.token('ep_slow', creds, never()));
    const tokens = await Promise.all([first, ...rest]);
    assert.equal(new Set(tokens).size, 1);
    assert.equal(requestsSoFar(), 1);
  });

  test('a caller that gives up does not stop the request the others wait for', async () => {
    const { requestsSoFar } = reset();
    config.delayMs = 150;
    const creds = credentials(server);
    const impatient = new AbortController();
    const gaveUp = cache.token('ep_1', creds, impatient.signal);
    const patient = cache.token('ep_1', creds, never());
    impatient.abort(new Error('activity cancelled'));
    const err = await tokenError(gaveUp);
    assert.equal(err.message, 'oauth token: aborted: activity cancelled');
    assert.equal(err.retryable, true);
    assert.match(await patient, /^tok_/);
    assert.equal(requestsSoFar(), 1);
    assert.equal(await cache.token('ep_1', creds, never()), await patient);
  });

  test('a token is reused until expires_in minus min(60 s, 10%); 5 minutes when expires_in is absent', async () => {
    const { requestsSoFar } = reset();
    const creds = credentials(server);
    const start = clock;
    // 3600 s: reused for 3540 s.
    const first = await cache.token('ep_1', creds, never());
    clock = start + 3_539_999;
    assert.equal(await cache.token('ep_1', creds, never()), first);
    assert.equal(requestsSoFar(), 1);
    clock = start + 3_540_000;
    const second = await cache.token('ep_1', creds, never());
    assert.notEqual(second, first);
    assert.equal(requestsSoFar(), 2);

    // 100 s: reused for 90 s (10% is less than 60 s).
    config.expiresIn = 100;
    const t0 = clock;
    const short = await cache.token('ep_2', creds, never());
    clock = t0 + 89_999;
    assert.equal(await cache.token('ep_2', creds, never()), short);
    clock = t0 + 90_000;
    assert.notEqual(await cache.token('ep_2', creds, never()), short);
    assert.equal(requestsSoFar(), 4);

    // No expires_in: 300 s, reused for 270 s.
    config.expiresIn = undefined;
    const t1 = clock;
    const unknown = await cache.token('ep_3', creds, never());
    clock = t1 + 269_999;
    assert.equal(await cache.token('ep_3', creds, never()), unknown);
    clock = t1 + 270_000;
    assert.notEqual(await cache.token('ep_3', creds, never()), unknown);
    assert.equal(requestsSoFar(), 6);
  });

  test('editing the credentials never reuses the old token', async () => {
    const { requestsSoFar } = reset();
    const creds = credentials(server);
    const original = await cache.token('ep_1', creds, never());
    const edits: Partial<OAuth2ClientCredentials>[] = [
      { scope: 'more' },
      { audience: 'other' },
      { clientId: 'client-b', clientSecret: CLIENTS['client-b']! },
      { method: 'client_secret_post' },
      { tokenUrl: server.url.replace('/webhook', '/token') },
    ];
    const seen = new Set([original]);
    for (const edit of edits) {
      const token = await cache.token('ep_1', { ...creds, ...edit }, never());
      assert.ok(!seen.has(token), `${JSON.stringify(edit)} reused a token`);
      seen.add(token);
    }
    assert.equal(requestsSoFar(), 1 + edits.length);
  });

  test('invalidate: 20 concurrent 401s for one token cause one new fetch; an old token is a no-op', async () => {
    const { requestsSoFar } = reset();
    config.delayMs = 50;
    const creds = credentials(server);
    const refused = await cache.token('ep_1', creds, never());
    const retried = await Promise.all(
      Array.from({ length: 20 }, async () => {
        cache.invalidate('ep_1', refused);
        return cache.token('ep_1', creds, never());
      }),
    );
    assert.equal(new Set(retried).size, 1);
    assert.notEqual(retried[0], refused);
    assert.equal(requestsSoFar(), 2);
    // Late 401s for the old token leave the new one alone.
    cache.invalidate('ep_1', refused);
    cache.invalidate('ep_other', retried[0]!);
    assert.equal(await cache.token('ep_1', creds, never()), retried[0]);
    assert.equal(requestsSoFar(), 2);
    // The current token, invalidated, is fetched again once.
    cache.invalidate('ep_1', retried[0]!);
    assert.notEqual(await cache.token('ep_1', creds, never()), retried[0]);
    assert.equal(requestsSoFar(), 3);
  });

  test('a failed fetch reaches every waiter and is not cached', async () => {
    const { requestsSoFar } = reset();
    config.override = () => ({ status: 503, body: 'maintenance', delayMs: 100 });
    const creds = credentials(server);
    const errors = await Promise.all(Array.from({ length: 5 }, () => tokenError(cache.token('ep_1', creds, never()))));
    assert.equal(requestsSoFar(), 1);
    for (const err of errors) {
      assert.equal(err.message, 'oauth token: HTTP 503');
      assert.equal(err.retryable, true);
      assert.equal(err.statusCode, 503);
    }
    config.override = undefined;
    assert.match(await cache.token('ep_1', creds, never()), /^tok_/);
    assert.equal(requestsSoFar(), 2);
  });

  test('a wrong secret: final, the RFC 6749 §5.2 error in the message, the secret nowhere', async () => {
    reset();
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      const wrong = 'wrong-secret-value-42';
      const err = await tokenError(cache.token('ep_1', credentials(server, { clientSecret: wrong, method }), never()));
      assert.equal(err.message, 'oauth token: HTTP 400 invalid_client (client authentication failed)');
      assert.equal(err.retryable, false);
      assert.equal(err.statusCode, 400);
      assertNoSecret(err, wrong);
    }
  });

  test('a token endpoint that echoes the secret back: it is redacted; long descriptions are cut', async () => {
    reset();
    const creds = credentials(server, { clientId: SPECIAL_ID, clientSecret: SPECIAL_SECRET });
    config.override = (request) => ({
      status: 401,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: 'invalid_client', error_description: `bad ${SPECIAL_SECRET} / ${SPECIAL_SECRET_ENCODED} in ${request.headers.authorization}` }),
    });
    const echoed = await tokenError(cache.token('ep_1', creds, never()));
    assert.equal(echoed.retryable, false);
    assertNoSecret(echoed, SPECIAL_SECRET);
    assert.ok(!echoed.message.includes(SPECIAL_SECRET_ENCODED), echoed.message);
    assert.match(echoed.message, /^oauth token: HTTP 401 invalid_client \(bad \[redacted\] \/ \[redacted\] in Basic \[redacted\]\)$/);

    config.override = () => ({ status: 400, body: JSON.stringify({ error: 'invalid_scope', error_description: `x${'y'.repeat(500)}\nz` }) });
    const long = await tokenError(cache.token('ep_1', creds, never()));
    assert.ok(long.message.length < 260, long.message);
    assert.match(long.message, /^oauth token: HTTP 400 invalid_scope \(xy+…\)$/);
  });

  test('408, 429 and 5xx are retryable; other 4xx and redirects are final', async () => {
    reset();
    const creds = credentials(server);
    for (const [status, retryable] of [[408, true], [429, true], [500, true], [502, true], [503, true], [403, false], [404, false], [302, false]] as const) {
      const headers: Record<string, string> = status === 302 ? { location: 'https://elsewhere.example/token' } : {};
      config.override = () => ({ status, body: '', headers });
      const err = await tokenError(cache.token('ep_1', creds, never()));
      assert.equal(err.retryable, retryable, `${status}`);
      assert.equal(err.statusCode, status);
      assert.equal(err.message, status === 302 ? 'oauth token: HTTP 302 redirect (redirects are not followed)' : `oauth token: HTTP ${status}`);
    }
  });

  test('a token endpoint that does not answer in time: retryable, "timed out after"', async () => {
    const { requestsSoFar } = reset({ timeoutMs: 200 });
    config.override = () => ({ status: 200, hang: true });
    const started = Date.now();
    const err = await tokenError(cache.token('ep_1', credentials(server), never()));
    assert.equal(err.message, 'oauth token: timed out after 200 ms');
    assert.equal(err.retryable, true);
    assert.equal(err.statusCode, null);
    assert.ok(Date.now() - started < 5_000);
    assert.equal(requestsSoFar(), 1);
  });

  test('a connection refused: retryable, the network error named', async () => {
    reset();
    const port = await closedPort();
    const err = await tokenError(cache.token('ep_1', credentials(server, { tokenUrl: `http://127.0.0.1:${port}/token` }), never()));
    assert.match(err.message, /^oauth token: connect ECONNREFUSED/);
    assert.equal(err.retryable, true);
    assert.equal(err.statusCode, null);
  });

  test('answers that are not tokens are final', async () => {
    reset();
    const creds = credentials(server);
    const cases: [body: string, message: string][] = [
      ['<html>login</html>', 'oauth token: response is not a token (HTTP 200, not JSON)'],
      ['[1, 2]', 'oauth token: response is not a token (not a JSON object)'],
      [JSON.stringify({ token_type: 'Bearer', expires_in: 3600 }), 'oauth token: response is not a token (no access_token)'],
      [JSON.stringify({ access_token: '', token_type: 'Bearer' }), 'oauth token: response is not a token (no access_token)'],
      [JSON.stringify({ access_token: 'abc\r\nx-injected: 1', token_type: 'Bearer' }), 'oauth token: response is not a token (access_token has characters a header cannot carry)'],
      [JSON.stringify({ access_token: 'sekrit-token', token_type: 'mac' }), 'oauth token: response is not a token (token_type "mac" is not Bearer)'],
      [JSON.stringify({ access_token: 'sekrit-token', token_type: 'Bearer', expires_in: 'soon' }), 'oauth token: response is not a token (expires_in is not a number of seconds)'],
      [JSON.stringify({ access_token: 'sekrit-token', token_type: 'Bearer', expires_in: -5 }), 'oauth token: response is not a token (expires_in is negative)'],
    ];
    for (const [body, message] of cases) {
      config.override = () => ({ status: 200, body, headers: { 'content-type': 'application/json' } });
      const err = await tokenError(cache.token('ep_1', creds, never()));
      assert.equal(err.message, message, body);
      assert.equal(err.retryable, false, body);
      assert.equal(err.statusCode, 200, body);
      assert.ok(!err.message.includes('sekrit-token'), err.message);
    }
  });

  test('lenient where servers differ: token_type in any case or absent, expires_in as a string', async () => {
    reset();
    const creds = credentials(server);
    for (const body of [
      { access_token: 'tok-lower', token_type: 'bearer', expires_in: 60 },
      { access_token: 'tok-none' },
      { access_token: 'tok-string', token_type: 'BEARER', expires_in: '3600' },
      { access_token: 'tok-null', token_type: 'Bearer', expires_in: null },
    ]) {
      config.override = () => ({ status: 200, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      assert.equal(await cache.token(`ep_${body.access_token}`, creds, never()), body.access_token);
    }
  });

  test('at most maxEntries endpoints are kept: the oldest is fetched again', async () => {
    const { requestsSoFar } = reset({ maxEntries: 2 });
    const creds = credentials(server);
    const first = await cache.token('ep_1', creds, never());
    await cache.token('ep_2', creds, never());
    await cache.token('ep_3', creds, never());
    assert.equal(requestsSoFar(), 3);
    assert.notEqual(await cache.token('ep_1', creds, never()), first);
    assert.equal(requestsSoFar(), 4);
  });

  test('oauth2AttemptFailure: the receiver was never reached, retried or final as the error says', () => {
    assert.deepEqual(oauth2AttemptFailure(new OAuth2TokenError('HTTP 503', { retryable: true, statusCode: 503 })), {
      outcome: 'retryable',
      statusCode: null,
      error: 'oauth token: HTTP 503',
      responseExcerpt: null,
    });
    assert.deepEqual(oauth2AttemptFailure(new OAuth2TokenError('HTTP 400 invalid_client', { retryable: false, statusCode: 400 })), {
      outcome: 'final',
      statusCode: null,
      error: 'oauth token: HTTP 400 invalid_client',
      responseExcerpt: null,
    });
  });
});

describe('OAuth2TokenCache with private networks refused', () => {
  let agent: Agent;
  let server: Receiver;
  before(async () => {
    agent = createDeliveryAgent({ allowPrivateNetworks: false });
    server = await Receiver.start(tokenResponder({ expiresIn: 3600, tokenType: 'Bearer', delayMs: 0 }));
  });
  after(async () => {
    await server.stop();
    await agent.close();
  });

  test('a token URL on a private address literal is refused before connecting: final', async () => {
    const cache = new OAuth2TokenCache({ network: { agent, allowPrivateNetworks: false } });
    for (const tokenUrl of [server.url, 'http://169.254.169.254/token', 'http://[::1]:9/token']) {
      const err = await tokenError(cache.token('ep_1', credentials(server, { tokenUrl }), never()));
      assert.match(err.message, /^oauth token: refused: .*private or special-purpose address/, tokenUrl);
      assert.equal(err.retryable, false);
      assert.equal(err.statusCode, null);
    }
    assert.equal(server.requests.length, 0);
  });

  test('a token URL whose name resolves to a private address is refused at connect time: final', async () => {
    const cache = new OAuth2TokenCache({ network: { agent, allowPrivateNetworks: false } });
    const tokenUrl = server.url.replace('127.0.0.1', 'localhost');
    const err = await tokenError(cache.token('ep_1', credentials(server, { tokenUrl }), never()));
    assert.match(err.message, /^oauth token: refused: localhost resolves to .*private or special-purpose address/);
    assert.equal(err.retryable, false);
    assert.equal(server.requests.length, 0);
  });
});
