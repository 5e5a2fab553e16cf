// The support view's wallet figures, its Withdraw for the customer, and (simulator mode) the
// gateways' side of each credited top-up, in jsdom.
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import integrationService from '../services/integrationService.js';
import { readGateways } from '../gateways.js';
import { BUILT_IN } from '../gateways.fixture.js';
import SupportView from './SupportView.jsx';
import { mountRoot, unmountRoot } from '../testing/mountedRoot';

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

const DASHBOARDS = {
  razorpay: { refund: true, reverse: false, dispute: true },
  paypal: { refund: true, reverse: true, dispute: true },
};
const SIMULATOR = readGateways({ gateways: BUILT_IN.map((g) => (DASHBOARDS[g.name] ? { ...g, simulator_dashboard: DASHBOARDS[g.name] } : g)) });
const LIVE = readGateways({ gateways: BUILT_IN });

const topup = (gateway, paymentId, amount) => ({
  transaction_id: `txn_${paymentId}`,
  kind: 'topup',
  type: 'credit',
  amount,
  currency: 'INR',
  created_at: '2026-01-01T10:00:00Z',
  reference: { gateway, gateway_payment_id: paymentId, payment_order_id: `po_${paymentId}` },
});
const lookup = (transactions, wallet = {}) => ({
  success: true,
  customer_id: 'cust_1',
  wallet: { customer_id: 'cust_1', balance: 300, held: 0, available: 300, debt: 0, currency: 'INR', ...wallet },
  statistics: { topup_count: 2, payment_count: 0, refund_count: 0 },
  transactions,
  next_before: null,
  orders: [],
  webhooks: [],
  webhooks_next_before: null,
  audit: [],
  audit_next_before: null,
});
const LEDGER = [topup('razorpay', 'pay_1', 200), topup('paypal', 'CAP1', 100), topup('google_pay', 'gp_1', 50)];

