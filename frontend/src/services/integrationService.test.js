import { describe, expect, it, vi } from 'vitest';
import integrationService, { createIntegrationService, statementFileName, TOKEN_KEY } from './integrationService.js';
import { BASE, failure, header, only, useServiceMocks, UUID } from './serviceTestSupport.js';

const svc = useServiceMocks();
const lastPost = () => svc.mock.history.post[svc.mock.history.post.length - 1];
const keysSent = () => svc.mock.history.post.map((r) => header(r, 'Idempotency-Key'));

describe('methods: URL, HTTP method, body, result', () => {
  it('initiateWalletTopup posts customer, amount and razorpay by default', async () => {
    const reply = { success: true, payment_order_id: 'order_1', redirect_url: '/sim', amount: 500, currency: 'INR' };
    svc.mock.onPost(`${BASE}/wallet/topup/initiate`).reply(201, reply);
    await expect(svc.api.initiateWalletTopup('cust_demo', '500')).resolves.toEqual(reply);
    const req = only(svc.mock.history.post);
    expect(JSON.parse(req.data)).toEqual({ customer_id: 'cust_demo', amount: '500', payment_method: 'razorpay' });
  });

  it('initiateWalletTopup sends the chosen payment method', async () => {
    svc.mock.onPost(`${BASE}/wallet/topup/initiate`).reply(201, { success: true });
    await svc.api.initiateWalletTopup('cust_demo', 10, 'paypal');
    expect(JSON.parse(lastPost().data).payment_method).toBe('paypal');
  });

  it('verifyWalletTopup posts the three checkout values and no Idempotency-Key', async () => {
    const reply = { success: true, message: 'ok', wallet_balance: 1750 };
    svc.mock.onPost(`${BASE}/wallet/topup/verify`).reply(200, reply);
    await expect(svc.api.verifyWalletTopup('pay_1', 'order_1', 'sig')).resolves.toEqual(reply);
    const req = only(svc.mock.history.post);
    expect(JSON.parse(req.data)).toEqual({ payment_id: 'pay_1', order_id: 'order_1', signature: 'sig' });
    expect(header(req, 'Idempotency-Key')).toBeUndefined();
  });

  it("verifyWalletTopup with 'razorpay' given explicitly sends the same three values, no payment_method", async () => {
    svc.mock.onPost(`${BASE}/wallet/topup/verify`).reply(200, { success: true, wallet_balance: 10 });
    await svc.api.verifyWalletTopup('pay_1', 'order_1', 'sig', 'razorpay');
    expect(JSON.parse(only(svc.mock.history.post).data)).toEqual({ payment_id: 'pay_1', order_id: 'order_1', signature: 'sig' });
  });

  it('verifyWalletTopup for PayPal posts only the PayPal order id and payment_method', async () => {
    const reply = { success: true, message: 'Payment verified; wallet credited.', wallet_balance: 12.34, currency: 'INR' };
    svc.mock.onPost(`${BASE}/wallet/topup/verify`).reply(200, reply);
    await expect(svc.api.verifyWalletTopup(null, 'JUVZCET107J4XC7JA', null, 'paypal')).resolves.toEqual(reply);
    const req = only(svc.mock.history.post);
    expect(JSON.parse(req.data)).toEqual({ order_id: 'JUVZCET107J4XC7JA', payment_method: 'paypal' });
    expect(header(req, 'Idempotency-Key')).toBeUndefined();
  });

  it('verifyWalletTopup for PayPal ignores a payment id and signature passed anyway', async () => {
    svc.mock.onPost(`${BASE}/wallet/topup/verify`).reply(200, { success: true });
    await svc.api.verifyWalletTopup('pay_x', 'PAYPALORDER1', 'sig_x', 'paypal');
    expect(JSON.parse(only(svc.mock.history.post).data)).toEqual({ order_id: 'PAYPALORDER1', payment_method: 'paypal' });
  });

  it('verifyWalletTopup for PayPal: payment_not_captured (409) says nothing was added', async () => {
    svc.mock.onPost(`${BASE}/wallet/topup/verify`).reply(409, {
      success: false,
      error: 'payment_not_captured',
      message: 'PayPal order is not approved',
    });
    const err = await failure(svc.api.verifyWalletTopup(null, 'PAYPALORDER1', null, 'paypal'));
    expect(err).toMatchObject({ code: 'payment_not_captured', status: 409 });
    expect(err.message).toMatch(/Nothing was added/);
  });

  it("verifyWalletTopup with a gateway's return fields posts them with order_id and payment_method", async () => {
    svc.mock.onPost(`${BASE}/wallet/topup/verify`).reply(200, { success: true });
    await svc.api.verifyWalletTopup(null, 'upi_1', null, 'upi_direct', { payment_ref: 'txn_9', proof: 'p0' });
    expect(JSON.parse(only(svc.mock.history.post).data)).toEqual({
      order_id: 'upi_1',
      payment_method: 'upi_direct',
      payment_ref: 'txn_9',
      proof: 'p0',
    });
  });

  it("verifyWalletTopup for Razorpay with fields sends them named, as any gateway's (the page's way)", async () => {
    svc.mock.onPost(`${BASE}/wallet/topup/verify`).reply(200, { success: true });
    await svc.api.verifyWalletTopup(null, 'order_1', null, 'razorpay', { payment_id: 'pay_1', signature: 'sig' });
    expect(JSON.parse(only(svc.mock.history.post).data)).toEqual({
      order_id: 'order_1',
      payment_method: 'razorpay',
      payment_id: 'pay_1',
      signature: 'sig',
    });
  });

  it('verifyWalletTopup for another method names it, so the server can refuse it', async () => {
    svc.mock.onPost(`${BASE}/wallet/topup/verify`).reply(400, { success: false, error: 'invalid_request', message: 'no' });
    await failure(svc.api.verifyWalletTopup(null, 'gpay_1', null, 'google_pay'));
    expect(JSON.parse(only(svc.mock.history.post).data)).toEqual({ order_id: 'gpay_1', payment_method: 'google_pay' });
  });

  it('payOrderWithWallet posts order, customer and amount', async () => {
    const reply = { success: true, transaction_id: 'txn_1', remaining_balance: 1000 };
    svc.mock.onPost(`${BASE}/order/pay-with-wallet`).reply(200, reply);
    await expect(svc.api.payOrderWithWallet('ord_demo_1', 'cust_demo', 250)).resolves.toEqual(reply);
    const req = only(svc.mock.history.post);
    expect(JSON.parse(req.data)).toEqual({ order_id: 'ord_demo_1', customer_id: 'cust_demo', amount: 250 });
  });

  it('refundOrderToWallet posts order, customer, amount and reason', async () => {
    const reply = { success: true, transaction_id: 'txn_2', new_balance: 1250 };
    svc.mock.onPost(`${BASE}/order/refund-to-wallet`).reply(200, reply);
    await expect(svc.api.refundOrderToWallet('ord_demo_1', 'cust_demo', '250.00', 'damaged')).resolves.toEqual(reply);
    const req = only(svc.mock.history.post);
    expect(JSON.parse(req.data)).toEqual({
      order_id: 'ord_demo_1',
      customer_id: 'cust_demo',
      amount: '250.00',
      reason: 'damaged',
    });
  });

  it('getIntegrationStatus gets /status/<customer_id> with the id URL-encoded', async () => {
    const reply = { success: true, wallet: { balance: 0, currency: 'INR' } };
    svc.mock.onGet(`${BASE}/status/a%2Fb%3F`).reply(200, reply);
    await expect(svc.api.getIntegrationStatus('a/b?')).resolves.toEqual(reply);
    only(svc.mock.history.get);
  });

  it('listGateways gets /gateways, without a sign-in', async () => {
    localStorage.removeItem('wallet_token');
    const reply = { success: true, gateways: [{ name: 'razorpay', label: 'Razorpay' }] };
    svc.mock.onGet(`${BASE}/gateways`).reply(200, reply);
    await expect(svc.api.listGateways()).resolves.toEqual(reply);
    expect(header(only(svc.mock.history.get), 'Authorization')).toBeUndefined();
  });

  it('healthCheck gets /health', async () => {
    svc.mock.onGet(`${BASE}/health`).reply(200, { status: 'ok' });
    await expect(svc.api.healthCheck()).resolves.toEqual({ status: 'ok' });
    expect(only(svc.mock.history.get).url).toBe('/health');
  });
});

