// The customer's page in jsdom: paying an order (asked, then confirmed) and the transactions list.
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import integrationService from '../services/integrationService.js';
import PendingOrders from './PendingOrders.jsx';
import Transactions from './Transactions.jsx';
import { mountRoot, unmountRoot } from '../testing/mountedRoot';

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

let container;
let root;

async function render(element) {
  ({ container, root } = mountRoot());
  await act(async () => root.render(element));
}
const $ = (testId) => container.querySelector(`[data-testid="${testId}"]`);
const click = (testId) => act(async () => $(testId).click());

beforeEach(() => vi.restoreAllMocks());
afterEach(() => unmountRoot({ container, root }));

describe('paying an order', () => {
  const order = { order_id: 'ord_1', amount: 250, currency: 'INR' };

  async function renderOrders() {
    vi.spyOn(integrationService, 'listOrders').mockResolvedValue({ orders: [order], next_after: null });
    const pay = vi.spyOn(integrationService, 'payOrderWithWallet').mockResolvedValue({ remaining_balance: 5, currency: 'INR' });
    const setMessage = vi.fn();
    const run = (action) => action();
    await render(<PendingOrders customerId="cust_1" busy={false} run={run} setMessage={setMessage} onPaid={async () => {}} onError={() => {}} />);
    return { pay, setMessage };
  }

  it('asks first, and pays only once confirmed', async () => {
    const { pay, setMessage } = await renderOrders();
    await click('pay-ord_1');
    expect($('pay-confirmation').textContent).toMatch(/^Pay ₹250\.00 from your wallet for order ord_1\?/);
    expect(pay).not.toHaveBeenCalled();
    await click('pay-confirm');
    expect(pay).toHaveBeenCalledWith('ord_1', 'cust_1', '250.00', 'INR');
    expect(setMessage).toHaveBeenLastCalledWith({ kind: 'success', text: 'Order ord_1 paid. Remaining balance ₹5.00.' });
    expect($('pay-confirmation')).toBeNull();
  });

  it('Back leaves the order unpaid', async () => {
    const { pay } = await renderOrders();
    await click('pay-ord_1');
    await click('pay-back');
    expect($('pay-confirmation')).toBeNull();
    expect($('pay-ord_1')).not.toBeNull();
    expect(pay).not.toHaveBeenCalled();
  });
});

describe('the transactions list', () => {
  it('says it is loading until the history is loaded, never "No transactions yet."', async () => {
    await render(<Transactions transactions={null} hasOlder={false} />);
    expect($('transactions-loading').textContent).toBe('Loading transactions…');
    expect(container.textContent).not.toMatch(/No transactions yet/);
  });

  it('says "No transactions yet." for a loaded empty history', async () => {
    await render(<Transactions transactions={[]} hasOlder={false} />);
    expect($('transactions-loading')).toBeNull();
    expect(container.textContent).toMatch(/No transactions yet\./);
  });
});
