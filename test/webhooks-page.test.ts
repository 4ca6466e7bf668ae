/**
 * The Webhooks page (issue 9), served by the API at `/`, driven in headless chromium (Debian's
 * package, through playwright-core) against the real dev server, Postgres, HTTP receivers and an
 * SMTP sink: create each kind of endpoint through the form, set triggers, send test events, see a
 * failed delivery in the log and retry it once the receiver is fixed, the call view, and a client
 * key that sees only its own client. Every locator is an accessible name (label, role + name).
 * Skipped when there is no chromium (set CHROMIUM_PATH, or `apt-get install -y chromium`).
 */
import assert from 'node:assert/strict';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { PAGE_CONTENT_SECURITY_POLICY } from '../src/api/routes/webhooks-page';
import { secretHint } from '../src/observability/redaction';
import { chromiumMissing, launchChromium } from './helpers/browser';
import { makeCertificateAuthority, makeClientCertificate } from './helpers/certificates';
import { eventually } from './helpers/eventually';
import { Harness, ended } from './helpers/harness';
import { Receiver } from './helpers/receiver';
import { SmtpSink } from './helpers/smtp';

const missing = chromiumMissing();
const SCREENSHOT = '/tmp/webhooks-page.png';
const SCREENSHOT_LOG = '/tmp/webhooks-page-log.png';
const ADMIN = 'page-admin-key-0123456789abcdef';
const TEMPORAL_UI = 'http://temporal-ui.test:8233';
const AUTH_OAUTH2 = 'OAuth 2.0 client credentials';

let h: Harness | undefined;
let sink: SmtpSink | undefined;
let browser: Browser | undefined;
/** An app on the same services with keys required (and a Temporal Web UI to link to). */
let keyed: { server: Server; base: string } | undefined;

before(async () => {
  if (missing) return;
  sink = await SmtpSink.start();
  h = await Harness.start({ smtpUrl: sink.url });
  keyed = await h.startApi({ auth: { mode: 'on', adminKeys: [ADMIN] }, temporalUiUrl: TEMPORAL_UI });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await h?.stop();
  await sink?.stop();
});

/** A fresh browser context (its own sessionStorage) whose page records what the console and CSP report. */
async function openPage(url: string): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser!.newContext({ viewport: { width: 1200, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    // The API's 4xx answers the page shows (a 401 before signing in, a 400 next to a field) are logged by
    // chromium as failed loads: expected. A CSP refusal or a script error is not.
    if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) {
      problems.push(`console: ${message.text()}`);
    }
  });
  await page.goto(url);
  return { context, page, problems };
}

/** The message shown next to a field (its aria-describedby error), once the field is marked invalid. */
async function fieldError(page: Page, field: Locator): Promise<string> {
  await eventually(async () => ((await field.getAttribute('aria-invalid')) === 'true' ? true : undefined), 'the field marked invalid');
  const errorId = (await field.getAttribute('aria-describedby'))?.split(' ').find((id) => id.endsWith('-error'));
  assert.ok(errorId, 'the field is described by its error');
  return (await page.locator(`[id="${errorId}"]`).textContent()) ?? '';
}

/** Types a client into Client ID and waits for that client's list (the page applies it after a pause in typing). */
async function pickClient(page: Page, clientId: string): Promise<void> {
  const listed = page.waitForResponse((response) => response.url().includes(`/v1/endpoint-health?clientId=${encodeURIComponent(clientId)}&`));
  await page.getByLabel('Client ID').fill(clientId);
  await listed;
}

async function openCreateForm(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Create new' }).click();
  const form = page.getByRole('form', { name: 'Create endpoint' });
  await form.waitFor();
  return form;
}

/** The endpoints of a client, as the API lists them. */
async function endpointsOf(
  clientId: string,
): Promise<{ id: string; kind: string; url: string | null; email: string | null; events: string[]; auth: { type: string }; active: boolean; pausedAt: string | null; rateLimit: number | null }[]> {
  const response = await h!.api('GET', `/v1/endpoints?clientId=${clientId}`);
  assert.equal(response.status, 200);
  return response.body.data;
}

async function created(page: Page): Promise<Locator> {
  const notice = page.getByRole('status', { name: 'Endpoint created' });
  await notice.waitFor();
  return notice;
}

/** The endpoint's card in the list: an article named by its kind and target. */
const card = (page: Page, target: string) => page.getByRole('article', { name: target });

async function sendTestEvent(endpointCard: Locator): Promise<string> {
  await endpointCard.getByRole('button', { name: 'Send test event' }).click();
  const outcome = endpointCard.getByRole('status').filter({ hasText: /Test event: / });
  await outcome.waitFor({ timeout: 30_000 });
  return (await outcome.textContent()) ?? '';
}

