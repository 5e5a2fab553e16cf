// Browser tests of what the page says and does after a top-up is credited, against the real backend
// (`python -m backend`: embedded store, simulator gateways, demo data) in Chromium via playwright-core:
// a top-up into a wallet in debt says what of it repaid the debt; the browser's Back to a gateway's
// page and Pay again (PayPal, Google Pay, and Google Pay returning without a flag, as its live page
// does) never says "Top-up successful"; a withdrawal to the customer's top-ups; the support view
// playing a gateway's dispute and refund in simulator mode.
// Run: `make browser-test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT_MS, sleep } from './backend.mjs';
import { backendAndBrowser, balanceShown, openSupport, openWallet as openWalletOf, toMinor } from './pages.mjs';

const session = backendAndBrowser({ RATE_LIMITS_ENABLED: 'false' });
const openWallet = () => openWalletOf(session);

// Top up `amount` with `method` through its simulator's page; the checkout page's URL.
async function topUp(w, method, amount) {
  await w.page.getByTestId('topup-amount').fill(amount);
  await w.page.getByTestId('topup-method').selectOption(method);
  await w.page.getByTestId('topup-submit').click();
  await w.page.waitForURL((u) => u.pathname.startsWith('/simulator/'));
  const checkout = w.page.url();
  await w.page.locator('#pay').click();
  await w.page.waitForURL((u) => u.pathname === '/');
  await w.waitForMessage(/^Top-up successful/);
  return checkout;
}

// The browser's Back from the wallet to the gateway's page, and Pay again: the balance stays, and
// the page says the top-up was credited before.
async function backAndPayAgain(w, checkout, said) {
  const before = await w.readBalance();
  await w.page.goBack();
  await w.page.waitForURL(checkout);
  await w.page.locator('#pay').click();
  await w.page.waitForURL((u) => u.pathname === '/');
  await w.waitForMessage(said);
  assert.doesNotMatch(await w.message(), /Top-up successful/);
  await w.page.waitForFunction(balanceShown);
  assert.equal(await w.readBalance(), before, 'nothing more credited');
}

// First in the file: the demo customer's wallet is empty until it tops up here.
test('a top-up into a wallet in debt says what of it paid what the wallet owed', { timeout: TIMEOUT_MS }, async () => {
  const { api, topUpByApi } = session.client;
  await topUpByApi('120.50');
  assert.equal((await api('POST', '/order/pay-with-wallet', { order_id: 'ord_demo_2', customer_id: 'cust_demo', amount: '120.50' })).status, 200);
  const { body: status } = await api('GET', '/status/cust_demo');
  assert.equal(status.wallet.balance, 0);
  const paymentId = status.recent_transactions.find((t) => t.kind === 'topup').reference.gateway_payment_id;
  // Razorpay refunds 40.00 of the spent top-up from its dashboard: the wallet owes it.
  const refund = await fetch(`${session.base}/simulator/razorpay/dashboard/payments/${paymentId}/refund`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${session.adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ amount: '40.00', currency: 'INR' }),
  });
  assert.equal(refund.status, 200, await refund.text());
  for (let i = 0; i < 100 && (await api('GET', '/status/cust_demo')).body.wallet.debt !== 40; i += 1) await sleep(100);
  assert.equal((await api('GET', '/status/cust_demo')).body.wallet.debt, 40);

  const w = await openWallet();
  await topUp(w, 'razorpay', '100.00');
  assert.equal(await w.message(), 'Top-up successful: ₹100.00 added; ₹40.00 of it paid what your wallet owed. New balance ₹60.00.');
  assert.equal(await w.readBalance(), 6000);
  await w.done();
});

test('PayPal: Back to its page and Pay again says the top-up was credited before, and adds nothing', { timeout: TIMEOUT_MS }, async () => {
  const w = await openWallet();
  const start = await w.readBalance();
  const checkout = await topUp(w, 'paypal', '10.00');
  assert.equal(await w.readBalance(), start + 1000);
  await backAndPayAgain(w, checkout, /^This top-up of ₹10\.00 was already credited .*; nothing more was added to your wallet\./);
  await w.done();
});

test('Google Pay: Back to its page and Pay again says the top-up was credited before, and adds nothing', { timeout: TIMEOUT_MS }, async () => {
  const w = await openWallet();
  const checkout = await topUp(w, 'google_pay', '10.00');
  await backAndPayAgain(w, checkout, /^This top-up of ₹10\.00 was already credited .*; this second payment was not charged/);
  await w.done();
});

test('Google Pay returning without a flag (as its live page does): Pay again is no new top-up', { timeout: TIMEOUT_MS }, async () => {
  const w = await openWallet();
  const checkout = await topUp(w, 'google_pay', '10.00');
  // Google's live page sends the buyer back the same way whether or not the top-up was paid before:
  // the simulator's `payment_error=already_paid` is taken out, so only the page's memory tells.
  await w.page.route('**/simulator/google-pay/checkout/*/pay', async (route) => {
    const answer = await route.fetch({ maxRedirects: 0 });
    const back = new URL(answer.headers().location, session.base);
    back.searchParams.delete('payment_error');
    await route.fulfill({ status: 303, headers: { location: back.toString() } });
  });
  await backAndPayAgain(w, checkout, /^This top-up of ₹10\.00 was already credited .*; nothing more was added to your wallet\./);
  await w.done();
});

