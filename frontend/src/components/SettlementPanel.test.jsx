// The support view's Settlement panel (SPEC §11) in jsdom: the day shown first, a day not settled
// yet, a settled day's figures and exceptions (open ones first, in words), Settle now, the CSV.
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import integrationService from '../services/integrationService.js';
import { readGateways } from '../gateways.js';
import { BUILT_IN } from '../gateways.fixture.js';
import { saveCsv } from '../saveCsv.js';
import SupportView from './SupportView.jsx';
import { mountRoot, unmountRoot } from '../testing/mountedRoot';

vi.mock('../saveCsv.js', () => ({ saveCsv: vi.fn() }));

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

const GATEWAYS = readGateways({ gateways: BUILT_IN });
const QUIET = {
  success: true, gateway: 'razorpay', date: '2026-02-28', currency: 'INR',
  captured: 0, refunded: 0, fees: 0, tax: 0, settled: 0, matched: 0, exceptions: [],
};
const exception = (kind, status, paymentId, amounts = {}) => ({
  kind, status, payment_id: paymentId, payment_order_id: `po_${paymentId}`, gateway_amount: null, ledger_amount: null, ...amounts,
});
const BUSY_DAY = {
  ...QUIET,
  captured: 300, refunded: 50, fees: 6, tax: 1.08, settled: 242.92, matched: 3,
  exceptions: [
    exception('captured_not_credited', 'resolved', 'pay_1', { gateway_amount: 100 }),
    exception('amount_mismatch', 'open', 'pay_2', { gateway_amount: 120, ledger_amount: 100 }),
    exception('refund_not_applied', 'resolved', 'pay_3', { gateway_amount: 50 }),
    exception('unknown_payment', 'open', 'pay_4', { gateway_amount: 80 }),
  ],
};
const notSettled = () => Object.assign(new Error('This day has not been settled yet.'), { code: 'not_settled', status: 404 });

