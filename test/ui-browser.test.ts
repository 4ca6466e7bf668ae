/**
 * The operator's flow in a real browser: the Temporal Web UI of the dev server, driven by
 * headless chromium (Debian's package, through playwright-core). Skipped when there is no
 * chromium (set CHROMIUM_PATH, or `apt-get install -y chromium`).
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { chromiumMissing, freePort, launchChromium } from './helpers/browser';
import { eventually } from './helpers/eventually';
import { Harness, ended } from './helpers/harness';
import { Receiver, type ReceivedRequest } from './helpers/receiver';

const missing = chromiumMissing();
const shot = (name: string) => path.join(os.tmpdir(), `ui-${name}.png`);

let h: Harness | undefined;
let uiUrl = '';
before(async () => {
  if (missing) return;
  const uiPort = await freePort();
  uiUrl = `http://127.0.0.1:${uiPort}`;
  // A call with a failed delivery stays open for the abandon period: long enough for the browser.
  h = await Harness.start({ uiPort, settings: { abandonTimeoutMs: 10 * 60_000 } });
});
after(async () => {
  await h?.stop();
});

const callIdOf = (r: ReceivedRequest) => (r.json as { body: { data: { callId: string } } }).body.data.callId;
const eventTypeOf = (r: ReceivedRequest) => (r.json as { eventType: string }).eventType;

/** The text of the workflow page's Search Attributes tab, fresh from the server. */
async function searchAttributesText(page: Page, workflowUrl: string): Promise<string> {
  await page.goto(`${workflowUrl}/search-attributes`);
  const panel = page.getByRole('main').getByRole('textbox');
  await panel.waitFor({ state: 'visible' });
  return (await panel.textContent()) ?? '';
}

/** Opens the workflow list filtered by `query`, reloading until `row` shows (visibility lags). */
async function listUntilVisible(page: Page, query: string, rows: Locator[], what: string): Promise<void> {
  const listUrl = `${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`;
  await eventually(
    async () => {
      await page.goto(listUrl);
      for (const row of rows) await row.waitFor({ state: 'visible', timeout: 3_000 });
      return true;
    },
    what,
    20_000,
    0,
  );
}

