// What a withdrawal did, in words (its answer: POST /wallet/withdraw or GET /wallet/withdrawals/<id>).
import { formatMoney } from './money.js';
import { gatewayLabel } from './gateways.js';

// A withdrawal's status -> the message's kind; `pending` goes on until each gateway has answered.
const KINDS = { completed: 'success', pending: 'info', partially_completed: 'info', failed: 'error' };
const PART_DONE = 'processed';
const PART_REFUSED = 'failed';

export function withdrawalSettled(withdrawal) {
  return withdrawal?.status !== 'pending';
}

// {kind, text} for the page's message. `whose`: 'your' (the customer's page) or e.g. "cust_1's".
export function withdrawalMessage(withdrawal, gateways = [], whose = 'your') {
  const { status, amount, currency } = withdrawal;
  const money = (value) => formatMoney(value, currency);
  const parts = Array.isArray(withdrawal.refunds) ? withdrawal.refunds : [];
  const to = (part) => `${money(part.amount)} to ${gatewayLabel(gateways, part.gateway)}`;
  const done = parts.filter((p) => p.status === PART_DONE);
  const refused = parts.filter((p) => p.status === PART_REFUSED);
  const waiting = parts.filter((p) => p.status !== PART_DONE && p.status !== PART_REFUSED);
  const list = (some) => some.map(to).join(', ');
  const backInWallet = `${refused.length === 1 ? 'it is' : 'they are'} back in ${whose} available balance`;
  let text;
  if (status === 'completed') {
    text = `Withdrawal complete: ${money(amount)} refunded (${list(done)}).`;
  } else if (status === 'failed') {
    text = `Withdrawal refused: the payment provider refused ${list(refused)}; nothing left ${whose} wallet.`;
  } else if (status === 'partially_completed') {
    text = `Withdrawal partly refused: ${list(done)} refunded; ${list(refused)} refused, and ${backInWallet}.`;
  } else {
    const sent = done.length ? ` ${list(done)} refunded already;` : '';
    text =
      `Withdrawal of ${money(amount)} is on its way:${sent} ${list(waiting)} waiting for the payment provider` +
      `${refused.length ? `; ${list(refused)} refused, and ${backInWallet}` : ''}. ` +
      `Until each provider confirms, the amount is on hold in ${whose} wallet.`;
  }
  return { kind: KINDS[status] || 'info', text };
}
