// Orders in their own currencies (paid, authorised, refunded, captured in the order's currency, with
// its decimals) and the support view's choice of which currency's wallet of the customer to show, in jsdom.
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import integrationService from '../services/integrationService.js';
import PendingOrders from './PendingOrders.jsx';
import SupportView from './SupportView.jsx';
import { mountRoot, unmountRoot } from '../testing/mountedRoot';

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

let container;
let root;
const $ = (testId) => container.querySelector(`[data-testid="${testId}"]`);
const click = (testId) => act(async () => $(testId).click());
async function type(testId, text) {
  const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  await act(async () => {
    setValue.call($(testId), text);
    $(testId).dispatchEvent(new Event('input', { bubbles: true }));
  });
}
const submit = (testId) => act(async () => $(testId).closest('form').requestSubmit());
const runner = (setMessage) => async (action) => {
  try {
    await action();
  } catch (err) {
    setMessage({ kind: 'error', text: err.message });
  }
};

beforeEach(() => {
  vi.restoreAllMocks();
  ({ container, root } = mountRoot());
});
afterEach(() => unmountRoot({ container, root }));

describe("the customer's orders, each in its currency", () => {
  const ORDERS = [
    { order_id: 'ord_usd', amount: 5, currency: 'USD' },
    { order_id: 'ord_jpy', amount: 1200, currency: 'JPY' },
  ];

  async function renderOrders() {
    vi.spyOn(integrationService, 'listOrders').mockImplementation(async (_id, { status }) => ({ orders: status === 'pending' ? ORDERS : [], next_after: null }));
    const setMessage = vi.fn();
    await act(async () =>
      root.render(<PendingOrders customerId="cust_1" busy={false} run={(a) => a()} setMessage={setMessage} onPaid={async () => {}} onError={() => {}} />),
    );
    return setMessage;
  }

  it("pays a USD order with its amount in dollars and its currency, and says the USD wallet's balance", async () => {
    const setMessage = await renderOrders();
    const pay = vi.spyOn(integrationService, 'payOrderWithWallet').mockResolvedValue({ remaining_balance: 7.34, currency: 'USD' });
    expect($('pay-ord_usd').textContent).toBe('Pay $5.00');
    await click('pay-ord_usd');
    await click('pay-confirm');
    expect(pay).toHaveBeenCalledWith('ord_usd', 'cust_1', '5.00', 'USD');
    expect(setMessage).toHaveBeenLastCalledWith({ kind: 'success', text: 'Order ord_usd paid. Remaining balance $7.34.' });
  });

  it('authorises a yen order with its amount in whole yen', async () => {
    await renderOrders();
    const authorize = vi.spyOn(integrationService, 'authorizeOrder').mockResolvedValue({ amount: 1200, available_balance: 300, currency: 'JPY' });
    expect($('pay-ord_jpy').textContent).toBe('Pay JP¥1,200');
    await click('authorize-ord_jpy');
    await click('authorize-confirm');
    expect(authorize).toHaveBeenCalledWith('ord_jpy', 'cust_1', '1200', 'JPY');
  });
});

describe("the support view's currency", () => {
  const lookup = (currency, orders = []) => ({
    success: true,
    customer_id: 'cust_1',
    wallet: { customer_id: 'cust_1', balance: currency === 'USD' ? 12.34 : 250, held: 0, available: 0, debt: 0, currency },
    statistics: { topup_count: 1, payment_count: 0, refund_count: 0 },
    transactions: [], next_before: '17-1', orders, next_after: null, webhooks: [], webhooks_next_before: null, audit: [], audit_next_before: null,
  });
  const PAID_USD = { order_id: 'ord_usd', amount: 20, currency: 'USD', payment_status: 'paid', refunded_amount: 0, refundable_amount: 20 };
  const AUTHORISED_JPY = {
    order_id: 'ord_jpy', amount: 1500, currency: 'JPY', payment_status: 'authorized', refunded_amount: 0, refundable_amount: 0,
    authorization: { amount: 1500, expires_at: '2026-01-08T10:00:00Z' },
  };

  async function renderSupport(currencies) {
    const supportLookup = vi.spyOn(integrationService, 'supportLookup').mockImplementation(async (_id, { currency }) => lookup(currency || 'INR', [PAID_USD, AUTHORISED_JPY]));
    vi.spyOn(integrationService, 'getWithdrawable').mockImplementation(async (_id, { currency }) => ({ available: 0, refundable: 0, withdrawable: 0, currency: currency || 'INR' }));
    vi.spyOn(integrationService, 'getLimits').mockRejectedValue(new Error('no limits'));
    const setMessage = vi.fn();
    await act(async () =>
      root.render(<SupportView busy={false} run={runner(setMessage)} setMessage={setMessage} onError={setMessage} gateways={[]} currencies={currencies} />),
    );
    await type('support-customer', 'cust_1');
    await submit('support-lookup');
    return { supportLookup, setMessage };
  }

  it("looks the customer's default wallet up first; choosing USD reads the customer's USD wallet", async () => {
    const { supportLookup } = await renderSupport(['INR', 'USD']);
    expect(supportLookup).toHaveBeenLastCalledWith('cust_1', { currency: 'INR' });
    expect($('support-balance').textContent).toBe('₹250.00');
    await act(async () => {
      $('support-currency').value = 'USD';
      $('support-currency').dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(supportLookup).toHaveBeenLastCalledWith('cust_1', { currency: 'USD' });
    expect($('support-balance').textContent).toBe('$12.34');
    expect(container.querySelector('.balance-card h2').textContent).toBe('cust_1 · USD wallet');
    expect(integrationService.getWithdrawable).toHaveBeenLastCalledWith('cust_1', { currency: 'USD' });
    const older = vi.spyOn(integrationService, 'getTransactions').mockResolvedValue({ transactions: [], next_before: null });
    await click('load-older');
    expect(older).toHaveBeenCalledWith('cust_1', { limit: 20, before: '17-1', currency: 'USD' });
  });

  it('shows no currency choice with one currency', async () => {
    await renderSupport(['INR']);
    expect($('support-currency')).toBeNull();
    expect(container.querySelector('.balance-card h2').textContent).toBe('cust_1');
  });

  it("refunds a USD order in dollars and captures a yen order's whole-yen hold, each in its currency", async () => {
    await renderSupport(['INR', 'USD']);
    const refund = vi.spyOn(integrationService, 'refundOrderToWallet').mockResolvedValue({ new_balance: 32.34, currency: 'USD' });
    await click('refund-ord_usd');
    await type('refund-amount', '20');
    await submit('refund-amount');
    await click('refund-confirm');
    expect(refund).toHaveBeenCalledWith('ord_usd', 'cust_1', '20', '', 'USD');

    const capture = vi.spyOn(integrationService, 'captureOrder').mockResolvedValue({ captured: 1000, released: 500, remaining_balance: 0, currency: 'JPY' });
    await click('capture-ord_jpy');
    expect($('capture-amount').value).toBe('1500');
    await type('capture-amount', '1000');
    await submit('capture-amount');
    expect($('capture-confirmation').textContent).toMatch(/^Capture JP¥1,000 of the JP¥1,500 authorised for order ord_jpy .* The remaining JP¥500 is released\./);
    await click('capture-confirm');
    expect(capture).toHaveBeenCalledWith('ord_jpy', '1000', 'JPY');
  });
});
