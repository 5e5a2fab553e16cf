// Browser tests of the wallet page that never leaves its user guessing, at a desktop size and at
// 390 px: pending orders with a Pay button, older history entries and the CSV statement; a refused
// token or a bad sign-in link; what the return pages say. Against the real backend (`python -m
// backend`: embedded store, simulator gateways, demo data) in Chromium via playwright-core.
// The support view's tests are in support.test.mjs. Run: `make browser-test`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  CHROMIUM, CHROMIUM_ARGS, ROOT, TIMEOUT_MS, apiClient, chromium, freePort, startBackend, waitForMessage as waitForPageMessage,
} from './backend.mjs';

let adminToken = null;
let browser = null;

after(async () => {
  await browser?.close().catch(() => {});
});

// One backend (embedded store, simulators, demo data) for the file, a fresh browser context per test.
const toMinor = (text) => Math.round(Number(text.replace(/[^\d.]/g, '')) * 100);
const VIEWPORTS = [
  ['desktop', { width: 1280, height: 900 }],
  ['390px', { width: 390, height: 844 }],
];
let base = null;
let signInUrl = null;
let token = null;

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'frontend', 'dist', 'index.html')), 'build the page first (make frontend-build)');
  const port = await freePort();
  ({ signInUrl, adminToken } = await startBackend(port, { RATE_LIMITS_ENABLED: 'false' })); // the history test tops up 21 times a minute
  base = `http://127.0.0.1:${port}`;
  token = new URL(signInUrl).searchParams.get('token');
  assert.ok(adminToken, 'the backend printed an admin token');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

// Top-ups as the demo customer, paid on the Razorpay simulator without any browser.
const topUpByApi = (amount) => apiClient(base, token).topUpByApi(amount);

