import { beforeEach, describe, expect, it } from 'vitest';
import { TOKEN_KEY } from './services/integrationService.js';
import {
  clearGatewayReturn,
  currentSession,
  decodeJwtPayload,
  readGatewayReturn,
  saveGatewayReturn,
  takeSavedGatewayReturn,
  takeTokenFromUrl,
  topupCredited,
} from './session.js';
import { readGateways } from './gateways.js';
import { BUILT_IN, FOURTH } from './gateways.fixture.js';

const b64url = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
const jwt = (payload) => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}.c2ln`;
const goTo = (path) => window.history.replaceState(null, '', path);

beforeEach(() => {
  localStorage.clear();
  goTo('/');
});

describe('sign-in link', () => {
  it('stores ?token= in localStorage wallet_token and removes it from the URL', () => {
    const token = jwt({ sub: 'cust_demo' });
    goTo(`/?token=${token}&x=1#top`);
    takeTokenFromUrl();
    expect(localStorage.getItem(TOKEN_KEY)).toBe(token);
    expect(window.location.search).toBe('?x=1');
    expect(window.location.hash).toBe('#top');
  });

  it('ignores a token parameter that is not a JWT (a gateway id)', () => {
    goTo('/?token=5O190127TN364715T&PayerID=ABC');
    takeTokenFromUrl();
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(window.location.search).toContain('token=5O190127TN364715T');
  });

  it('reads the customer id from the sub claim, base64url with non-ASCII text', () => {
    localStorage.setItem(TOKEN_KEY, jwt({ sub: 'cust_demo', name: 'Zoë ~~??>>' }));
    expect(currentSession()).toMatchObject({ customerId: 'cust_demo', expired: false });
    expect(decodeJwtPayload(localStorage.getItem(TOKEN_KEY)).name).toBe('Zoë ~~??>>');
  });

  it('has no session without a token or with a token lacking sub', () => {
    expect(currentSession()).toBeNull();
    localStorage.setItem(TOKEN_KEY, jwt({ role: 'customer' }));
    expect(currentSession()).toBeNull();
    localStorage.setItem(TOKEN_KEY, 'garbage');
    expect(currentSession()).toBeNull();
  });

  it('marks a token past its exp as expired', () => {
    localStorage.setItem(TOKEN_KEY, jwt({ sub: 'c', exp: 1000 }));
    expect(currentSession(1000 * 1000 + 1).expired).toBe(true);
    expect(currentSession(999 * 1000).expired).toBe(false);
  });
});

