// Client for the wallet <-> payment gateway integration API (/api/integration).
// Every method resolves to the response's JSON body, or rejects with an Error
// carrying `code` (the API's snake_case error code), `status` (HTTP status, 0
// when the server was not reached) and a `message` fit to show a person.
import axios from 'axios';
import { outcomeUnknown, toApiError } from './apiErrors.js';
import { currencyParam, present, withCurrency } from './requestFields.js';
import { settlementCalls } from './settlements.js';

export { toApiError };

export const TOKEN_KEY = 'wallet_token';
export const DEFAULT_BASE_URL = '/api/integration';

// A CSV's file name: the API's (Content-Disposition), else `fallback`, named as the API names it
// (a page on another origin cannot read that header unless the server exposes it).
const SAFE_FILE_NAME = /^[A-Za-z0-9_.-]{1,200}$/;
export function attachmentFileName(contentDisposition, fallback) {
  const match = /filename="?([^";]+)"?/i.exec(contentDisposition || '');
  if (match && SAFE_FILE_NAME.test(match[1]) && !match[1].startsWith('.')) return match[1];
  return fallback.replace(/:/g, '_');
}
export function statementFileName(contentDisposition, customerId, currency = 'INR') {
  return attachmentFileName(contentDisposition, `statement-${customerId}-${currency}.csv`);
}

function readToken() {
  try {
    return globalThis.localStorage?.getItem(TOKEN_KEY) || null;
  } catch {
    return null; // storage blocked (private mode, sandboxed iframe)
  }
}

