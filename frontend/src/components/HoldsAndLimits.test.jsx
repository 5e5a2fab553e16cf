// Orders authorised now and captured later, and the limits a top-up must fit, in jsdom: the customer's
// orders (Authorise, Cancel authorisation), the top-up form's headroom and limit refusal, and the
// support view's capture, void and customer level.
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import integrationService from '../services/integrationService.js';
import PendingOrders from './PendingOrders.jsx';
import SupportView from './SupportView.jsx';
import TopupForm from './TopupForm.jsx';
import Transactions from './Transactions.jsx';
import { mountRoot, unmountRoot } from '../testing/mountedRoot';

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

let container;
let root;
const $ = (testId) => container.querySelector(`[data-testid="${testId}"]`);
const click = (testId) => act(async () => $(testId).click());
const render = (element) => act(async () => root.render(element));
const submit = (testId) => act(async () => $(testId).closest('form').requestSubmit());
async function type(testId, text) {
  const input = $(testId);
  const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  await act(async () => {
    setValue.call(input, text);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}
// `run`/`act` as the page's: the action runs; a failure becomes the message.
const runner = (setMessage) => async (action) => {
  try {
    await action();
  } catch (err) {
    setMessage({ kind: 'error', text: err.message });
  }
};

const PENDING = { order_id: 'ord_1', customer_id: 'cust_1', amount: 250, currency: 'INR', payment_status: 'pending' };
const AUTHORISED = {
  order_id: 'ord_2', customer_id: 'cust_1', amount: 120.5, currency: 'INR', payment_status: 'authorized',
  refundable_amount: 0, refunded_amount: 0,
  authorization: { hold_id: 'hold_2', amount: 120.5, expires_at: '2026-01-08T10:00:00Z' },
};
const NO_LIMITS = { success: true, customer_id: 'cust_1', currency: 'INR', kyc_level: 'minimum', limits: [] };
const MONTHLY = { limit: 'MINIMUM_KYC_MONTHLY_TOPUP_MAX', max: 1000, used: 300, headroom: 700 };

beforeEach(() => {
  vi.restoreAllMocks();
  ({ container, root } = mountRoot());
});
afterEach(() => unmountRoot({ container, root }));

describe("the customer's orders", () => {
  async function renderOrders() {
    const listOrders = vi.spyOn(integrationService, 'listOrders').mockImplementation(async (_id, { status }) => ({
      orders: status === 'authorized' ? [AUTHORISED] : [PENDING],
      next_after: null,
    }));
    const setMessage = vi.fn();
    const onPaid = vi.fn(async () => {});
    await render(<PendingOrders customerId="cust_1" busy={false} run={runner(setMessage)} setMessage={setMessage} onPaid={onPaid} onError={setMessage} />);
    return { listOrders, setMessage, onPaid };
  }

  it('lists the authorised orders apart: awaiting capture, with the amount held and a Cancel authorisation button', async () => {
    const { listOrders } = await renderOrders();
    expect(listOrders).toHaveBeenCalledWith('cust_1', { status: 'authorized', limit: 10 });
    expect($('authorised-ord_2').textContent).toMatch(/^Authorised, awaiting capture: ₹120\.50 on hold until .*2026/);
    expect($('void-ord_2').textContent).toBe('Cancel authorisation');
    expect($('pay-ord_2')).toBeNull();
  });

  it('a pending order keeps Pay and gets Authorise', async () => {
    await renderOrders();
    expect($('pay-ord_1').textContent).toBe('Pay ₹250.00');
    expect($('authorize-ord_1').textContent).toBe('Authorise');
  });

  it("each order's buttons name their order for a screen reader, as their text does not", async () => {
    await renderOrders();
    expect($('pay-ord_1').getAttribute('aria-label')).toBe('Pay ₹250.00 for order ord_1');
    expect($('authorize-ord_1').getAttribute('aria-label')).toBe('Authorise order ord_1');
    expect($('void-ord_2').getAttribute('aria-label')).toBe('Cancel authorisation of order ord_2');
  });

  it('the question takes the focus from the button it replaces, and describes the confirm button', async () => {
    await renderOrders();
    for (const action of ['pay', 'authorize']) {
      await act(async () => $(`${action}-ord_1`).focus());
      await click(`${action}-ord_1`);
      const question = $(`${action}-confirmation`).querySelector('p');
      expect(document.activeElement).toBe(question);
      expect($(`${action}-confirm`).getAttribute('aria-describedby')).toBe(question.id);
      await click(`${action}-back`);
    }
  });

  it("Authorise asks first, then holds the order's own amount and says until when", async () => {
    const { setMessage, onPaid } = await renderOrders();
    const authorize = vi.spyOn(integrationService, 'authorizeOrder').mockResolvedValue({
      success: true, order_id: 'ord_1', hold_id: 'hold_1', amount: 250, available_balance: 50, currency: 'INR', expires_at: '2026-01-08T10:00:00Z',
    });
    await click('authorize-ord_1');
    expect($('authorize-confirmation').textContent).toMatch(/^Authorise ₹250\.00 for order ord_1\? The amount is held in your wallet/);
    expect(authorize).not.toHaveBeenCalled();
    await click('authorize-confirm');
    expect(authorize).toHaveBeenCalledWith('ord_1', 'cust_1', '250.00', 'INR');
    expect(setMessage).toHaveBeenLastCalledWith({
      kind: 'success',
      text: expect.stringMatching(/^Order ord_1 authorised: ₹250\.00 is on hold until the shop takes it \(by .*2026.*\)\. Available now ₹50\.00\.$/),
    });
    expect(onPaid).toHaveBeenCalled();
  });

  it('Back from Authorise holds nothing', async () => {
    await renderOrders();
    const authorize = vi.spyOn(integrationService, 'authorizeOrder');
    await click('authorize-ord_1');
    await click('authorize-back');
    expect($('authorize-confirmation')).toBeNull();
    expect(authorize).not.toHaveBeenCalled();
  });

  it('Cancel authorisation voids the order and says what is available again', async () => {
    const { setMessage, listOrders } = await renderOrders();
    const voidOrder = vi.spyOn(integrationService, 'voidOrder').mockResolvedValue({
      success: true, order_id: 'ord_2', payment_status: 'pending', released: 120.5, available_balance: 420.5, currency: 'INR',
    });
    await click('void-ord_2');
    expect(voidOrder).toHaveBeenCalledWith('ord_2');
    expect(setMessage).toHaveBeenLastCalledWith({
      kind: 'success',
      text: 'Authorisation of order ord_2 cancelled: ₹120.50 is available again. Available now ₹420.50.',
    });
    expect(listOrders).toHaveBeenCalledTimes(4); // read again: pending and authorised
  });
});

describe('the top-up form and the limits', () => {
  async function renderTopup(limits) {
    const getLimits = vi.spyOn(integrationService, 'getLimits').mockResolvedValue(limits);
    const setMessage = vi.fn();
    await render(
      <TopupForm customerId="cust_1" wallet={{ balance: 300, currency: 'INR' }} methods={[['razorpay', 'Razorpay']]} method="razorpay"
        onMethodChange={() => {}} busy={false} run={runner(setMessage)} setMessage={setMessage} onError={setMessage} />,
    );
    return { getLimits, setMessage };
  }

  it('shows how much more can be topped up before anything is typed', async () => {
    const { getLimits } = await renderTopup({ ...NO_LIMITS, limits: [MONTHLY] });
    expect(getLimits).toHaveBeenCalledWith('cust_1');
    expect($('topup-headroom').textContent).toBe(
      'Up to ₹700.00 more can be topped up now: the monthly top-up limit for minimum-KYC wallets is ₹1,000.00, ₹300.00 of it used (top-ups still open count too).',
    );
  });

  it('says nothing about limits when none apply', async () => {
    await renderTopup(NO_LIMITS);
    expect($('topup-headroom')).toBeNull();
  });

  it('a top-up beyond a limit (422) says which limit and how much more fits, then reads the limits again', async () => {
    const { getLimits, setMessage } = await renderTopup({ ...NO_LIMITS, limits: [MONTHLY] });
    const refused = Object.assign(new Error('server words'), {
      status: 422, code: 'limit_exceeded', body: { limit: 'MINIMUM_KYC_MONTHLY_TOPUP_MAX', headroom: 700 },
    });
    vi.spyOn(integrationService, 'initiateWalletTopup').mockRejectedValue(refused);
    await type('topup-amount', '800');
    await submit('topup-amount');
    expect(setMessage).toHaveBeenLastCalledWith({
      kind: 'error',
      text: 'That top-up would pass the monthly top-up limit for minimum-KYC wallets: at most ₹700.00 more can be topped up now.',
    });
    expect(getLimits).toHaveBeenCalledTimes(2);
  });
});

describe('the support view: authorised orders and the customer level', () => {
  const lookup = (orders) => ({
    success: true,
    customer_id: 'cust_1',
    wallet: { customer_id: 'cust_1', balance: 300, held: 120.5, available: 179.5, debt: 0, currency: 'INR' },
    statistics: { topup_count: 1, payment_count: 0, refund_count: 0 },
    transactions: [], next_before: null, orders, next_after: null, webhooks: [], webhooks_next_before: null, audit: [], audit_next_before: null,
  });

  async function renderSupport(limits = NO_LIMITS) {
    const supportLookup = vi.spyOn(integrationService, 'supportLookup').mockResolvedValue(lookup([AUTHORISED]));
    const getLimits = vi.spyOn(integrationService, 'getLimits').mockResolvedValue(limits);
    vi.spyOn(integrationService, 'getWithdrawable').mockResolvedValue({ available: 179.5, refundable: 300, withdrawable: 179.5, currency: 'INR' });
    const setMessage = vi.fn();
    await render(<SupportView busy={false} run={runner(setMessage)} setMessage={setMessage} onError={setMessage} gateways={[]} />);
    await type('support-customer', 'cust_1');
    await submit('support-lookup');
    return { supportLookup, getLimits, setMessage };
  }
  const orderRow = (id) => $('support-orders').querySelector(`[data-order-id="${id}"]`);

  it('an authorised order says what it holds until when, with Capture or void', async () => {
    await renderSupport();
    expect(orderRow('ord_2').textContent).toMatch(/₹120\.50 · Authorised, awaiting capture · ₹120\.50 on hold until .*2026/);
    expect($('capture-ord_2')).not.toBeNull();
    expect($('refund-ord_2')).toBeNull();
  });

  it('captures the held amount by default, asked first, then reads the customer again', async () => {
    const { setMessage, supportLookup } = await renderSupport();
    const capture = vi.spyOn(integrationService, 'captureOrder').mockResolvedValue({
      success: true, order_id: 'ord_2', transaction_id: 'txn_1', captured: 120.5, released: 0, remaining_balance: 179.5, currency: 'INR',
    });
    await click('capture-ord_2');
    expect($('capture-amount').value).toBe('120.50');
    await submit('capture-amount');
    expect($('capture-confirmation').querySelector('p').textContent).toBe("Capture ₹120.50 of the ₹120.50 authorised for order ord_2 from cust_1's wallet? This cannot be undone.");
    await click('capture-confirm');
    expect(capture).toHaveBeenCalledWith('ord_2', '120.50', 'INR');
    expect(setMessage).toHaveBeenLastCalledWith({ kind: 'success', text: "Captured ₹120.50 of order ord_2 from cust_1's wallet. Balance ₹179.50." });
    expect(supportLookup).toHaveBeenCalledTimes(2);
  });

  it('captures part: the confirmation and the message say what is released', async () => {
    const { setMessage } = await renderSupport();
    const capture = vi.spyOn(integrationService, 'captureOrder').mockResolvedValue({
      success: true, order_id: 'ord_2', transaction_id: 'txn_1', captured: 100, released: 20.5, remaining_balance: 200, currency: 'INR',
    });
    await click('capture-ord_2');
    await type('capture-amount', '100');
    await submit('capture-amount');
    expect($('capture-confirmation').textContent).toMatch(/The remaining ₹20\.50 is released\./);
    await click('capture-confirm');
    expect(capture).toHaveBeenCalledWith('ord_2', '100', 'INR');
    expect(setMessage).toHaveBeenLastCalledWith({
      kind: 'success', text: "Captured ₹100.00 of order ord_2 from cust_1's wallet; ₹20.50 released back to the customer. Balance ₹200.00.",
    });
  });

  it('refuses a capture above the hold before asking the server', async () => {
    const { setMessage } = await renderSupport();
    const capture = vi.spyOn(integrationService, 'captureOrder');
    await click('capture-ord_2');
    await type('capture-amount', '121');
    await submit('capture-amount');
    expect(setMessage).toHaveBeenLastCalledWith({ kind: 'error', text: 'At most ₹120.50 is authorised for this order.' });
    expect($('capture-confirmation')).toBeNull();
    expect(capture).not.toHaveBeenCalled();
  });

  it("voids the authorisation: the hold goes back to the customer's available money", async () => {
    const { setMessage } = await renderSupport();
    const voidOrder = vi.spyOn(integrationService, 'voidOrder').mockResolvedValue({
      success: true, order_id: 'ord_2', payment_status: 'pending', released: 120.5, available_balance: 300, currency: 'INR',
    });
    await click('capture-ord_2');
    await click('capture-void');
    expect(voidOrder).toHaveBeenCalledWith('ord_2');
    expect(setMessage).toHaveBeenLastCalledWith({
      kind: 'success', text: "Authorisation of order ord_2 voided: ₹120.50 released to cust_1's available money; the order is pending again.",
    });
  });

  it("shows the customer's level and limits, and sets the level", async () => {
    const { getLimits, setMessage } = await renderSupport({ ...NO_LIMITS, limits: [MONTHLY] });
    expect($('support-limits-list').textContent).toBe('Monthly top-up limit for minimum-KYC wallets₹300.00 of ₹1,000.00 used · ₹700.00 more can be topped up');
    expect($('support-kyc-level').value).toBe('minimum');
    expect($('support-kyc-save').disabled).toBe(true);
    const setKycLevel = vi.spyOn(integrationService, 'setKycLevel').mockResolvedValue({ success: true, customer_id: 'cust_1', kyc_level: 'full' });
    await act(async () => {
      $('support-kyc-level').value = 'full';
      $('support-kyc-level').dispatchEvent(new Event('change', { bubbles: true }));
    });
    await submit('support-kyc-save');
    expect(setKycLevel).toHaveBeenCalledWith('cust_1', 'full');
    expect(setMessage).toHaveBeenLastCalledWith({ kind: 'success', text: "cust_1's level is now Full KYC: the Full KYC limits apply to their top-ups." });
    expect(getLimits).toHaveBeenCalledTimes(2);
  });

  it('says when no limits are configured', async () => {
    await renderSupport(NO_LIMITS);
    expect($('support-limits').textContent).toMatch(/No top-up limits are configured\./);
  });
});

describe('the ledger', () => {
  const entry = (kind, type, reference, extra = {}) => ({
    transaction_id: `txn_${kind}`, kind, type, amount: 120.5, currency: 'INR', created_at: '2026-01-01T10:00:00Z', reference, ...extra,
  });

  it('labels an authorisation, its capture and its release', async () => {
    await render(
      <Transactions
        hasOlder={false}
        transactions={[
          entry('hold_release', 'memo', { order_id: 'ord_2' }, { held_change: -120.5 }),
          entry('capture', 'debit', { order_id: 'ord_3' }, { held_change: -120.5 }),
          entry('checkout_hold', 'memo', { order_id: 'ord_3' }, { held_change: 120.5 }),
        ]}
      />,
    );
    const rows = [...$('transactions').querySelectorAll('li')].map((li) => li.textContent);
    expect(rows[0]).toMatch(/^Released from hold: order authorisation cancelled or expired.*ord_2/);
    expect(rows[1]).toMatch(/^Order payment \(authorised, now captured\).*ord_3/);
    expect(rows[2]).toMatch(/^On hold: order authorised.*ord_3/);
  });
});
