import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { Agent, fetch, type Dispatcher } from 'undici';
import {
  CERTIFICATE_EXPIRY_WARNING_DAYS,
  CLIENT_TLS_FIELD_MAX_BYTES,
  ClientTlsAgents,
  certificateExpiryState,
  describeCertificate,
  inspectClientTls,
  type ClientTls,
} from '../src/destinations/client-certificates';
import { createDeliveryAgent } from '../src/destinations/network-policy';
import { PRIVATE_ADDRESS_CODE } from '../src/net/private-addresses';
import {
  makeCertificateAuthority,
  makeClientCertificate,
  makeServerCertificate,
  removeCertificates,
  type CertificateAuthority,
  type IssuedCertificate,
} from './helpers/certificates';
import { eventually } from './helpers/eventually';
import { Receiver } from './helpers/receiver';

const DAY_MS = 86_400_000;

/** The PKI every test shares: a server CA, a client CA that the server trusts, and one it does not. */
let serverCa: CertificateAuthority;
let clientCa: CertificateAuthority;
let otherCa: CertificateAuthority;
let client: IssuedCertificate;

before(() => {
  serverCa = makeCertificateAuthority('callhook test server CA');
  clientCa = makeCertificateAuthority('callhook test client CA');
  otherCa = makeCertificateAuthority('callhook test other CA');
  client = makeClientCertificate(clientCa, 'callhook-client');
});

after(() => {
  removeCertificates();
});

/** An HTTPS server that demands a client certificate from `clientCa` and answers with its CN. */
class MutualTlsServer {
  /** The CN of each client certificate a request came with. */
  readonly seen: string[] = [];
  /** Each TLS handshake the server refused, by its error message. */
  readonly refused: string[] = [];
  private constructor(private readonly server: https.Server) {}