describe('configuration and token', () => {
  it('the default export has the six methods, the history, support, withdrawal, simulator, hold, limit and settlement calls, and uses /api/integration', async () => {
    expect(Object.keys(integrationService).sort()).toEqual([
      'authorizeOrder',
      'captureOrder',
      'downloadSettlementCsv',
      'downloadStatement',
      'getIntegrationStatus',
      'getLimits',
      'getSettlement',
      'getTopupStatus',
      'getTransactions',
      'getWithdrawable',
      'getWithdrawal',
      'healthCheck',
      'initiateWalletTopup',
      'listGateways',
      'listOrders',
      'payOrderWithWallet',
      'refundOrderToWallet',
      'setKycLevel',
      'settleDay',
      'simulatorOpenDispute',
      'simulatorRefund',
      'simulatorResolveDispute',
      'simulatorReverse',
      'supportAudit',
      'supportLookup',
      'supportReconcile',
      'supportWebhooks',
      'verifyWalletTopup',
      'voidOrder',
      'withdraw',
    ]);
    const fresh = createIntegrationService();
    svc.mock.onGet('/api/integration/health').reply(200, {});
    await fresh.healthCheck();
    expect(only(svc.mock.history.get).baseURL).toBe('/api/integration');
  });

  it('takes the base URL from VITE_API_BASE_URL', async () => {
    vi.stubEnv('VITE_API_BASE_URL', 'https://wallet.example/api/integration');
    const configured = createIntegrationService();
    svc.mock.onGet('https://wallet.example/api/integration/health').reply(200, {});
    await configured.healthCheck();
    expect(only(svc.mock.history.get).baseURL).toBe('https://wallet.example/api/integration');
  });

  it('sends the JWT from localStorage wallet_token as a Bearer token, read at call time', async () => {
    svc.mock.onGet(`${BASE}/health`).reply(200, {});
    localStorage.setItem(TOKEN_KEY, 'newer.jwt.token');
    await svc.api.healthCheck();
    expect(header(only(svc.mock.history.get), 'Authorization')).toBe('Bearer newer.jwt.token');
  });

  it('sends no Authorization header when there is no token', async () => {
    localStorage.removeItem(TOKEN_KEY);
    svc.mock.onGet(`${BASE}/health`).reply(200, {});
    await svc.api.healthCheck();
    expect(header(only(svc.mock.history.get), 'Authorization')).toBeFalsy();
  });
});

