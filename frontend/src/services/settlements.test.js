// The client's settlement calls (SPEC §11, admin): a settled day, settling a day now, the day's
// exceptions as CSV, and the errors they answer.
import { describe, expect, it } from 'vitest';
import { SETTLE_TIMEOUT_MS } from './settlements.js';
import { BASE, failure, header, only, useServiceMocks } from './serviceTestSupport.js';

const DAY = {
  success: true,
  gateway: 'razorpay',
  date: '2026-01-05',
  currency: 'INR',
  captured: 300,
  refunded: 50,
  fees: 5,
  tax: 0.9,
  settled: 244.1,
  matched: 2,
  exceptions: [{ kind: 'unknown_payment', status: 'open', payment_id: 'pay_x', payment_order_id: null, gateway_amount: 10, ledger_amount: null }],
};
const NOT_SETTLED = { success: false, error: 'not_settled', message: 'This gateway’s day has not been settled yet.' };

const svc = useServiceMocks({ token: 'admin.jwt' });

describe('getSettlement', () => {
  it('GETs /settlements with the gateway and the day, signed in, and resolves to the day', async () => {
    svc.mock.onGet(`${BASE}/settlements`).reply(200, DAY);
    await expect(svc.api.getSettlement('razorpay', '2026-01-05')).resolves.toEqual(DAY);
    const req = only(svc.mock.history.get);
    expect(req.params).toEqual({ gateway: 'razorpay', date: '2026-01-05' });
    expect(header(req, 'Authorization')).toBe('Bearer admin.jwt');
  });

  it('rejects a day not settled yet with not_settled, 404 and words for a person', async () => {
    svc.mock.onGet(`${BASE}/settlements`).reply(404, NOT_SETTLED);
    const err = await failure(svc.api.getSettlement('razorpay', '2026-01-05'));
    expect([err.code, err.status, err.message]).toEqual(['not_settled', 404, 'This day has not been settled yet.']);
  });

  it("rejects a gateway without settlement reports with the server's message", async () => {
    const refusal = { success: false, error: 'invalid_request', message: '`gateway` must be one of: paypal, razorpay.' };
    svc.mock.onGet(`${BASE}/settlements`).reply(400, refusal);
    const err = await failure(svc.api.getSettlement('google_pay', '2026-01-05'));
    expect([err.code, err.status, err.message]).toEqual(['invalid_request', 400, refusal.message]);
  });
});

describe('settleDay', () => {
  it('POSTs {gateway, date} to /settlements and resolves to the settled day', async () => {
    svc.mock.onPost(`${BASE}/settlements`).reply(200, DAY);
    await expect(svc.api.settleDay('paypal', '2026-01-05')).resolves.toEqual(DAY);
    const req = only(svc.mock.history.post);
    expect(JSON.parse(req.data)).toEqual({ gateway: 'paypal', date: '2026-01-05' });
    expect(header(req, 'Authorization')).toBe('Bearer admin.jwt');
  });

  it("waits longer than other calls (settling reads the gateway's whole report)", async () => {
    svc.mock.onPost(`${BASE}/settlements`).reply(200, DAY);
    await svc.api.settleDay('razorpay', '2026-01-05');
    expect(only(svc.mock.history.post).timeout).toBe(SETTLE_TIMEOUT_MS);
    expect(SETTLE_TIMEOUT_MS).toBeGreaterThan(20_000);
  });
});

describe('downloadSettlementCsv', () => {
  it('GETs the day as CSV and resolves to the text as sent and the file name the API gives it', async () => {
    const csv = 'kind,status,payment_id,payment_order_id,gateway_amount,ledger_amount\r\nunknown_payment,open,pay_x,,10.0,\r\n';
    svc.mock.onGet(`${BASE}/settlements`).reply(200, csv, {
      'content-type': 'text/csv',
      'content-disposition': 'attachment; filename="settlement-razorpay-2026-01-05.csv"',
    });
    expect(await svc.api.downloadSettlementCsv('razorpay', '2026-01-05')).toEqual({ text: csv, filename: 'settlement-razorpay-2026-01-05.csv' });
    expect(only(svc.mock.history.get).params).toEqual({ gateway: 'razorpay', date: '2026-01-05', format: 'csv' });
  });

  it('names the file as the API does when the header cannot be read (another origin)', async () => {
    svc.mock.onGet(`${BASE}/settlements`).reply(200, 'kind\r\n', { 'content-type': 'text/csv' });
    expect((await svc.api.downloadSettlementCsv('paypal', '2026-01-06')).filename).toBe('settlement-paypal-2026-01-06.csv');
  });

  it('rejects a day not settled yet like getSettlement (the JSON error sent as text)', async () => {
    svc.mock.onGet(`${BASE}/settlements`).reply(404, JSON.stringify(NOT_SETTLED));
    const err = await failure(svc.api.downloadSettlementCsv('razorpay', '2026-01-05'));
    expect([err.code, err.status]).toEqual(['not_settled', 404]);
  });
});