  static async start(): Promise<MutualTlsServer> {
    const identity = makeServerCertificate(serverCa);
    let instance: MutualTlsServer | undefined;
    const server = https.createServer(
      { key: identity.privateKey, cert: identity.certificate, ca: clientCa.certificate, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        req.resume();
        req.on('end', () => {
          const commonName = String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
          instance?.seen.push(commonName);
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(commonName);
        });
      },
    );
    instance = new MutualTlsServer(server);
    server.on('tlsClientError', (err) => instance?.refused.push(err.message));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  /** Resolves once a handshake refusal after the first `since` matches `pattern` (it may be logged after the client gave up). */
  async refusedWith(pattern: RegExp, since: number): Promise<void> {
    await eventually(
      async () => (this.refused.slice(since).some((message) => pattern.test(message)) ? true : undefined),
      `the server to refuse a handshake with ${pattern} (refusals: ${JSON.stringify(this.refused.slice(since))})`,
      5_000,
      20,
    );
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(host = '127.0.0.1'): string {
    return `https://${host}:${this.port}/webhook`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function post(url: string, dispatcher: Dispatcher): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { method: 'POST', body: '{"hello":"world"}', headers: { 'content-type': 'application/json' }, dispatcher });
  return { status: response.status, body: await response.text() };
}

/** The error a rejected fetch gave, with its cause; fails when it did not reject. */
async function fetchError(url: string, dispatcher: Dispatcher): Promise<Error & { cause?: NodeJS.ErrnoException }> {
  try {
    const answer = await post(url, dispatcher);
    assert.fail(`expected the request to ${url} to fail, got HTTP ${answer.status}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`);
    return err as Error & { cause?: NodeJS.ErrnoException };
  }
}

describe('mutual TLS against a server that requires a client certificate', () => {
  let server: MutualTlsServer;
  let agents: ClientTlsAgents;
  before(async () => {
    server = await MutualTlsServer.start();
    agents = new ClientTlsAgents({ allowPrivateNetworks: true });
  });
  after(async () => {
    await agents?.close();
    await server?.stop();
  });

  test('with the right client certificate and the server CA the POST succeeds, and the server saw the CN', async () => {
    const agent = agents.agentFor('ep_good', { certificate: client.certificate, privateKey: client.privateKey, ca: serverCa.certificate });
    const answer = await post(server.url(), agent);
    assert.deepEqual(answer, { status: 200, body: 'callhook-client' });
    assert.deepEqual(server.seen, ['callhook-client']);
  });

  test('without a client certificate the handshake fails', async () => {
    const agent = new Agent({ connect: { ca: serverCa.certificate } });
    const refusedBefore = server.refused.length;
    try {
      const err = await fetchError(server.url(), agent);
      assert.ok(err.cause, `expected a cause on ${err.message}`);
    } finally {
      await agent.close();
    }
    await server.refusedWith(/peer did not return a certificate/, refusedBefore);
    assert.equal(server.seen.length, 1);
  });

  test('with a client certificate from a CA the server does not trust the handshake fails', async () => {
    const stranger = makeClientCertificate(otherCa, 'stranger');
    const agent = agents.agentFor('ep_stranger', { certificate: stranger.certificate, privateKey: stranger.privateKey, ca: serverCa.certificate });
    const refusedBefore = server.refused.length;
    const err = await fetchError(server.url(), agent);
    assert.ok(err.cause, `expected a cause on ${err.message}`);
    // Node's server checks the chain after the TLS 1.3 handshake and destroys the socket: no
    // OpenSSL alert, so the refusal it records is the bare hang-up, and no request got through.
    await server.refusedWith(/socket hang up|certificate/, refusedBefore);
    assert.equal(server.seen.length, 1);
  });

  test('without `ca` the default roots apply, and the server’s own CA is not trusted', async () => {
    const agent = agents.agentFor('ep_no_ca', { certificate: client.certificate, privateKey: client.privateKey });
    const err = await fetchError(server.url(), agent);
    assert.match(err.cause?.code ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED/, String(err.cause));
    assert.equal(server.seen.length, 1);
  });

  test('with `ca` set to another CA the server’s certificate is refused (ca replaces the roots)', async () => {
    const agent = agents.agentFor('ep_wrong_ca', { certificate: client.certificate, privateKey: client.privateKey, ca: otherCa.certificate });
    const err = await fetchError(server.url(), agent);
    assert.match(err.cause?.code ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/, String(err.cause));
  });

  test('with private networks refused, a name resolving to loopback is refused before connecting', async () => {
    const guarded = new ClientTlsAgents({ allowPrivateNetworks: false });
    try {
      const agent = guarded.agentFor('ep_private', { certificate: client.certificate, privateKey: client.privateKey, ca: serverCa.certificate });
      // A name, not 127.0.0.1: an IP literal is never looked up (postAndClassify refuses it up front).
      const err = await fetchError(server.url('localhost'), agent);
      assert.equal(err.cause?.code, PRIVATE_ADDRESS_CODE, String(err.cause));
      assert.match(err.cause?.message ?? '', /private or special-purpose address/);
    } finally {
      await guarded.close();
    }
    assert.equal(server.seen.length, 1);
  });
});

describe('inspectClientTls', () => {
  const good = (): ClientTls => ({ certificate: client.certificate, privateKey: client.privateKey, ca: serverCa.certificate });

  test('a good certificate gives its dates, subject, issuer and fingerprint', () => {
    const now = new Date();
    const result = inspectClientTls(good(), now);
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.subject, 'CN=callhook-client');
    assert.equal(result.issuer, 'CN=callhook test client CA');
    assert.match(result.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.ok(Date.parse(result.notBefore) <= now.getTime());
    const daysLeft = (Date.parse(result.notAfter) - now.getTime()) / DAY_MS;
    assert.ok(daysLeft > 29 && daysLeft <= 30, `notAfter ${result.notAfter}`);
    assert.equal(new Date(result.notAfter).toISOString(), result.notAfter);
    const { ok: _ok, ...description } = result;
    assert.deepEqual(describeCertificate(`${client.certificate}${clientCa.certificate}`), description);
    assert.throws(() => describeCertificate('hello'), /describeCertificate: certificate is not PEM/);
  });

  test('a chain (leaf first) is accepted and the leaf is inspected; `ca` may be left out', () => {
    const result = inspectClientTls({ certificate: `${client.certificate}${clientCa.certificate}`, privateKey: client.privateKey });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.subject, 'CN=callhook-client');
  });

  test('a key that belongs to another certificate is a privateKey problem', () => {
    const other = makeClientCertificate(clientCa, 'someone-else');
    const result = inspectClientTls({ ...good(), privateKey: other.privateKey });
    assert.deepEqual(result, { ok: false, problems: [{ path: 'privateKey', message: 'private key does not match the certificate (subject CN=callhook-client)' }] });
  });

  test('garbage and unreadable PEM are problems on the right field', () => {
    const broken = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';
    const result = inspectClientTls({ certificate: 'hello', privateKey: 'not a key', ca: `${serverCa.certificate}${broken}` });
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.deepEqual(result.problems.map((p) => p.path), ['certificate', 'privateKey', 'ca']);
    assert.match(result.problems[0]!.message, /certificate is not PEM/);
    assert.match(result.problems[1]!.message, /private key is not PEM/);
    assert.match(result.problems[2]!.message, /certificate 2 of 2 in ca is unreadable/);

    const unreadable = inspectClientTls({ ...good(), certificate: broken });
    assert.ok(!unreadable.ok);
    assert.deepEqual(unreadable.problems.map((p) => p.path), ['certificate']);
    assert.match(unreadable.problems[0]!.message, /^certificate is unreadable: /);

    const badKey = inspectClientTls({ ...good(), privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' });
    assert.ok(!badKey.ok);
    assert.deepEqual(badKey.problems.map((p) => p.path), ['privateKey']);
    assert.match(badKey.problems[0]!.message, /^private key is unreadable: /);
  });

  test('a passphrase-protected key is refused, saying so', () => {
    const key = createPrivateKey(client.privateKey);
    const pkcs8 = key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();
    const sec1 = key.export({ type: 'sec1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();
    for (const privateKey of [pkcs8, sec1]) {
      const result = inspectClientTls({ ...good(), privateKey });
      assert.ok(!result.ok);
      assert.deepEqual(result.problems.map((p) => p.path), ['privateKey']);
      assert.match(result.problems[0]!.message, /encrypted with a passphrase, which is not supported/);
    }
  });

  test('a field over 64 KB is refused without being parsed', () => {
    const huge = `${client.certificate}${'#'.repeat(CLIENT_TLS_FIELD_MAX_BYTES)}`;
    for (const path of ['certificate', 'privateKey', 'ca'] as const) {
      const result = inspectClientTls({ ...good(), [path]: huge });
      assert.ok(!result.ok, path);
      assert.deepEqual(result.problems.map((p) => p.path), [path]);
      assert.match(result.problems[0]!.message, new RegExp(`^${path} is \\d+ bytes; at most 65536 are accepted$`));
    }
  });

  test('an expired certificate is a certificate problem naming the date', () => {
    const expired = makeClientCertificate(clientCa, 'expired', { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2020-02-01T00:00:00Z') });
    const result = inspectClientTls({ certificate: expired.certificate, privateKey: expired.privateKey });
    assert.deepEqual(result, { ok: false, problems: [{ path: 'certificate', message: 'certificate expired on 2020-02-01T00:00:00.000Z' }] });
    // Judged against `now`: the same certificate was fine in January 2020.
    assert.equal(inspectClientTls({ certificate: expired.certificate, privateKey: expired.privateKey }, new Date('2020-01-15T00:00:00Z')).ok, true);
  });
});

describe('certificateExpiryState', () => {
  test(`valid beyond ${CERTIFICATE_EXPIRY_WARNING_DAYS} days, expiring within, expired after`, () => {
    const notAfter = '2030-06-01T00:00:00.000Z';
    const end = Date.parse(notAfter);
    assert.equal(certificateExpiryState(notAfter, new Date(end - 20 * DAY_MS)), 'valid');
    assert.equal(certificateExpiryState(notAfter, new Date(end - 15 * DAY_MS)), 'valid');
    assert.equal(certificateExpiryState(notAfter, new Date(end - 14 * DAY_MS)), 'expiring');
    assert.equal(certificateExpiryState(notAfter, new Date(end - 10 * DAY_MS)), 'expiring');
    assert.equal(certificateExpiryState(notAfter, new Date(end - 1000)), 'expiring');
    assert.equal(certificateExpiryState(notAfter, new Date(end)), 'expired');
    assert.equal(certificateExpiryState(notAfter, new Date(end + DAY_MS)), 'expired');
    assert.throws(() => certificateExpiryState('soon'), /notAfter is not a date: "soon"/);
  });

  test('a certificate made to expire in 10 days is expiring; one for 20 days is valid', () => {
    for (const [days, state] of [[10, 'expiring'], [20, 'valid']] as const) {
      const issued = makeClientCertificate(clientCa, `in-${days}-days`, { days });
      const result = inspectClientTls({ certificate: issued.certificate, privateKey: issued.privateKey });
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(certificateExpiryState(result.notAfter), state);
    }
  });
});

describe('ClientTlsAgents', () => {
  const material = (certificate: IssuedCertificate, ca?: string): ClientTls => ({
    certificate: certificate.certificate,
    privateKey: certificate.privateKey,
    ...(ca !== undefined && { ca }),
  });

  test('the same material gives the same agent; new material a new one, and the old one is closed', async () => {
    const agents = new ClientTlsAgents({ allowPrivateNetworks: false });
    try {
      const first = agents.agentFor('ep_1', material(client, serverCa.certificate));
      assert.equal(agents.agentFor('ep_1', material(client, serverCa.certificate)), first);
      assert.equal(first.closed, false);

      const renewed = makeClientCertificate(clientCa, 'callhook-client');
      const second = agents.agentFor('ep_1', material(renewed, serverCa.certificate));
      assert.notEqual(second, first);
      assert.equal(first.closed, true);
      assert.equal(second.closed, false);

      // A changed CA bundle alone is new material too.
      const third = agents.agentFor('ep_1', material(renewed));
      assert.notEqual(third, second);
      assert.equal(second.closed, true);

      // Another endpoint with the same material gets its own agent.
      const other = agents.agentFor('ep_2', material(renewed));
      assert.notEqual(other, third);
      assert.equal(agents.size, 2);
    } finally {
      await agents.close();
    }
  });

  test('beyond maxAgents the least recently used agent is closed', async () => {
    const agents = new ClientTlsAgents({ allowPrivateNetworks: true, maxAgents: 2 });
    const a = agents.agentFor('ep_a', material(client));
    const b = agents.agentFor('ep_b', material(client));
    assert.equal(agents.agentFor('ep_a', material(client)), a); // a is now the most recently used
    const c = agents.agentFor('ep_c', material(client));
    assert.equal(agents.size, 2);
    assert.equal(b.closed, true);
    assert.equal(a.closed, false);
    assert.notEqual(agents.agentFor('ep_b', material(client)), b);
    assert.equal(a.closed, true);

    await agents.close();
    assert.equal(c.closed, true);
    assert.equal(agents.size, 0);
    assert.throws(() => agents.agentFor('ep_a', material(client)), /ClientTlsAgents is closed: no agent for endpoint ep_a/);
  });

  test('maxAgents must be a positive integer', () => {
    assert.throws(() => new ClientTlsAgents({ allowPrivateNetworks: true, maxAgents: 0 }), /maxAgents must be a positive integer, got 0/);
  });
});

describe('createDeliveryAgent without tls (the shared pool) is unchanged', () => {
  test('private networks allowed: plain HTTP to a loopback name works; refused: it fails with the private-address code', async () => {
    const receiver = await Receiver.start();
    const allowed = createDeliveryAgent({ allowPrivateNetworks: true });
    const refused = createDeliveryAgent({ allowPrivateNetworks: false });
    try {
      const url = receiver.url.replace('127.0.0.1', 'localhost');
      assert.equal((await post(url, allowed)).status, 200);
      const err = await fetchError(url, refused);
      assert.equal(err.cause?.code, PRIVATE_ADDRESS_CODE, String(err.cause));
      assert.equal(receiver.requests.length, 1);
    } finally {
      await Promise.all([allowed.close(), refused.close(), receiver.stop()]);
    }
  });
});