describe('Idempotency-Key', () => {
  const calls = {
    initiate: [`${BASE}/wallet/topup/initiate`, () => svc.api.initiateWalletTopup('cust_demo', 500)],
    pay: [`${BASE}/order/pay-with-wallet`, () => svc.api.payOrderWithWallet('ord_demo_1', 'cust_demo', 250)],
    refund: [`${BASE}/order/refund-to-wallet`, () => svc.api.refundOrderToWallet('ord_demo_1', 'cust_demo', 250, 'r')],
  };

  it.each(Object.keys(calls))('%s sends a UUID Idempotency-Key', async (name) => {
    const [url, call] = calls[name];
    svc.mock.onPost(url).reply(200, { success: true });
    await call();
    expect(header(lastPost(), 'Idempotency-Key')).toMatch(UUID);
  });

  it.each(Object.keys(calls))('%s retried after a network failure reuses the key', async (name) => {
    const [url, call] = calls[name];
    svc.mock.onPost(url).networkErrorOnce().onPost(url).reply(200, { success: true });
    await failure(call());
    await call();
    const [first, second] = keysSent();
    expect(first).toMatch(UUID);
    expect(second).toBe(first);
  });

  it('a retry after a 5xx reuses the key', async () => {
    const [url, call] = calls.pay;
    svc.mock.onPost(url).replyOnce(503, { success: false, error: 'store_unavailable' }).onPost(url).reply(200, {});
    await failure(call());
    await call();
    const [first, second] = keysSent();
    expect(second).toBe(first);
  });

  it('a retry after idempotency_key_in_progress (409) reuses the key', async () => {
    const [url, call] = calls.refund;
    const busy = { success: false, error: 'idempotency_key_in_progress', message: 'still running' };
    svc.mock.onPost(url).replyOnce(409, busy).onPost(url).reply(200, {});
    const err = await failure(call());
    expect(err.message).toMatch(/still being processed/);
    await call();
    const [first, second] = keysSent();
    expect(second).toBe(first);
  });

  it('a new call after a success gets a new key', async () => {
    const [url, call] = calls.pay;
    svc.mock.onPost(url).reply(200, { success: true });
    await call();
    await call();
    const [first, second] = keysSent();
    expect(second).toMatch(UUID);
    expect(second).not.toBe(first);
  });

  it('a call with other arguments gets another key while a failed one is pending', async () => {
    const url = `${BASE}/order/pay-with-wallet`;
    svc.mock.onPost(url).networkErrorOnce().onPost(url).reply(200, {});
    await failure(svc.api.payOrderWithWallet('ord_demo_1', 'cust_demo', 250));
    await svc.api.payOrderWithWallet('ord_demo_2', 'cust_demo', 120.5);
    const [first, second] = keysSent();
    expect(second).not.toBe(first);
  });

  it('a 401 after a lost answer keeps the key: the call after signing in again reuses it', async () => {
    const [url, call] = calls.refund;
    const expired = { success: false, error: 'token_expired', message: 'Token expired' };
    svc.mock.onPost(url).networkErrorOnce().onPost(url).replyOnce(401, expired).onPost(url).reply(200, {});
    await failure(call());
    expect((await failure(call())).status).toBe(401);
    await call();
    const [first, second, third] = keysSent();
    expect([second, third]).toEqual([first, first]);
  });

  it('a retry after a definite refusal (402) gets a new key, so the refusal is not replayed', async () => {
    const [url, call] = calls.pay;
    svc.mock.onPost(url).replyOnce(402, { success: false, error: 'insufficient_funds' }).onPost(url).reply(200, {});
    await failure(call());
    await call();
    const [first, second] = keysSent();
    expect(second).not.toBe(first);
  });
});