// crypto.randomUUID exists only in secure contexts; getRandomValues everywhere.
function newIdempotencyKey() {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function createIntegrationService({
  baseURL = import.meta.env?.VITE_API_BASE_URL || DEFAULT_BASE_URL,
  timeout = 20000,
} = {}) {
  const http = axios.create({ baseURL, timeout, headers: { 'Content-Type': 'application/json' } });
  // The simulators' dashboards live beside the API, outside /api/integration: the same origin.
  const rootURL = baseURL.replace(/\/api\/integration\/?$/, '');
  const simulator = (gateway, path, data) =>
    send({ method: 'post', baseURL: rootURL, url: `/simulator/${encodeURIComponent(gateway)}/dashboard${path}`, data });
  const caseCall = (gateway, paymentId, action, amount, currency) =>
    simulator(gateway, `/payments/${encodeURIComponent(paymentId)}/${action}`, { amount, currency });
  http.interceptors.request.use((config) => {
    const token = readToken();
    if (token) config.headers.Authorization = `Bearer ${token}`;
    return config;
  });

  const pendingKeys = new Map(); // call signature -> Idempotency-Key of a failed attempt

  async function respond(config) {
    try {
      return await http.request(config);
    } catch (error) {
      throw toApiError(error);
    }
  }

  async function send(config) {
    return (await respond(config)).data;
  }

  // A GET answered with text (a CSV): {text as it came, filename (the API's, else `fallbackName`)}.
  async function download(config, fallbackName) {
    const res = await respond({ ...config, method: 'get', responseType: 'text', transformResponse: [(data) => data] });
    return { text: res.data, filename: attachmentFileName(res.headers?.['content-disposition'], fallbackName) };
  }

  async function moneyCall(name, url, data) {
    const signature = JSON.stringify([name, data]);
    const key = pendingKeys.get(signature) || newIdempotencyKey();
    pendingKeys.set(signature, key);
    try {
      const body = await send({ method: 'post', url, data, headers: { 'Idempotency-Key': key } });
      pendingKeys.delete(signature);
      return body;
    } catch (err) {
      // 401/403 refuse the caller before the key is looked at: they say nothing of an earlier
      // attempt whose outcome is unknown, so its key stays for the call after signing in again.
      if (!outcomeUnknown(err) && err.status !== 401 && err.status !== 403) pendingKeys.delete(signature);
      throw err;
    }
  }

  return {
    // `currency`: the wallet to top up, one of GET /gateways' `currencies` (none: the first, the
    // default); a gateway that does not take it: 400 payment_method_unavailable (`err.body.currencies`).
    initiateWalletTopup(customerId, amount, paymentMethod = 'razorpay', currency = undefined) {
      const data = { customer_id: customerId, amount, payment_method: paymentMethod };
      return moneyCall('initiate', '/wallet/topup/initiate', withCurrency(data, currency));
    },
    // Razorpay (the default, without `fields`): the checkout's three values, body {payment_id,
    // order_id, signature}, unchanged for existing callers. Any other method (or Razorpay with
    // `fields`): body {order_id, payment_method, ...fields}, `fields` being that gateway's return
    // fields (GET /gateways `verify_fields`; PayPal has none: the service captures the order);
    // `paymentId` and `signature` are Razorpay Checkout's and not sent. A method without a verify
    // step (Google Pay's checkout page posts the token) is named, and the server refuses it.
    verifyWalletTopup(paymentId, orderId, signature, paymentMethod = 'razorpay', fields = undefined) {
      const data =
        paymentMethod === 'razorpay' && fields === undefined
          ? { payment_id: paymentId, order_id: orderId, signature }
          : { ...fields, order_id: orderId, payment_method: paymentMethod };
      return send({ method: 'post', url: '/wallet/topup/verify', data });
    },
    // `currency` (here and in refund, authorise, capture): the order's, which `amount` is in (none:
    // the default currency's); an amount in another currency than the order's: 400 currency_mismatch.
    payOrderWithWallet(orderId, customerId, amount, currency = undefined) {
      const data = { order_id: orderId, customer_id: customerId, amount };
      return moneyCall('pay', '/order/pay-with-wallet', withCurrency(data, currency));
    },
    refundOrderToWallet(orderId, customerId, amount, reason, currency = undefined) {
      const data = { order_id: orderId, customer_id: customerId, amount, reason };
      return moneyCall('refund', '/order/refund-to-wallet', withCurrency(data, currency));
    },
    // Authorise now, take later: hold a pending order's amount (equal to the order's) in the wallet:
    // {hold_id, amount, available_balance, currency, expires_at}; the order becomes `authorized`.
    authorizeOrder(orderId, customerId, amount, currency = undefined) {
      const data = { order_id: orderId, customer_id: customerId, amount };
      return moneyCall('authorize', '/order/authorize', withCurrency(data, currency));
    },
    // Take `amount` (at most the hold) from an authorised order; the rest of the hold is released:
    // {transaction_id, captured, released, remaining_balance, currency}. 409 capture_exceeds_hold, hold_not_found.
    captureOrder(orderId, amount, currency = undefined) {
      return moneyCall('capture', '/order/capture', withCurrency({ order_id: orderId, amount }, currency));
    },
    // Release an authorised order's hold; the order is pending again: {released, available_balance, currency}.
    voidOrder(orderId) {
      return moneyCall('void', '/order/void', { order_id: orderId });
    },
    // The limits a top-up must fit, tightest first ([] without limits): {kyc_level, currency,
    // limits: [{limit, max, used, headroom}]}. Initiate beyond one: 422 limit_exceeded (`err.body.limit`, `.headroom`).
    getLimits(customerId) {
      return send({ method: 'get', url: `/wallet/${encodeURIComponent(customerId)}/limits` });
    },
    // Admin: the customer's level, `minimum` or `full`, which picks the limits that apply.
    setKycLevel(customerId, level) {
      return send({ method: 'put', url: `/customers/${encodeURIComponent(customerId)}/kyc-level`, data: { kyc_level: level } });
    },
    // Refund `amount` to the customer's own top-ups' payment methods: {withdrawal_id, status (pending,
    // completed, failed, partially_completed), amount, currency, refunds: [{gateway, payment_id,
    // payment_order_id, amount, status}]}; 402 beyond `available`, 409 beyond what top-ups can take back.
    // `currency`: the wallet it leaves (none: the default currency's).
    withdraw(customerId, amount, currency = undefined) {
      return moneyCall('withdraw', '/wallet/withdraw', withCurrency({ customer_id: customerId, amount }, currency));
    },
    // A withdrawal as it stands now (the same shape as withdraw's answer).
    getWithdrawal(withdrawalId) {
      return send({ method: 'get', url: `/wallet/withdrawals/${encodeURIComponent(withdrawalId)}` });
    },
    // What a withdrawal can take now: {available, refundable, withdrawable (the least of them), currency}.
    // The wallet reads (this, the status, the ledger, the statement, support's look-up) take the
    // wallet's currency last, as 'USD' or {currency: 'USD'} (none: the default currency's wallet).
    getWithdrawable(customerId, currency = undefined) {
      return send({ method: 'get', url: `/wallet/${encodeURIComponent(customerId)}/withdrawable`, params: currencyParam(currency) });
    },
    getIntegrationStatus(customerId, currency = undefined) {
      return send({ method: 'get', url: `/status/${encodeURIComponent(customerId)}`, params: currencyParam(currency) });
    },
    // What happened to a top-up: {status: credited|pending|failed|expired, amount, currency, …}.
    getTopupStatus(paymentOrderId) {
      return send({ method: 'get', url: `/wallet/topup/${encodeURIComponent(paymentOrderId)}/status` });
    },
    // A page of the customer's orders: {orders, next_after}; pass `after: next_after` for the next.
    listOrders(customerId, { status, limit, after } = {}) {
      const params = present({ customer_id: customerId, status, limit, after });
      return send({ method: 'get', url: '/orders', params });
    },
    // A page of the wallet's ledger, newest first: {transactions, next_before}; pass `before: next_before`.
    getTransactions(customerId, { limit, before, currency } = {}) {
      const params = present({ limit, before, currency });
      return send({ method: 'get', url: `/wallet/${encodeURIComponent(customerId)}/transactions`, params });
    },
    // The whole ledger as CSV: {text (money as decimal strings), filename (the API's)}.
    downloadStatement(customerId, currency = undefined) {
      const url = `/wallet/${encodeURIComponent(customerId)}/statement.csv`;
      const params = currencyParam(currency);
      return download({ url, params }, statementFileName(null, customerId, params.currency));
    },
    // Admin: a customer's balance, ledger, orders, and first pages of gateway outcomes and audit
    // entries (`webhooks_next_before`, `audit_next_before`); 404 customer_not_found for an unknown one.
    supportLookup(customerId, currency = undefined) {
      return send({ method: 'get', url: `/support/customers/${encodeURIComponent(customerId)}`, params: currencyParam(currency) });
    },
    // Admin: the next page of a customer's gateway outcomes: {webhooks, next_before}.
    supportWebhooks(customerId, { before, limit } = {}) {
      const params = present({ before, limit });
      return send({ method: 'get', url: `/support/customers/${encodeURIComponent(customerId)}/webhooks`, params });
    },
    // Admin: the next page of a customer's audit entries: {audit, next_before}.
    supportAudit(customerId, { before, limit } = {}) {
      const params = present({ before, limit });
      return send({ method: 'get', url: `/support/customers/${encodeURIComponent(customerId)}/audit`, params });
    },
    // Admin: reconcile one customer's wallets and orders: {clean, drift}.
    supportReconcile(customerId) {
      return send({ method: 'get', url: `/support/customers/${encodeURIComponent(customerId)}/reconcile` });
    },
    // Admin, simulator mode (a gateway describing `simulator_dashboard`): the gateway's side after the
    // credit, its webhooks signed and posted by the simulator: {refund_id}, {reversal_id}, {dispute_id}.
    simulatorRefund(gateway, paymentId, amount, currency) {
      return caseCall(gateway, paymentId, 'refund', amount, currency);
    },
    simulatorReverse(gateway, paymentId, amount, currency) {
      return caseCall(gateway, paymentId, 'reverse', amount, currency);
    },
    simulatorOpenDispute(gateway, paymentId, amount, currency) {
      return caseCall(gateway, paymentId, 'dispute', amount, currency);
    },
    // `outcome`: 'won' (the hold is released) or 'lost' (the money is taken back).
    simulatorResolveDispute(gateway, disputeId, { paymentId, amount, currency, outcome }) {
      return simulator(gateway, `/disputes/${encodeURIComponent(disputeId)}/resolve`, {
        payment_id: paymentId,
        amount,
        currency,
        outcome,
      });
    },
    healthCheck() {
      return send({ method: 'get', url: '/health' });
    },
    // The currencies wallets are kept in (the default first) and the gateways offered, in order, each
    // with the currencies it takes: {currencies, gateways: [{name, label, currencies, checkout_return}]} (no sign-in).
    listGateways() {
      return send({ method: 'get', url: '/gateways' });
    },
    ...settlementCalls({ send, download }), // getSettlement, settleDay, downloadSettlementCsv (admin)
  };
}

const integrationService = createIntegrationService();
export default integrationService;
