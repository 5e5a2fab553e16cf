import { formatMoney } from '../money.js';
import { gatewayLabel } from '../gateways.js';

const KIND_LABELS = { topup: 'Top-up', payment: 'Order payment', refund: 'Refund' };

// `reference` is {order_id} for payments and refunds, {payment_order_id, gateway, …} for top-ups;
// a gateway is named by its label (`gateways`, the server's: gateways.js), else by its name.
function describeReference(ref, gateways) {
  if (!ref || typeof ref !== 'object') return ref ? String(ref) : '';
  if (ref.order_id) return ref.order_id;
  const via = ref.gateway ? `via ${gatewayLabel(gateways, ref.gateway)}` : '';
  return [via, ref.payment_order_id].filter(Boolean).join(' ');
}

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
        {(transactions || []).map((t) => (
          <li key={t.transaction_id} data-kind={t.kind} data-type={t.type}>
            <span className="what">
              <strong>{KIND_LABELS[t.kind] || t.kind}</strong>
              <small>{[describeReference(t.reference, gateways), formatDate(t.created_at)].filter(Boolean).join(' · ')}</small>
            </span>
            <span className={`amount ${t.type}`}>
              {t.type === 'debit' ? '−' : '+'}
              {formatMoney(t.amount, t.currency)}
            </span>
          </li>
        ))}
      </ul>
      {hasOlder && (
        <button type="button" className="link" data-testid="load-older" disabled={busy} onClick={onLoadOlder}>
          Show older transactions
        </button>
      )}
    </section>
  );
}
