import { useState } from 'react';
import integrationService from '../services/integrationService.js';
import { formatMoney } from '../money.js';
import { countOf, distinct } from '../wording.js';
import CurrencyChoice from './CurrencyChoice.jsx';
import CustomerLimits from './CustomerLimits.jsx';
import SupportOrders from './SupportOrders.jsx';
import Transactions from './Transactions.jsx';
import WalletFigures from './WalletFigures.jsx';
import WithdrawForm from './WithdrawForm.jsx';
import SimulatorDashboard from './SimulatorDashboard.jsx';
import SettlementPanel from './SettlementPanel.jsx';

function when(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString('en-IN', { dateStyle: 'medium', timeStyle: 'medium' });
}

// Audit entries, newest first, each detail once (a webhook's event type is often also its reason);
// older ones on demand (`onLoadOlder`, when `hasOlder`).
function AuditList({ entries, testId, empty, hasOlder, onLoadOlder, olderLabel, busy }) {
  return (
    <>
      {entries.length === 0 && <p className="empty">{empty}</p>}
      <ul className="audit" data-testid={testId}>
        {entries.map((e, i) => (
          <li key={`${e.created_at}-${i}`}>
            <strong>{e.event}</strong> <span className={`outcome ${e.outcome}`}>{e.outcome}</span>
            <small>
              {distinct([when(e.created_at), e.actor && `by ${e.actor}`, e.order_id, e.payment_order_id, e.withdrawal_id, e.event_type, e.reason,
                e.amount != null && formatMoney(e.amount, e.currency),
                e.debt > 0 && `owed ${formatMoney(e.debt, e.currency)}`,
                e.capped > 0 && `${formatMoney(e.capped, e.currency)} beyond the payment, not taken`,
                e.error]).join(' · ')}
            </small>
          </li>
        ))}
      </ul>
      {hasOlder && (
        <button type="button" className="link" data-testid={`${testId}-older`} disabled={busy} onClick={onLoadOlder}>
          {olderLabel}
        </button>
      )}
    </>
  );
}