describe('the Webhooks page (real browser)', () => {
  test('is served at / as HTML, script and stylesheet, each with the Content-Security-Policy', async (t) => {
    if (missing || !h) return t.skip(missing ?? 'harness not started');
    const page = await fetch(`${h.baseUrl}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(page.headers.get('content-security-policy'), PAGE_CONTENT_SECURITY_POLICY);
    assert.match(PAGE_CONTENT_SECURITY_POLICY, /script-src 'self'; style-src 'self'/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const html = await page.text();
    assert.ok(!/<script(?![^>]*\bsrc=)/.test(html), 'no inline script');
    assert.ok(!/<style|\sstyle=/.test(html), 'no inline style');
    const assets = [...html.matchAll(/(?:src|href)="(\/ui\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(assets.length, 2);
    for (const asset of assets) {
      const response = await fetch(`${h.baseUrl}${asset}`);
      assert.equal(response.status, 200, asset);
      assert.match(response.headers.get('content-type') ?? '', asset.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(response.headers.get('content-security-policy'), PAGE_CONTENT_SECURITY_POLICY);
      assert.equal(response.headers.get('content-encoding'), 'gzip', 'sent gzipped to a client that accepts it');
      const size = (await response.arrayBuffer()).byteLength;
      const plain = await fetch(`${h.baseUrl}${asset}`, { headers: { 'accept-encoding': 'identity' } });
      assert.equal(plain.headers.get('content-encoding'), null);
      assert.equal((await plain.arrayBuffer()).byteLength, size);
      t.diagnostic(`${asset}: ${size} bytes`);
    }
    const unknown = await fetch(`${h.baseUrl}/ui/app.0000000000000000.js`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'not_found');
    // Public where keys are required: the page holds no data.
    assert.equal((await fetch(`${keyed!.base}/`)).status, 200);
  });

  test('create each kind of endpoint through the form, set triggers, send test events', { timeout: 240_000 }, async (t) => {
    if (missing || !h || !sink) return t.skip(missing ?? 'harness not started');
    const clientId = `client-page-${Date.now()}`;
    const bearer = await Receiver.start(() => ({ status: 200, body: 'ok-bearer' }));
    const hmac = await Receiver.start(() => ({ status: 200, body: 'ok-hmac' }));
    const rsa = await Receiver.start(() => ({ status: 200, body: 'ok-rsa' }));
    const slack = await Receiver.start(() => ({ status: 200, body: 'ok' }));
    const teams = await Receiver.start(() => ({ status: 200, body: '1' }));
    const email = `ops-${Date.now()}@page.test`;
    const { context, page, problems } = await openPage(h.baseUrl);
    try {
      await page.getByText('Open API: no key required').waitFor();
      await pickClient(page, clientId);
      await page.getByText(`No endpoint for client ${clientId} yet`).waitFor();

      // Errors from the API next to the field they name.
      let form = await openCreateForm(page);
      await form.getByLabel('URL').fill('not a url');
      await form.getByRole('button', { name: 'Create endpoint' }).click();
      assert.match(await fieldError(page, form.getByLabel('URL')), /url/i);
      await form.getByLabel('Authentication').selectOption('bearer');
      await form.getByLabel('URL').fill(bearer.url);
      await form.getByLabel('Token').fill('short');
      await form.getByRole('button', { name: 'Create endpoint' }).click();
      assert.match(await fieldError(page, form.getByLabel('Token')), /8/);

      // Custom, Bearer token, two triggers.
      await form.getByLabel('Token').fill('page-bearer-token');
      await form.getByLabel('All call events').uncheck();
      await form.getByLabel('OUTBOUND_CALL_ERROR', { exact: true }).check();
      await form.getByLabel('OUTBOUND_CALL_COMPLETED', { exact: true }).check();
      await form.getByLabel('Rate limit (requests/s)').fill('5');
      await form.getByRole('button', { name: 'Create endpoint' }).click();
      await (await created(page)).getByRole('button', { name: 'Done' }).click();
      const bearerEndpoint = (await endpointsOf(clientId)).find((e) => e.url === bearer.url);
      assert.ok(bearerEndpoint);
      assert.deepEqual([...bearerEndpoint.events].sort(), ['OUTBOUND_CALL_COMPLETED', 'OUTBOUND_CALL_ERROR']);
      assert.equal(bearerEndpoint.auth.type, 'bearer');
      assert.equal(bearerEndpoint.rateLimit, 5);

      // Custom, HMAC: the secret is shown once, with a copy button, and it verifies what the receiver gets.
      form = await openCreateForm(page);
      await form.getByLabel('URL').fill(hmac.url);
      await form.getByLabel('Authentication').selectOption('hmac');
      await form.getByRole('button', { name: 'Create endpoint' }).click();
      let notice = await created(page);
      const secret = ((await notice.locator('.secret-value').textContent()) ?? '').trim();
      assert.match(secret, /^whsec_/);
      await notice.getByRole('button', { name: 'Copy signing secret' }).click();
      await notice.getByText('Copied').waitFor();
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), secret);
      await notice.getByRole('button', { name: 'Done' }).click();

      // Custom, RSA: the public key to copy is the one GET /v1/signing-key publishes.
      form = await openCreateForm(page);
      await form.getByLabel('URL').fill(rsa.url);
      await form.getByLabel('Authentication').selectOption('rsa');
      await form.getByRole('button', { name: 'Create endpoint' }).click();
      notice = await created(page);
      await notice.getByRole('button', { name: 'Copy rsa public key' }).waitFor();
      const pem = await (await fetch(`${h.baseUrl}/v1/signing-key`)).text();
      assert.equal(((await notice.locator('.secret-value').textContent()) ?? '').trim(), pem.trim());
      await notice.getByRole('button', { name: 'Done' }).click();

      // Slack and Microsoft Teams take a URL; Email an email address.
      for (const [kind, receiver] of [['slack', slack], ['teams', teams]] as const) {
        form = await openCreateForm(page);
        await form.getByLabel('Type').selectOption(kind);
        assert.equal(await form.getByLabel('Authentication').count(), 0, 'authentication applies to custom endpoints only');
        await form.getByLabel('URL').fill(receiver.url);
        await form.getByRole('button', { name: 'Create endpoint' }).click();
        await (await created(page)).getByRole('button', { name: 'Done' }).click();
      }
      form = await openCreateForm(page);
      await form.getByLabel('Type').selectOption('email');
      assert.equal(await form.getByLabel('URL').count(), 0);
      await form.getByLabel('Email address').fill(email);
      await form.getByRole('button', { name: 'Create endpoint' }).click();
      await (await created(page)).getByRole('button', { name: 'Done' }).click();
      const kinds = (await endpointsOf(clientId)).map((e) => `${e.kind}:${e.auth.type}`).sort();
      assert.deepEqual(kinds, ['custom:bearer', 'custom:hmac', 'custom:rsa', 'email:none', 'slack:none', 'teams:none']);

      // The list: kind, target, triggers, state; Slack's url is a credential, shown redacted.
      const bearerCard = card(page, bearer.url);
      await bearerCard.getByText('OUTBOUND_CALL_ERROR, OUTBOUND_CALL_COMPLETED').waitFor();
      await bearerCard.getByText('Active', { exact: true }).waitFor();
      assert.equal(await page.getByRole('article', { name: slack.url }).count(), 0, 'the Slack url is not shown in full');
      const slackCard = page.getByRole('article', { name: 'Slack endpoint' });
      const teamsCard = page.getByRole('article', { name: 'Microsoft Teams endpoint' });

      // Send test event: status, latency and response excerpt, for every kind.
      const bearerOutcome = await sendTestEvent(bearerCard);
      assert.match(bearerOutcome, /Test event: Succeeded · HTTP 200 · \d+ ms/);
      assert.match(bearerOutcome, /ok-bearer/);
      assert.equal(bearer.requests.at(-1)?.headers.authorization, 'Bearer page-bearer-token');
      assert.match(await sendTestEvent(card(page, hmac.url)), /Succeeded · HTTP 200/);
      const signed = hmac.requests.at(-1)!;
      new Webhook(secret).verify(signed.rawBody, signed.headers as Record<string, string>);
      assert.match(await sendTestEvent(card(page, rsa.url)), /Succeeded · HTTP 200/);
      assert.ok(rsa.requests.at(-1)?.headers['x-recho-signature']);
      assert.match(await sendTestEvent(slackCard), /Succeeded · HTTP 200/);
      assert.match(String((slack.requests.at(-1)?.json as { text: string }).text), /Webhook test/);
      assert.match(await sendTestEvent(teamsCard), /Succeeded · HTTP 200/);
      assert.equal((teams.requests.at(-1)?.json as { type: string }).type, 'message');
      assert.match(await sendTestEvent(card(page, email)), /Test event: Succeeded/);
      assert.equal((await sink.mailTo(email)).length, 1);
      // The list's last delivery and health follow the test events.
      await bearerCard.locator('.last-delivery').getByText('succeeded').waitFor();
      await bearerCard.getByRole('img', { name: /100% of 1 attempt succeeded/ }).waitFor();

      // Notification Triggers of an existing endpoint; an API error next to the edit form's field.
      await slackCard.getByRole('button', { name: 'Manage' }).click();
      const edit = slackCard.getByRole('form', { name: 'Edit endpoint' });
      await edit.getByLabel('URL').fill('not a url');
      await edit.getByRole('button', { name: 'Save' }).click();
      assert.match(await fieldError(page, edit.getByLabel('URL')), /url/i);
      await edit.getByLabel('URL').fill('');
      await edit.getByLabel('All call events').uncheck();
      await edit.getByLabel('OUTBOUND_CALL_ERROR', { exact: true }).check();
      await edit.getByLabel('WEBHOOK_DELIVERY_FAILED', { exact: true }).check();
      assert.equal(await edit.getByLabel('WEBHOOK_TEST', { exact: true }).count(), 0, 'the test event is not a trigger');
      await edit.getByRole('button', { name: 'Save' }).click();
      await slackCard.getByText('OUTBOUND_CALL_ERROR, WEBHOOK_DELIVERY_FAILED').waitFor();
      const slackEndpoint = (await endpointsOf(clientId)).find((e) => e.kind === 'slack')!;
      assert.deepEqual(slackEndpoint.events, ['OUTBOUND_CALL_ERROR', 'WEBHOOK_DELIVERY_FAILED']);
      const titles = await edit.locator('.trigger-title').allTextContents();
      assert.ok(titles.some((title) => title.includes('Outbound call error')), 'each type is described by its title');

      // Disable and enable.
      await slackCard.getByRole('button', { name: 'Disable' }).click();
      await slackCard.getByText('Disabled', { exact: true }).waitFor();
      await slackCard.getByText('Disabled: disabled through the API').waitFor();
      assert.equal((await endpointsOf(clientId)).find((e) => e.kind === 'slack')!.active, false);
      await slackCard.getByRole('button', { name: 'Enable' }).click();
      await slackCard.getByText('Active', { exact: true }).waitFor();
      await slackCard.getByRole('button', { name: 'Close' }).click();

      // Pause and resume: the card says since when and by whom while paused.
      await slackCard.getByRole('button', { name: 'Pause' }).click();
      await slackCard.getByRole('button', { name: 'Resume' }).waitFor();
      await slackCard.getByText(/by api · deliveries wait until it is resumed/).waitFor();
      assert.notEqual((await endpointsOf(clientId)).find((e) => e.kind === 'slack')!.pausedAt, null);
      await slackCard.getByRole('button', { name: 'Resume' }).click();
      await slackCard.getByRole('button', { name: 'Pause' }).waitFor();
      assert.equal((await endpointsOf(clientId)).find((e) => e.kind === 'slack')!.pausedAt, null);

      // Rotate the HMAC secret: the new one is shown once, and differs.
      const hmacCard = card(page, hmac.url);
      await hmacCard.getByRole('button', { name: 'Manage' }).click();
      await hmacCard.getByRole('button', { name: 'Rotate secret' }).click();
      const rotated = ((await hmacCard.getByRole('region', { name: 'Signing secret' }).locator('.secret-value').textContent()) ?? '').trim();
      assert.match(rotated, /^whsec_/);
      assert.notEqual(rotated, secret);
      await hmacCard.getByRole('button', { name: 'Close' }).click();

      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // Delete, after a confirmation.
      const emailCard = card(page, email);
      await emailCard.getByRole('button', { name: 'Manage' }).click();
      await emailCard.getByRole('button', { name: 'Delete', exact: true }).click();
      await emailCard.getByRole('group', { name: 'Confirm deletion' }).getByRole('button', { name: 'Delete endpoint' }).click();
      await emailCard.waitFor({ state: 'detached' });
      assert.equal((await endpointsOf(clientId)).some((e) => e.kind === 'email'), false);

      // Reloaded, the page shows no secret: it was shown once.
      await page.reload();
      await pickClient(page, clientId);
      await card(page, hmac.url).waitFor();
      const text = await page.content();
      assert.ok(!text.includes(secret) && !text.includes(rotated) && !text.includes('page-bearer-token'));
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('a failed delivery in the log: its attempts, Retry once the receiver is fixed, the call view', { timeout: 180_000 }, async (t) => {
    if (missing || !h) return t.skip(missing ?? 'harness not started');
    const harness = h;
    const clientId = `client-page-log-${Date.now()}`;
    let fixed = false;
    // 422 is final (a 410 would disable the endpoint): one attempt, then the delivery has failed for good.
    const receiver = await Receiver.start(() => (fixed ? { status: 200, body: 'fixed' } : { status: 422, body: 'gone for now' }));
    await harness.createEndpoint({ clientId, url: receiver.url });
    const callId = `call-page-${Date.now()}`;
    await harness.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId, data: { callStatus: 'COMPLETED' } });
    await harness.waitForDeliveries(callId, (log) => ended(log, 1));

    const { context, page, problems } = await openPage(harness.baseUrl);
    try {
      await pickClient(page, clientId);
      const endpointCard = card(page, receiver.url);
      await endpointCard.locator('.last-delivery').getByText('failed').waitFor();
      await endpointCard.getByRole('img', { name: /^0% of 1 attempt succeeded/ }).waitFor();
      // The count of failed deliveries waiting opens the log filtered to them.
      await endpointCard.getByRole('button', { name: '1 failed delivery' }).click();
      const log = endpointCard.getByRole('region', { name: 'Delivery log' });
      assert.equal(await log.getByLabel('Status').inputValue(), 'failed');
      const row = log.locator('tbody').filter({ hasText: callId });
      await row.getByText('failed', { exact: true }).waitFor();
      await row.getByRole('button', { name: 'Attempts' }).click();
      const attempts = row.getByRole('table');
      await attempts.getByText('gone for now').waitFor();
      await attempts.getByText('422', { exact: true }).waitFor();
      // The status is said once in the row (not "HTTP 422: HTTP 422").
      const rowText = (await row.getByRole('row').first().textContent()) ?? '';
      assert.equal(rowText.match(/HTTP 422/g)?.length, 1, rowText);
      // The health chart says which hours it covers, on a time axis.
      assert.match((await endpointCard.locator('.health figcaption').textContent()) ?? '', /^Last 24 hours \(\d/);
      assert.ok((await endpointCard.locator('.health-chart text.tick').count()) >= 4, 'hour labels on the time axis');

      fixed = true;
      await row.getByRole('button', { name: 'Retry' }).click();
      await row.getByText(/Retry requested/).waitFor();
      await log.getByLabel('Status').selectOption('');
      // The delivery's own row (the first of its tbody; its attempts table follows).
      const deliveryRow = log.locator('tbody').filter({ hasText: callId }).getByRole('row').first();
      await deliveryRow.getByText('succeeded', { exact: true }).waitFor({ timeout: 60_000 });
      assert.equal(receiver.requests.length, 2);
      await endpointCard.locator('.failed-waiting').getByText('0', { exact: true }).waitFor();
      await endpointCard.getByRole('img', { name: /50% of 2 attempts succeeded/ }).waitFor();
      await page.screenshot({ path: SCREENSHOT_LOG, fullPage: true });
      // Recover a time range: nothing failed any more.
      const recover = endpointCard.getByRole('form', { name: 'Recover failed deliveries' });
      await recover.getByRole('button', { name: 'Recover' }).click();
      await recover.getByText('Nothing to recover').waitFor();

      // The call view: its events in order and each endpoint's deliveries.
      await log.getByRole('button', { name: callId }).first().click();
      const callPanel = page.getByRole('tabpanel', { name: 'Call view' });
      await callPanel.getByText('OUTBOUND_CALL_COMPLETED').waitFor();
      const deliveries = callPanel.getByRole('list', { name: 'Deliveries of OUTBOUND_CALL_COMPLETED' });
      await deliveries.getByText('succeeded', { exact: true }).waitFor();
      await deliveries.getByText(/2 attempts/).waitFor();
      assert.equal(await callPanel.getByRole('link').count(), 0, 'no Temporal Web UI configured here: no link');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test("sign in with a key: a client key sees only its own client's endpoints; an admin key picks the client", { timeout: 180_000 }, async (t) => {
    if (missing || !h || !keyed) return t.skip(missing ?? 'harness not started');
    const base = keyed.base;
    const adminApi = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      // any: the route's JSON; each use reads what it expects.
      return { status: response.status, body: (await response.json()) as any };
    };
    const keyOf = async (clientId: string) => {
      const response = await adminApi('POST', '/v1/api-keys', { kind: 'client', clientId, name: `${clientId} page` });
      assert.equal(response.status, 201);
      return response.body.key as string;
    };
    const keyA = await keyOf('client-a');
    const receiverA = await Receiver.start(() => ({ status: 200, body: 'a' }));
    const receiverB = await Receiver.start(() => ({ status: 200, body: 'b' }));
    for (const [clientId, receiver] of [['client-a', receiverA], ['client-b', receiverB]] as const) {
      const response = await adminApi('POST', '/v1/endpoints', { clientId, kind: 'custom', url: receiver.url, events: ['*'] });
      assert.equal(response.status, 201);
    }
    const callA = `call-page-a-${Date.now()}`;
    const callB = `call-page-b-${Date.now()}`;
    for (const [callId, clientId] of [[callA, 'client-a'], [callB, 'client-b']] as const) {
      const accepted = await adminApi('POST', '/v1/events', { eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId, clientId } } });
      assert.equal(accepted.status, 202);
    }
    await eventually(async () => ((await adminApi('GET', `/v1/calls/${callA}/deliveries`)).body.data?.[0]?.status === 'succeeded' ? true : undefined), 'the call of client A delivered');

    const { context, page, problems } = await openPage(base);
    try {
      const signIn = page.getByRole('form', { name: 'Sign in' });
      await signIn.getByLabel('API key').fill('chk_not-a-key-0123456789abcdef');
      await signIn.getByRole('button', { name: 'Sign in' }).click();
      assert.match(await fieldError(page, signIn.getByLabel('API key')), /unknown or revoked/);
      await signIn.getByLabel('API key').fill(keyA);
      await signIn.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Signed in as client client-a').waitFor();
      assert.equal(await page.getByLabel('Client ID').inputValue(), 'client-a');
      assert.equal(await page.getByLabel('Client ID').getAttribute('readonly'), '');
      await card(page, receiverA.url).waitFor();
      assert.equal(await page.getByRole('article').count(), 1, "client A's endpoints only");
      const text = await page.content();
      assert.ok(!text.includes(receiverB.url) && !text.includes('client-b'), "nothing of client B's");
      // The key is kept for this tab only.
      assert.equal(await page.evaluate("sessionStorage.getItem('callhook.apiKey')"), keyA);
      assert.equal(await page.evaluate('localStorage.length'), 0);

      // The call view: another client's call is not found; its own links to its workflow in the Temporal Web UI.
      await page.getByRole('tab', { name: 'Call view' }).click();
      const callPanel = page.getByRole('tabpanel', { name: 'Call view' });
      await callPanel.getByLabel('Call ID').fill(callB);
      await callPanel.getByRole('button', { name: 'Search' }).click();
      assert.match(await fieldError(page, callPanel.getByLabel('Call ID')), /No call/);
      await callPanel.getByLabel('Call ID').fill(callA);
      await callPanel.getByRole('button', { name: 'Search' }).click();
      const link = callPanel.getByRole('link', { name: 'Open the workflow in the Temporal Web UI' });
      assert.equal(await link.getAttribute('href'), `${TEMPORAL_UI}/namespaces/default/workflows/${callA}`);
      await callPanel.getByText('OUTBOUND_CALL_CALLING').waitFor();

      // Sign out; an admin key picks the client.
      await page.getByRole('button', { name: 'Sign out' }).click();
      assert.equal(await page.evaluate("sessionStorage.getItem('callhook.apiKey')"), null);
      await signIn.getByLabel('API key').fill(ADMIN);
      await signIn.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Signed in with an admin key').waitFor();
      // No client picked: every client's endpoints.
      await card(page, receiverA.url).waitFor();
      await card(page, receiverB.url).waitFor();
      // Creating needs a client: the error is next to Client ID.
      const form = await openCreateForm(page);
      await form.getByLabel('URL').fill(receiverB.url);
      await form.getByRole('button', { name: 'Create endpoint' }).click();
      assert.match(await fieldError(page, page.getByLabel('Client ID')), /client/);
      await form.getByRole('button', { name: 'Cancel' }).click();
      await pickClient(page, 'client-b');
      await eventually(async () => ((await page.getByRole('article').count()) === 1 ? true : undefined), "client B's endpoint only");
      await card(page, receiverB.url).waitFor();
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
  test('the Event Catalog: register a type with a schema (a bad example refused with its path), subscribe an endpoint to it, send its example', { timeout: 180_000 }, async (t) => {
    if (missing || !h) return t.skip(missing ?? 'harness not started');
    const clientId = `client-catalog-${Date.now()}`;
    const receiver = await Receiver.start(() => ({ status: 200, body: 'ok-catalog' }));
    const { context, page, problems } = await openPage(h.baseUrl);
    try {
      await page.getByText('Open API: no key required').waitFor();
      await pickClient(page, clientId);
      await page.getByRole('tab', { name: 'Event Catalog' }).click();
      const catalog = page.getByRole('tabpanel', { name: 'Event Catalog' });
      // The built-in types, each with its schema and example.
      const builtin = catalog.locator('#type-OUTBOUND_CALL_ERROR');
      await builtin.getByText('Schema of the body').click();
      assert.match((await builtin.getByLabel('JSON Schema of OUTBOUND_CALL_ERROR').textContent()) ?? '', /"callId"/);

      // Register a type; a bad example is refused, with the path of each problem.
      await catalog.getByText('Register an event type').click();
      const form = catalog.getByRole('form', { name: 'Register an event type' });
      await form.getByLabel('Name').fill('PAGE_APPOINTMENT');
      await form.getByLabel('Description').fill('An appointment booked during the call.');
      await form.getByLabel('Validation').selectOption('enforce');
      const schema = {
        type: 'object',
        required: ['data'],
        properties: { data: { type: 'object', required: ['callId', 'clientId', 'appointmentAt'], properties: { appointmentAt: { type: 'string', format: 'date-time' } } } },
      };
      await form.getByLabel('Schema of the body (JSON Schema, draft 2020-12)').fill(JSON.stringify(schema));
      await form.getByLabel('Example body').fill(JSON.stringify({ data: { callId: 'c1', clientId: 'k1', appointmentAt: 'tomorrow' } }));
      await form.getByRole('button', { name: 'Register' }).click();
      await form.getByText('body.example.data.appointmentAt').waitFor();
      await form.getByLabel('Example body').fill(JSON.stringify({ data: { callId: 'c1', clientId: 'k1', appointmentAt: '2026-12-24T10:00:00Z' } }));
      await form.getByRole('button', { name: 'Register' }).click();
      const registered = catalog.locator('#type-PAGE_APPOINTMENT');
      await registered.waitFor();
      assert.match((await registered.textContent()) ?? '', /validated: mismatches are refused/);

      // An endpoint subscribed to it through the triggers, for a client typed just before creating (the form takes what the field shows).
      await page.getByRole('tab', { name: 'Destination Endpoints' }).click();
      const typedClient = `${clientId}-typed`;
      await page.getByLabel('Client ID').fill(typedClient);
      const create = await openCreateForm(page);
      await create.getByLabel('URL').fill(receiver.url);
      await create.getByLabel('All call events').uncheck();
      await create.getByLabel('PAGE_APPOINTMENT', { exact: true }).check();
      await create.getByRole('button', { name: 'Create endpoint' }).click();
      await (await created(page)).getByRole('button', { name: 'Done' }).click();
      const [endpoint] = await endpointsOf(typedClient);
      assert.deepEqual(endpoint?.events, ['PAGE_APPOINTMENT']);
      await card(page, receiver.url).waitFor(); // the list follows the field

      // Send its example: the receiver gets the type with the example's body, as a test.
      const endpointCard = card(page, receiver.url);
      await endpointCard.getByLabel('Test event type').selectOption('PAGE_APPOINTMENT');
      assert.match(await sendTestEvent(endpointCard), /Test event: Succeeded · HTTP 200/);
      const got = receiver.requests.at(-1)!.json as { eventType: string; body: { data: { appointmentAt: string; callId: string } } };
      assert.equal(got.eventType, 'PAGE_APPOINTMENT');
      assert.equal(got.body.data.appointmentAt, '2026-12-24T10:00:00Z');
      assert.match(got.body.data.callId, /^webhook-test-/);

      // The type enforces its schema at intake: a bad body is refused with the pointer.
      const refused = await h.api('POST', '/v1/events', { eventType: 'PAGE_APPOINTMENT', body: { data: { callId: `call-${Date.now()}`, clientId: typedClient, appointmentAt: 'soon' } } });
      assert.equal(refused.status, 422);
      assert.deepEqual(refused.body.error.details.map((d: { pointer: string }) => d.pointer), ['/body/data/appointmentAt']);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
  test('portal links: a manage link framed by an allowed origin creates an endpoint; a read link changes nothing; another origin cannot frame it; revoked and expired links say so', { timeout: 180_000 }, async (t) => {
    if (missing || !h) return t.skip(missing ?? 'harness not started');
    const clientId = `client-portal-${Date.now()}`;
    const receiver = await Receiver.start();
    // The platform's dashboard (allowed to frame the page) and some other site, each its own origin.
    const site = async () => {
      let html = '';
      const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, frame: (src: string) => (html = `<!doctype html><title>Dashboard</title><iframe src="${src}" title="Webhooks" width="1100" height="800"></iframe>`) };
    };
    const dashboard = await site();
    const elsewhere = await site();
    const api = await h.startApi({ auth: { mode: 'on', adminKeys: [ADMIN] }, portal: { ...h.appDeps.portal!, frameAncestors: [dashboard.origin] } });
    const link = async (capabilities: string) => {
      const response = await fetch(`${api.base}/v1/portal-links`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ clientId, capabilities, theme: { title: 'Acme webhooks' } }),
      });
      assert.equal(response.status, 201);
      return (await response.json()) as { id: string; url: string; token: string };
    };
    const { context, page, problems } = await openPage(`${dashboard.origin}/`);
    const refusedFrames: string[] = [];
    page.on('console', (message) => {
      if (/frame-ancestors/.test(message.text())) refusedFrames.push(message.text());
    });
    try {
      // A manage link, framed by the dashboard: the page acts as the client, and creates an endpoint.
      const manage = await link('manage');
      dashboard.frame(manage.url);
      await page.reload();
      const frame = page.frameLocator('iframe[title="Webhooks"]');
      await frame.getByText('can manage').waitFor();
      await frame.getByRole('heading', { name: 'Acme webhooks' }).waitFor();
      await frame.getByRole('button', { name: 'Create new' }).click();
      const form = frame.getByRole('form', { name: 'Create endpoint' });
      await form.getByLabel('URL').fill(receiver.url);
      await form.getByRole('button', { name: 'Create endpoint' }).click();
      await frame.getByRole('status', { name: 'Endpoint created' }).getByRole('button', { name: 'Done' }).click();
      assert.equal((await endpointsOf(clientId)).length, 1);
      // The token left the address: the frame's URL has no fragment any more.
      const inner = page.frames().find((f) => f.url().startsWith(api.base));
      assert.ok(inner && !inner.url().includes('#'), `the frame's address: ${inner?.url()}`);

      // A read link: it shows the endpoint, and a write is refused.
      const read = await link('read');
      dashboard.frame(read.url);
      await page.reload();
      await frame.getByRole('note').getByText('View only').waitFor();
      await frame.getByRole('article', { name: receiver.url }).waitFor();
      await frame.getByRole('button', { name: 'Create new' }).click();
      await form.getByLabel('URL').fill(`${receiver.url}?second`);
      await form.getByRole('button', { name: 'Create endpoint' }).click();
      await form.getByText(/can read only/).waitFor();
      assert.equal((await endpointsOf(clientId)).length, 1, 'the read link created nothing');

      // Another site cannot frame the page.
      elsewhere.frame(manage.url);
      await page.goto(`${elsewhere.origin}/`);
      await eventually(async () => (refusedFrames.length > 0 ? true : undefined), 'chromium to refuse the frame (frame-ancestors)');
      assert.equal(await page.frameLocator('iframe[title="Webhooks"]').getByRole('button', { name: 'Create new' }).count(), 0);

      // Revoked, then expired: the page says so.
      await fetch(`${api.base}/v1/portal-links/${manage.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
      dashboard.frame(manage.url);
      await page.goto(`${dashboard.origin}/`);
      await frame.getByRole('heading', { name: 'This link no longer works' }).waitFor();
      const expired = await h.appDeps.portal!.tokens.sign({ linkId: read.id, clientId, capabilities: 'read', theme: null, expiresAt: new Date(Date.now() - 1_000) });
      dashboard.frame(`${api.base}/#portal=${expired}`);
      await page.reload();
      await frame.getByRole('heading', { name: 'This link has expired' }).waitFor();
      assert.deepEqual(problems.filter((p) => !/frame-ancestors|status of 40[13]/.test(p)), []);
    } finally {
      await context.close();
      dashboard.server.close();
      elsewhere.server.close();
    }
  });
  test('Basic auth through the form: the receiver gets the username and password; the page then shows a hint of the password', { timeout: 120_000 }, async (t) => {
    if (missing || !h) return t.skip(missing ?? 'harness not started');
    const clientId = `client-basic-${Date.now()}`;
    const expected = `Basic ${Buffer.from('crm-user:s3cret-pass', 'utf8').toString('base64')}`;
    const receiver = await Receiver.start((r) => (r.headers.authorization === expected ? { status: 200, body: 'ok-basic' } : { status: 401 }));
    const { context, page, problems } = await openPage(h.baseUrl);
    try {
      await pickClient(page, clientId);
      const form = await openCreateForm(page);
      await form.getByLabel('URL').fill(receiver.url);
      await form.getByLabel('Authentication').selectOption('basic');
      await form.getByLabel('Username').fill('crm-user');
      await form.getByLabel('Password').fill('s3cret-pass');
      await form.getByRole('button', { name: 'Create endpoint' }).click();
      await (await created(page)).getByRole('button', { name: 'Done' }).click();
      const [endpoint] = await endpointsOf(clientId);
      assert.deepEqual(endpoint?.auth, { type: 'basic', username: 'crm-user', passwordHint: '…ss' });
      assert.match(await sendTestEvent(card(page, receiver.url)), /Test event: Succeeded · HTTP 200/);
      assert.equal(receiver.requests.at(-1)?.headers.authorization, expected);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('endpoint options through the form: custom headers (one secret, shown by hint), a filter, retries, a client certificate; then OAuth 2.0, no retries, no filter', { timeout: 180_000 }, async (t) => {
    if (missing || !h) return t.skip(missing ?? 'harness not started');
    const harness = h;
    const clientId = `client-options-${Date.now()}`;
    const receiver = await Receiver.start(() => ({ status: 200, body: 'ok-options' }));
    const certificate = makeClientCertificate(makeCertificateAuthority('page-options-ca'), 'page-options-client');
    const secretValue = 'page-secret-key-0123456789';
    const filter = { 'body.data.callStatus': { $in: ['FAILED', 'NO_ANSWER'] } };
    const stored = async (id: string) => {
      const response = await harness.api('GET', `/v1/endpoints/${id}`);
      assert.equal(response.status, 200);
      return response.body;
    };
    const { context, page, problems } = await openPage(harness.baseUrl);
    try {
      await pickClient(page, clientId);
      const form = await openCreateForm(page);
      await form.getByLabel('URL').fill(receiver.url);
      await form.getByRole('button', { name: 'Add header' }).click();
      await form.getByLabel('Header 1 name').fill('X-Team');
      await form.getByLabel('Header 1 value').fill('ops');
      await form.getByRole('button', { name: 'Add header' }).click();
      await form.getByLabel('Header 2 name').fill('X-Api-Key');
      await form.getByLabel('Header 2 secret').check();
      await form.getByLabel('Header 2 value').fill(secretValue);
      // Invalid JSON is reported on the field, before anything is sent.
      await form.getByLabel('Filter (JSON)').fill('{"body.data.callStatus": ');
      await form.getByLabel('Retries').selectOption('custom');
      await form.getByLabel('Retry delays (seconds)').fill('5, 30');
      await form.getByLabel('Client certificate (PEM)').fill(certificate.certificate);
      await form.getByLabel('Private key (PEM)').fill(certificate.privateKey);
      await form.getByRole('button', { name: 'Create endpoint' }).click();
      assert.match(await fieldError(page, form.getByLabel('Filter (JSON)')), /Not valid JSON/);
      assert.equal((await endpointsOf(clientId)).length, 0, 'nothing sent');
      await form.getByLabel('Filter (JSON)').fill(JSON.stringify(filter));
      await form.getByRole('button', { name: 'Create endpoint' }).click();
      await (await created(page)).getByRole('button', { name: 'Done' }).click();

      const [listed] = await endpointsOf(clientId);
      assert.ok(listed);
      const hint = secretHint(secretValue);
      let endpoint = await stored(listed.id);
      assert.deepEqual(endpoint.headers, [
        { name: 'X-Team', secret: false, value: 'ops' },
        { name: 'X-Api-Key', secret: true, valueHint: hint },
      ]);
      assert.deepEqual(endpoint.filter, filter);
      assert.deepEqual(endpoint.retry, { delaysMs: [5_000, 30_000] });
      assert.match(endpoint.tls?.subject ?? '', /page-options-client/);
      assert.equal(endpoint.tls.expiry, 'valid');

      // The card: the secret header by its hint only, the filter, the schedule, the certificate.
      const endpointCard = card(page, receiver.url);
      const facts = endpointCard.locator('dl.facts');
      await facts.getByText(`(secret, ${hint})`).waitFor();
      await facts.getByText(JSON.stringify(filter)).waitFor();
      await facts.getByText('2 retries, after 5 s, 30 s').waitFor();
      await facts.locator('.certificate-fact').getByText(/page-options-client/).waitFor();
      assert.ok(!(await page.content()).includes(secretValue), 'the secret header value is not on the page');

      // Edit: the secret header's value is left empty (kept); the filter tried on an example; OAuth 2.0, no retries, no filter, no certificate.
      await endpointCard.getByRole('button', { name: 'Manage' }).click();
      const edit = endpointCard.getByRole('form', { name: 'Edit endpoint' });
      assert.equal(await edit.getByLabel('Header 2 value').inputValue(), '');
      await edit.getByText(`Leave the value empty to keep the current one (${hint}).`).waitFor();
      await edit.getByLabel('Try the filter on the example of').selectOption('OUTBOUND_CALL_COMPLETED');
      await edit.getByRole('button', { name: 'Try filter' }).click();
      await edit.getByRole('status').filter({ hasText: /^Does not match/ }).waitFor();
      await edit.getByLabel('Header 1 value').fill('platform');
      await edit.getByLabel('Authentication').selectOption('oauth2');
      const tokenUrl = `${new URL(receiver.url).origin}/oauth/token`;
      await edit.getByLabel('Token endpoint').fill(tokenUrl);
      await edit.getByLabel('OAuth client_id').fill('page-oauth-client');
      await edit.getByLabel('OAuth client_secret').fill('page-oauth-secret');
      await edit.getByLabel('Scope').fill('webhooks:write');
      await edit.getByLabel('Retries').selectOption('none');
      await edit.getByLabel('Filter (JSON)').fill('');
      await edit.getByLabel('Remove certificate').check();
      await edit.getByRole('button', { name: 'Save' }).click();
      await facts.getByText(AUTH_OAUTH2).waitFor();

      endpoint = await stored(listed.id);
      assert.deepEqual(endpoint.auth, {
        type: 'oauth2',
        tokenUrl,
        clientId: 'page-oauth-client',
        scope: 'webhooks:write',
        method: 'client_secret_basic',
        clientSecretHint: secretHint('page-oauth-secret'),
      });
      assert.deepEqual(endpoint.headers, [
        { name: 'X-Team', secret: false, value: 'platform' },
        { name: 'X-Api-Key', secret: true, valueHint: hint },
      ]);
      assert.equal(endpoint.filter, null);
      assert.deepEqual(endpoint.retry, { delaysMs: [] });
      assert.equal(endpoint.tls, null);
      await facts.getByText('No retries (one attempt)').waitFor();
      assert.equal(await facts.locator('.certificate-fact').count(), 0);
      const text = await page.content();
      assert.ok(!text.includes(secretValue) && !text.includes('page-oauth-secret'), 'no secret on the page');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
