// Orders authorised now and captured later, and the limits a top-up must fit (SPEC §10), in words.
import { formatMoney } from './money.js';

// The server's limit names (GET /wallet/<id>/limits, initiate's 422 `limit`) as a person reads them.
const LIMIT_NAMES = {
  WALLET_BALANCE_MAX: 'the wallet balance limit',
  WALLET_MONTHLY_TOPUP_MAX: 'the monthly top-up limit',
  MINIMUM_KYC_BALANCE_MAX: 'the balance limit for minimum-KYC wallets',
  MINIMUM_KYC_MONTHLY_TOPUP_MAX: 'the monthly top-up limit for minimum-KYC wallets',
  FULL_KYC_BALANCE_MAX: 'the balance limit for full-KYC wallets',
  FULL_KYC_MONTHLY_TOPUP_MAX: 'the monthly top-up limit for full-KYC wallets',
};

export function limitName(limit) {
  return LIMIT_NAMES[limit] || `the limit ${limit}`;
}

// What the tightest limit leaves, before anything is typed; null when no limit applies.
// `answer`: GET /wallet/<id>/limits ({currency, limits: [{limit, max, used, headroom}], tightest first}).
export function headroomText(answer) {
  const tightest = answer?.limits?.[0];
  if (!tightest) return null;
  const money = (amount) => formatMoney(amount, answer.currency);
  const name = limitName(tightest.limit);
  if (Number(tightest.headroom) <= 0) {
    return `No more can be topped up now: ${name} (${money(tightest.max)}) is reached.`;
  }
  return (
    `Up to ${money(tightest.headroom)} more can be topped up now: ${name} is ${money(tightest.max)}, ` +
    `${money(tightest.used)} of it used (top-ups still open count too).`
  );
}

// Initiate's 422 `limit_exceeded` ({limit, headroom} in `err.body`): which limit, how much more fits.
export function limitExceededText(body, currency) {
  const headroom = Number(body?.headroom);
  const name = limitName(body?.limit);
  if (!(headroom > 0)) return `That top-up would pass ${name}: nothing more can be topped up now.`;
  return `That top-up would pass ${name}: at most ${formatMoney(headroom, currency)} more can be topped up now.`;
}

// When an authorisation's hold is released unless captured (`expires_at`, ISO-8601), e.g.
// "12 Jan 2026, 10:00 am"; null when the server did not say.
export function formatExpiry(iso) {
  const d = new Date(iso ?? NaN);
  return Number.isNaN(d.getTime()) ? null : d.toLocaleString('en-IN', { dateStyle: 'medium', timeStyle: 'short' });
}

// The amount an authorised order holds (its `authorization.amount`, else the order's own amount).
export function heldAmount(order) {
  return order?.authorization?.amount ?? order?.amount;
}
