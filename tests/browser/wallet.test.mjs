// Browser test of the wallet page against the real backend (`python -m backend`,
// embedded store, simulator gateways) in Debian's Chromium via playwright-core:
// one backend and one browser for the file, one test per gateway (Razorpay with the
// order payments, then PayPal, then Google Pay), each in its own tab.
// Run: `make browser-test`, or `PY=.venv/bin/python node --test tests/browser/`
// after `npm ci && npm run build` in frontend/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CHROMIUM, CHROMIUM_ARGS, ROOT, TIMEOUT_MS, chromium, freePort, startBackend, waitForMessage as waitForPageMessage,
} from './backend.mjs';

const SCREENSHOT = path.join(ROOT, 'docs', 'screenshot-wallet.png');
let context = null;
let userDataDir = null;

after(async () => {
  await context?.close().catch(() => {});
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

// "₹1,250.00" -> 125000 (integer paise, so no float comparison)
const toMinor = (text) => Math.round(Number(text.replace(/[^\d.]/g, '')) * 100);

let signInUrl = null;
let token = null;
let base = null;

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'frontend', 'dist', 'index.html')), 'build the page first (make frontend-build)');
  const port = await freePort();
  ({ signInUrl } = await startBackend(port));
  base = `http://127.0.0.1:${port}`;
  token = new URL(signInUrl).searchParams.get('token');
  console.log(`backend on port ${port}`);

  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wallet-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 390, height: 844 }, // phone-sized
  });
  context.setDefaultTimeout(20_000);
});

// A fresh tab signed in with the printed link, with helpers over the page.
async function openWallet() {
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const balance = page.getByTestId('balance');
  const message = page.getByTestId('message');
  const readBalance = async () => toMinor(await balance.textContent());
  const waitForBalance = (minor) =>
    page.waitForFunction(
      ([want]) => {
        const text = document.querySelector('[data-testid="balance"]')?.textContent || '';
        return /\d/.test(text) && Math.round(Number(text.replace(/[^\d.]/g, '')) * 100) === want;
      },
      [minor],
    );
  const waitForMessage = (pattern) => waitForPageMessage(page, pattern);
  await page.goto(signInUrl);
  await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="balance"]')?.textContent || ''));
  return { page, pageErrors, balance, message, readBalance, waitForBalance, waitForMessage };
}

// Calls the page makes to POST /wallet/topup/verify, with their JSON bodies.
function recordVerifyCalls(page) {
  const bodies = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/integration/wallet/topup/verify') {
      bodies.push(req.postDataJSON());
    }
  });
  return bodies;
}

