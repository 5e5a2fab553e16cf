// Browser test of wallets in more than one currency, against the real backend (`python -m backend`:
// embedded store, simulator gateways, demo data) started with SUPPORTED_CURRENCIES=INR,USD, in
// Chromium via playwright-core at 390 px: the demo customer, with an INR wallet, chooses USD (only
// the gateways taking dollars offered: not Razorpay), tops up 12.34 USD through PayPal's simulator
// and comes back to the USD wallet credited; the currency switch shows each wallet's own balance and
// history, the INR one untouched, and the USD statement holds the dollars; the support view shows
// either wallet of the customer. Run: `make browser-test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { TIMEOUT_MS } from './backend.mjs';
import { backendAndBrowser, openSupport, openWallet } from './pages.mjs';

const session = backendAndBrowser({ RATE_LIMITS_ENABLED: 'false', SUPPORTED_CURRENCIES: 'INR,USD' });

const options = (page, testId) => page.getByTestId(testId).locator('option').evaluateAll((list) => list.map((o) => o.value));

test('a USD top-up through PayPal beside the INR wallet; the currency switch shows each wallet', { timeout: TIMEOUT_MS }, async () => {
  await session.client.topUpByApi('300.00'); // the INR wallet holds something of its own
  const { api } = session.client;
  const inrBefore = (await api('GET', '/status/cust_demo?currency=INR')).body.wallet.balance;

  const w = await openWallet(session);
  const { page } = w;
  assert.deepEqual(await options(page, 'currency-choice'), ['INR', 'USD']);
  assert.equal(await page.getByTestId('currency-choice').inputValue(), 'INR', 'the default currency first');
  assert.equal(await w.readBalance(), Math.round(inrBefore * 100));
  await w.page.waitForFunction(() => document.querySelectorAll('[data-testid="topup-method"] option').length > 0);
  assert.deepEqual(await options(page, 'topup-method'), ['razorpay', 'paypal', 'google_pay']);

  // USD: an empty wallet of its own, topped up through the gateways that take dollars.
  await page.getByTestId('currency-choice').selectOption('USD');
  await w.waitForText('balance', /^\$0\.00$/);
  assert.deepEqual(await options(page, 'topup-method'), ['paypal', 'google_pay'], 'Razorpay takes rupees only');
  await page.getByTestId('topup-amount').fill('12.34');
  await page.getByTestId('topup-method').selectOption('paypal');
  await page.getByTestId('topup-submit').click();
  await page.waitForURL((u) => u.pathname.startsWith('/simulator/paypal/checkout/'));
  assert.match(await page.textContent('body'), /12\.34/);
  await page.locator('#pay').click();
  await page.waitForURL((u) => u.pathname === '/');

  // Back on the page: the USD wallet, credited.
  await w.waitForMessage(/^Top-up successful: \$12\.34 added\. New balance \$12\.34\.$/);
  assert.equal(await page.getByTestId('currency-choice').inputValue(), 'USD', 'the choice is kept across the checkout');
  await w.waitForText('balance', /^\$12\.34$/);
  const newest = page.getByTestId('transactions').locator('li').first();
  assert.match(await newest.textContent(), /^Top-up.*via PayPal.*\+\$12\.34$/);
  const download = page.waitForEvent('download');
  await page.getByTestId('download-statement').click();
  const csv = fs.readFileSync(await (await download).path(), 'utf8');
  assert.equal((await download).suggestedFilename(), 'statement-cust_demo-USD.csv');
  assert.match(csv, /,credit,topup,12\.34,USD,12\.34/);
  assert.doesNotMatch(csv, /,INR,/);

  // The switch: each wallet its own balance and history; the INR one untouched.
  await page.getByTestId('currency-choice').selectOption('INR');
  await page.waitForFunction(() => document.querySelector('[data-testid="balance"]')?.textContent.startsWith('₹'));
  assert.equal(await w.readBalance(), Math.round(inrBefore * 100));
  assert.doesNotMatch(await w.text('transactions'), /\$/);
  await page.getByTestId('currency-choice').selectOption('USD');
  await w.waitForText('balance', /^\$12\.34$/);
  await w.waitForText('withdrawable', /^Up to \$12\.34 can be withdrawn now\.$/);
  await w.done();

  assert.equal((await api('GET', '/status/cust_demo?currency=USD')).body.wallet.balance, 12.34);
  assert.equal((await api('GET', '/status/cust_demo?currency=INR')).body.wallet.balance, inrBefore);

  // The support view shows either of the customer's wallets.
  const s = await openSupport(session);
  assert.match(await s.text('support-balance'), /^₹/);
  await s.page.getByTestId('support-currency').selectOption('USD');
  await s.waitForText('support-balance', /^\$12\.34$/);
  await s.done();
});
