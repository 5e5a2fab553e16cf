// Sign-in and gateway-return handling driven by the page URL.
import { TOKEN_KEY } from './services/integrationService.js';

export function decodeJwtPayload(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '='));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes));
    return payload && typeof payload === 'object' ? payload : null;
  } catch {
    return null;
  }
}

function replaceUrl(url) {
  window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
}

// The server prints a link `/?token=<jwt>`: keep the token, drop it from the URL
// (so it does not end up in bookmarks or the Referer header). Returns 'taken', 'invalid' (a
// `token` that is no sign-in token, e.g. a link cut short: removed from the URL, not kept, and any
// earlier sign-in stays) or null (no token in the URL).
export function takeTokenFromUrl() {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token === null) return null;
  // PayPal's own return (`?token=<order id>&PayerID=…`) is PayPal's, not a sign-in: leave it.
  if (url.searchParams.has('PayerID') && token.split('.').length !== 3) return null;
  url.searchParams.delete('token');
  replaceUrl(url);
  const payload = token.split('.').length === 3 ? decodeJwtPayload(token) : null;
  if (!payload || typeof payload.sub !== 'string' || !payload.sub) return 'invalid';
  localStorage.setItem(TOKEN_KEY, token);
  return 'taken';
}

export function currentSession(now = Date.now()) {
  let token = null;
  try {
    token = localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
  const payload = token && decodeJwtPayload(token);
  if (!payload || typeof payload.sub !== 'string' || !payload.sub) return null;
  const expired = typeof payload.exp === 'number' && payload.exp * 1000 <= now;
  // `role` only chooses the view (support for admins); the server decides what a token may do.
  return { token, customerId: payload.sub, expired, role: payload.role === 'admin' ? 'admin' : 'customer' };
}

export function signOut() {
  localStorage.removeItem(TOKEN_KEY);
}

// A request carrying `token` (null: none) was refused (401): sign out only when that token is still
// the stored one. A late answer to an old tab's request must not end a sign-in made since (in
// another tab, the same storage). True when signed out now (by this call, or before it).
export function signOutIfStored(token) {
  try {
    const stored = localStorage.getItem(TOKEN_KEY);
    if (stored === null) return true;
    if (stored !== (token ?? null)) return false;
    localStorage.removeItem(TOKEN_KEY);
    return true;
  } catch {
    return false; // storage blocked: nothing stored to remove
  }
}

// What every gateway's checkout may append to the return URL, besides its own parameters.
const COMMON_RETURN_PARAMS = ['payment_order_id', 'payment_method', 'payment_error'];

// The gateway whose return the page's URL is: named by `payment_method`, or, without it, the first
// of `gateways` (gateways.js) whose `match` parameters are there.
function returningGateway(q, gateways) {
  const method = q.get('payment_method');
  return gateways.find((g) => (method ? method === g.name : g.checkoutReturn.match.some((p) => q.get(p))));
}

// The page's URL after a gateway's checkout, read by the `gateways` the server described, or null:
// - {kind: 'verify', method, orderId, fields}: call verify with the gateway's `verify_fields`
//   (Razorpay: payment_id and signature; PayPal: none, verify captures the order);
// - {kind: 'await_credit', method, orderId}: the checkout page has sent the payment itself (Google
//   Pay's token): nothing to verify, the credit shows in the top-up's status;
// - with payment_error (payment_failed, payment_rejected, cancelled, already_paid):
//   {kind: 'error', error, orderId, method}.
// A return lacking its order id or one of its verify fields is null.
export function readGatewayReturn(gateways = []) {
  const q = new URL(window.location.href).searchParams;
  const gateway = returningGateway(q, gateways);
  const back = gateway?.checkoutReturn;
  const orderId = back ? q.get(back.orderId) : null;
  if (q.get('payment_error')) {
    return { kind: 'error', error: q.get('payment_error'), orderId: orderId || null, method: gateway?.name || q.get('payment_method') };
  }
  if (!orderId) return null;
  if (back.confirm === 'await_credit') return { kind: 'await_credit', method: gateway.name, orderId };
  const fields = {};
  for (const [field, param] of Object.entries(back.verifyFields)) {
    if (!q.get(param)) return null;
    fields[field] = q.get(param);
  }
  return { kind: 'verify', method: gateway.name, orderId, fields };
}

// Take every gateway's return parameters out of the URL, keeping the others and the hash.
export function clearGatewayReturn(gateways = []) {
  const url = new URL(window.location.href);
  const own = gateways.flatMap((g) => [g.checkoutReturn.orderId, ...g.checkoutReturn.match, ...Object.values(g.checkoutReturn.verifyFields)]);
  [...COMMON_RETURN_PARAMS, ...own].forEach((p) => url.searchParams.delete(p));
  replaceUrl(url);
}

// A gateway return that arrived while signed out, kept (for an hour) until the customer signs in.
const SAVED_RETURN_KEY = 'wallet_pending_return';
const SAVED_RETURN_MS = 60 * 60 * 1000;

export function saveGatewayReturn(back, now = Date.now()) {
  try {
    localStorage.setItem(SAVED_RETURN_KEY, JSON.stringify({ back, at: now }));
  } catch {
    /* storage blocked: nothing kept */
  }
}

// The saved return (removed as it is read), or null when there is none or it is over an hour old.
export function takeSavedGatewayReturn(now = Date.now()) {
  try {
    const saved = JSON.parse(localStorage.getItem(SAVED_RETURN_KEY) || 'null');
    localStorage.removeItem(SAVED_RETURN_KEY);
    if (!saved || typeof saved.back !== 'object' || !(now - saved.at < SAVED_RETURN_MS)) return null;
    return saved.back;
  } catch {
    return null;
  }
}

// The top-ups (payment order ids) this tab has said were credited, newest last: a later return for
// one of them (Back to the gateway's page, Pay again) is no new credit, however recent the credit.
const ANNOUNCED_KEY = 'wallet_announced_topups';
const ANNOUNCED_MAX = 50;

function announcedTopups() {
  try {
    const ids = JSON.parse(sessionStorage.getItem(ANNOUNCED_KEY) || '[]');
    return Array.isArray(ids) ? ids.filter((id) => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberAnnouncedTopup(paymentOrderId) {
  if (!paymentOrderId) return;
  const ids = [...announcedTopups().filter((id) => id !== paymentOrderId), paymentOrderId].slice(-ANNOUNCED_MAX);
  try {
    sessionStorage.setItem(ANNOUNCED_KEY, JSON.stringify(ids));
  } catch {
    /* storage blocked: not remembered */
  }
}

export function wasAnnouncedTopup(paymentOrderId) {
  return Boolean(paymentOrderId) && announcedTopups().includes(paymentOrderId);
}

// Whether a status response (GET /status) lists the wallet credit for top-up `paymentOrderId`.
export function topupCredited(status, paymentOrderId) {
  const entries = Array.isArray(status?.recent_transactions) ? status.recent_transactions : [];
  return entries.some(
    (t) => t?.kind === 'topup' && t.type === 'credit' && t.reference?.payment_order_id === paymentOrderId,
  );
}
