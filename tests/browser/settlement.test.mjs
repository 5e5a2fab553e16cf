// Browser test of settlement reconciliation in the support view (SPEC §11), against the real backend
// (`python -m backend`: embedded store, simulator gateways, demo data) in Chromium via playwright-core,
// at 390 px: an admin opens the Settlement panel (yesterday, UTC, to begin with), asks for a Razorpay
// day with no activity and is told it is not settled yet, settles it now and sees zeros and no
// exceptions, and downloads its exceptions as CSV (the header row alone). Run: `make browser-test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { TIMEOUT_MS, apiClient, waitForMessage } from './backend.mjs';
import { backendAndBrowser } from './pages.mjs';

// Years before the demo data: no capture, refund or credit of Razorpay's settles on it.
const QUIET_DAY = '2020-01-15';

const session = backendAndBrowser({ RATE_LIMITS_ENABLED: 'false' });

const yesterdayUtc = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

test('an admin is told a quiet day is not settled yet, settles it now and sees zeros and no exceptions, and downloads its CSV', { timeout: TIMEOUT_MS }, async () => {
  const { api } = apiClient(session.base, session.adminToken);
  assert.equal((await api('GET', `/settlements?gateway=razorpay&date=${QUIET_DAY}`)).status, 404, 'the day starts unsettled');

  const context = await session.browser.newContext({ viewport: { width: 390, height: 844 }, acceptDownloads: true });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const text = (id) => page.getByTestId(id).textContent();
  const before = yesterdayUtc();
  await page.goto(`${session.base}/?token=${session.adminToken}`);
  await page.getByTestId('settlement').waitFor();
  assert.ok([before, yesterdayUtc()].includes(await page.getByTestId('settlement-date').inputValue()), 'the panel opens on yesterday (UTC)');
  // The gateways come from GET /gateways after the page opens: the first offered is chosen then.
  await page.waitForFunction(() => document.querySelector('[data-testid="settlement-gateway"]')?.value === 'razorpay');

  await page.getByTestId('settlement-date').fill(QUIET_DAY);
  await page.getByTestId('settlement-show').click();
  await page.getByTestId('settlement-not-settled').waitFor();
  assert.match(await text('settlement-not-settled'), new RegExp(`^Not settled yet: Razorpay's report for ${QUIET_DAY} has not been settled\\.`));
  assert.equal(await page.getByTestId('settlement-figures').count(), 0);

  await page.getByTestId('settlement-settle').click();
  await waitForMessage(page, new RegExp(`^Settled Razorpay's report for ${QUIET_DAY}: nothing needs a person\\.$`));
  assert.equal(await text('settlement-day'), `Razorpay, ${QUIET_DAY}`);
  for (const figure of ['captured', 'refunded', 'fees', 'tax', 'settled']) {
    assert.match(await text(`settlement-${figure}`), /₹0\.00/, figure);
  }
  assert.match(await text('settlement-matched'), /^Matched0 /);
  assert.equal(await text('settlement-summary'), 'No exceptions: everything in the report matches the ledger.');
  assert.equal(await page.getByTestId('settlement-exceptions').locator('li').count(), 0);
  assert.equal(await page.getByTestId('settlement-not-settled').count(), 0);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('settlement-csv').click()]);
  assert.equal(download.suggestedFilename(), `settlement-razorpay-${QUIET_DAY}.csv`);
  const csv = fs.readFileSync(await download.path(), 'utf8');
  assert.equal(csv.trim(), 'kind,status,payment_id,payment_order_id,gateway_amount,ledger_amount');

  const settled = await api('GET', `/settlements?gateway=razorpay&date=${QUIET_DAY}`);
  assert.equal(settled.status, 200);
  assert.deepEqual(
    [settled.body.captured, settled.body.refunded, settled.body.fees, settled.body.tax, settled.body.settled, settled.body.matched, settled.body.exceptions],
    [0, 0, 0, 0, 0, 0, []],
  );
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than a 390px screen`);
  assert.deepEqual(errors, [], 'no uncaught errors in the page');
  await context.close();
});
