// The client's errors: every failed call rejects with an Error whose `message` can be shown as is,
// carrying `code` (the API's snake_case error code), `status` (HTTP status, 0 when the server was
// not reached), `body` (the error's JSON) and `token` (the sign-in token the refused request carried).

const MESSAGES = {
  network_error: 'Cannot reach the server. Check your connection and try again.',
  session_expired: 'Your sign-in has expired. Open the sign-in link again.',
  forbidden: 'You are not allowed to use this wallet.',
  insufficient_funds: 'Not enough money in your wallet.',
  invalid_amount: 'Enter an amount above 0 with at most 2 decimals (none for a currency without them, such as JPY).',
  invalid_signature: 'The payment could not be verified.',
  order_already_paid: 'This order is already paid.',
  order_not_found: 'No such order.',
  order_amount_mismatch: 'The amount does not match the order.',
  currency_mismatch: "The amount is in another currency than the order's.",
  payment_method_unavailable: 'That payment method does not take this currency. Choose another.',
  payment_order_not_found: 'No such top-up.',
  customer_not_found: 'No such customer: no wallet, orders, payments or audit entries.',
  amount_mismatch: 'The payment gateway reported a different amount. Nothing was added to your wallet.',
  payment_not_captured: 'The payment has not been completed. Nothing was added to your wallet.',
  idempotency_key_in_progress: 'Your earlier request is still being processed. Try again in a moment.',
  rate_limited: 'Too many requests. Wait a moment and try again.',
  unavailable: 'The service is unavailable right now. Try again shortly.',
  operation_pending: 'Your request was recorded and is being completed. Try again in a moment to see the result.',
  withdrawal_not_found: 'No such withdrawal.',
  order_not_payable: 'This order cannot be paid or authorised now: it may be authorised already.',
  hold_not_found: 'This order has no authorisation left to capture or cancel: it was captured, cancelled or has expired.',
  capture_exceeds_hold: 'That is more than the amount authorised for this order.',
  not_settled: 'This day has not been settled yet.',
  unknown: 'Something went wrong. Try again.',
};

// Codes whose generic message a server answer words better in some cases: a withdrawal's amount no
// gateway can refund (each has a smallest refund) and a top-up below a gateway's least amount are
// well formed, unlike what `invalid_amount` says.
const SERVER_SAYS_MORE = { invalid_amount: /cannot be refunded|takes top-ups of at least/ };

// The sign-in token a request carried (null without one): a 401 refuses that token, not
// necessarily the one stored by the time it answers (another tab may have signed in since).
function tokenSent(config) {
  const header = config?.headers?.Authorization ?? config?.headers?.get?.('Authorization');
  return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length) : null;
}

export function toApiError(error) {
  const res = error?.response;
  if (!res) {
    const err = new Error(MESSAGES.network_error);
    err.code = 'network_error';
    err.status = 0;
    return err;
  }
  let data = res.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data); // a text response (the CSV statement) still carries JSON errors
    } catch {
      data = null;
    }
  }
  const body = data && typeof data === 'object' ? data : {};
  const status = res.status;
  let code = body.error;
  let message;
  if (status === 401) {
    code = code || 'session_expired';
    message = MESSAGES.session_expired;
  } else if (status === 403) {
    code = code || 'forbidden';
    message = MESSAGES.forbidden;
  } else if (status === 402 || code === 'insufficient_funds') {
    code = code || 'insufficient_funds';
    message = MESSAGES.insufficient_funds;
  } else if (status === 429) {
    code = code || 'rate_limited';
    message = MESSAGES.rate_limited;
  } else if (status >= 500) {
    code = code || 'unavailable';
    message = code === 'operation_pending' ? MESSAGES.operation_pending : MESSAGES.unavailable;
  } else {
    code = code || `http_${status}`;
    const better = SERVER_SAYS_MORE[code]?.test(body.message || '') ? body.message : null;
    message = better || MESSAGES[code] || body.message || MESSAGES.unknown;
  }
  const err = new Error(message);
  err.code = code;
  err.status = status;
  err.body = body;
  err.token = tokenSent(error.config);
  return err;
}

// After these failures the server may or may not have done the work, so a retry
// must send the same Idempotency-Key. Any other 4xx is a definite "no, nothing
// changed", and the server stores it under the key: keeping the key would replay
// that refusal (e.g. insufficient_funds after the customer has topped up).
export function outcomeUnknown(err) {
  return (
    err.status === 0 ||
    err.status === 408 ||
    err.status === 429 ||
    err.status >= 500 ||
    err.code === 'idempotency_key_in_progress'
  );
}
