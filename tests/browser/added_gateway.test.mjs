// Browser test: a gateway added to the deployment alone (tests/fixtures/acme_pay, named in
// GATEWAY_PACKAGES; nothing in backend/ or frontend/src names it) is offered by the web page under
// its label, and a top-up through its simulator page comes back, is verified with its own return
// fields and credited, as the server's GET /gateways describes it.
// Run: `make browser-test`, or `PY=.venv/bin/python node --test tests/browser/` after building frontend/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, TIMEOUT_MS, chromium, freePort, startBackend, waitForMessage } from './backend.mjs';

const PACKAGES = ['backend.gateways.razorpay', 'backend.gateways.paypal', 'backend.gateways.google_pay', 'tests.fixtures.acme_pay'];
let context = null;
let userDataDir = null;
let signInUrl = null;

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'frontend', 'dist', 'index.html')), 'build the page first (make frontend-build)');
  const port = await freePort();
  ({ signInUrl } = await startBackend(port, { GATEWAY_PACKAGES: PACKAGES.join(',') }));
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wallet-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  context.setDefaultTimeout(20_000);
});

after(async () => {
  await context?.close().catch(() => {});
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

const minor = (text) => Math.round(Number(text.replace(/[^\d.]/g, '')) * 100);

test('an added gateway: offered by its label, paid on its page, verified with its fields, credited', { timeout: TIMEOUT_MS }, async () => {
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const verifyCalls = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/integration/wallet/topup/verify') {
      verifyCalls.push(req.postDataJSON());
    }
  });
  await page.goto(signInUrl);
  await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="balance"]')?.textContent || ''));
  const start = minor(await page.getByTestId('balance').textContent());

  const options = await page.getByTestId('topup-method').locator('option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
  assert.deepEqual(options, [['razorpay', 'Razorpay'], ['paypal', 'PayPal'], ['google_pay', 'Google Pay'], ['acme_pay', 'Acme Pay']]);

  // Fail on its page: nothing credited, the address bar cleaned.
  await page.getByTestId('topup-amount').fill('12.34');
  await page.getByTestId('topup-method').selectOption('acme_pay');
  await page.getByTestId('topup-submit').click();
  await page.waitForURL((u) => u.pathname.startsWith('/simulator/acme-pay/checkout/'));
  await page.locator('#fail').click();
  await page.waitForURL((u) => u.pathname === '/');
  await waitForMessage(page, /did not go through/);
  assert.equal(new URL(page.url()).search, '', 'its failure values removed from the URL');

  // Pay on its page: back with its own return fields, verified with them, credited once.
  await page.getByTestId('topup-amount').fill('12.34');
  await page.getByTestId('topup-method').selectOption('acme_pay');
  await page.getByTestId('topup-submit').click();
  await page.waitForURL((u) => u.pathname.startsWith('/simulator/acme-pay/checkout/'));
  const orderId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
  await page.locator('#pay').click();
  await page.waitForURL((u) => u.pathname === '/');
  await waitForMessage(page, /Top-up successful: ₹12\.34 added/);
  assert.equal(new URL(page.url()).search, '', 'its return values removed from the URL');
  assert.equal(verifyCalls.length, 1);
  assert.deepEqual(Object.keys(verifyCalls[0]).sort(), ['order_id', 'payment_method', 'payment_ref', 'proof']);
  assert.equal(verifyCalls[0].order_id, orderId);
  assert.equal(verifyCalls[0].payment_method, 'acme_pay');
  await page.waitForFunction(
    ([want]) => Math.round(Number((document.querySelector('[data-testid="balance"]')?.textContent || '').replace(/[^\d.]/g, '')) * 100) === want,
    [start + 1234],
  );
  const topup = page.getByTestId('transactions').locator('li[data-kind="topup"]').first();
  assert.match(await topup.textContent(), new RegExp(`via Acme Pay ${orderId}`));
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  await page.close();
});