describe('errors', () => {
  it('a network failure is an Error with code network_error and status 0', async () => {
    svc.mock.onGet(`${BASE}/status/cust_demo`).networkError();
    const err = await failure(svc.api.getIntegrationStatus('cust_demo'));
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'network_error', status: 0 });
    expect(err.message).toMatch(/reach the server/i);
  });

  it('a timeout is reported as a network failure', async () => {
    svc.mock.onGet(`${BASE}/health`).timeout();
    const err = await failure(svc.api.healthCheck());
    expect(err.code).toBe('network_error');
  });

  it('401 keeps the API code and says the sign-in expired', async () => {
    svc.mock.onGet(`${BASE}/status/cust_demo`).reply(401, { success: false, error: 'token_expired', message: 'Token expired' });
    const err = await failure(svc.api.getIntegrationStatus('cust_demo'));
    expect(err).toMatchObject({ code: 'token_expired', status: 401 });
    expect(err.message).toMatch(/sign-in has expired/i);
  });

  it('401 without a code becomes session_expired', async () => {
    svc.mock.onGet(`${BASE}/status/cust_demo`).reply(401, '');
    const err = await failure(svc.api.getIntegrationStatus('cust_demo'));
    expect(err).toMatchObject({ code: 'session_expired', status: 401 });
  });

  it('402 insufficient_funds says there is not enough money', async () => {
    svc.mock.onPost(`${BASE}/order/pay-with-wallet`).reply(402, {
      success: false,
      error: 'insufficient_funds',
      message: 'Insufficient wallet balance',
    });
    const err = await failure(svc.api.payOrderWithWallet('ord_demo_3', 'cust_demo', 999));
    expect(err).toMatchObject({ code: 'insufficient_funds', status: 402, message: 'Not enough money in your wallet.' });
  });

  it('403 says the wallet is not yours', async () => {
    svc.mock.onGet(`${BASE}/status/other`).reply(403, { success: false, error: 'forbidden', message: 'Forbidden' });
    const err = await failure(svc.api.getIntegrationStatus('other'));
    expect(err).toMatchObject({ code: 'forbidden', status: 403 });
    expect(err.message).toMatch(/not allowed/i);
  });

  it('a known 4xx code gets its own message', async () => {
    svc.mock.onPost(`${BASE}/wallet/topup/initiate`).reply(400, { success: false, error: 'invalid_amount', message: 'bad' });
    const err = await failure(svc.api.initiateWalletTopup('cust_demo', '-1'));
    expect(err).toMatchObject({ code: 'invalid_amount', status: 400 });
    expect(err.message).toMatch(/at most 2 decimals/);
  });

  it("a withdrawal's amount no gateway can refund shows the API's words, not the malformed-amount text", async () => {
    const message = "0.50 INR cannot be refunded to your top-ups' payment methods: a gateway has a smallest refund. Withdraw a little more or less.";
    svc.mock.onPost(`${BASE}/wallet/withdraw`).reply(400, { success: false, error: 'invalid_amount', message });
    const err = await failure(svc.api.withdraw('cust_demo', '0.50'));
    expect(err).toMatchObject({ code: 'invalid_amount', status: 400, message });
  });

  it("a top-up below the gateway's least amount shows the API's words, not the malformed-amount text", async () => {
    const message = 'Razorpay takes top-ups of at least INR 1.00.';
    svc.mock.onPost(`${BASE}/wallet/topup/initiate`).reply(400, { success: false, error: 'invalid_amount', message });
    const err = await failure(svc.api.initiateWalletTopup('cust_demo', '0.50'));
    expect(err).toMatchObject({ code: 'invalid_amount', status: 400, message });
  });

  it('an unknown 4xx code shows the API message and keeps the body', async () => {
    const body = { success: false, error: 'refund_exceeds_paid', message: 'Refund exceeds the amount paid' };
    svc.mock.onPost(`${BASE}/order/refund-to-wallet`).reply(409, body);
    const err = await failure(svc.api.refundOrderToWallet('ord_demo_1', 'cust_demo', 999, 'r'));
    expect(err).toMatchObject({ code: 'refund_exceeds_paid', status: 409, message: body.message, body });
  });

  it('a 5xx with a non-JSON body is reported as unavailable', async () => {
    svc.mock.onGet(`${BASE}/health`).reply(502, '<html>Bad gateway</html>');
    const err = await failure(svc.api.healthCheck());
    expect(err).toMatchObject({ code: 'unavailable', status: 502 });
    expect(err.message).toMatch(/unavailable/i);
  });

  it('operation_pending says the request was recorded, not that the service is down', async () => {
    const body = { success: false, error: 'operation_pending', message: 'pending', transaction_id: 'txn_1' };
    svc.mock.onPost(`${BASE}/order/pay-with-wallet`).reply(503, body);
    const err = await failure(svc.api.payOrderWithWallet('ord_demo_1', 'cust_demo', 250));
    expect(err).toMatchObject({ code: 'operation_pending', status: 503, body });
    expect(err.message).toMatch(/recorded/);
  });

  it('429 asks to wait', async () => {
    svc.mock.onPost(`${BASE}/order/pay-with-wallet`).reply(429, { success: false, error: 'rate_limited', message: 'slow down' });
    const err = await failure(svc.api.payOrderWithWallet('ord_demo_1', 'cust_demo', 250));
    expect(err).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(err.message).toMatch(/wait/i);
  });
});