describe('gateway return (read by the gateways the server describes)', () => {
  const GATEWAYS = readGateways({ gateways: BUILT_IN });
  const read = () => readGatewayReturn(GATEWAYS);

  it('reads the three Razorpay checkout values', () => {
    goTo('/?razorpay_payment_id=pay_1&razorpay_order_id=order_1&razorpay_signature=abc');
    expect(read()).toEqual({ kind: 'verify', method: 'razorpay', orderId: 'order_1', fields: { payment_id: 'pay_1', signature: 'abc' } });
  });

  it('reads payment_error as a failed payment', () => {
    goTo('/?razorpay_order_id=order_1&payment_error=payment_failed');
    expect(read()).toEqual({ kind: 'error', error: 'payment_failed', orderId: 'order_1', method: 'razorpay' });
  });

  it('is nothing when a value is missing', () => {
    goTo('/?razorpay_payment_id=pay_1&razorpay_order_id=order_1');
    expect(read()).toBeNull();
  });

  it('reads a PayPal return (approved order to capture)', () => {
    goTo('/?paypal_order_id=JUVZCET107J4XC7JA&payment_method=paypal');
    expect(read()).toEqual({ kind: 'verify', method: 'paypal', orderId: 'JUVZCET107J4XC7JA', fields: {} });
  });

  it('reads a PayPal return without payment_method', () => {
    goTo('/?paypal_order_id=5O190127TN364715T');
    expect(read()).toEqual({ kind: 'verify', method: 'paypal', orderId: '5O190127TN364715T', fields: {} });
  });

  it('reads a failed or cancelled PayPal checkout as an error', () => {
    goTo('/?paypal_order_id=JUVZCET107J4XC7JA&payment_method=paypal&payment_error=payment_failed');
    expect(read()).toEqual({
      kind: 'error',
      error: 'payment_failed',
      orderId: 'JUVZCET107J4XC7JA',
      method: 'paypal',
    });
    goTo('/?paypal_order_id=JUVZCET107J4XC7JA&payment_method=paypal&payment_error=cancelled');
    expect(read()).toMatchObject({ kind: 'error', error: 'cancelled', method: 'paypal' });
  });

  it('reads a Google Pay return (already paid, nothing to verify)', () => {
    goTo('/?payment_order_id=gpay_EspVvrXGQW2kqE&payment_method=google_pay');
    expect(read()).toEqual({ kind: 'await_credit', method: 'google_pay', orderId: 'gpay_EspVvrXGQW2kqE' });
  });

  it('reads a failed Google Pay checkout as an error', () => {
    goTo('/?payment_order_id=gpay_1&payment_method=google_pay&payment_error=payment_failed');
    expect(read()).toEqual({ kind: 'error', error: 'payment_failed', orderId: 'gpay_1', method: 'google_pay' });
  });

  it('ignores payment_order_id without payment_method=google_pay and an unrelated query', () => {
    goTo('/?payment_order_id=gpay_1');
    expect(read()).toBeNull();
    goTo('/?payment_order_id=gpay_1&payment_method=razorpay');
    expect(read()).toBeNull();
    goTo('/?paypal_order_id=X1&payment_method=google_pay');
    expect(read()).toBeNull();
    goTo('/?x=1');
    expect(read()).toBeNull();
  });

  it('reads a fourth gateway it has never heard of, by its description alone', () => {
    const gateways = readGateways({ gateways: [...BUILT_IN, FOURTH] });
    goTo('/?upi_ref=upi_1&upi_txn=txn_9&upi_proof=p0&payment_method=upi_direct&x=1');
    expect(readGatewayReturn(gateways)).toEqual({
      kind: 'verify',
      method: 'upi_direct',
      orderId: 'upi_1',
      fields: { payment_ref: 'txn_9', proof: 'p0' },
    });
    goTo('/?upi_ref=upi_1&upi_txn=txn_9&upi_proof=p0'); // by its `match` parameter, without payment_method
    expect(readGatewayReturn(gateways)).toMatchObject({ method: 'upi_direct', orderId: 'upi_1' });
    goTo('/?upi_ref=upi_1&upi_txn=txn_9'); // its proof is missing
    expect(readGatewayReturn(gateways)).toBeNull();
    goTo('/?upi_ref=upi_1&payment_error=cancelled');
    expect(readGatewayReturn(gateways)).toEqual({ kind: 'error', error: 'cancelled', orderId: 'upi_1', method: 'upi_direct' });
    goTo('/?upi_ref=upi_1&upi_txn=txn_9&upi_proof=p0&x=1#top');
    clearGatewayReturn(gateways);
    expect(window.location.pathname + window.location.search + window.location.hash).toBe('/?x=1#top');
    goTo('/?upi_ref=upi_1&upi_txn=txn_9&upi_proof=p0');
    expect(read()).toBeNull(); // a server that does not describe it: not a return
  });

  it('reads only a failure when the server described no gateway', () => {
    goTo('/?razorpay_payment_id=pay_1&razorpay_order_id=order_1&razorpay_signature=abc');
    expect(readGatewayReturn([])).toBeNull();
    goTo('/?payment_method=paypal&payment_error=cancelled');
    expect(readGatewayReturn([])).toEqual({ kind: 'error', error: 'cancelled', orderId: null, method: 'paypal' });
  });

  it('clearGatewayReturn strips the gateway values from the URL', () => {
    goTo('/?razorpay_payment_id=pay_1&razorpay_order_id=order_1&razorpay_signature=abc&payment_error=x');
    clearGatewayReturn(GATEWAYS);
    expect(window.location.pathname + window.location.search).toBe('/');
  });

  it.each([
    '/?paypal_order_id=JUVZCET107J4XC7JA&payment_method=paypal',
    '/?paypal_order_id=JUVZCET107J4XC7JA&payment_method=paypal&payment_error=payment_failed',
    '/?payment_order_id=gpay_1&payment_method=google_pay',
    '/?payment_order_id=gpay_1&payment_method=google_pay&payment_error=payment_failed',
  ])('clearGatewayReturn strips %s and keeps other parameters and the hash', (path) => {
    goTo(`${path}&x=1#top`);
    clearGatewayReturn(GATEWAYS);
    expect(window.location.pathname + window.location.search + window.location.hash).toBe('/?x=1#top');
    expect(read()).toBeNull();
  });
});

