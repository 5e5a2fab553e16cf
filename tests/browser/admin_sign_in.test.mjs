// The admin sign-in link `python -m backend` prints at start-up opens the support view, as the demo
// customer's link opens the wallet: the page takes the token from the address bar the same way.
// Run: `make browser-test`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, TIMEOUT_MS, chromium, freePort, startBackend } from './backend.mjs';

let browser = null;
let adminSignInUrl = null;

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'frontend', 'dist', 'index.html')), 'build the page first (make frontend-build)');
  ({ adminSignInUrl } = await startBackend(await freePort()));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close().catch(() => {});
});

test('the printed admin sign-in link opens the support view', { timeout: TIMEOUT_MS }, async () => {
  assert.ok(adminSignInUrl, 'the backend printed an admin sign-in link');
  const context = await browser.newContext();
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(adminSignInUrl);
  await page.getByTestId('support-customer').waitFor();
  assert.equal(new URL(page.url()).searchParams.get('token'), null, 'the token left the address bar');
  await page.getByTestId('support-customer').fill('cust_demo');
  await page.getByTestId('support-lookup').click();
  await page.getByTestId('support-balance').waitFor();
  assert.deepEqual(errors, [], 'no uncaught errors in the page');
  await context.close();
});
