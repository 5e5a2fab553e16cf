// Browser test of the support view (admin token) against the real backend (`python -m backend`:
// embedded store, simulator gateways, demo data) in Chromium via playwright-core: an unknown
// customer, older gateway outcomes and audit entries, banners that belong to the last action,
// rows and counts that read right; at a desktop size and at 390 px, a look-up and a refund of part
// of a paid order. Run: `make browser-test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT_MS, waitForMessage } from './backend.mjs';
import { backendAndBrowser } from './pages.mjs';

const session = backendAndBrowser({ RATE_LIMITS_ENABLED: 'false' }); // 23 top-ups a minute

async function supportPage() {
  const context = await session.browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${session.base}/?token=${session.adminToken}`);
  const lookUp = async (customerId) => {
    await page.getByTestId('support-customer').fill(customerId);
    await page.getByTestId('support-lookup').click();
  };
  const rows = (testId) => page.getByTestId(testId).locator('li');
  const message = () => page.getByTestId('message').textContent();
  return { page, context, errors, lookUp, rows, message };
}

test('support view: an unknown customer is said to be unknown, not shown as an empty wallet', { timeout: TIMEOUT_MS }, async () => {
  const s = await supportPage();
  await s.lookUp('cust_demo');
  await s.page.getByTestId('support-balance').waitFor();
  await s.lookUp('cust_nobody');
  await waitForMessage(s.page, /^No such customer: no wallet, orders, payments or audit entries\.$/);
  assert.equal(await s.page.getByTestId('support-balance').count(), 0, 'no balance shown, not even the last customer\'s');
  // The next look-up replaces that banner.
  await s.lookUp('cust_demo');
  await s.page.getByTestId('support-balance').waitFor();
  assert.equal(await s.message(), '');
  assert.deepEqual(s.errors, [], 'no uncaught errors in the page');
  await s.context.close();
});

test('support view: older gateway outcomes and audit entries; rows and counts read right; banners follow the last action', { timeout: TIMEOUT_MS }, async () => {
  // 22 top-ups credited by the simulator's webhook (each a gateway outcome and an audit entry), and
  // ord_demo_2 paid from the wallet.
  for (let i = 0; i < 21; i += 1) await session.client.topUpByApi('1.00');
  await session.client.topUpByApi('120.50');
  const paid = await session.client.api('POST', '/order/pay-with-wallet', { order_id: 'ord_demo_2', customer_id: 'cust_demo', amount: '120.50' });
  assert.equal(paid.status, 200, JSON.stringify(paid.body));

  const s = await supportPage();
  await s.lookUp('cust_demo');
  await s.page.getByTestId('support-balance').waitFor();
  // Counts in the singular when there is one.
  assert.equal(await s.page.getByTestId('support-counts').textContent(), '22 top-ups · 1 payment · 0 refunds');

  // Gateway outcomes: 20, then the older ones on demand, each once; the button goes at the end.
  assert.equal(await s.rows('support-webhooks').count(), 20);
  await s.page.getByTestId('support-webhooks-older').click();
  await s.page.waitForFunction(() => document.querySelectorAll('[data-testid="support-webhooks"] li').length === 22);
  assert.equal(await s.page.getByTestId('support-webhooks-older').count(), 0);
  // A row says each thing once (its event type and the reason were both "payment.captured").
  const outcome = await s.rows('support-webhooks').first().textContent();
  assert.equal(outcome.split('payment.captured').length - 1, 1, outcome);
  // Audit entries likewise: 22 credits and the payment.
  assert.equal(await s.rows('support-audit').count(), 20);
  await s.page.getByTestId('support-audit-older').click();
  await s.page.waitForFunction(() => document.querySelectorAll('[data-testid="support-audit"] li').length === 23);
  assert.equal(await s.page.getByTestId('support-audit-older').count(), 0);

  // A refund error, then a valid amount: the confirmation shows without the earlier error above it.
  const row = s.page.getByTestId('support-orders').locator('li[data-order-id="ord_demo_2"]');
  await row.getByTestId('refund-ord_demo_2').click();
  await row.getByTestId('refund-amount').fill('0');
  await row.getByTestId('refund-review').click();
  await waitForMessage(s.page, /Enter an amount above 0/);
  await row.getByTestId('refund-amount').fill('1.00');
  await row.getByTestId('refund-review').click();
  await row.getByTestId('refund-confirmation').waitFor();
  assert.equal(await s.message(), '', 'the refund error is gone once the next step is shown');
  await row.getByTestId('refund-confirm').click();
  await waitForMessage(s.page, /Refunded ₹1\.00 to cust_demo's wallet for ord_demo_2/);
  await s.page.waitForFunction(() => /· 1 refund$/.test(document.querySelector('[data-testid="support-counts"]')?.textContent || ''));
  // The next action (reconcile) replaces the refund's banner; the one after (look up) the reconcile result.
  await s.page.getByTestId('support-reconcile').click();
  await s.page.getByTestId('support-reconcile-result').waitFor();
  assert.equal(await s.message(), '');
  await s.lookUp('cust_demo');
  await s.page.waitForFunction(() => !document.querySelector('[data-testid="support-reconcile-result"]'));
  assert.deepEqual(s.errors, [], 'no uncaught errors in the page');
  await s.context.close();
});

// The support view at a desktop size and at 390 px, in a fresh context per test, for the refund test.
const VIEWPORTS = [
  ['desktop', { width: 1280, height: 900 }],
  ['390px', { width: 390, height: 844 }],
];
const toMinor = (text) => Math.round(Number(text.replace(/[^\d.]/g, '')) * 100);
const api = (...args) => session.client.api(...args);
const topUpByApi = (amount) => session.client.topUpByApi(amount);

async function newPage(viewport) {
  const context = await session.browser.newContext({ viewport });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const text = (id) => page.getByTestId(id).textContent();
  const noOverflow = async () => {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the window`);
  };
  const done = async () => {
    assert.deepEqual(errors, [], 'no uncaught errors in the page');
    await context.close();
  };
  return { page, context, text, waitForMessage: (pattern) => waitForMessage(page, pattern), noOverflow, done };
}

