// What the browser test files share: one backend and one Chromium per file, and pages opened in a
// fresh context (its own storage) at 390 px, with helpers over them.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, apiClient, chromium, freePort, startBackend, waitForMessage } from './backend.mjs';

// Before the file's tests: the backend started on a free port with `env` added, and Chromium
// launched; after them, Chromium closed. Returns the session, filled in by the time a test runs:
// {browser, base, signInUrl, adminToken, client} (client: the API as the demo customer).
export function backendAndBrowser(env) {
  const session = { browser: null, base: null, signInUrl: null, adminToken: null, client: null };
  before(async () => {
    assert.ok(fs.existsSync(path.join(ROOT, 'frontend', 'dist', 'index.html')), 'build the page first (make frontend-build)');
    const port = await freePort();
    const { signInUrl, adminToken } = await startBackend(port, env);
    Object.assign(session, { signInUrl, adminToken });
    assert.ok(adminToken, 'the backend printed an admin token');
    session.base = `http://127.0.0.1:${port}`;
    session.client = apiClient(session.base, new URL(signInUrl).searchParams.get('token'));
    session.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await session.browser?.close().catch(() => {});
  });
  return session;
}

// "₹1,250.00" -> 125000 (integer paise, so no float comparison)
export const toMinor = (text) => Math.round(Number(text.replace(/[^\d.]/g, '')) * 100);

// A fresh context (its own storage) at 390 px signed in as `url`'s holder, once `ready` holds in the
// page, with helpers over the page; done() checks nothing overflows and no error was thrown, and closes it.
export async function openPage(browser, url, ready) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(ready);
  const text = (id) => page.getByTestId(id).textContent();
  const done = async () => {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than a 390px screen`);
    assert.deepEqual(errors, [], 'no uncaught errors in the page');
    await context.close();
  };
  // Resolves once the element `id` says `pattern` (its text changes as the page reads the server again).
  const waitForText = (id, pattern) =>
    page.waitForFunction(
      ([testId, source]) => new RegExp(source).test(document.querySelector(`[data-testid="${testId}"]`)?.textContent || ''),
      [id, pattern.source],
    );
  return { page, text, done, waitForText, message: () => text('message'), waitForMessage: (p) => waitForMessage(page, p) };
}

// In the page: the wallet's balance is shown.
export const balanceShown = () => /\d/.test(document.querySelector('[data-testid="balance"]')?.textContent || '');

// The demo customer's wallet page, with readBalance() in integer paise.
export async function openWallet(session) {
  const w = await openPage(session.browser, session.signInUrl, balanceShown);
  w.readBalance = async () => toMinor(await w.text('balance'));
  return w;
}

// The support view (admin token) with the demo customer looked up.
export async function openSupport(session) {
  const s = await openPage(session.browser, `${session.base}/?token=${session.adminToken}`, () => Boolean(document.querySelector('[data-testid="support-customer"]')));
  await s.page.getByTestId('support-customer').fill('cust_demo');
  await s.page.getByTestId('support-lookup').click();
  await s.page.getByTestId('support-balance').waitFor();
  return s;
}
