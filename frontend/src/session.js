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
// (so it does not end up in bookmarks or the Referer header).
export function takeTokenFromUrl() {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  // Only a JWT counts: a gateway may use `token` for its own ids on return.
  if (!token || token.split('.').length !== 3) return;
  localStorage.setItem(TOKEN_KEY, token);
  url.searchParams.delete('token');
  replaceUrl(url);
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
  return { token, customerId: payload.sub, expired };
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
// - any of them with payment_error (payment_failed, cancelled) -> {kind: 'error', error, orderId, method}.
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

// Whether a status response (GET /status) lists the wallet credit for top-up `paymentOrderId`.
export function topupCredited(status, paymentOrderId) {
  const entries = Array.isArray(status?.recent_transactions) ? status.recent_transactions : [];
  return entries.some(
    (t) => t?.kind === 'topup' && t.type === 'credit' && t.reference?.payment_order_id === paymentOrderId,
  );
}