describe('issue 11 reads', () => {
  it('getTopupStatus GETs the top-up status, the id encoded', async () => {
    svc.mock.onGet(`${BASE}/wallet/topup/order%2F1/status`).reply(200, { success: true, status: 'credited' });
    expect((await svc.api.getTopupStatus('order/1')).status).toBe('credited');
    expect(header(only(svc.mock.history.get), 'Authorization')).toBe('Bearer jwt.token.value');
  });

  it('listOrders sends customer_id, status, limit and after, and leaves out what is not given', async () => {
    svc.mock.onGet(`${BASE}/orders`).reply(200, { success: true, orders: [], next_after: null });
    await svc.api.listOrders('cust_1', { status: 'pending', limit: 5, after: 'ord_3' });
    await svc.api.listOrders('cust_1');
    const [first, second] = svc.mock.history.get;
    expect(first.params).toEqual({ customer_id: 'cust_1', status: 'pending', limit: 5, after: 'ord_3' });
    expect(second.params).toEqual({ customer_id: 'cust_1' });
    expect(svc.mock.history.post).toHaveLength(0);
  });

  it('getTransactions pages with before', async () => {
    svc.mock.onGet(`${BASE}/wallet/cust_1/transactions`).reply(200, { transactions: [{ transaction_id: 't' }], next_before: 7 });
    const page = await svc.api.getTransactions('cust_1', { limit: 20, before: 12 });
    expect(page.next_before).toBe(7);
    expect(only(svc.mock.history.get).params).toEqual({ limit: 20, before: 12 });
  });

  it('downloadStatement resolves to the CSV text as sent and the file name the API gives it', async () => {
    const csv = 'date,transaction_id\r\n2026-01-01T00:00:00.000Z,txn_1\r\n';
    svc.mock.onGet(`${BASE}/wallet/cust_1/statement.csv`).reply(200, csv, {
      'content-type': 'text/csv',
      'content-disposition': 'attachment; filename="statement-cust_1-INR.csv"',
    });
    expect(await svc.api.downloadStatement('cust_1')).toEqual({ text: csv, filename: 'statement-cust_1-INR.csv' });
  });

  it('downloadStatement names the file as the API does when the header cannot be read (another origin)', async () => {
    svc.mock.onGet(`${BASE}/wallet/a%3Ab/statement.csv`).reply(200, 'date\r\n', { 'content-type': 'text/csv' });
    expect((await svc.api.downloadStatement('a:b', { currency: 'USD' })).filename).toBe('statement-a_b-USD.csv');
    expect(only(svc.mock.history.get).params).toEqual({ currency: 'USD' });
  });

  it.each([
    ['attachment; filename="statement-c-EUR.csv"', 'statement-c-EUR.csv'],
    ['attachment; filename=statement-c-EUR.csv', 'statement-c-EUR.csv'],
    ['attachment; filename="../../etc/passwd"', 'statement-c-INR.csv'],
    [undefined, 'statement-c-INR.csv'],
  ])('statementFileName(%j)', (header, name) => {
    expect(statementFileName(header, 'c', 'INR')).toBe(name);
  });

  it('downloadStatement maps a JSON error sent to a text request like any other', async () => {
    svc.mock
      .onGet(`${BASE}/wallet/cust_2/statement.csv`)
      .reply(403, JSON.stringify({ success: false, error: 'forbidden', message: 'no' }));
    const err = await failure(svc.api.downloadStatement('cust_2'));
    expect([err.code, err.status, err.message]).toEqual(['forbidden', 403, 'You are not allowed to use this wallet.']);
  });

  it('supportWebhooks and supportAudit GET a page of older entries after a cursor', async () => {
    svc.mock.onGet(`${BASE}/support/customers/cust_demo/webhooks`).reply(200, { webhooks: [], next_before: null });
    svc.mock.onGet(`${BASE}/support/customers/cust_demo/audit`).reply(200, { audit: [], next_before: '17-1' });
    expect((await svc.api.supportWebhooks('cust_demo', { before: '1767225600000-2' })).next_before).toBeNull();
    expect((await svc.api.supportAudit('cust_demo', { before: '1767225600000-1' })).next_before).toBe('17-1');
    expect(svc.mock.history.get.map((r) => r.params)).toEqual([{ before: '1767225600000-2' }, { before: '1767225600000-1' }]);
  });

  it('says a customer the support look-up does not know is unknown', async () => {
    svc.mock.onGet(`${BASE}/support/customers/nobody`).reply(404, { success: false, error: 'customer_not_found', message: 'x' });
    const err = await failure(svc.api.supportLookup('nobody'));
    expect([err.code, err.status, err.message]).toEqual([
      'customer_not_found',
      404,
      'No such customer: no wallet, orders, payments or audit entries.',
    ]);
  });

  it('supportLookup and supportReconcile GET the admin routes', async () => {
    svc.mock.onGet(`${BASE}/support/customers/cust_demo`).reply(200, { success: true, wallet: {} });
    svc.mock.onGet(`${BASE}/support/customers/cust_demo/reconcile`).reply(200, { success: true, clean: true, drift: [] });
    expect((await svc.api.supportLookup('cust_demo')).success).toBe(true);
    expect((await svc.api.supportReconcile('cust_demo')).clean).toBe(true);
  });

  it('maps refund refusals and an unknown top-up to messages for a person', async () => {
    svc.mock.onGet(`${BASE}/wallet/topup/nope/status`).reply(404, { success: false, error: 'payment_order_not_found', message: 'x' });
    svc.mock.onGet(`${BASE}/support/customers/c`).reply(401, { success: false, error: 'invalid_token', message: 'x' });
    const missing = await failure(svc.api.getTopupStatus('nope'));
    expect([missing.code, missing.status, missing.message]).toEqual(['payment_order_not_found', 404, 'No such top-up.']);
    const signedOut = await failure(svc.api.supportLookup('c'));
    expect([signedOut.code, signedOut.status]).toEqual(['invalid_token', 401]);
  });
});
