// The client's hold calls (authorise, capture, void: each with an Idempotency-Key), the limits a
// top-up must fit, the customer's level, and the errors they answer.
import { describe, expect, it } from 'vitest';
import { BASE, failure, header, only, useServiceMocks, UUID } from './serviceTestSupport.js';

const svc = useServiceMocks();

describe('holds: authorise now, capture or void later', () => {
  const authorised = {
    success: true, order_id: 'ord_1', hold_id: 'hold_1', amount: 250, available_balance: 50, currency: 'INR', expires_at: '2026-01-08T10:00:00Z',
  };
  const CALLS = [
    ['authorizeOrder', ['ord_1', 'cust_1', '250.00'], '/order/authorize', { order_id: 'ord_1', customer_id: 'cust_1', amount: '250.00' }, authorised],
    ['captureOrder', ['ord_1', '200.00'], '/order/capture', { order_id: 'ord_1', amount: '200.00' }, { success: true, captured: 200, released: 50 }],
    ['voidOrder', ['ord_1'], '/order/void', { order_id: 'ord_1' }, { success: true, payment_status: 'pending', released: 250 }],
  ];

  it.each(CALLS)('%s posts %j to its route with a UUID Idempotency-Key and resolves to the answer', async (name, args, url, body, answer) => {
    svc.mock.onPost(`${BASE}${url}`).reply(200, answer);
    await expect(svc.api[name](...args)).resolves.toEqual(answer);
    const req = only(svc.mock.history.post);
    expect(JSON.parse(req.data)).toEqual(body);
    expect(header(req, 'Idempotency-Key')).toMatch(UUID);
    expect(header(req, 'Authorization')).toBe('Bearer jwt.token.value');
  });

  it.each(CALLS)('%s retried after a network failure sends the same key (the first may have been done)', async (name, args, url, _body, answer) => {
    svc.mock.onPost(`${BASE}${url}`).networkErrorOnce().onPost(`${BASE}${url}`).reply(200, answer);
    await failure(svc.api[name](...args));
    await svc.api[name](...args);
    const [first, second] = svc.mock.history.post.map((r) => header(r, 'Idempotency-Key'));
    expect(second).toBe(first);
  });

  it('a capture above the hold (409 capture_exceeds_hold) says so, and the next capture gets a new key', async () => {
    svc.mock.onPost(`${BASE}/order/capture`).reply(409, { success: false, error: 'capture_exceeds_hold', message: 'The capture is more than the hold.' });
    const err = await failure(svc.api.captureOrder('ord_1', '300.00'));
    expect([err.status, err.code, err.message]).toEqual([409, 'capture_exceeds_hold', 'That is more than the amount authorised for this order.']);
    await failure(svc.api.captureOrder('ord_1', '300.00'));
    const [first, second] = svc.mock.history.post.map((r) => header(r, 'Idempotency-Key'));
    expect(second).not.toBe(first);
  });

  it('a capture or void of an order without a hold (409 hold_not_found) says it was captured, cancelled or expired', async () => {
    svc.mock.onPost(`${BASE}/order/void`).reply(409, { success: false, error: 'hold_not_found', message: 'No hold.' });
    const err = await failure(svc.api.voidOrder('ord_1'));
    expect(err.code).toBe('hold_not_found');
    expect(err.message).toMatch(/no authorisation left to capture or cancel: it was captured, cancelled or has expired/);
  });

  it('authorising an order authorised already (409 order_not_payable) says it may be authorised already', async () => {
    svc.mock.onPost(`${BASE}/order/authorize`).reply(409, { success: false, error: 'order_not_payable', message: 'x' });
    expect((await failure(svc.api.authorizeOrder('ord_1', 'cust_1', '250.00'))).message).toMatch(/may be authorised already/);
  });
});

describe('limits and the customer level', () => {
  it('getLimits GETs the customer’s limits, the id URL-encoded', async () => {
    const answer = { success: true, customer_id: 'a/b', currency: 'INR', kyc_level: 'minimum', limits: [] };
    svc.mock.onGet(`${BASE}/wallet/a%2Fb/limits`).reply(200, answer);
    expect(await svc.api.getLimits('a/b')).toEqual(answer);
    expect(only(svc.mock.history.get).url).toBe('/wallet/a%2Fb/limits');
  });

  it('setKycLevel PUTs {kyc_level} to the customer, without an Idempotency-Key (setting it twice is the same)', async () => {
    svc.mock.onPut(`${BASE}/customers/cust_1/kyc-level`).reply(200, { success: true, customer_id: 'cust_1', kyc_level: 'full' });
    expect((await svc.api.setKycLevel('cust_1', 'full')).kyc_level).toBe('full');
    const req = only(svc.mock.history.put);
    expect(JSON.parse(req.data)).toEqual({ kyc_level: 'full' });
    expect(header(req, 'Idempotency-Key')).toBeUndefined();
  });

  it("a top-up beyond a limit (422 limit_exceeded) keeps the server's message, the limit's name and the headroom", async () => {
    const said = 'This top-up would pass the wallet limit WALLET_MONTHLY_TOPUP_MAX: at most 700.00 INR more can be topped up now.';
    svc.mock.onPost(`${BASE}/wallet/topup/initiate`).reply(422, {
      success: false, error: 'limit_exceeded', message: said, limit: 'WALLET_MONTHLY_TOPUP_MAX', headroom: 700,
    });
    const err = await failure(svc.api.initiateWalletTopup('cust_1', '800.00'));
    expect([err.status, err.code, err.message, err.body.limit, err.body.headroom]).toEqual([422, 'limit_exceeded', said, 'WALLET_MONTHLY_TOPUP_MAX', 700]);
  });
});
