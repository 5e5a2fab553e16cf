import { describe, expect, it } from 'vitest';
import { withdrawalMessage, withdrawalSettled } from './withdrawal.js';
import { readGateways } from './gateways.js';
import { BUILT_IN } from './gateways.fixture.js';

const GATEWAYS = readGateways({ gateways: BUILT_IN });
const part = (gateway, amount, status) => ({ gateway, payment_id: `p_${gateway}`, payment_order_id: `o_${gateway}`, amount, status });
const withdrawal = (status, refunds) => ({ withdrawal_id: 'wdr_1', status, amount: 150, currency: 'INR', refunds });

describe('withdrawalMessage', () => {
  it('completed: what went back to each gateway', () => {
    const said = withdrawalMessage(withdrawal('completed', [part('razorpay', 100, 'processed'), part('paypal', 50, 'processed')]), GATEWAYS);
    expect(said).toEqual({ kind: 'success', text: 'Withdrawal complete: ₹150.00 refunded (₹100.00 to Razorpay, ₹50.00 to PayPal).' });
  });

  it('pending: on its way, what is done already, and that it is on hold meanwhile', () => {
    const said = withdrawalMessage(withdrawal('pending', [part('razorpay', 100, 'processed'), part('paypal', 50, 'pending')]), GATEWAYS);
    expect(said.kind).toBe('info');
    expect(said.text).toBe(
      'Withdrawal of ₹150.00 is on its way: ₹100.00 to Razorpay refunded already; ₹50.00 to PayPal waiting for the payment provider. ' +
        'Until each provider confirms, the amount is on hold in your wallet.',
    );
  });

  it('partially completed: what was refunded, what was refused and that it is back', () => {
    const said = withdrawalMessage(withdrawal('partially_completed', [part('razorpay', 100, 'processed'), part('paypal', 50, 'failed')]), GATEWAYS);
    expect(said).toEqual({
      kind: 'info',
      text: 'Withdrawal partly refused: ₹100.00 to Razorpay refunded; ₹50.00 to PayPal refused, and it is back in your available balance.',
    });
  });

  it("failed: nothing left the wallet (the support view's words name the customer)", () => {
    const said = withdrawalMessage(withdrawal('failed', [part('paypal', 150, 'failed')]), GATEWAYS, "cust_1's");
    expect(said).toEqual({ kind: 'error', text: "Withdrawal refused: the payment provider refused ₹150.00 to PayPal; nothing left cust_1's wallet." });
  });

  it('a gateway the server does not describe is named by its name', () => {
    expect(withdrawalMessage(withdrawal('completed', [part('upi_direct', 150, 'processed')]), GATEWAYS).text).toMatch(/₹150\.00 to upi_direct/);
  });

  it('is settled unless pending', () => {
    expect(['pending', 'completed', 'failed', 'partially_completed'].map((status) => withdrawalSettled({ status }))).toEqual([false, true, true, true]);
  });
});