test('wallet page: sign in, Razorpay top-up through the simulator, pay an order', { timeout: TIMEOUT_MS }, async (t) => {
  const { page, pageErrors, balance, message, readBalance, waitForBalance, waitForMessage } = await openWallet();
  // Signed in with the printed link: the token is kept and taken out of the URL.
  assert.equal(new URL(page.url()).search, '', 'token removed from the address bar');
  assert.equal(await page.evaluate(() => localStorage.getItem('wallet_token')), token);
  const start = await readBalance();
  t.diagnostic(`starting balance ${await balance.textContent()}`);

  // A failed checkout: message shown, balance unchanged.
  await page.getByTestId('topup-amount').fill('100');
  await page.getByTestId('topup-submit').click();
  await page.waitForURL(/\/simulator\/razorpay\/checkout\//);
  await page.locator('#fail').click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.waitForFunction(() => document.querySelector('[data-testid="message"]')?.classList.contains('error'));
  assert.match(await message.textContent(), /did not go through/);
  await waitForBalance(start);
  assert.equal(new URL(page.url()).search, '', 'payment_error removed from the URL');

  // Top up 500 through the simulator's checkout page.
  await page.getByTestId('topup-amount').fill('500');
  await page.getByTestId('topup-method').selectOption('razorpay');
  await page.getByTestId('topup-submit').click();
  await page.waitForURL(/\/simulator\/razorpay\/checkout\//);
  await page.locator('#pay').click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.waitForFunction(() => /Top-up successful/.test(document.querySelector('[data-testid="message"]')?.textContent));
  await waitForBalance(start + 50_000);
  assert.equal(new URL(page.url()).search, '', 'razorpay values removed from the URL');
  const topup = page.getByTestId('transactions').locator('li[data-kind="topup"]').first();
  assert.match(await topup.textContent(), /\+₹500\.00/);

  // Pay the demo order from the wallet: its Pay button in the list of pending orders, then a
  // confirmation that says what will be paid; Back leaves it unpaid, Confirm pays.
  await page.getByTestId('pay-ord_demo_1').click();
  assert.match(await page.getByTestId('pay-confirmation').textContent(), /Pay ₹250\.00 from your wallet for order ord_demo_1\?/);
  await page.getByTestId('pay-back').click();
  assert.equal(await page.getByTestId('pay-confirmation').count(), 0);
  assert.equal(await readBalance(), start + 50_000, 'nothing paid without confirming');
  await page.getByTestId('pay-ord_demo_1').click();
  await page.getByTestId('pay-confirm').click();
  await page.waitForFunction(() => /ord_demo_1 paid/.test(document.querySelector('[data-testid="message"]')?.textContent));
  await waitForBalance(start + 50_000 - 25_000);
  const newest = page.getByTestId('transactions').locator('li').first();
  assert.equal(await newest.getAttribute('data-kind'), 'payment');
  assert.match(await newest.textContent(), /ord_demo_1/);
  assert.match(await newest.textContent(), /−₹250\.00/);

  // Phone-sized: nothing wider than the screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than a 390px screen`);
  // docs/screenshot-wallet.png is tracked: only `make screenshot` (WALLET_SCREENSHOT=1) rewrites it.
  if (process.env.WALLET_SCREENSHOT === '1') {
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    t.diagnostic(`screenshot: ${path.relative(ROOT, SCREENSHOT)}`);
  }

  // A paid order leaves the list of orders to pay.
  await page.waitForFunction(() => !document.querySelector('[data-testid="pay-ord_demo_1"]'));
  assert.equal(await readBalance(), start + 25_000);

  // More than the wallet holds: ord_demo_3 is 999.00.
  assert.ok(start + 25_000 < 99_900, 'the demo customer must start with less than 749.00 for this step');
  await page.getByTestId('pay-ord_demo_3').click();
  await page.getByTestId('pay-confirm').click();
  await page.waitForFunction(() => /Not enough money/.test(document.querySelector('[data-testid="message"]')?.textContent));
  assert.equal(await readBalance(), start + 25_000);

  // Server unreachable: a clear network message.
  await page.route('**/api/integration/**', (route) => route.abort('connectionrefused'));
  await page.reload();
  await page.waitForFunction(() => /Cannot reach the server/.test(document.querySelector('[data-testid="message"]')?.textContent));
  await page.unroute('**/api/integration/**');

  // A token the server does not accept (forged signature): asked to sign in again. It is stored
  // from a same-origin page without the wallet's code: the wallet page above may still have calls
  // to make (the unroute lets a held one through, and the refresh after it follows), each reading
  // the token as it goes; one sent with the forged token is refused and signs that page out,
  // taking the token out of storage before the reload could read it.
  await page.goto(`${base}/api/integration/health`);
  await page.evaluate((t) => localStorage.setItem('wallet_token', t), token.replace(/\.[^.]+$/, '.forged'));
  await page.goto(`${base}/`);
  await waitForMessage(/sign-in is not valid/);
  assert.equal(await page.getByTestId('topup-amount').count(), 0, 'no forms without a valid sign-in');

  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  await page.close();
});

// A failed checkout, then a successful one, through `method`'s simulator page.
async function failThenPay(t, w, { method, label, checkoutPath, amount }) {
  const { page, message, readBalance, waitForBalance, waitForMessage } = w;
  const start = await readBalance();
  const minor = toMinor(amount);
  t.diagnostic(`${label}: starting balance ${start / 100}`);

  // Fail on the simulator: an error message, the balance unchanged, the URL cleaned.
  await page.getByTestId('topup-amount').fill(amount);
  await page.getByTestId('topup-method').selectOption(method);
  await page.getByTestId('topup-submit').click();
  await page.waitForURL((u) => u.pathname.startsWith(checkoutPath));
  await page.locator('#fail').click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.waitForFunction(() => document.querySelector('[data-testid="message"]')?.classList.contains('error'));
  assert.match(await message.textContent(), /did not go through/);
  await waitForBalance(start);
  assert.equal(new URL(page.url()).search, '', `${label} failure values removed from the URL`);

  // Pay on the simulator: the balance rises by exactly the amount.
  await page.getByTestId('topup-amount').fill(amount);
  await page.getByTestId('topup-method').selectOption(method);
  await page.getByTestId('topup-submit').click();
  await page.waitForURL((u) => u.pathname.startsWith(checkoutPath));
  const paymentOrderId = decodeURIComponent(new URL(page.url()).pathname.slice(checkoutPath.length));
  await page.locator('#pay').click();
  await page.waitForURL((u) => u.pathname === '/');
  await waitForMessage(/Top-up successful/);
  await waitForBalance(start + minor);
  assert.equal(new URL(page.url()).search, '', `${label} return values removed from the URL`);
  const topup = page.getByTestId('transactions').locator('li[data-kind="topup"]').first();
  const text = await topup.textContent();
  assert.match(text, new RegExp(`via ${label} ${paymentOrderId}`));
  assert.ok(text.includes(`+₹${amount}`), `newest top-up shows +₹${amount}: ${text}`);

  // Reloading the page does not confirm the payment again.
  await page.reload();
  await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="balance"]')?.textContent || ''));
  assert.equal(await readBalance(), start + minor);
  assert.equal(await message.textContent(), '');
  return paymentOrderId;
}

// Back to the simulator's page of a credited top-up and Pay again: nothing is added, and the page
// says the top-up was credited before, never "Top-up successful".
async function payAgain(w, checkoutUrl, said) {
  const { page, readBalance, waitForMessage } = w;
  const before = await readBalance();
  await page.goto(checkoutUrl);
  await page.locator('#pay').click();
  await page.waitForURL((u) => u.pathname === '/');
  await waitForMessage(said);
  assert.doesNotMatch(await w.message.textContent(), /Top-up successful/);
  assert.equal(await readBalance(), before);
}

test('wallet page: PayPal top-up through the simulator (verify captures)', { timeout: TIMEOUT_MS }, async (t) => {
  const w = await openWallet();
  const verifyCalls = recordVerifyCalls(w.page);
  const orderId = await failThenPay(t, w, {
    method: 'paypal',
    label: 'PayPal',
    checkoutPath: '/simulator/paypal/checkout/',
    amount: '123.45',
  });
  assert.deepEqual(verifyCalls, [{ order_id: orderId, payment_method: 'paypal' }], 'one verify, PayPal-shaped');
  await payAgain(w, `${base}/simulator/paypal/checkout/${orderId}`, /already credited .*nothing more was added/);
  assert.deepEqual(w.pageErrors, [], 'no uncaught errors in the page');
  await w.page.close();
});

test('wallet page: while a PayPal return is confirmed, the history shows as loading, not empty', { timeout: TIMEOUT_MS }, async () => {
  const w = await openWallet();
  const { page } = w;
  assert.ok((await page.getByTestId('transactions').locator('li').count()) > 0, 'the customer has history by now');
  await page.getByTestId('topup-amount').fill('5.00');
  await page.getByTestId('topup-method').selectOption('paypal');
  await page.getByTestId('topup-submit').click();
  await page.waitForURL((u) => u.pathname.startsWith('/simulator/paypal/checkout/'));
  let release = null;
  const held = new Promise((r) => (release = r));
  await page.route('**/api/integration/wallet/topup/verify', async (route) => {
    await held; // verify answers only once the page has been looked at
    await route.continue();
  });
  await page.locator('#pay').click();
  await page.waitForURL((u) => u.pathname === '/');
  await w.waitForMessage(/Confirming your payment/);
  await page.getByTestId('transactions-loading').waitFor();
  assert.equal(await page.getByText('No transactions yet.').count(), 0, 'never "No transactions yet." for a customer with history');
  release();
  await w.waitForMessage(/Top-up successful: ₹5\.00 added/);
  await page.getByTestId('transactions').locator('li').first().waitFor();
  assert.equal(await page.getByTestId('transactions-loading').count(), 0);
  await page.unroute('**/api/integration/wallet/topup/verify');
  assert.deepEqual(w.pageErrors, [], 'no uncaught errors in the page');
  await page.close();
});

test('wallet page: the statement is saved under the name the API gives it', { timeout: TIMEOUT_MS }, async () => {
  const w = await openWallet();
  const download = w.page.waitForEvent('download');
  await w.page.getByTestId('download-statement').click();
  assert.equal((await download).suggestedFilename(), 'statement-cust_demo-INR.csv');
  assert.deepEqual(w.pageErrors, [], 'no uncaught errors in the page');
  await w.page.close();
});

test('wallet page: Google Pay top-up through the simulator (no verify)', { timeout: TIMEOUT_MS }, async (t) => {
  const w = await openWallet();
  const verifyCalls = recordVerifyCalls(w.page);
  const orderId = await failThenPay(t, w, {
    method: 'google_pay',
    label: 'Google Pay',
    checkoutPath: '/simulator/google-pay/checkout/',
    amount: '67.89',
  });
  assert.deepEqual(verifyCalls, [], 'Google Pay is credited by its token, never verified');
  await payAgain(w, `${base}/simulator/google-pay/checkout/${orderId}`, /already credited .*second payment was not charged/);
  assert.deepEqual(w.pageErrors, [], 'no uncaught errors in the page');
  await w.page.close();
});
