// The customer's wallet figures (held, owed, available), the ledger's after-credit entries, and the
// Withdraw form, in jsdom.
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import integrationService from '../services/integrationService.js';
import { readGateways } from '../gateways.js';
import { BUILT_IN } from '../gateways.fixture.js';
import BalanceCard from './BalanceCard.jsx';
import Transactions from './Transactions.jsx';
import WithdrawForm from './WithdrawForm.jsx';
import { mountRoot, unmountRoot } from '../testing/mountedRoot';

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

const GATEWAYS = readGateways({ gateways: BUILT_IN });
let container;
let root;

async function render(element) {
  await act(async () => root.render(element));
}
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
const submit = (testId) => act(async () => $(testId).closest('form').requestSubmit());

beforeEach(() => {
  vi.restoreAllMocks();
  ({ container, root } = mountRoot());
});
afterEach(() => unmountRoot({ container, root }));

describe('the balance card', () => {
  const wallet = { balance: 500, held: 0, available: 500, debt: 0, currency: 'INR' };

  it('shows what is available, and no held or owed line when they are zero', async () => {
    await render(<BalanceCard wallet={wallet} />);
    expect($('balance').textContent).toBe('₹500.00');
    expect($('wallet-available').textContent).toBe('Available₹500.00 what can be spent or withdrawn now');
    expect($('wallet-held')).toBeNull();
    expect($('wallet-debt')).toBeNull();
  });

  it('says what held money and debt are when there are any', async () => {
    await render(<BalanceCard wallet={{ ...wallet, held: 200, available: 300, debt: 25.5 }} />);
    expect($('wallet-held').textContent).toBe('On hold₹200.00 on hold while an order is authorised, a dispute is open or a withdrawal is on its way');
    expect($('wallet-debt').textContent).toBe(
      'Owed₹25.50 money a payment provider took back after it was spent; your next top-up pays it first',
    );
    expect($('wallet-available').textContent).toMatch(/^Available₹300\.00/);
  });

  it('shows the balance alone from a server that sends no figures', async () => {
    await render(<BalanceCard wallet={{ balance: 5, currency: 'INR' }} />);
    expect($('wallet-figures')).toBeNull();
  });
});

describe('the ledger after the credit', () => {
  const at = '2026-01-01T10:00:00Z';
  const entry = (kind, type, amount, extra = {}) => ({ transaction_id: `t_${kind}_${type}`, kind, type, amount, currency: 'INR', created_at: at, ...extra });
  const rows = () => [...container.querySelectorAll('[data-testid="transactions"] li')];
  const row = (kind) => rows().find((li) => li.dataset.kind === kind);

  it.each([
    ['topup_reversal', { case: 'refund', gateway: 'razorpay', payment_order_id: 'order_1' }, 'Top-up refunded by the payment provider', /via Razorpay order_1/],
    ['topup_reversal', { case: 'reversal', gateway: 'paypal', payment_order_id: 'PP1' }, 'Top-up reversed by the payment provider', /via PayPal PP1/],
    ['chargeback', { case: 'dispute', gateway: 'razorpay', payment_order_id: 'order_2' }, 'Disputed top-up taken back (dispute lost)', /via Razorpay order_2/],
    ['debt_repayment', { credit_entry_id: 'txn_9' }, 'Debt repaid', /^Jan|^1 Jan/],
    ['withdrawal', { withdrawal_id: 'wdr_1', gateway: 'paypal', payment_order_id: 'PP1' }, 'Withdrawal refunded', /wdr_1 to PayPal PP1/],
  ])('labels a %s debit', async (kind, reference, label, details) => {
    await render(<Transactions transactions={[entry(kind, 'debit', 40, { reference })]} gateways={GATEWAYS} />);
    expect(row(kind).querySelector('strong').textContent).toBe(label);
    expect(row(kind).querySelector('small').textContent).toMatch(details);
    expect(row(kind).querySelector('.amount').textContent).toBe('−₹40.00');
  });

  it.each([
    ['dispute_hold', { case: 'dispute', gateway: 'razorpay', payment_order_id: 'order_1' }, 60, 'On hold: a top-up is disputed', 'Balance unchanged; on hold +₹60.00'],
    ['hold_release', { case: 'dispute', gateway: 'razorpay', payment_order_id: 'order_1' }, -60, 'Released from hold: dispute closed', 'Balance unchanged; on hold −₹60.00'],
    ['hold_release', { withdrawal_id: 'wdr_1', gateway: 'paypal' }, -50, 'Released from hold: withdrawal refused', 'Balance unchanged; on hold −₹50.00'],
    ['withdrawal_hold', { withdrawal_id: 'wdr_1' }, 150, 'Withdrawal requested: on hold', 'Balance unchanged; on hold +₹150.00'],
  ])('a %s memo moves no balance and says what it held or released', async (kind, reference, held, label, changes) => {
    await render(<Transactions transactions={[entry(kind, 'memo', Math.abs(held), { reference, held_change: held })]} gateways={GATEWAYS} />);
    expect(row(kind).querySelector('strong').textContent).toBe(label);
    expect(row(kind).querySelector('.changes').textContent).toBe(changes);
    expect(row(kind).querySelector('.amount').textContent).toBe(`₹${Math.abs(held)}.00`);
  });

  it('shows the debt a take-back left and the debt a top-up paid', async () => {
    await render(
      <Transactions
        transactions={[
          entry('topup_reversal', 'debit', 30, { reference: { case: 'refund' }, debt_change: 20 }),
          entry('debt_repayment', 'debit', 20, { reference: {}, debt_change: -20 }),
        ]}
      />,
    );
    expect(row('topup_reversal').querySelector('.changes').textContent).toBe('owed +₹20.00');
    expect(row('debt_repayment').querySelector('.changes').textContent).toBe('owed −₹20.00');
  });
});

