// Back to a gateway's page and Pay again: the return never says "Top-up successful" for a top-up
// this tab announced already (however recent its credit), and says what became of a second payment.
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import integrationService from '../services/integrationService.js';
import { readGateways } from '../gateways.js';
import { BUILT_IN } from '../gateways.fixture.js';
import { wasAnnouncedTopup } from '../session.js';
import useGatewayReturn from './useGatewayReturn.js';
import { mountRoot } from '../testing/mountedRoot';

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

const GATEWAYS = readGateways({ gateways: BUILT_IN });
const goTo = (path) => window.history.replaceState(null, '', path);
const STATUS = { wallet: { customer_id: 'cust_1', balance: 20, currency: 'INR' } };
const GOOGLE_PAY_RETURN = '/?payment_order_id=gpay_1&payment_method=google_pay';
const PAYPAL_RETURN = '/?paypal_order_id=PP1&payment_method=paypal';

function Returning({ setMessage }) {
  useGatewayReturn({ customerId: 'cust_1', gateways: GATEWAYS, loaded: true, refresh: async () => STATUS, setMessage, onError: setMessage });
  return null;
}

let container;
let root;

// One page load returning to `path`: what it said last.
async function returnTo(path) {
  goTo(path);
  const setMessage = vi.fn();
  ({ container, root } = mountRoot());
  await act(async () => root.render(<Returning setMessage={setMessage} />));
  await act(async () => root.unmount());
  container.remove();
  return setMessage.mock.lastCall[0];
}

const creditedJustNow = () => ({ status: 'credited', amount: 10, currency: 'INR', credited_at: new Date().toISOString() });

beforeEach(() => {
  vi.restoreAllMocks();
  localStorage.clear();
  sessionStorage.clear();
});
afterEach(() => goTo('/'));

describe('an await_credit gateway (Google Pay), paid again without a flag (as its live page returns)', () => {
  it('says the first return is a top-up, and the next one for the same top-up that it was credited earlier', async () => {
    vi.spyOn(integrationService, 'getTopupStatus').mockImplementation(async () => creditedJustNow());
    expect(await returnTo(GOOGLE_PAY_RETURN)).toEqual({ kind: 'success', text: 'Top-up successful: ₹10.00 added. New balance ₹20.00.' });
    expect(wasAnnouncedTopup('gpay_1')).toBe(true);
    const again = await returnTo(GOOGLE_PAY_RETURN);
    expect(again.kind).toBe('info');
    expect(again.text).toMatch(/^This top-up of ₹10\.00 was already credited on .*; nothing more was added to your wallet\. Balance ₹20\.00\.$/);
  });

  it('a fresh credit of another top-up is still announced', async () => {
    vi.spyOn(integrationService, 'getTopupStatus').mockImplementation(async () => creditedJustNow());
    await returnTo(GOOGLE_PAY_RETURN);
    expect((await returnTo('/?payment_order_id=gpay_2&payment_method=google_pay')).text).toMatch(/^Top-up successful/);
  });
});

describe("verify's answer to a second payment", () => {
  it.each([
    ['pending', 'this second payment is being refunded to you'],
    ['requested', 'this second payment is being refunded to you'],
    ['processed', 'this second payment has been refunded to you'],
    ['failed', 'this second payment could not be refunded automatically: contact support to get it back'],
  ])('second_payment_refund %s', async (refundStatus, words) => {
    vi.spyOn(integrationService, 'verifyWalletTopup').mockResolvedValue({
      success: true, amount: 10, currency: 'INR', wallet_balance: 20, already_credited: true, second_payment_refund: refundStatus,
    });
    vi.spyOn(integrationService, 'getTopupStatus').mockImplementation(async () => creditedJustNow());
    const said = await returnTo(PAYPAL_RETURN);
    expect(said.kind).toBe('info');
    expect(said.text).toMatch(new RegExp(`already credited .*; nothing more was added to your wallet; ${words}\\. Balance ₹20\\.00\\.$`));
  });

  it("words a charging gateway's second payment (Razorpay) and its refund", async () => {
    vi.spyOn(integrationService, 'verifyWalletTopup').mockResolvedValue({
      success: true, amount: 10, currency: 'INR', wallet_balance: 20, already_credited: true, second_payment_refund: 'processed',
    });
    vi.spyOn(integrationService, 'getTopupStatus').mockImplementation(async () => creditedJustNow());
    expect((await returnTo('/?razorpay_payment_id=pay_2&razorpay_order_id=order_1&razorpay_signature=s')).text).toMatch(
      /already credited .*; this second payment added nothing to your wallet; it has been refunded to you\. Balance ₹20\.00\.$/,
    );
  });

  it('a verify that fails on a top-up announced already says it was credited earlier', async () => {
    vi.spyOn(integrationService, 'verifyWalletTopup')
      .mockResolvedValueOnce({ success: true, amount: 10, currency: 'INR', wallet_balance: 20, already_credited: false })
      .mockRejectedValueOnce(Object.assign(new Error('The service is unavailable right now.'), { status: 503 }));
    vi.spyOn(integrationService, 'getTopupStatus').mockImplementation(async () => creditedJustNow());
    expect((await returnTo(PAYPAL_RETURN)).text).toBe('Top-up successful: ₹10.00 added. New balance ₹20.00.');
    expect((await returnTo(PAYPAL_RETURN)).text).toMatch(/^This top-up of ₹10\.00 was already credited .*; nothing more was added to your wallet\./);
  });
});
