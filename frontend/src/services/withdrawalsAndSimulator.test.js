// The client's withdrawal calls, the simulators' dashboard calls (outside /api/integration), and
// the token a refused request carried.
import { describe, expect, it, vi } from 'vitest';
import { createIntegrationService, TOKEN_KEY } from './integrationService.js';
import { BASE, failure, header, only, useServiceMocks, UUID } from './serviceTestSupport.js';

const svc = useServiceMocks();

describe('withdrawals', () => {
  const answer = {
    success: true,
    withdrawal_id: 'wdr_1',
    customer_id: 'cust_1',
    status: 'pending',
    amount: 150,
    currency: 'INR',
    refunds: [{ gateway: 'razorpay', payment_id: 'pay_1', payment_order_id: 'order_1', amount: 150, status: 'pending' }],
  };

  it('withdraw posts customer and amount with a UUID Idempotency-Key and resolves to the withdrawal', async () => {
    svc.mock.onPost(`${BASE}/wallet/withdraw`).reply(202, answer);
    await expect(svc.api.withdraw('cust_1', '150.00')).resolves.toEqual(answer);
    const req = only(svc.mock.history.post);
    expect(JSON.parse(req.data)).toEqual({ customer_id: 'cust_1', amount: '150.00' });
    expect(header(req, 'Idempotency-Key')).toMatch(UUID);
  });

  it('withdraw retried after a network failure sends the same key (the first may have been taken)', async () => {
    const url = `${BASE}/wallet/withdraw`;
    svc.mock.onPost(url).networkErrorOnce().onPost(url).reply(202, answer);
    await failure(svc.api.withdraw('cust_1', '150.00'));
    await svc.api.withdraw('cust_1', '150.00');
    const [first, second] = svc.mock.history.post.map((r) => header(r, 'Idempotency-Key'));
    expect(second).toBe(first);
  });

  it("withdraw beyond what the top-ups can refund (409) shows the server's message and keeps `refundable`", async () => {
    const said = 'At most ₹100.00 can be refunded to the payment methods of your top-ups (each top-up refunds at most what is left of it, within the refund window).';
    svc.mock.onPost(`${BASE}/wallet/withdraw`).reply(409, { success: false, error: 'withdrawal_exceeds_refundable', message: said, refundable: 100 });
    const err = await failure(svc.api.withdraw('cust_1', '150.00'));
    expect([err.status, err.code, err.message, err.body.refundable]).toEqual([409, 'withdrawal_exceeds_refundable', said, 100]);
  });

  it('getWithdrawal and getWithdrawable GET their routes, ids URL-encoded', async () => {
    svc.mock.onGet(`${BASE}/wallet/withdrawals/wdr_1`).reply(200, answer);
    svc.mock.onGet(`${BASE}/wallet/a%2Fb/withdrawable`).reply(200, { available: 5, refundable: 3, withdrawable: 3, currency: 'INR' });
    expect((await svc.api.getWithdrawal('wdr_1')).status).toBe('pending');
    expect((await svc.api.getWithdrawable('a/b')).withdrawable).toBe(3);
    expect(svc.mock.history.get.map((r) => r.url)).toEqual(['/wallet/withdrawals/wdr_1', '/wallet/a%2Fb/withdrawable']);
  });
});

describe('simulator dashboard calls (beside the API, not under /api/integration)', () => {
  it.each([
    ['simulatorRefund', 'refund', { refund_id: 'rfnd_1' }],
    ['simulatorReverse', 'reverse', { reversal_id: 'rev_1' }],
    ['simulatorOpenDispute', 'dispute', { dispute_id: 'disp_1' }],
  ])('%s posts {amount, currency} to /simulator/<gateway>/dashboard/payments/<id>/%s with the bearer', async (name, action, reply) => {
    svc.mock.onPost(`/simulator/razorpay/dashboard/payments/pay_1/${action}`).reply(200, { success: true, ...reply });
    expect(await svc.api[name]('razorpay', 'pay_1', '20.00', 'INR')).toEqual({ success: true, ...reply });
    const req = only(svc.mock.history.post);
    expect(JSON.parse(req.data)).toEqual({ amount: '20.00', currency: 'INR' });
    expect(header(req, 'Authorization')).toBe('Bearer jwt.token.value');
    expect(header(req, 'Idempotency-Key')).toBeUndefined();
  });

  it('simulatorResolveDispute posts the payment, amount, currency and outcome to the dispute', async () => {
    svc.mock.onPost('/simulator/paypal/dashboard/disputes/PP-D-1/resolve').reply(200, { success: true });
    await svc.api.simulatorResolveDispute('paypal', 'PP-D-1', { paymentId: 'CAP1', amount: 12.5, currency: 'INR', outcome: 'lost' });
    expect(JSON.parse(only(svc.mock.history.post).data)).toEqual({ payment_id: 'CAP1', amount: 12.5, currency: 'INR', outcome: 'lost' });
  });

  it("follows a configured API's origin (VITE_API_BASE_URL)", async () => {
    vi.stubEnv('VITE_API_BASE_URL', 'https://wallet.example/api/integration');
    const configured = createIntegrationService();
    svc.mock.onPost('https://wallet.example/simulator/razorpay/dashboard/payments/pay_1/refund').reply(200, { refund_id: 'r' });
    expect((await configured.simulatorRefund('razorpay', 'pay_1', 1, 'INR')).refund_id).toBe('r');
  });

  it("a refusal of the simulated gateway (409 refund_refused) shows the server's message", async () => {
    svc.mock.onPost('/simulator/razorpay/dashboard/payments/pay_1/refund').reply(409, {
      success: false, error: 'refund_refused', message: 'The simulated gateway refused: nothing left to refund.',
    });
    const err = await failure(svc.api.simulatorRefund('razorpay', 'pay_1', 1, 'INR'));
    expect([err.code, err.message]).toEqual(['refund_refused', 'The simulated gateway refused: nothing left to refund.']);
  });
});

describe('a refused request names the token it carried', () => {
  it('a 401 carries the token sent, even when another is stored by the time it answers', async () => {
    svc.mock.onGet(`${BASE}/status/cust_1`).reply(() => {
      localStorage.setItem(TOKEN_KEY, 'newer.jwt.token'); // another tab signed in meanwhile
      return [401, { success: false, error: 'token_expired' }];
    });
    const err = await failure(svc.api.getIntegrationStatus('cust_1'));
    expect([err.status, err.token]).toEqual([401, 'jwt.token.value']);
  });

  it('a request sent without a token carries null', async () => {
    localStorage.removeItem(TOKEN_KEY);
    svc.mock.onGet(`${BASE}/status/cust_1`).reply(401, { success: false, error: 'unauthorized' });
    expect((await failure(svc.api.getIntegrationStatus('cust_1'))).token).toBeNull();
  });
});