// Support staff (admin token): look a customer up; balance (held, owed, available), level and limits
// (set the level), ledger, orders (refund them; capture or void an authorised one), gateway outcomes
// and audit entries (older pages of each on demand); reconcile the customer's wallet; withdraw for
// them; in simulator mode, play the gateways' side of their top-ups. Apart from any customer: a
// gateway's settled day (SettlementPanel).
// Every action first clears the banners of the one before (the message and the reconcile result).
// `gateways`: the server's (gateways.js), to name them. With more than one of the server's
// `currencies`, which currency's wallet of the customer to show (the default to begin with);
// choosing another reads the customer again.
export default function SupportView({ busy, run, setMessage, onError, gateways = [], currencies = [] }) {
  const [query, setQuery] = useState('');
  const [chosen, setChosen] = useState(null);
  const currency = currencies.includes(chosen) ? chosen : (currencies[0] ?? null);
  const [data, setData] = useState(null);
  const [transactions, setTransactions] = useState([]);
  const [nextBefore, setNextBefore] = useState(null);
  const [webhooks, setWebhooks] = useState({ entries: [], nextBefore: null });
  const [audit, setAudit] = useState({ entries: [], nextBefore: null });
  const [reconciled, setReconciled] = useState(null);

  // Clear the earlier banners, then run `action` (busy meanwhile; a failure becomes the message).
  function act(action) {
    setMessage(null);
    setReconciled(null);
    run(async () => action());
  }

  async function lookUp(customerId, code = currency) {
    let found;
    try {
      found = await integrationService.supportLookup(customerId, { currency: code });
    } catch (err) {
      setData(null); // never show the last customer's figures under another's id
      throw err;
    }
    setData(found);
    setTransactions(found.transactions);
    setNextBefore(found.next_before);
    setWebhooks({ entries: found.webhooks, nextBefore: found.webhooks_next_before ?? null });
    setAudit({ entries: found.audit, nextBefore: found.audit_next_before ?? null });
    return found;
  }

  function onLookUp(e) {
    e.preventDefault();
    const id = query.trim();
    act(() => (id ? lookUp(id) : setMessage({ kind: 'error', text: 'Enter a customer id.' })));
  }

  function chooseCurrency(code) {
    setChosen(code);
    if (data) act(() => lookUp(data.customer_id, code));
  }

  function loadOlder() {
    act(async () => {
      const page = await integrationService.getTransactions(data.customer_id, { limit: 20, before: nextBefore, currency: data.wallet.currency });
      setTransactions((list) => [...list, ...page.transactions]);
      setNextBefore(page.next_before);
    });
  }

  function loadOlderWebhooks() {
    act(async () => {
      const page = await integrationService.supportWebhooks(data.customer_id, { before: webhooks.nextBefore });
      setWebhooks((list) => ({ entries: [...list.entries, ...page.webhooks], nextBefore: page.next_before }));
    });
  }

  function loadOlderAudit() {
    act(async () => {
      const page = await integrationService.supportAudit(data.customer_id, { before: audit.nextBefore });
      setAudit((list) => ({ entries: [...list.entries, ...page.audit], nextBefore: page.next_before }));
    });
  }

  function reconcile() {
    act(async () => setReconciled(await integrationService.supportReconcile(data.customer_id)));
  }

  const stats = data?.statistics;
  return (
    <>
      <form className="card lookup" onSubmit={onLookUp}>
        <h2>Look up a customer</h2>
        <label>
          Customer id
          <input data-testid="support-customer" autoComplete="off" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
        <CurrencyChoice currencies={currencies} currency={currency} onChange={chooseCurrency} disabled={busy} testId="support-currency" />
        <button type="submit" data-testid="support-lookup" disabled={busy}>
          Look up
        </button>
      </form>
      {data && (
        <>
          <section className="card balance-card">
            <h2>
              {data.customer_id}
              {currencies.length > 1 ? ` · ${data.wallet.currency} wallet` : ''}
            </h2>
            <p className="balance" data-testid="support-balance">
              {formatMoney(data.wallet.balance, data.wallet.currency)}
            </p>
            <p className="currency" data-testid="support-counts">
              {[countOf(stats.topup_count, 'top-up'), countOf(stats.payment_count, 'payment'), countOf(stats.refund_count, 'refund')].join(' · ')}
            </p>
            <WalletFigures wallet={data.wallet} testId="support" whose="the customer's" />
            <button type="button" data-testid="support-reconcile" disabled={busy} onClick={reconcile}>
              Check this wallet against its ledger
            </button>
            {reconciled && (
              <p className={`message ${reconciled.clean ? 'success' : 'error'}`} data-testid="support-reconcile-result">
                {reconciled.clean
                  ? `No drift: ${reconciled.customer_id}'s balance matches its ledger, its orders' refunds match the refunds credited, and every checkout hold belongs to an authorised order.`
                  : `Drift found: ${reconciled.drift.map((d) => JSON.stringify(d)).join('; ')}`}
              </p>
            )}
          </section>
          <CustomerLimits customerId={data.customer_id} wallet={data.wallet} busy={busy} act={act} setMessage={setMessage} />
          <WithdrawForm
            customerId={data.customer_id}
            wallet={data.wallet}
            currency={data.wallet.currency}
            gateways={gateways}
            whose={`${data.customer_id}'s`}
            busy={busy}
            run={act}
            setMessage={setMessage}
            onDone={() => lookUp(data.customer_id)}
            onError={onError}
          />
          <SimulatorDashboard
            transactions={transactions}
            gateways={gateways}
            busy={busy}
            act={act}
            setMessage={setMessage}
            refresh={() => lookUp(data.customer_id)}
          />
          <SupportOrders
            customerId={data.customer_id}
            orders={data.orders}
            nextAfter={data.next_after}
            busy={busy}
            act={act}
            setMessage={setMessage}
            onDone={() => lookUp(data.customer_id)}
          />
          <Transactions
            title="Ledger"
            testId="support-transactions"
            transactions={transactions}
            gateways={gateways}
            hasOlder={nextBefore != null}
            onLoadOlder={loadOlder}
            busy={busy}
          />
          <section className="card">
            <h2>Gateway outcomes</h2>
            <AuditList
              entries={webhooks.entries}
              testId="support-webhooks"
              empty="No webhook outcomes for this customer."
              hasOlder={webhooks.nextBefore != null}
              onLoadOlder={loadOlderWebhooks}
              olderLabel="Show older gateway outcomes"
              busy={busy}
            />
          </section>
          <section className="card">
            <h2>Audit log</h2>
            <AuditList
              entries={audit.entries}
              testId="support-audit"
              empty="No audit entries for this customer."
              hasOlder={audit.nextBefore != null}
              onLoadOlder={loadOlderAudit}
              olderLabel="Show older audit entries"
              busy={busy}
            />
          </section>
        </>
      )}
      <SettlementPanel gateways={gateways} busy={busy} act={act} setMessage={setMessage} />
    </>
  );
}
