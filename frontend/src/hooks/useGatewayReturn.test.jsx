// Finishing a return from checkout in jsdom, by the gateways the server describes: a gateway the
// page has never heard of is verified with its own fields, and the page waits for the description.
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import integrationService from '../services/integrationService.js';
import { readGateways } from '../gateways.js';
import { BUILT_IN, FOURTH } from '../gateways.fixture.js';
import useGatewayReturn from './useGatewayReturn.js';
import { mountRoot, unmountRoot } from '../testing/mountedRoot';

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

const GATEWAYS = readGateways({ gateways: [...BUILT_IN, FOURTH] });
const goTo = (path) => window.history.replaceState(null, '', path);
const STATUS = { wallet: { customer_id: 'cust_1', balance: 112.34, currency: 'INR' } };

function Returning({ loaded, setMessage, refresh }) {
  useGatewayReturn({ customerId: 'cust_1', gateways: loaded ? GATEWAYS : [], loaded, refresh, setMessage, onError: setMessage });
  return null;
}

let container;
let root;

async function render(props) {
  await act(async () => root.render(<Returning {...props} />));
}

beforeEach(() => {
  vi.restoreAllMocks();
  localStorage.clear();
  ({ container, root } = mountRoot());
});
afterEach(() => {
  unmountRoot({ container, root });
  goTo('/');
});

describe('a return from a fourth gateway', () => {
  it('waits for the gateways, then verifies with its own fields and says what was added', async () => {
    goTo('/?upi_ref=upi_1&upi_txn=txn_9&upi_proof=p0&payment_method=upi_direct');
    const verify = vi.spyOn(integrationService, 'verifyWalletTopup').mockResolvedValue({
      success: true, wallet_balance: 112.34, currency: 'INR', amount: 12.34, already_credited: false,
    });
    const setMessage = vi.fn();
    const refresh = vi.fn(async () => STATUS);
    await render({ loaded: false, setMessage, refresh });
    expect(verify).not.toHaveBeenCalled();
    expect(refresh).not.toHaveBeenCalled();
    await render({ loaded: true, setMessage, refresh });
    expect(verify).toHaveBeenCalledWith(null, 'upi_1', null, 'upi_direct', { payment_ref: 'txn_9', proof: 'p0' });
    expect(setMessage).toHaveBeenLastCalledWith({ kind: 'success', text: 'Top-up successful: ₹12.34 added. New balance ₹112.34.' });
    expect(window.location.search).toBe('');
  });

  it('says what of the top-up paid what the wallet owed', async () => {
    goTo('/?upi_ref=upi_1&upi_txn=txn_9&upi_proof=p0&payment_method=upi_direct');
    vi.spyOn(integrationService, 'verifyWalletTopup').mockResolvedValue({
      success: true, wallet_balance: 2.34, currency: 'INR', amount: 12.34, already_credited: false,
    });
    const entries = [
      { transaction_id: 'le_3', kind: 'debt_repayment', amount: 10, reference: { credit_entry_id: 'le_2' } },
      { transaction_id: 'le_2', kind: 'topup', amount: 12.34, reference: { payment_order_id: 'upi_1' } },
      { transaction_id: 'le_1', kind: 'debt_repayment', amount: 3, reference: { credit_entry_id: 'le_0' } },
    ];
    const setMessage = vi.fn();
    await render({ loaded: true, setMessage, refresh: async () => ({ ...STATUS, recent_transactions: entries }) });
    expect(setMessage).toHaveBeenLastCalledWith({
      kind: 'success',
      text: 'Top-up successful: ₹12.34 added; ₹10.00 of it paid what your wallet owed. New balance ₹2.34.',
    });
  });

  it.each([
    [FOURTH.name, /already credited .*; nothing more was added to your wallet\./],
    ['razorpay', /already credited .*; this second payment added nothing to your wallet\./],
  ])("words a second Pay by the gateway's description (%s)", async (method, said) => {
    goTo(method === 'razorpay'
      ? '/?razorpay_payment_id=pay_2&razorpay_order_id=order_1&razorpay_signature=s'
      : '/?upi_ref=order_1&upi_txn=txn_2&upi_proof=p2&payment_method=upi_direct');
    vi.spyOn(integrationService, 'verifyWalletTopup').mockResolvedValue({ success: true, amount: 5, currency: 'INR', already_credited: true });
    vi.spyOn(integrationService, 'getTopupStatus').mockResolvedValue({ status: 'credited', amount: 5, currency: 'INR', credited_at: '2026-01-01T00:00:00Z' });
    const setMessage = vi.fn();
    await render({ loaded: true, setMessage, refresh: async () => STATUS });
    expect(setMessage.mock.lastCall[0].kind).toBe('info');
    expect(setMessage.mock.lastCall[0].text).toMatch(said);
  });
});