test('withdraw: what can go is shown first, then the money goes back to the top-up and leaves the wallet', { timeout: TIMEOUT_MS }, async () => {
  await session.client.topUpByApi('300.00');
  const w = await openWallet();
  const start = await w.readBalance();
  await w.page.waitForFunction(() => /^Up to ₹[\d,]+\.\d\d can be withdrawn now\.$/.test(document.querySelector('[data-testid="withdrawable"]')?.textContent || ''));
  const { body: quote } = await session.client.api('GET', '/wallet/cust_demo/withdrawable');
  assert.equal(toMinor((await w.text('withdrawable')).match(/₹([\d,.]+\d)/)[1]), Math.round(quote.withdrawable * 100));
  assert.ok(quote.withdrawable >= 100, `the demo customer can withdraw 100.00 (${quote.withdrawable})`);
  await w.page.getByTestId('withdraw-amount').fill('100');
  await w.page.getByTestId('withdraw-review').click();
  assert.match(await w.text('withdraw-confirmation'), /^Withdraw ₹100\.00 to the payment methods of your top-ups\?/);
  await w.page.getByTestId('withdraw-confirm').click();
  await w.waitForMessage(/^Withdrawal complete: ₹100\.00 refunded \(₹100\.00 to Razorpay\)\.$/);
  await w.page.waitForFunction(([want]) => {
    const text = document.querySelector('[data-testid="balance"]')?.textContent || '';
    return Math.round(Number(text.replace(/[^\d.]/g, '')) * 100) === want;
  }, [start - 10_000]);
  const newest = w.page.getByTestId('transactions').locator('li').first();
  assert.equal(await newest.getAttribute('data-kind'), 'withdrawal');
  assert.match(await newest.textContent(), /Withdrawal refunded.*to Razorpay.*−₹100\.00/);
  assert.equal(await w.page.getByTestId('wallet-held').count(), 0, 'nothing left on hold');
  await w.done();
});

test('support view (simulator mode): open a dispute on a top-up, lose it; refund another at the gateway', { timeout: TIMEOUT_MS }, async () => {
  await session.client.topUpByApi('40.00');
  await session.client.topUpByApi('25.00');
  const s = await openSupport(session);
  const rows = s.page.getByTestId('simulator-topups').locator('li');
  await rows.first().waitFor();
  const [refunded, disputed] = [await rows.nth(0).getAttribute('data-payment-id'), await rows.nth(1).getAttribute('data-payment-id')];
  assert.match(await rows.nth(0).textContent(), /^₹25\.00 via Razorpay/);
  assert.match(await rows.nth(1).textContent(), /^₹40\.00 via Razorpay/);
  const start = toMinor(await s.text('support-balance'));

  // A dispute holds the disputed amount…
  await s.page.getByTestId(`sim-dispute-${disputed}`).click();
  await s.waitForMessage(/^A dispute of ₹40\.00 was opened on payment/);
  await s.page.getByTestId('support-held').waitFor();
  assert.match(await s.text('support-held'), /^On hold₹40\.00/);
  assert.equal(toMinor(await s.text('support-balance')), start);
  assert.equal(await s.page.getByTestId('support-transactions').locator('li').first().getAttribute('data-kind'), 'dispute_hold');
  // …and a lost one takes it back.
  await s.page.getByTestId(`sim-lose-${disputed}`).click();
  await s.waitForMessage(/^Dispute \S+ lost: Razorpay takes back ₹40\.00\. The wallet follows Razorpay's webhook: the ledger shows what it could take and what is owed\.$/);
  await s.page.waitForFunction(() => !document.querySelector('[data-testid="support-held"]'));
  assert.equal(toMinor(await s.text('support-balance')), start - 4000);
  assert.equal(await s.page.getByTestId('support-transactions').locator('li').first().getAttribute('data-kind'), 'chargeback');

  // A refund made at the gateway takes the amount typed back.
  await s.page.getByTestId(`sim-amount-${refunded}`).fill('5');
  await s.page.getByTestId(`sim-refund-${refunded}`).click();
  await s.waitForMessage(/^Razorpay refunded ₹5\.00 of payment/);
  await s.page.waitForFunction(
    ([want]) => Math.round(Number((document.querySelector('[data-testid="support-balance"]')?.textContent || '').replace(/[^\d.]/g, '')) * 100) === want,
    [start - 4500],
  );
  const newest = s.page.getByTestId('support-transactions').locator('li').first();
  assert.equal(await newest.getAttribute('data-kind'), 'topup_reversal');
  assert.match(await newest.textContent(), /Top-up refunded by the payment provider/);
  await s.done();
});
