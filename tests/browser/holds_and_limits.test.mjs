// Browser tests of orders authorised now and captured later, and of the limits a top-up must fit
// (SPEC §10), against the real backend (`python -m backend`: embedded store, simulator gateways,
// demo data, a monthly top-up limit per customer level) in Chromium via playwright-core, at 390 px:
// the top-up form says how much more fits before anything is typed, and a top-up beyond it says
// which limit and how much; the customer authorises an order and cancels it, authorises another, and
// the support view captures part of it, the rest released; support sets the customer's level, which
// changes the limit. The tests share one backend and run in order. Run: `make browser-test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT_MS } from './backend.mjs';
import { backendAndBrowser, openSupport as openSupportOf, openWallet as openWalletOf, toMinor } from './pages.mjs';

const session = backendAndBrowser({
  RATE_LIMITS_ENABLED: 'false',
  MINIMUM_KYC_MONTHLY_TOPUP_MAX: '1000',
  FULL_KYC_MONTHLY_TOPUP_MAX: '5000',
});
const openWallet = () => openWalletOf(session);
const openSupport = () => openSupportOf(session);

test("the top-up form says how much more the monthly limit lets in; a top-up beyond it says which limit and how much", { timeout: TIMEOUT_MS }, async () => {
  await session.client.topUpByApi('300.00');
  const w = await openWallet();
  await w.waitForText('topup-headroom', /^Up to ₹700\.00 more/);
  assert.equal(
    await w.text('topup-headroom'),
    'Up to ₹700.00 more can be topped up now: the monthly top-up limit for minimum-KYC wallets is ₹1,000.00, ₹300.00 of it used (top-ups still open count too).',
  );
  await w.page.getByTestId('topup-amount').fill('800');
  await w.page.getByTestId('topup-method').selectOption('razorpay');
  await w.page.getByTestId('topup-submit').click();
  await w.waitForMessage(/^That top-up would pass the monthly top-up limit for minimum-KYC wallets: at most ₹700\.00 more can be topped up now\.$/);
  assert.equal(new URL(w.page.url()).pathname, '/', 'still on the wallet page, not at a checkout');
  assert.match(await w.text('topup-headroom'), /^Up to ₹700\.00 more/, 'read again: still 700.00');
  assert.equal((await session.client.api('GET', '/wallet/cust_demo/limits')).body.limits[0].headroom, 700, 'the refused top-up kept nothing');
  await w.done();
});

test('the customer authorises an order and cancels it; authorises another, which support captures in part', { timeout: TIMEOUT_MS }, async () => {
  const w = await openWallet();
  const start = toMinor(await w.text('balance'));
  assert.equal(start, 30_000, 'the 300.00 topped up by the test before');

  // Authorise, asked first: the amount is held, the order awaits capture…
  await w.page.getByTestId('authorize-ord_demo_2').click();
  assert.match(await w.text('authorize-confirmation'), /^Authorise ₹120\.50 for order ord_demo_2\?/);
  await w.page.getByTestId('authorize-confirm').click();
  await w.waitForMessage(/^Order ord_demo_2 authorised: ₹120\.50 is on hold until the shop takes it \(by .+\)\. Available now ₹179\.50\.$/);
  await w.waitForText('authorised-ord_demo_2', /^Authorised, awaiting capture: ₹120\.50 on hold until /);
  await w.waitForText('wallet-held', /^On hold₹120\.50/);
  assert.equal(await w.page.getByTestId('pay-ord_demo_2').count(), 0, 'no Pay for an authorised order');
  // …and Cancel authorisation gives it back: the order is pending again.
  await w.page.getByTestId('void-ord_demo_2').click();
  await w.waitForMessage(/^Authorisation of order ord_demo_2 cancelled: ₹120\.50 is available again\. Available now ₹300\.00\.$/);
  await w.page.getByTestId('pay-ord_demo_2').waitFor();
  await w.page.waitForFunction(() => !document.querySelector('[data-testid="wallet-held"]'));

  await w.page.getByTestId('authorize-ord_demo_1').click();
  await w.page.getByTestId('authorize-confirm').click();
  await w.waitForMessage(/^Order ord_demo_1 authorised: ₹250\.00 is on hold/);
  await w.page.getByTestId('authorised-ord_demo_1').waitFor();
  assert.equal(toMinor(await w.text('balance')), start, 'an authorisation takes nothing yet');
  await w.done();

  // Support captures 200.00 of the 250.00 held: the rest is released, the order is paid.
  const s = await openSupport();
  const row = s.page.getByTestId('support-orders').locator('li[data-order-id="ord_demo_1"]');
  assert.match(await row.textContent(), /₹250\.00 · Authorised, awaiting capture · ₹250\.00 on hold until /);
  assert.match(await s.text('support-held'), /^On hold₹250\.00/);
  await s.page.getByTestId('capture-ord_demo_1').click();
  assert.equal(await s.page.getByTestId('capture-amount').inputValue(), '250.00', 'the held amount to begin with');
  await s.page.getByTestId('capture-amount').fill('200');
  await s.page.getByTestId('capture-review').click();
  assert.match(await s.text('capture-confirmation'), /^Capture ₹200\.00 of the ₹250\.00 authorised for order ord_demo_1 from cust_demo's wallet\? The remaining ₹50\.00 is released\./);
  await s.page.getByTestId('capture-confirm').click();
  await s.waitForMessage(/^Captured ₹200\.00 of order ord_demo_1 from cust_demo's wallet; ₹50\.00 released back to the customer\. Balance ₹100\.00\.$/);
  await s.waitForText('support-orders', /ord_demo_1₹250\.00 · Paid/);
  await s.page.waitForFunction(() => !document.querySelector('[data-testid="support-held"]'));
  assert.equal(toMinor(await s.text('support-balance')), start - 20_000);
  const newest = s.page.getByTestId('support-transactions').locator('li').first();
  assert.equal(await newest.getAttribute('data-kind'), 'capture');
  assert.match(await newest.textContent(), /Order payment \(authorised, now captured\).*ord_demo_1/);
  const { body } = await session.client.api('GET', '/orders?customer_id=cust_demo&status=paid');
  assert.ok(body.orders.some((o) => o.order_id === 'ord_demo_1'), 'the order is paid');
  await s.done();
});

test("support sets the customer's level to full: the full-KYC limit applies to the customer's top-ups", { timeout: TIMEOUT_MS }, async () => {
  const s = await openSupport();
  await s.waitForText('support-limits-list', /^Monthly top-up limit for minimum-KYC wallets₹300\.00 of ₹1,000\.00 used · ₹700\.00 more/);
  await s.page.getByTestId('support-kyc-level').selectOption('full');
  await s.page.getByTestId('support-kyc-save').click();
  await s.waitForMessage(/^cust_demo's level is now Full KYC: the Full KYC limits apply to their top-ups\.$/);
  await s.waitForText('support-limits-list', /^Monthly top-up limit for full-KYC wallets₹300\.00 of ₹5,000\.00 used · ₹4,700\.00 more/);
  await s.done();

  const w = await openWallet();
  await w.waitForText('topup-headroom', /^Up to ₹4,700\.00 more can be topped up now: the monthly top-up limit for full-KYC wallets is ₹5,000\.00/);
  await w.done();
});