for (const [name, viewport] of VIEWPORTS) {
  test(`${name}: support view: look up cust_demo, refund part of a paid order`, { timeout: TIMEOUT_MS }, async () => {
    // An order paid from the wallet through the API first (topped up to cover it).
    const orders = (await api('GET', '/orders?customer_id=cust_demo&status=pending')).body.orders;
    let order = orders.find((o) => o.order_id === 'ord_demo_2');
    if (order) {
      await topUpByApi('120.50');
      const paid = await api('POST', '/order/pay-with-wallet', { order_id: 'ord_demo_2', customer_id: 'cust_demo', amount: '120.50' });
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
    }
    const w = await newPage(viewport);
    await w.page.goto(`${session.base}/?token=${session.adminToken}`);
    await w.page.getByTestId('support-customer').fill('cust_demo');
    await w.page.getByTestId('support-lookup').click();
    await w.page.getByTestId('support-balance').waitFor();
    const before = toMinor(await w.text('support-balance'));
    const row = w.page.getByTestId('support-orders').locator('li[data-order-id="ord_demo_2"]');
    await row.getByTestId('refund-ord_demo_2').click();
    await row.getByTestId('refund-amount').fill('10.25');
    await row.getByTestId('refund-reason').fill('damaged box');
    await row.getByTestId('refund-review').click();
    assert.match(await w.text('refund-confirmation'), /Refund ₹10\.25 to cust_demo's wallet for order ord_demo_2/);
    assert.equal(toMinor(await w.text('support-balance')), before, 'nothing moves before confirming');
    await w.page.getByTestId('refund-confirm').click();
    await w.waitForMessage(/Refunded ₹10\.25 to cust_demo's wallet for ord_demo_2/);
    // The result shows where the person is, not at the top of a page scrolled down to the order.
    const shown = await w.page.getByTestId('message').boundingBox();
    assert.ok(shown.y >= 0 && shown.y + shown.height <= viewport.height, `the message is at ${shown.y}px, off screen`);
    await w.page.waitForFunction(
      (want) => Math.round(Number(document.querySelector('[data-testid="support-balance"]').textContent.replace(/[^\d.]/g, '')) * 100) === want,
      before + 1025,
    );
    const newest = w.page.getByTestId('support-transactions').locator('li').first();
    assert.equal(await newest.getAttribute('data-kind'), 'refund');
    assert.match(await newest.textContent(), /ord_demo_2.*\+₹10\.25/);
    assert.match(await w.text('support-audit'), /order\.refunded/);
    assert.match(await w.text('support-orders'), /ord_demo_2.*refunded ₹/);
    await w.page.getByTestId('support-reconcile').click();
    assert.match(await (await w.page.getByTestId('support-reconcile-result')).textContent(), /No drift/);
    // A customer token cannot use the support view's API.
    assert.equal((await api('GET', '/support/customers/cust_demo')).status, 403);
    await w.noOverflow();
    await w.done();
  });
}
