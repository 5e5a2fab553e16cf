// The client's currency arguments: each money call sends the `currency` it is given (the wallet
// topped up or withdrawn from, the order's) and nothing without it, as before; each wallet read asks
// for the wallet of the currency it is given; and the currency refusals in words.
import { describe, expect, it } from 'vitest';
import { BASE, failure, header, only, useServiceMocks } from './serviceTestSupport.js';

const svc = useServiceMocks();
const sentBody = () => JSON.parse(only(svc.mock.history.post).data);

describe('money calls send the currency given, and none without it', () => {
  const CALLS = [
    ['initiateWalletTopup', ['cust_1', '12.34', 'paypal'], '/wallet/topup/initiate', { customer_id: 'cust_1', amount: '12.34', payment_method: 'paypal' }],
    ['payOrderWithWallet', ['ord_1', 'cust_1', '5.00'], '/order/pay-with-wallet', { order_id: 'ord_1', customer_id: 'cust_1', amount: '5.00' }],
    ['refundOrderToWallet', ['ord_1', 'cust_1', '5.00', 'damaged'], '/order/refund-to-wallet', { order_id: 'ord_1', customer_id: 'cust_1', amount: '5.00', reason: 'damaged' }],
    ['authorizeOrder', ['ord_1', 'cust_1', '5.00'], '/order/authorize', { order_id: 'ord_1', customer_id: 'cust_1', amount: '5.00' }],
    ['captureOrder', ['ord_1', '5.00'], '/order/capture', { order_id: 'ord_1', amount: '5.00' }],
    ['withdraw', ['cust_1', '5.00'], '/wallet/withdraw', { customer_id: 'cust_1', amount: '5.00' }],
  ];

  it.each(CALLS)('%s with a trailing currency sends it in the body', async (name, args, url, body) => {
    svc.mock.onPost(`${BASE}${url}`).reply(200, { success: true, currency: 'USD' });
    await svc.api[name](...args, 'USD');
    expect(sentBody()).toEqual({ ...body, currency: 'USD' });
  });

  it.each(CALLS)('%s without one sends the body it always sent', async (name, args, url, body) => {
    svc.mock.onPost(`${BASE}${url}`).reply(200, { success: true });
    await svc.api[name](...args);
    expect(sentBody()).toEqual(body);
  });

  it('initiateWalletTopup keeps razorpay as the default method when no currency is given', async () => {
    svc.mock.onPost(`${BASE}/wallet/topup/initiate`).reply(200, { success: true });
    await svc.api.initiateWalletTopup('cust_1', '500');
    expect(sentBody()).toEqual({ customer_id: 'cust_1', amount: '500', payment_method: 'razorpay' });
  });

  it('a retry in the same currency reuses the pending key; the same amount in another currency is another top-up', async () => {
    const url = `${BASE}/wallet/topup/initiate`;
    svc.mock.onPost(url).networkErrorOnce().onPost(url).networkErrorOnce().onPost(url).replyOnce(200, { success: true });
    await failure(svc.api.initiateWalletTopup('cust_1', '10', 'paypal', 'USD'));
    await failure(svc.api.initiateWalletTopup('cust_1', '10', 'paypal', 'INR'));
    await svc.api.initiateWalletTopup('cust_1', '10', 'paypal', 'USD');
    const [usd, inr, retry] = svc.mock.history.post.map((r) => header(r, 'Idempotency-Key'));
    expect(inr).not.toBe(usd);
    expect(retry).toBe(usd);
  });
});

describe("wallet reads ask for the currency's wallet", () => {
  const READS = [
    ['getIntegrationStatus', '/status/cust_1'],
    ['getWithdrawable', '/wallet/cust_1/withdrawable'],
    ['supportLookup', '/support/customers/cust_1'],
  ];

  it.each(READS)('%s takes the currency as a code or as {currency}', async (name, url) => {
    svc.mock.onGet(`${BASE}${url}`).reply(200, { success: true });
    await svc.api[name]('cust_1', 'USD');
    await svc.api[name]('cust_1', { currency: 'JPY' });
    expect(svc.mock.history.get.map((r) => r.params)).toEqual([{ currency: 'USD' }, { currency: 'JPY' }]);
  });

  it.each(READS)('%s without one asks for no currency (the default wallet)', async (name, url) => {
    svc.mock.onGet(`${BASE}${url}`).reply(200, { success: true });
    await svc.api[name]('cust_1');
    await svc.api[name]('cust_1', { currency: null });
    expect(svc.mock.history.get.map((r) => r.params)).toEqual([{}, {}]);
  });

  it("getTransactions and downloadStatement ask for the currency's ledger; the statement is named after it", async () => {
    svc.mock.onGet(`${BASE}/wallet/cust_1/transactions`).reply(200, { transactions: [], next_before: null });
    svc.mock.onGet(`${BASE}/wallet/cust_1/statement.csv`).reply(200, 'header\n');
    await svc.api.getTransactions('cust_1', { limit: 20, currency: 'USD' });
    const { filename } = await svc.api.downloadStatement('cust_1', 'USD');
    expect(svc.mock.history.get.map((r) => r.params)).toEqual([{ limit: 20, currency: 'USD' }, { currency: 'USD' }]);
    expect(filename).toBe('statement-cust_1-USD.csv');
  });
});

describe('currency refusals', () => {
  it('a gateway that does not take the currency (400 payment_method_unavailable) keeps what it takes in the body', async () => {
    svc.mock.onPost(`${BASE}/wallet/topup/initiate`).reply(400, {
      success: false,
      error: 'payment_method_unavailable',
      message: '`razorpay` does not take USD; it takes INR here.',
      currencies: ['INR'],
    });
    const err = await failure(svc.api.initiateWalletTopup('cust_1', '10', 'razorpay', 'USD'));
    expect([err.status, err.code, err.body.currencies]).toEqual([400, 'payment_method_unavailable', ['INR']]);
    expect(err.message).toBe('That payment method does not take this currency. Choose another.');
  });

  it("an amount in another currency than the order's (400 currency_mismatch) says so", async () => {
    svc.mock.onPost(`${BASE}/order/pay-with-wallet`).reply(400, { success: false, error: 'currency_mismatch', message: 'The order is in USD, not INR.' });
    const err = await failure(svc.api.payOrderWithWallet('ord_1', 'cust_1', '5.00', 'INR'));
    expect([err.code, err.message]).toEqual(['currency_mismatch', "The amount is in another currency than the order's."]);
  });
});