async function newPage(viewport) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const text = (id) => page.getByTestId(id).textContent();
  const waitForMessage = (pattern) => waitForPageMessage(page, pattern);
  const waitForBalance = () => page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="balance"]')?.textContent || ''));
  const readBalance = async () => toMinor(await text('balance'));
  const noOverflow = async () => {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the window`);
  };
  const done = async () => {
    assert.deepEqual(errors, [], 'no uncaught errors in the page');
    await context.close();
  };
  return { page, context, text, waitForMessage, waitForBalance, readBalance, noOverflow, done };
}

for (const [name, viewport] of VIEWPORTS) {
  test(`${name}: pending orders with a Pay button; older entries; CSV`, { timeout: TIMEOUT_MS }, async () => {
    const w = await newPage(viewport);
    const bodies = [];
    w.page.on('request', (r) => r.url().endsWith('/order/pay-with-wallet') && bodies.push(r.postDataJSON()));
    await w.page.goto(signInUrl);
    await w.waitForBalance();
    const list = w.page.getByTestId('pending-orders');
    await list.locator('li[data-order-id="ord_demo_3"]').waitFor();
    assert.match(await list.textContent(), /ord_demo_3.*₹999\.00/);
    // ord_demo_3 costs more than the wallet holds (999.00): refused, the amount and currency sent were the order's.
    assert.ok((await w.readBalance()) < 99_900, 'these tests run first, before the wallet holds 999.00');
    await w.page.getByTestId('pay-ord_demo_3').click();
    await w.page.getByTestId('pay-confirm').click();
    await w.waitForMessage(/Not enough money/);
    assert.deepEqual(bodies.at(-1), { order_id: 'ord_demo_3', customer_id: 'cust_demo', amount: '999.00', currency: 'INR' });
    if (name === 'desktop') {
      // One that fits: paid with its own amount, and it leaves the list.
      await topUpByApi('250.00');
      await w.page.reload();
      await w.waitForBalance();
      const start = await w.readBalance();
      await w.page.getByTestId('pay-ord_demo_1').click();
      await w.page.getByTestId('pay-confirm').click();
      await w.waitForMessage(/Order ord_demo_1 paid/);
      assert.deepEqual(bodies.at(-1), { order_id: 'ord_demo_1', customer_id: 'cust_demo', amount: '250.00', currency: 'INR' });
      await w.page.waitForFunction(() => !document.querySelector('[data-testid="pay-ord_demo_1"]'));
      // The orders and the balance are read again side by side: the order may leave the list first.
      await w.page.waitForFunction(
        (want) => Math.round(Number(document.querySelector('[data-testid="balance"]').textContent.replace(/[^\d.]/g, '')) * 100) === want,
        start - 25_000,
      );
    }
    // History: more than 20 entries make a second page, loaded on demand, newest first.
    for (let i = 0; i < 21; i += 1) await topUpByApi('1.00');
    await w.page.reload();
    await w.waitForBalance();
    const rows = w.page.getByTestId('transactions').locator('li');
    await w.page.waitForFunction(() => document.querySelectorAll('[data-testid="transactions"] li').length === 20);
    await w.page.getByTestId('load-older').click();
    await w.page.waitForFunction(() => document.querySelectorAll('[data-testid="transactions"] li').length > 20);
    assert.ok((await rows.count()) > 20);
    const download = w.page.waitForEvent('download');
    await w.page.getByTestId('download-statement').click();
    const csv = fs.readFileSync(await (await download).path(), 'utf8');
    assert.match(csv.split('\r\n')[0], /^date,transaction_id,type,kind,amount,currency,balance_after/);
    assert.match(csv, /,credit,topup,1\.00,INR,/);
    await w.noOverflow();
    await w.done();
  });

}

for (const [name, viewport] of VIEWPORTS) {
  test(`${name}: a refused token or a bad link leaves no forms, no placeholder values`, { timeout: TIMEOUT_MS }, async () => {
    const w = await newPage(viewport);
    // 4: a link that is no sign-in, opened signed out: said so, and removed from the address bar.
    await w.page.goto(`${base}/?token=garbage`);
    await w.waitForMessage(/sign-in link is not valid/);
    assert.equal(new URL(w.page.url()).search, '');
    assert.equal(await w.page.getByTestId('topup-amount').count(), 0);
    // 6: signed in, the amount field is empty and has no grey value in it.
    await w.page.goto(signInUrl);
    await w.waitForBalance();
    assert.equal(await w.page.getByTestId('topup-amount').getAttribute('placeholder'), null);
    assert.equal(await w.page.getByTestId('topup-amount').inputValue(), '');
    // 4 again, signed in: the bad link is explained, the sign-in kept.
    await w.page.goto(`${base}/?token=eyJhbGciOi.cut`);
    await w.waitForMessage(/sign-in link is not valid/);
    await w.waitForBalance();
    assert.equal(new URL(w.page.url()).search, '');
    // 1: a tampered token: signed out, no top-up or pay forms, no "…" balance.
    await w.page.evaluate((t) => localStorage.setItem('wallet_token', t), token.replace(/\.[^.]+$/, '.tampered'));
    await w.page.reload();
    await w.waitForMessage(/sign-in is not valid/);
    assert.equal(await w.page.getByTestId('topup-amount').count(), 0);
    assert.equal(await w.page.getByTestId('pending-orders').count(), 0);
    assert.equal(await w.page.getByTestId('balance').count(), 0);
    assert.equal(await w.page.evaluate(() => localStorage.getItem('wallet_token')), null);
    await w.noOverflow();
    await w.done();
  });

  test(`${name}: return pages say what happened`, { timeout: TIMEOUT_MS }, async () => {
    const w = await newPage(viewport);
    await w.page.goto(signInUrl);
    await w.waitForBalance();
    const start = await w.readBalance();

    // 7: the simulator shows money as the page does, and has a way back (a cancelled payment).
    await w.page.getByTestId('topup-amount').fill('1000');
    await w.page.getByTestId('topup-submit').click();
    await w.page.waitForURL(/\/simulator\/razorpay\/checkout\//);
    const checkout = w.page.url();
    assert.equal(await w.page.locator('#amount').textContent(), '₹1,000.00');
    await w.page.locator('#back').click();
    await w.page.waitForURL((u) => u.pathname === '/');
    await w.waitForMessage(/cancelled\. Nothing was added/);
    assert.equal(new URL(w.page.url()).search, '');

    // 2: paying in a browser that is not signed in: told so, the address bar tidied, and once
    // signed in the page confirms the credit.
    await w.page.evaluate(() => localStorage.removeItem('wallet_token'));
    await w.page.goto(checkout);
    await w.page.locator('#pay').click();
    await w.page.waitForURL((u) => u.pathname === '/');
    await w.waitForMessage(/not signed in.*sign-in link/);
    assert.equal(new URL(w.page.url()).search, '', 'razorpay values removed from the address bar');
    assert.equal(await w.page.getByTestId('topup-amount').count(), 0);
    await w.page.goto(signInUrl);
    await w.waitForMessage(/Top-up successful: ₹1,000\.00 added/);
    assert.equal(await w.readBalance(), start + 100_000);

    // 3: Pay again on the same checkout: nothing new is credited, and the page says so.
    await w.page.goto(checkout);
    await w.page.locator('#pay').click();
    await w.page.waitForURL((u) => u.pathname === '/');
    await w.waitForMessage(/already credited .*second payment added nothing/);
    assert.equal(await w.readBalance(), start + 100_000);
    // 3: Fail on the credited top-up: the earlier credit stands, and the page says so.
    await w.page.goto(checkout);
    await w.page.locator('#fail').click();
    await w.page.waitForURL((u) => u.pathname === '/');
    await w.waitForMessage(/already credited .*this attempt changed nothing/);
    assert.equal(await w.readBalance(), start + 100_000);
    assert.equal(new URL(w.page.url()).search, '');
    await w.noOverflow();
    await w.done();
  });
}