describe('operating calls from the Temporal Web UI (real browser)', () => {
  test('find a failed delivery by search attribute, signal `redeliver` from the UI, the receiver gets it', { timeout: 180_000 }, async (t) => {
    if (missing || !h) {
      t.skip(missing ?? 'harness not started');
      return;
    }
    const harness = h;
    const stamp = Date.now();
    const clientId = `client-ui-${stamp}`;
    const failingCall = `call-ui-failed-${stamp}`;
    const healthyCall = `call-ui-ok-${stamp}`;
    let healthy = false;
    // 422 is final (a 410 would disable the endpoint): one attempt, then the delivery has failed for good.
    const receiver = await Receiver.start((r) => (healthy || callIdOf(r) !== failingCall ? { status: 200 } : { status: 422, body: 'gone' }));
    const requestsOf = (callId: string) => receiver.requests.filter((r) => callIdOf(r) === callId);
    const endpointId = await harness.createEndpoint({ clientId, url: receiver.url });
    await harness.emit(healthyCall, 'OUTBOUND_CALL_COMPLETED', { clientId, data: { callStatus: 'COMPLETED' } });
    await harness.emit(failingCall, 'OUTBOUND_CALL_COMPLETED', { clientId, data: { callStatus: 'COMPLETED' } });
    const failed = await harness.waitForDeliveries(failingCall, (l) => ended(l, 1));
    assert.deepEqual(failed.map((d) => [d.eventType, d.endpointId, d.status, d.attemptCount]), [['OUTBOUND_CALL_COMPLETED', endpointId, 'failed', 1]]);
    const delivered = await harness.waitForDeliveries(healthyCall, (l) => ended(l, 1));
    assert.equal(delivered[0]!.status, 'succeeded');
    assert.equal(requestsOf(failingCall).length, 1);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      page.setDefaultTimeout(15_000);
      page.setDefaultNavigationTimeout(30_000);
      try {
        const failingRow = page.getByRole('link', { name: failingCall, exact: true });
        const healthyRow = page.getByRole('link', { name: healthyCall, exact: true });
        // Both calls of the client are listed...
        await listUntilVisible(page, `ClientId="${clientId}"`, [failingRow, healthyRow], 'the UI to list both calls of the client');
        // ...and the search attribute narrows the list to the one with a failed delivery.
        await listUntilVisible(page, `ClientId="${clientId}" AND DeliveryState="failed"`, [failingRow], 'the UI to list the failed call');
        assert.equal(await healthyRow.count(), 0, 'the healthy call is not listed under DeliveryState="failed"');
        await page.screenshot({ path: shot('list') });

        await failingRow.click();
        await page.waitForURL((url) => url.pathname.includes(`/workflows/${encodeURIComponent(failingCall)}/`));
        const workflowUrl = page.url().replace(/\/[a-z-]+$/, ''); // …/workflows/<id>/<runId>
        assert.match(await searchAttributesText(page, workflowUrl), /"DeliveryState":\s*"failed"/);
        await page.screenshot({ path: shot('failed') });

        // More Actions → Send a Signal → redeliver, input {}.
        await page.getByRole('button', { name: 'More Actions' }).click();
        await page.getByRole('menuitem', { name: 'Send a Signal' }).click();
        const dialog = page.getByRole('dialog', { name: 'Send a Signal' });
        await dialog.getByRole('button', { name: 'Select a signal' }).click();
        // The list comes from the workflow's metadata query, answered by the worker: wait for it to fill.
        await dialog.getByRole('option', { name: /^\s*redeliver\b/ }).waitFor();
        // Each option shows the signal's name and its description (what it takes, with an example input).
        const options = await dialog.getByRole('option').allTextContents();
        const redeliverOption = options.find((text) => text.trim().startsWith('redeliver'));
        assert.ok(redeliverOption, `the signal list: ${JSON.stringify(options)}`);
        assert.match(redeliverOption, /finally-failed deliveries/, 'the dialog shows what redeliver takes');
        await dialog.getByRole('option', { name: /^\s*redeliver\b/ }).click();
        await dialog.getByRole('button', { name: /redeliver/ }).waitFor();
        const input = dialog.locator('[role="textbox"][contenteditable="true"]'); // the JSON editor
        await input.click();
        await page.keyboard.insertText('{}');
        assert.equal(await input.textContent(), '{}');
        healthy = true;
        await dialog.getByRole('button', { name: 'Submit' }).click();
        await dialog.waitFor({ state: 'hidden' });

        // The receiver gets the event again; the log shows the redelivery and who asked.
        const log = await harness.waitForDeliveries(failingCall, (l) => l.length === 1 && l[0]!.status === 'succeeded', 30_000);
        const requests = requestsOf(failingCall);
        assert.deepEqual(requests.map(eventTypeOf), ['OUTBOUND_CALL_COMPLETED', 'OUTBOUND_CALL_COMPLETED']);
        assert.equal(requests[1]!.headers['x-recho-delivery-id'], requests[0]!.headers['x-recho-delivery-id']);
        assert.deepEqual(log[0]!.attempts.map((a) => [a.attemptNumber, a.statusCode]), [[1, 422], [2, 200]]);
        assert.deepEqual(log[0]!.actions.map((a) => [a.action, a.source]), [['redeliver', 'temporal-ui']]);
        // It was the UI's signal, with the input typed in the dialog.
        const history = await harness.env.client.workflow.getHandle(failingCall).fetchHistory();
        const signals = (history.events ?? [])
          .map((e) => e.workflowExecutionSignaledEventAttributes)
          .filter((s) => s?.signalName === 'redeliver')
          .map((s) => (s!.input?.payloads ?? []).map((p) => JSON.parse(Buffer.from(p.data ?? new Uint8Array()).toString('utf8'))));
        assert.deepEqual(signals, [[{}]]);

        // The operator sees the call healthy again.
        await eventually(
          async () => (/"DeliveryState":\s*"ok"/.test(await searchAttributesText(page, workflowUrl)) ? true : undefined),
          'the UI to show DeliveryState "ok"',
          20_000,
          500,
        );
        await page.screenshot({ path: shot('final') });
      } catch (error) {
        await page.screenshot({ path: shot('failure') }).catch(() => undefined);
        throw error;
      }
    } finally {
      await browser.close();
    }
  });
});
