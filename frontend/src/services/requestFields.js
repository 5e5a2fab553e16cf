// How the client shapes what it sends: query parameters without the ones not given, and a body with
// the `currency` a call was given (none: the server's default currency, or the order's).

// `fields` without those that are null or undefined.
export function present(fields) {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value != null));
}

// `body` with `currency` when one is given (an ISO 4217 code such as 'USD'); the body as it is otherwise.
export function withCurrency(body, currency) {
  return currency ? { ...body, currency } : body;
}

// The query of a wallet read: {currency} from 'USD' or {currency: 'USD'}; {} for none.
export function currencyParam(currency) {
  const code = typeof currency === 'string' ? currency : currency?.currency;
  return code ? { currency: code } : {};
}
