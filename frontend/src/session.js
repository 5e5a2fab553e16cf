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

// What the gateways' checkout pages (and the simulators') append to the return URL.
const RETURN_PARAMS = [
  'razorpay_payment_id',
  'razorpay_order_id',
  'razorpay_signature',
  'paypal_order_id',
  'payment_order_id',
  'payment_method',
  'payment_error',
];

// The page's URL after a gateway's checkout, or null:
// - Razorpay: razorpay_payment_id, razorpay_order_id, razorpay_signature -> {kind: 'razorpay', …} (verify them);
// - PayPal: paypal_order_id (payment_method=paypal) -> {kind: 'paypal', orderId} (verify captures it);
// - Google Pay: payment_order_id with payment_method=google_pay -> {kind: 'google_pay', orderId} (the checkout
//   page has already sent the token: nothing to verify, the credit shows in the status);
// - any of them with payment_error (payment_failed, payment_rejected, cancelled, already_paid) -> {kind: 'error', error, orderId, method}.
export function readGatewayReturn() {
  const q = new URL(window.location.href).searchParams;
  const method = q.get('payment_method');
  let back = null;
  if (q.get('paypal_order_id') && (!method || method === 'paypal')) {
    back = { kind: 'paypal', orderId: q.get('paypal_order_id') };
  } else if (q.get('payment_order_id') && method === 'google_pay') {
    back = { kind: 'google_pay', orderId: q.get('payment_order_id') };
  } else if (q.get('razorpay_order_id') || q.get('razorpay_payment_id')) {
    back = { kind: 'razorpay', orderId: q.get('razorpay_order_id') };
  }
  if (q.get('payment_error')) {
    return { kind: 'error', error: q.get('payment_error'), orderId: back?.orderId || null, method: back?.kind || method };
  }
  if (back?.kind !== 'razorpay') return back;
  const paymentId = q.get('razorpay_payment_id');
  const signature = q.get('razorpay_signature');
  if (paymentId && back.orderId && signature) return { kind: 'razorpay', paymentId, orderId: back.orderId, signature };
  return null;
}

export function clearGatewayReturn() {
  const url = new URL(window.location.href);
  RETURN_PARAMS.forEach((p) => url.searchParams.delete(p));
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

// Whether a status response (GET /status) lists the wallet credit for top-up `paymentOrderId`.
export function topupCredited(status, paymentOrderId) {
  const entries = Array.isArray(status?.recent_transactions) ? status.recent_transactions : [];
  return entries.some(
    (t) => t?.kind === 'topup' && t.type === 'credit' && t.reference?.payment_order_id === paymentOrderId,
  );
}