let container;
let root;
const $ = (testId) => container.querySelector(`[data-testid="${testId}"]`);
const text = (testId) => $(testId)?.textContent;
const click = (testId) => act(async () => $(testId).click());
const show = () => act(async () => $('settlement-show').closest('form').requestSubmit());
async function change(testId, value) {
  const element = $(testId);
  const proto = element instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  await act(async () => {
    Object.getOwnPropertyDescriptor(proto, 'value').set.call(element, value);
    element.dispatchEvent(new Event(element instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
  });
}

async function renderSupport() {
  const setMessage = vi.fn();
  const run = async (action) => {
    try {
      await action();
    } catch (err) {
      setMessage({ kind: 'error', text: err.message });
    }
  };
  await act(async () => root.render(<SupportView busy={false} run={run} setMessage={setMessage} onError={setMessage} gateways={GATEWAYS} />));
  return { setMessage };
}

beforeEach(() => {
  vi.restoreAllMocks();
  vi.mocked(saveCsv).mockClear();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-03-01T00:30:00Z'));
  ({ container, root } = mountRoot());
});
afterEach(() => {
  unmountRoot({ container, root });
  vi.useRealTimers();
});

describe('the Settlement panel', () => {
  it("is in the support view before any customer is looked up, on the server's first gateway and yesterday (UTC)", async () => {
    await renderSupport();
    expect($('settlement')).not.toBeNull();
    expect($('settlement-gateway').value).toBe('razorpay');
    expect([...$('settlement-gateway').options].map((o) => o.value)).toEqual(['razorpay', 'paypal']); // not Google Pay
    expect($('settlement-date').value).toBe('2026-02-28');
  });

  it('says a day not settled yet is not settled, with no figures and no error', async () => {
    const { setMessage } = await renderSupport();
    const getSettlement = vi.spyOn(integrationService, 'getSettlement').mockRejectedValue(notSettled());
    await show();
    expect(getSettlement).toHaveBeenCalledWith('razorpay', '2026-02-28');
    expect(text('settlement-not-settled')).toMatch(/^Not settled yet: Razorpay's report for 2026-02-28 has not been settled\./);
    expect($('settlement-figures')).toBeNull();
    expect(setMessage).not.toHaveBeenCalledWith(expect.objectContaining({ kind: 'error' }));
  });

  it("shows the chosen gateway's day: its figures, then its exceptions, open ones first, in words", async () => {
    await renderSupport();
    const getSettlement = vi.spyOn(integrationService, 'getSettlement').mockResolvedValue({ ...BUSY_DAY, gateway: 'paypal', date: '2026-02-20' });
    await change('settlement-gateway', 'paypal');
    await change('settlement-date', '2026-02-20');
    await show();
    expect(getSettlement).toHaveBeenCalledWith('paypal', '2026-02-20');
    expect(text('settlement-day')).toBe('PayPal, 2026-02-20');
    expect(['captured', 'refunded', 'fees', 'tax', 'settled', 'matched'].map((f) => text(`settlement-${f}`).split(' ')[0])).toEqual([
      'Captured₹300.00', 'Refunded₹50.00', 'Fees₹6.00', 'Tax₹1.08', 'Settled₹242.92', 'Matched3',
    ]);
    expect(text('settlement-summary')).toBe('2 exceptions need a person · 2 healed automatically.');
    const rows = [...$('settlement-exceptions').querySelectorAll('li')];
    expect(rows.map((li) => [li.dataset.kind, li.dataset.status])).toEqual([
      ['amount_mismatch', 'open'], ['unknown_payment', 'open'], ['captured_not_credited', 'resolved'], ['refund_not_applied', 'resolved'],
    ]);
    expect(rows[0].textContent).toMatch(/amount differs.*Needs a person.*Payment pay_2 · top-up po_pay_2 · gateway ₹120\.00 · wallet ₹100\.00$/);
    expect(rows[2].textContent).toMatch(/never credited\..*Healed automatically/);
  });

  it('says a day settled below zero with a minus sign, as the ledger says money out', async () => {
    await renderSupport();
    const refundDay = { ...QUIET, captured: 0, refunded: 10, fees: 1.5, tax: 0.3, settled: -11.8 };
    vi.spyOn(integrationService, 'getSettlement').mockResolvedValue(refundDay);
    await show();
    expect(text('settlement-settled').split(' ')[0]).toBe('Settled−₹11.80');
  });

  it('says how many rows of the report could not be read', async () => {
    await renderSupport();
    const unreadable = { kind: 'unreadable_rows', status: 'open', payment_id: null, payment_order_id: null, gateway_amount: null, ledger_amount: null, rows: 3 };
    vi.spyOn(integrationService, 'getSettlement').mockResolvedValue({ ...QUIET, exceptions: [unreadable] });
    await show();
    const row = $('settlement-exceptions').querySelector('li');
    expect(row.dataset.kind).toBe('unreadable_rows');
    expect(row.textContent).toMatch(/could not be read.*Needs a person.*3 rows unread$/);
  });

  it('Settle now settles the day and shows it: a quiet day is zeros and no exceptions', async () => {
    const { setMessage } = await renderSupport();
    const settleDay = vi.spyOn(integrationService, 'settleDay').mockResolvedValue(QUIET);
    await click('settlement-settle');
    expect(settleDay).toHaveBeenCalledWith('razorpay', '2026-02-28');
    expect(text('settlement-settled')).toMatch(/^Settled₹0\.00/);
    expect(text('settlement-matched')).toMatch(/^Matched0/);
    expect(text('settlement-summary')).toBe('No exceptions: everything in the report matches the ledger.');
    expect($('settlement-exceptions').children).toHaveLength(0);
    expect(setMessage).toHaveBeenLastCalledWith({ kind: 'success', text: "Settled Razorpay's report for 2026-02-28: nothing needs a person." });
  });

  it('Settle now says how many exceptions need a person', async () => {
    const { setMessage } = await renderSupport();
    vi.spyOn(integrationService, 'settleDay').mockResolvedValue(BUSY_DAY);
    await click('settlement-settle');
    expect(setMessage).toHaveBeenLastCalledWith({ kind: 'error', text: "Settled Razorpay's report for 2026-02-28: 2 exceptions need a person." });
  });

  it('downloads the shown day as CSV under the name the API gives it', async () => {
    await renderSupport();
    vi.spyOn(integrationService, 'getSettlement').mockResolvedValue(QUIET);
    const download = vi.spyOn(integrationService, 'downloadSettlementCsv').mockResolvedValue({ text: 'kind\r\n', filename: 'settlement-razorpay-2026-02-28.csv' });
    expect($('settlement-csv')).toBeNull(); // nothing shown, nothing to download
    await show();
    await click('settlement-csv');
    expect(download).toHaveBeenCalledWith('razorpay', '2026-02-28');
    expect(saveCsv).toHaveBeenCalledWith('kind\r\n', 'settlement-razorpay-2026-02-28.csv');
  });

  it('another day chosen hides the figures shown, so they are never read as that day', async () => {
    await renderSupport();
    vi.spyOn(integrationService, 'getSettlement').mockResolvedValue(QUIET);
    await show();
    expect($('settlement-figures')).not.toBeNull();
    await change('settlement-date', '2026-02-27');
    expect($('settlement-figures')).toBeNull();
  });

  it("a refusal of the server is the message, nothing shown", async () => {
    const { setMessage } = await renderSupport();
    const refusal = Object.assign(new Error('`gateway` must be one of: razorpay.'), { code: 'invalid_request', status: 400 });
    vi.spyOn(integrationService, 'getSettlement').mockRejectedValue(refusal);
    await change('settlement-gateway', 'paypal');
    await show();
    expect(setMessage).toHaveBeenLastCalledWith({ kind: 'error', text: refusal.message });
    expect($('settlement-figures')).toBeNull();
    expect($('settlement-not-settled')).toBeNull();
  });
});
