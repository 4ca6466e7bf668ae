import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/config';
import { isPrivateAddress } from '../src/destinations/network-policy';
import { Harness, ended } from './helpers/harness';
import { Receiver } from './helpers/receiver';

/** Production needs a secrets key; any valid ring will do here. */
const PRODUCTION_SECRETS = { SECRETS_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}` };

test('private and special-purpose addresses are recognised; public ones are not', () => {
  for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::127.0.0.1', '::a00:1', '2002:7f00:1::1', '2002:a9fe:a9fe::', 'fec0::1', 'feff::1']) {
    assert.equal(isPrivateAddress(ip), true, ip);
  }
  for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', 'not-an-ip']) {
    assert.equal(isPrivateAddress(ip), false, ip);
  }
});

test('ALLOW_PRIVATE_NETWORKS is on in development and off in production unless set', () => {
  assert.equal(loadConfig({}).ALLOW_PRIVATE_NETWORKS, true);
  assert.equal(loadConfig({ NODE_ENV: 'production', ...PRODUCTION_SECRETS }).ALLOW_PRIVATE_NETWORKS, false);
  assert.equal(loadConfig({ NODE_ENV: 'production', ...PRODUCTION_SECRETS, ALLOW_PRIVATE_NETWORKS: 'true' }).ALLOW_PRIVATE_NETWORKS, true);
});

describe('with private networks refused', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ allowPrivateNetworks: false });
  });
  after(async () => {
    await h?.stop();
  });

  test('an endpoint url on a private IP address is refused at registration; nothing is written', async () => {
    for (const url of ['http://127.0.0.1:8080/hook', 'https://10.0.0.5/hook', 'https://169.254.169.254/latest', 'http://[::1]:9000/x']) {
      const response = await h.api('POST', '/v1/endpoints', { clientId: 'client-ssrf-api', kind: 'custom', url, events: ['*'] });
      assert.equal(response.status, 400, url);
      assert.match(response.body.error.message, /private or special-purpose address/);
    }
    const { rows } = await h.db.pool.query("SELECT 1 FROM endpoints WHERE client_id = 'client-ssrf-api'");
    assert.equal(rows.length, 0);
  });

  test('a URL on a private address or a name that resolves to one gets nothing: one final attempt', async () => {
    const receiver = await Receiver.start();
    const port = new URL(receiver.url).port;
    const callId = `call-ssrf-${Date.now()}`;
    // A name is only resolved when delivering. IP literals are refused at registration (above), so
    // these two stand for endpoints registered before the policy was turned on.
    await h.createEndpoint({ clientId: 'client-ssrf', url: `http://localhost:${port}/webhook` });
    for (const [kind, url] of [['custom', `http://127.0.0.1:${port}/webhook`], ['slack', `http://[::ffff:127.0.0.1]:${port}/webhook`]]) {
      await h.db.pool.query(
        `INSERT INTO endpoints (id, client_id, kind, url, events) VALUES ('ep_' || md5(random()::text), 'client-ssrf', $1, $2, '{*}')`,
        [kind, url],
      );
    }
    await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId: 'client-ssrf' });
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 3));
    for (const delivery of log) {
      assert.equal(delivery.status, 'failed');
      assert.equal(delivery.attemptCount, 1);
      assert.equal(delivery.attempts[0]!.outcome, 'final');
      assert.match(delivery.lastError ?? '', /private or special-purpose address/);
    }
    assert.equal(receiver.requests.length, 0);
  });
});
