import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CertificateExpiryWatch } from '../src/destinations/certificate-expiry-watch';
import { registry } from '../src/observability/metrics';
import { makeCertificateAuthority, makeClientCertificate, removeCertificates } from './helpers/certificates';

after(() => removeCertificates());

const DAY = 86_400_000;

async function expiryMetric(endpointId: string): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'callhook_client_certificate_expiry_timestamp_seconds');
  return (metric?.values as { value: number; labels: Record<string, string> }[] | undefined)?.find((v) => v.labels.endpoint_id === endpointId)?.value;
}

test('a certificate is published with its expiry; one within 14 days is warned about once an hour, an expired one as expired; a renewed one is quiet', async () => {
  const ca = makeCertificateAuthority('watch CA');
  const soon = makeClientCertificate(ca, 'soon', { days: 10 });
  const renewed = makeClientCertificate(ca, 'renewed', { days: 90 });
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  let now = Date.now();
  const watch = new CertificateExpiryWatch({ logger: { warn: (fields: Record<string, unknown>, message: string) => void warnings.push({ fields, message }) } as never, now: () => now });

  watch.observe('ep_soon', soon.certificate);
  watch.observe('ep_soon', soon.certificate);
  assert.equal(warnings.length, 1, 'once, not at every attempt');
  assert.equal(warnings[0]!.fields.state, 'expiring');
  assert.match(warnings[0]!.message, /expires within 14 days/);
  const published = await expiryMetric('ep_soon');
  assert.ok(published !== undefined && Math.abs(published * 1000 - (Date.now() + 10 * DAY)) < 2 * 60_000, `expiry published: ${published}`);

  now += 61 * 60_000;
  watch.observe('ep_soon', soon.certificate);
  assert.equal(warnings.length, 2, 'again an hour later');

  now += 11 * DAY;
  watch.observe('ep_soon', soon.certificate);
  assert.equal(warnings[2]?.fields.state, 'expired');
  assert.match(warnings[2]!.message, /has expired/);

  watch.observe('ep_soon', renewed.certificate);
  assert.equal(warnings.length, 3, 'a renewed certificate is not warned about');
  assert.ok((await expiryMetric('ep_soon'))! * 1000 > Date.now() + 80 * DAY, 'the metric follows the new certificate');
});
