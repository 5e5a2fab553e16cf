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

const RETURN_PARAMS = ['razorpay_payment_id', 'razorpay_order_id', 'razorpay_signature', 'payment_error'];

export function readGatewayReturn() {
  const q = new URL(window.location.href).searchParams;
  if (q.get('payment_error')) {
    return { kind: 'error', error: q.get('payment_error'), orderId: q.get('razorpay_order_id') };
  }
  const paymentId = q.get('razorpay_payment_id');
  const orderId = q.get('razorpay_order_id');
  const signature = q.get('razorpay_signature');
  if (paymentId && orderId && signature) return { kind: 'razorpay', paymentId, orderId, signature };
  return null;
}

export function clearGatewayReturn() {
  const url = new URL(window.location.href);
  RETURN_PARAMS.forEach((p) => url.searchParams.delete(p));
  replaceUrl(url);
}
