// The client's settlement calls (SPEC §11, admin): a settled day, settling a day now, the day's
// exceptions as CSV, and the errors they answer.
import axios from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIntegrationService, TOKEN_KEY } from './integrationService.js';
import { SETTLE_TIMEOUT_MS } from './settlements.js';

const BASE = '/api/integration';
const header = (req, name) => (req.headers.get ? req.headers.get(name) : req.headers[name]);
const only = (list) => {
  expect(list).toHaveLength(1);
  return list[0];
};
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

let mock;
let api;

async function failure(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

beforeEach(() => {
  localStorage.clear();
  localStorage.setItem(TOKEN_KEY, 'admin.jwt');
  mock = new MockAdapter(axios);
  api = createIntegrationService({ baseURL: BASE });
});
afterEach(() => mock.restore());

describe('getSettlement', () => {
  it('GETs /settlements with the gateway and the day, signed in, and resolves to the day', async () => {
    mock.onGet(`${BASE}/settlements`).reply(200, DAY);
    await expect(api.getSettlement('razorpay', '2026-01-05')).resolves.toEqual(DAY);
    const req = only(mock.history.get);
    expect(req.params).toEqual({ gateway: 'razorpay', date: '2026-01-05' });
    expect(header(req, 'Authorization')).toBe('Bearer admin.jwt');
  });

  it('rejects a day not settled yet with not_settled, 404 and words for a person', async () => {
    mock.onGet(`${BASE}/settlements`).reply(404, NOT_SETTLED);
    const err = await failure(api.getSettlement('razorpay', '2026-01-05'));
    expect([err.code, err.status, err.message]).toEqual(['not_settled', 404, 'This day has not been settled yet.']);
  });

  it("rejects a gateway without settlement reports with the server's message", async () => {
    const refusal = { success: false, error: 'invalid_request', message: '`gateway` must be one of: paypal, razorpay.' };
    mock.onGet(`${BASE}/settlements`).reply(400, refusal);
    const err = await failure(api.getSettlement('google_pay', '2026-01-05'));
    expect([err.code, err.status, err.message]).toEqual(['invalid_request', 400, refusal.message]);
  });
});

describe('settleDay', () => {
  it('POSTs {gateway, date} to /settlements and resolves to the settled day', async () => {
    mock.onPost(`${BASE}/settlements`).reply(200, DAY);
    await expect(api.settleDay('paypal', '2026-01-05')).resolves.toEqual(DAY);
    const req = only(mock.history.post);
    expect(JSON.parse(req.data)).toEqual({ gateway: 'paypal', date: '2026-01-05' });
    expect(header(req, 'Authorization')).toBe('Bearer admin.jwt');
  });

  it("waits longer than other calls (settling reads the gateway's whole report)", async () => {
    mock.onPost(`${BASE}/settlements`).reply(200, DAY);
    await api.settleDay('razorpay', '2026-01-05');
    expect(only(mock.history.post).timeout).toBe(SETTLE_TIMEOUT_MS);
    expect(SETTLE_TIMEOUT_MS).toBeGreaterThan(20_000);
  });
});

describe('downloadSettlementCsv', () => {
  it('GETs the day as CSV and resolves to the text as sent and the file name the API gives it', async () => {
    const csv = 'kind,status,payment_id,payment_order_id,gateway_amount,ledger_amount\r\nunknown_payment,open,pay_x,,10.0,\r\n';
    mock.onGet(`${BASE}/settlements`).reply(200, csv, {
      'content-type': 'text/csv',
      'content-disposition': 'attachment; filename="settlement-razorpay-2026-01-05.csv"',
    });
    expect(await api.downloadSettlementCsv('razorpay', '2026-01-05')).toEqual({ text: csv, filename: 'settlement-razorpay-2026-01-05.csv' });
    expect(only(mock.history.get).params).toEqual({ gateway: 'razorpay', date: '2026-01-05', format: 'csv' });
  });

  it('names the file as the API does when the header cannot be read (another origin)', async () => {
    mock.onGet(`${BASE}/settlements`).reply(200, 'kind\r\n', { 'content-type': 'text/csv' });
    expect((await api.downloadSettlementCsv('paypal', '2026-01-06')).filename).toBe('settlement-paypal-2026-01-06.csv');
  });

  it('rejects a day not settled yet like getSettlement (the JSON error sent as text)', async () => {
    mock.onGet(`${BASE}/settlements`).reply(404, JSON.stringify(NOT_SETTLED));
    const err = await failure(api.downloadSettlementCsv('razorpay', '2026-01-05'));
    expect([err.code, err.status]).toEqual(['not_settled', 404]);
  });
});