let container;
let root;
const $ = (testId) => container.querySelector(`[data-testid="${testId}"]`);
const click = (testId) => act(async () => $(testId).click());
async function type(testId, text) {
  const input = $(testId);
  const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  await act(async () => {
    setValue.call(input, text);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

async function renderSupport(gateways, answers) {
  const supportLookup = vi.spyOn(integrationService, 'supportLookup');
  answers.forEach((a) => supportLookup.mockResolvedValueOnce(a));
  supportLookup.mockResolvedValue(answers[answers.length - 1]);
  vi.spyOn(integrationService, 'getWithdrawable').mockResolvedValue({ available: 300, refundable: 350, withdrawable: 300, currency: 'INR' });
  const setMessage = vi.fn();
  const run = async (action) => {
    try {
      await action();
    } catch (err) {
      setMessage({ kind: 'error', text: err.message });
    }
  };
  await act(async () => root.render(<SupportView busy={false} run={run} setMessage={setMessage} onError={setMessage} gateways={gateways} />));
  await type('support-customer', 'cust_1');
  await act(async () => $('support-lookup').closest('form').requestSubmit());
  return { setMessage, supportLookup };
}

beforeEach(() => {
  vi.restoreAllMocks();
  sessionStorage.clear();
  ({ container, root } = mountRoot());
});
afterEach(() => unmountRoot({ container, root }));

describe('the support view', () => {
  it("shows the customer's held money, debt and available money", async () => {
    await renderSupport(LIVE, [lookup(LEDGER, { held: 100, available: 200, debt: 5 })]);
    expect($('support-held').textContent).toMatch(/^On hold₹100\.00/);
    expect($('support-debt').textContent).toMatch(/^Owed₹5\.00 .*the customer's next top-up pays it first$/);
    expect($('support-available').textContent).toMatch(/^Available₹200\.00/);
  });

  it('withdraws for the customer, then reads the customer again', async () => {
    const { setMessage, supportLookup } = await renderSupport(LIVE, [lookup(LEDGER)]);
    const withdraw = vi.spyOn(integrationService, 'withdraw').mockResolvedValue({
      withdrawal_id: 'wdr_1', status: 'completed', amount: 50, currency: 'INR',
      refunds: [{ gateway: 'razorpay', payment_id: 'pay_1', payment_order_id: 'po_pay_1', amount: 50, status: 'processed' }],
    });
    expect($('withdrawable').textContent).toBe('Up to ₹300.00 can be withdrawn now.');
    await type('withdraw-amount', '50');
    await act(async () => $('withdraw-review').closest('form').requestSubmit());
    expect($('withdraw-confirmation').textContent).toMatch(/to the payment methods of cust_1's top-ups\?/);
    await click('withdraw-confirm');
    expect(withdraw).toHaveBeenCalledWith('cust_1', '50', 'INR');
    expect(setMessage).toHaveBeenLastCalledWith({ kind: 'success', text: 'Withdrawal complete: ₹50.00 refunded (₹50.00 to Razorpay).' });
    expect(supportLookup).toHaveBeenCalledTimes(2);
  });

  it("lists an audit entry's amount, debt and what the cap cut in its own currency", async () => {
    const chargeback = {
      event: 'wallet.chargeback', outcome: 'ok', created_at: '2026-12-01T10:00:00Z', reason: 'payment.dispute.lost',
      amount: 500, debt: 300, capped: 200, currency: 'JPY',
    };
    const reversal = { ...chargeback, event: 'wallet.topup_reversal', reason: 'refund.processed', debt: 0, capped: 0 };
    await renderSupport(LIVE, [{ ...lookup(LEDGER), audit: [reversal, chargeback] }]);
    expect($('support-audit').querySelector('li').textContent).toMatch(/refund\.processed · JP¥500$/); // no "owed ¥0"
    expect($('support-audit').textContent).toMatch(/payment\.dispute\.lost · JP¥500 · owed JP¥300 · JP¥200 beyond the payment, not taken$/);
    const byAdmin = { ...chargeback, event: 'withdrawal.requested', actor: 'admin:admin_1', withdrawal_id: 'wdr_1', reason: undefined, debt: undefined, capped: undefined };
    await renderSupport(LIVE, [{ ...lookup(LEDGER), audit: [byAdmin] }]);
    expect($('support-audit').textContent).toMatch(/ · by admin:admin_1 · wdr_1 · JP¥500$/); // who acted, and on what
  });

  it('offers no gateway simulator outside simulator mode', async () => {
    await renderSupport(LIVE, [lookup(LEDGER)]);
    expect($('simulator-topups')).toBeNull();
  });
});

describe("the gateways' side of each credited top-up (simulator mode)", () => {
  it('lists the top-ups of gateways with a dashboard, with Reverse only where the gateway reverses', async () => {
    await renderSupport(SIMULATOR, [lookup(LEDGER)]);
    const rows = [...$('simulator-topups').querySelectorAll('li')].map((li) => li.dataset.paymentId);
    expect(rows).toEqual(['pay_1', 'CAP1']);
    expect([$('sim-refund-pay_1'), $('sim-dispute-pay_1'), $('sim-reverse-CAP1')].every(Boolean)).toBe(true);
    expect($('sim-reverse-pay_1')).toBeNull();
  });

  it('refunds the typed amount at the gateway and reads the customer again until the ledger names the refund', async () => {
    const taken = { ...topup('razorpay', 'pay_1', 50), transaction_id: 'txn_back', kind: 'topup_reversal', type: 'debit', reference: { case: 'refund', case_id: 'rfnd_1' } };
    const { setMessage, supportLookup } = await renderSupport(SIMULATOR, [lookup(LEDGER), lookup(LEDGER), lookup([taken, ...LEDGER])]);
    const refund = vi.spyOn(integrationService, 'simulatorRefund').mockResolvedValue({ success: true, refund_id: 'rfnd_1' });
    await type('sim-amount-pay_1', '50');
    await click('sim-refund-pay_1');
    expect(refund).toHaveBeenCalledWith('razorpay', 'pay_1', '50', 'INR');
    await act(() => vi.waitFor(() => expect(supportLookup).toHaveBeenCalledTimes(3), { timeout: 3000 }));
    expect(setMessage).toHaveBeenCalledWith({
      kind: 'info',
      text: "Razorpay refunded ₹50.00 of payment pay_1 (refund rfnd_1). The wallet follows Razorpay's webhook.",
    });
  });

  it('reverses the whole top-up when no amount is typed', async () => {
    const reversed = { ...topup('paypal', 'CAP1', 100), transaction_id: 'txn_rev', kind: 'topup_reversal', type: 'debit', reference: { case: 'reversal', case_id: 'rev_1' } };
    await renderSupport(SIMULATOR, [lookup(LEDGER), lookup([reversed, ...LEDGER])]); // the ledger names it at once: no waiting
    const reverse = vi.spyOn(integrationService, 'simulatorReverse').mockResolvedValue({ success: true, reversal_id: 'rev_1' });
    await click('sim-reverse-CAP1');
    expect(reverse).toHaveBeenCalledWith('paypal', 'CAP1', 100, 'INR');
  });

  it('opens a dispute, then loses it by the id the dispute call answered', async () => {
    const opened = { ...topup('paypal', 'CAP1', 100), transaction_id: 'txn_hold', kind: 'dispute_hold', type: 'memo', reference: { case_id: 'PP-D-7' } };
    const lost = { ...opened, transaction_id: 'txn_cb', kind: 'chargeback', type: 'debit' };
    const { setMessage } = await renderSupport(SIMULATOR, [lookup(LEDGER), lookup([opened, ...LEDGER]), lookup([lost, opened, ...LEDGER])]);
    vi.spyOn(integrationService, 'simulatorOpenDispute').mockResolvedValue({ success: true, dispute_id: 'PP-D-7' });
    const resolve = vi.spyOn(integrationService, 'simulatorResolveDispute').mockResolvedValue({ success: true });
    expect($('sim-lose-CAP1')).toBeNull();
    await click('sim-dispute-CAP1');
    expect($('sim-dispute-CAP1')).toBeNull();
    expect($('simulator-topups').querySelector('[data-payment-id="CAP1"]').textContent).toMatch(/dispute PP-D-7 open \(₹100\.00\)/);
    await click('sim-lose-CAP1');
    expect(resolve).toHaveBeenCalledWith('paypal', 'PP-D-7', { paymentId: 'CAP1', amount: 100, currency: 'INR', outcome: 'lost' });
    expect(setMessage).toHaveBeenCalledWith({
      kind: 'info',
      text: "Dispute PP-D-7 lost: PayPal takes back ₹100.00. The wallet follows PayPal's webhook: the ledger shows what it could take and what is owed.",
    });
    expect($('sim-win-CAP1')).toBeNull();
    expect($('sim-dispute-CAP1')).not.toBeNull();
  });

  it('still offers Win and Lose for a dispute opened before the page was loaded again', async () => {
    const opened = { ...topup('paypal', 'CAP1', 100), transaction_id: 'txn_hold', kind: 'dispute_hold', type: 'memo', reference: { case_id: 'PP-D-7' } };
    await renderSupport(SIMULATOR, [lookup(LEDGER), lookup([opened, ...LEDGER])]);
    vi.spyOn(integrationService, 'simulatorOpenDispute').mockResolvedValue({ success: true, dispute_id: 'PP-D-7' });
    await click('sim-dispute-CAP1');
    unmountRoot({ container, root }); // the page loaded again: a new page in the same tab
    ({ container, root } = mountRoot());
    const released = { ...opened, transaction_id: 'txn_release', kind: 'hold_release' };
    await renderSupport(SIMULATOR, [lookup([opened, ...LEDGER]), lookup([released, opened, ...LEDGER])]);
    expect($('simulator-topups').querySelector('[data-payment-id="CAP1"]').textContent).toMatch(/dispute PP-D-7 open \(₹100\.00\)/);
    const resolve = vi.spyOn(integrationService, 'simulatorResolveDispute').mockResolvedValue({ success: true });
    await click('sim-win-CAP1');
    expect(resolve).toHaveBeenCalledWith('paypal', 'PP-D-7', { paymentId: 'CAP1', amount: 100, currency: 'INR', outcome: 'won' });
    expect(JSON.parse(sessionStorage.getItem('wallet_simulator_open_disputes'))).toEqual({});
  });

  it("after a dispute is resolved, reads the customer again until the ledger shows the outcome, not just the dispute's hold", async () => {
    const opened = { ...topup('razorpay', 'pay_1', 200), transaction_id: 'txn_hold', kind: 'dispute_hold', type: 'memo', reference: { case_id: 'disp_9' } };
    const released = { ...opened, transaction_id: 'txn_release', kind: 'hold_release' };
    // the look-up, after the opening, then twice after the win: the webhook lands between the two
    const { supportLookup } = await renderSupport(SIMULATOR, [lookup(LEDGER), lookup([opened, ...LEDGER]), lookup([opened, ...LEDGER]), lookup([released, opened, ...LEDGER])]);
    vi.spyOn(integrationService, 'simulatorOpenDispute').mockResolvedValue({ success: true, dispute_id: 'disp_9' });
    vi.spyOn(integrationService, 'simulatorResolveDispute').mockResolvedValue({ success: true });
    await click('sim-dispute-pay_1');
    expect(supportLookup).toHaveBeenCalledTimes(2);
    await click('sim-win-pay_1');
    const newest = () => container.querySelector('[data-testid="support-transactions"] li').dataset.kind;
    // the page reads the customer every 500 ms: look at what it shows between reads (outside act, so it renders)
    for (let i = 0; i < 30 && newest() !== 'hold_release'; i += 1) await act(() => new Promise((r) => setTimeout(r, 100)));
    expect(newest()).toBe('hold_release');
    expect(supportLookup).toHaveBeenCalledTimes(4);
  });
});