describe('the Withdraw form', () => {
  const wallet = { balance: 500, held: 0, available: 500, debt: 0, currency: 'INR' };
  const quote = { success: true, customer_id: 'cust_1', currency: 'INR', available: 500, refundable: 300, withdrawable: 300 };
  const part = (gateway, amount, status) => ({ gateway, payment_id: `p_${gateway}`, payment_order_id: `o_${gateway}`, amount, status });
  const answer = (status, refunds) => ({ success: true, withdrawal_id: 'wdr_1', customer_id: 'cust_1', status, amount: 150, currency: 'INR', refunds });

  async function renderForm({ withdraw, getWithdrawal, held = 0 } = {}) {
    vi.spyOn(integrationService, 'getWithdrawable').mockResolvedValue(quote);
    const sent = vi.spyOn(integrationService, 'withdraw').mockImplementation(withdraw || (async () => answer('completed', [part('razorpay', 150, 'processed')])));
    const looked = vi.spyOn(integrationService, 'getWithdrawal').mockImplementation(getWithdrawal || (async () => answer('completed', [])));
    const setMessage = vi.fn();
    const onDone = vi.fn(async () => {});
    const onError = vi.fn();
    const run = async (action) => {
      try {
        await action();
      } catch (err) {
        onError(err);
      }
    };
    await render(
      <WithdrawForm customerId="cust_1" wallet={{ ...wallet, held }} gateways={GATEWAYS} busy={false} run={run} setMessage={setMessage} onDone={onDone} onError={onError} />,
    );
    return { sent, looked, setMessage, onDone, onError };
  }

  it('says how much can be withdrawn before anything is typed, and why not all of it', async () => {
    await renderForm();
    expect($('withdrawable').textContent).toBe('Up to ₹300.00 can be withdrawn now.');
    expect(container.querySelector('.hint').textContent).toMatch(/Only ₹300\.00 of your top-ups can still be refunded/);
  });

  it('asks first, then withdraws, says what went where and refreshes the wallet', async () => {
    const { sent, setMessage, onDone } = await renderForm();
    await type('withdraw-amount', '150');
    await submit('withdraw-review');
    expect($('withdraw-confirmation').textContent).toMatch(/^Withdraw ₹150\.00 to the payment methods of your top-ups\?/);
    expect(sent).not.toHaveBeenCalled();
    await click('withdraw-confirm');
    expect(sent).toHaveBeenCalledWith('cust_1', '150', 'INR');
    expect(setMessage).toHaveBeenLastCalledWith({ kind: 'success', text: 'Withdrawal complete: ₹150.00 refunded (₹150.00 to Razorpay).' });
    expect(onDone).toHaveBeenCalled();
  });

  it('Back withdraws nothing', async () => {
    const { sent } = await renderForm();
    await type('withdraw-amount', '150');
    await submit('withdraw-review');
    await click('withdraw-back');
    expect($('withdraw-confirmation')).toBeNull();
    expect(sent).not.toHaveBeenCalled();
  });

  it('follows a pending withdrawal until the gateways answered, then says it was partly refused', async () => {
    const pending = answer('pending', [part('razorpay', 100, 'pending'), part('paypal', 50, 'pending')]);
    const ended = answer('partially_completed', [part('razorpay', 100, 'processed'), part('paypal', 50, 'failed')]);
    const { looked, setMessage, onDone } = await renderForm({ withdraw: async () => pending, getWithdrawal: async () => ended });
    await type('withdraw-amount', '150');
    await submit('withdraw-review');
    await click('withdraw-confirm');
    await vi.waitFor(() => expect(looked).toHaveBeenCalledWith('wdr_1'), { timeout: 3000 });
    await vi.waitFor(() =>
      expect(setMessage).toHaveBeenLastCalledWith({
        kind: 'info',
        text: 'Withdrawal partly refused: ₹100.00 to Razorpay refunded; ₹50.00 to PayPal refused, and it is back in your available balance.',
      }),
      { timeout: 3000 },
    );
    expect(setMessage.mock.calls.map(([m]) => m?.text)).toContainEqual(expect.stringMatching(/^Withdrawal of ₹150\.00 is on its way/));
    expect(onDone).toHaveBeenCalledTimes(2);
  });

  it('says the wallet has less now when the service answers 402 (the money moved since the quote)', async () => {
    const refused = Object.assign(new Error('Not enough money in your wallet.'), { status: 402, code: 'insufficient_funds' });
    const { onError } = await renderForm({ withdraw: async () => { throw refused; } });
    await type('withdraw-amount', '250');
    await submit('withdraw-review');
    await click('withdraw-confirm');
    expect(onError.mock.lastCall[0].message).toBe('That is more than is available in your wallet now.');
  });

  it('reads how much can be withdrawn again after a refusal (the wallet moved since the quote)', async () => {
    const refused = Object.assign(new Error('Not enough money in your wallet.'), { status: 402, code: 'insufficient_funds' });
    await renderForm({ withdraw: async () => { throw refused; } });
    integrationService.getWithdrawable.mockResolvedValue({ ...quote, available: 79.5, withdrawable: 79.5 });
    await type('withdraw-amount', '250');
    await submit('withdraw-review');
    await click('withdraw-confirm');
    await vi.waitFor(() => expect($('withdrawable').textContent).toBe('Up to ₹79.50 can be withdrawn now.'));
  });

  it('says held money cannot be withdrawn on a 402 when some is held', async () => {
    const refused = Object.assign(new Error('Not enough money in your wallet.'), { status: 402, code: 'insufficient_funds' });
    const { onError } = await renderForm({ withdraw: async () => { throw refused; }, held: 100 });
    await type('withdraw-amount', '250');
    await submit('withdraw-review');
    await click('withdraw-confirm');
    expect(onError.mock.lastCall[0].message).toBe('That is more than is available in your wallet now: money on hold cannot be withdrawn.');
  });

  it('refuses more than can be withdrawn before asking, and says how much can', async () => {
    const { sent, setMessage } = await renderForm();
    await type('withdraw-amount', '300.01');
    await submit('withdraw-review');
    expect($('withdraw-confirmation')).toBeNull();
    expect(setMessage).toHaveBeenLastCalledWith({ kind: 'error', text: 'At most ₹300.00 can be withdrawn now.' });
    expect(sent).not.toHaveBeenCalled();
  });

  it('refuses an amount that is not one before asking', async () => {
    const { setMessage } = await renderForm();
    await type('withdraw-amount', '1.234');
    await submit('withdraw-review');
    expect($('withdraw-confirmation')).toBeNull();
    expect(setMessage).toHaveBeenLastCalledWith({ kind: 'error', text: 'Enter an amount above 0 with at most 2 decimals.' });
  });
});
