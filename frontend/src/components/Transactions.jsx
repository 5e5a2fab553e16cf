import { formatMoney } from '../money.js';
import { gatewayLabel } from '../gateways.js';

const KIND_LABELS = {
  topup: 'Top-up',
  payment: 'Order payment',
  refund: 'Refund',
  reversal: 'Order payment given back',
  topup_reversal: 'Top-up taken back by the payment provider',
  chargeback: 'Disputed top-up taken back (dispute lost)',
  debt_repayment: 'Debt repaid',
  dispute_hold: 'On hold: a top-up is disputed',
  hold_release: 'Released from hold',
  withdrawal_hold: 'Withdrawal requested: on hold',
  withdrawal: 'Withdrawal refunded',
  checkout_hold: 'On hold: order authorised',
  capture: 'Order payment (authorised, now captured)',
};
// A take-back of a top-up says which kind of case it was (reference.case).
const TAKE_BACK_LABELS = {
  refund: 'Top-up refunded by the payment provider',
  reversal: 'Top-up reversed by the payment provider',
};

function kindLabel(t) {
  if (t.kind === 'topup_reversal' && TAKE_BACK_LABELS[t.reference?.case]) return TAKE_BACK_LABELS[t.reference.case];
  if (t.kind === 'hold_release' && t.reference?.withdrawal_id) return 'Released from hold: withdrawal refused';
  if (t.kind === 'hold_release' && t.reference?.order_id) return 'Released from hold: order authorisation cancelled or expired';
  if (t.kind === 'hold_release') return 'Released from hold: dispute closed';
  return KIND_LABELS[t.kind] || t.kind;
}

// `reference` is {order_id} for payments and refunds, {payment_order_id, gateway, …} for top-ups and
// what gateways did after them, {withdrawal_id, gateway, …} for withdrawals; a gateway is named by
// its label (`gateways`, the server's: gateways.js), else by its name.
function describeReference(ref, gateways) {
  if (!ref || typeof ref !== 'object') return ref ? String(ref) : '';
  if (ref.order_id) return ref.order_id;
  const label = ref.gateway && gatewayLabel(gateways, ref.gateway);
  if (ref.withdrawal_id) return [ref.withdrawal_id, label && `to ${label}`, ref.payment_order_id].filter(Boolean).join(' ');
  return [label && `via ${label}`, ref.payment_order_id].filter(Boolean).join(' ');
}

// What an entry did to held money and debt (`held_change`, `debt_change`: signed, when non-zero).
function describeChanges(t) {
  const signed = (value) => `${value < 0 ? '−' : '+'}${formatMoney(Math.abs(value), t.currency)}`;
  return [
    t.held_change ? `on hold ${signed(t.held_change)}` : '',
    t.debt_change ? `owed ${signed(t.debt_change)}` : '',
  ].filter(Boolean).join(' · ');
}

const SIGNS = { credit: '+', debit: '−' };

function formatDate(value) {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString('en-IN', { dateStyle: 'medium', timeStyle: 'short' });
}

// The ledger, newest first as the server sends it (`transactions` null while it loads); older
// entries on demand (`onLoadOlder`), and a CSV statement (`onDownload`) when given.
export default function Transactions({ title = 'Transactions', transactions, gateways = [], hasOlder, onLoadOlder, onDownload, busy, testId = 'transactions' }) {
  return (
    <section className="card">
      <div className="card-head">
        <h2>{title}</h2>
        {onDownload && (
          <button type="button" className="link" data-testid="download-statement" disabled={busy} onClick={onDownload}>
            Download statement (CSV)
          </button>
        )}
      </div>
      {transactions === null && (
        <p className="empty" data-testid={`${testId}-loading`}>
          Loading transactions…
        </p>
      )}
      {transactions?.length === 0 && <p className="empty">No transactions yet.</p>}
      <ul className="transactions" data-testid={testId}>
        {(transactions || []).map((t) => {
          const changes = describeChanges(t);
          return (
            <li key={t.transaction_id} data-kind={t.kind} data-type={t.type}>
              <span className="what">
                <strong>{kindLabel(t)}</strong>
                <small>{[describeReference(t.reference, gateways), formatDate(t.created_at)].filter(Boolean).join(' · ')}</small>
                {changes && <small className="changes">{t.type === 'memo' ? `Balance unchanged; ${changes}` : changes}</small>}
              </span>
              {/* a memo moves no balance: its amount is what it held, released or owed */}
              <span className={`amount ${t.type}`}>
                {SIGNS[t.type] || ''}
                {formatMoney(t.amount, t.currency)}
              </span>
            </li>
          );
        })}
      </ul>
      {hasOlder && (
        <button type="button" className="link" data-testid="load-older" disabled={busy} onClick={onLoadOlder}>
          Show older transactions
        </button>
      )}
    </section>
  );
}