describe('topupCredited', () => {
  const status = {
    recent_transactions: [
      { kind: 'payment', type: 'debit', reference: { order_id: 'gpay_1' } },
      { kind: 'topup', type: 'credit', reference: { payment_order_id: 'gpay_2', gateway: 'google_pay' } },
    ],
  };

  it('finds the top-up credit for the payment order', () => {
    expect(topupCredited(status, 'gpay_2')).toBe(true);
  });

  it('is false for another payment order, an order payment with that id, or no transactions', () => {
    expect(topupCredited(status, 'gpay_3')).toBe(false);
    expect(topupCredited(status, 'gpay_1')).toBe(false);
    expect(topupCredited({}, 'gpay_2')).toBe(false);
    expect(topupCredited(null, 'gpay_2')).toBe(false);
  });
});

describe('issue 11: sign-in links that are not valid, returns while signed out', () => {
  it('removes ?token=garbage from the URL, keeps nothing, says it was invalid', () => {
    goTo('/?token=garbage&x=1');
    expect(takeTokenFromUrl()).toBe('invalid');
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(window.location.search).toBe('?x=1');
  });

  it('keeps an earlier sign-in when a link is cut short', () => {
    const token = jwt({ sub: 'cust_demo' });
    localStorage.setItem(TOKEN_KEY, token);
    goTo('/?token=eyJhbGciOi.eyJzdWIi');
    expect(takeTokenFromUrl()).toBe('invalid');
    expect(localStorage.getItem(TOKEN_KEY)).toBe(token);
    expect(window.location.search).toBe('');
  });

  it('treats three dots-separated parts without a sub as invalid', () => {
    goTo(`/?token=${jwt({ role: 'customer' })}`);
    expect(takeTokenFromUrl()).toBe('invalid');
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
  });

  it('says taken for a sign-in token and null without one', () => {
    goTo(`/?token=${jwt({ sub: 'c' })}`);
    expect(takeTokenFromUrl()).toBe('taken');
    goTo('/');
    expect(takeTokenFromUrl()).toBeNull();
  });

  it('reads the role for the view', () => {
    localStorage.setItem(TOKEN_KEY, jwt({ sub: 'admin_demo', role: 'admin' }));
    expect(currentSession().role).toBe('admin');
    localStorage.setItem(TOKEN_KEY, jwt({ sub: 'c', role: 'superuser' }));
    expect(currentSession().role).toBe('customer');
  });

  it('keeps a gateway return for an hour, once', () => {
    const back = { kind: 'verify', method: 'razorpay', orderId: 'order_1', fields: { payment_id: 'pay_1', signature: 's' } };
    saveGatewayReturn(back, 1000);
    expect(takeSavedGatewayReturn(1000 + 59 * 60 * 1000)).toEqual(back);
    expect(takeSavedGatewayReturn(1000)).toBeNull(); // taken already
    saveGatewayReturn(back, 1000);
    expect(takeSavedGatewayReturn(1000 + 61 * 60 * 1000)).toBeNull(); // too old
  });
});
