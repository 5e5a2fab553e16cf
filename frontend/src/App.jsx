import { useCallback, useEffect, useRef, useState } from 'react';
import integrationService from './services/integrationService.js';
import { checkAmount, formatMoney } from './money.js';
import {
  clearGatewayReturn,
  currentSession,
  readGatewayReturn,
  signOut,
  takeTokenFromUrl,
  topupCredited,
} from './session.js';

const METHODS = [
  ['razorpay', 'Razorpay'],
  ['paypal', 'PayPal'],
  ['google_pay', 'Google Pay'],
];
const KIND_LABELS = { topup: 'Top-up', payment: 'Order payment', refund: 'Refund' };
const PAYMENT_ERRORS = {
  payment_failed: 'The payment did not go through. Nothing was added to your wallet.',
  cancelled: 'The payment was cancelled. Nothing was added to your wallet.',
};

// Google Pay: the checkout page has sent the token to the service, which credits the wallet; the
// simulator sends it from a background thread, so the credit can land just after we are back.
const CREDIT_POLL_MS = 500;
const CREDIT_WAIT_MS = 15000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function initialSession() {
  takeTokenFromUrl();
  return currentSession();
}

const GATEWAYS = Object.fromEntries(METHODS);

// `reference` is {order_id} for payments and refunds, {payment_order_id, gateway, …} for top-ups.
function describeReference(ref) {
  if (!ref || typeof ref !== 'object') return ref ? String(ref) : '';
  if (ref.order_id) return ref.order_id;
  const via = ref.gateway ? `via ${GATEWAYS[ref.gateway] || ref.gateway}` : '';
  return [via, ref.payment_order_id].filter(Boolean).join(' ');
}

function formatDate(value) {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString('en-IN', { dateStyle: 'medium', timeStyle: 'short' });
}

export default function App() {
  const [session, setSession] = useState(initialSession);
  const [wallet, setWallet] = useState(null);
  const [transactions, setTransactions] = useState([]);
  const [message, setMessage] = useState(
    session?.expired ? { kind: 'error', text: 'Your sign-in has expired. Open the sign-in link again.' } : null,
  );
  const [busy, setBusy] = useState(false);
  const [topupAmount, setTopupAmount] = useState('');
  const [method, setMethod] = useState('razorpay');
  const [methods, setMethods] = useState(METHODS);
  const [orderId, setOrderId] = useState('');
  const [payAmount, setPayAmount] = useState('');
  const started = useRef(false);

  const customerId = session?.customerId;

  const loadStatus = useCallback(async () => {
    const status = await integrationService.getIntegrationStatus(customerId);
    setWallet(status.wallet);
    setTransactions(status.recent_transactions || []);
    return status;
  }, [customerId]);

  const showError = (err) => setMessage({ kind: 'error', text: err.message });

  // Offer only the gateways this server has configured.
  useEffect(() => {
    integrationService
      .healthCheck()
      .then((h) => {
        const enabled = h?.features?.gateways;
        const offered = Array.isArray(enabled) ? METHODS.filter(([value]) => enabled.includes(value)) : [];
        if (offered.length === 0) return;
        setMethods(offered);
        setMethod((current) => (offered.some(([value]) => value === current) ? current : offered[0][0]));
      })
      .catch(() => {});
  }, []);

  // On load: finish a gateway return if there is one, then show the wallet.
  useEffect(() => {
    if (!customerId || session.expired || started.current) return;
    started.current = true;
    const back = readGatewayReturn();
    const showCredit = (balance, currency) =>
      setMessage({ kind: 'success', text: `Top-up successful. New balance ${formatMoney(balance, currency)}.` });
    (async () => {
      let verified = null;
      try {
        if (back?.kind === 'razorpay') {
          setMessage({ kind: 'info', text: 'Confirming your payment…' });
          verified = await integrationService.verifyWalletTopup(back.paymentId, back.orderId, back.signature);
        } else if (back?.kind === 'paypal') {
          setMessage({ kind: 'info', text: 'Confirming your payment…' });
          verified = await integrationService.verifyWalletTopup(null, back.orderId, null, 'paypal');
        } else if (back?.kind === 'google_pay') {
          setMessage({ kind: 'info', text: 'Confirming your payment…' });
        } else if (back?.kind === 'error') {
          setMessage({ kind: 'error', text: PAYMENT_ERRORS[back.error] || 'The payment did not go through.' });
        }
      } catch (err) {
        showError(err);
      }
      if (back) clearGatewayReturn();
      try {
        let status = await loadStatus();
        if (verified) {
          showCredit(verified.wallet_balance, verified.currency || status.wallet?.currency);
        } else if (back?.kind === 'google_pay') {
          const deadline = Date.now() + CREDIT_WAIT_MS;
          while (!topupCredited(status, back.orderId) && Date.now() < deadline) {
            await sleep(CREDIT_POLL_MS);
            if (currentSession()?.customerId !== customerId) return; // signed out meanwhile
            status = await loadStatus();
          }
          if (topupCredited(status, back.orderId)) {
            showCredit(status.wallet?.balance, status.wallet?.currency);
          } else {
            setMessage({
              kind: 'info',
              text: 'Your payment is still being confirmed. Reload the page in a moment to see it in your wallet.',
            });
          }
        }
      } catch (err) {
        showError(err);
      }
    })();
  }, [customerId, session, loadStatus]);

  async function run(action) {
    setBusy(true);
    try {
      await action();
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  }

  function onTopup(e) {
    e.preventDefault();
    const problem = checkAmount(topupAmount);
    if (problem) return setMessage({ kind: 'error', text: problem });
    run(async () => {
      const res = await integrationService.initiateWalletTopup(customerId, topupAmount.trim(), method);
      setMessage({ kind: 'info', text: 'Taking you to the payment page…' });
      window.location.assign(res.redirect_url);
    });
  }

  function onPay(e) {
    e.preventDefault();
    const id = orderId.trim();
    if (!id) return setMessage({ kind: 'error', text: 'Enter the order id.' });
    const problem = checkAmount(payAmount);
    if (problem) return setMessage({ kind: 'error', text: problem });
    run(async () => {
      const res = await integrationService.payOrderWithWallet(id, customerId, payAmount.trim());
      const currency = wallet?.currency || 'INR';
      setMessage({
        kind: 'success',
        text: `Order ${id} paid. Remaining balance ${formatMoney(res.remaining_balance, currency)}.`,
      });
      setOrderId('');
      setPayAmount('');
      await loadStatus();
    });
  }

  function onSignOut() {
    signOut();
    setSession(null);
    setWallet(null);
    setTransactions([]);
    setMessage(null);
  }

  const messageBox = (
    <p data-testid="message" className={`message ${message?.kind || ''}`} role="status" aria-live="polite">
      {message?.text || (!session ? 'Sign in with the link printed by the server.' : '')}
    </p>
  );

  if (!session) {
    return (
      <main className="page">
        <h1>Wallet</h1>
        {messageBox}
      </main>
    );
  }

  return (
    <main className="page">
      <header className="top">
        <h1>Wallet</h1>
        <span className="who">
          {customerId}{' '}
          <button type="button" className="link" onClick={onSignOut}>
            Sign out
          </button>
        </span>
      </header>

      {messageBox}

      <section className="card balance-card">
        <h2>Balance</h2>
        <p className="balance" data-testid="balance">
          {wallet ? formatMoney(wallet.balance, wallet.currency) : '…'}
        </p>
        <p className="currency">{wallet?.currency}</p>
      </section>

      <div className="forms">
        <form className="card" onSubmit={onTopup}>
          <h2>Top up</h2>
          <label>
            Amount
            <input
              data-testid="topup-amount"
              inputMode="decimal"
              autoComplete="off"
              placeholder="500.00"
              value={topupAmount}
              onChange={(e) => setTopupAmount(e.target.value)}
            />
          </label>
          <label>
            Pay with
            <select data-testid="topup-method" value={method} onChange={(e) => setMethod(e.target.value)}>
              {methods.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <button data-testid="topup-submit" type="submit" disabled={busy}>
            Top up
          </button>
        </form>

        <form className="card" onSubmit={onPay}>
          <h2>Pay an order</h2>
          <label>
            Order id
            <input
              data-testid="pay-order-id"
              autoComplete="off"
              placeholder="ord_…"
              value={orderId}
              onChange={(e) => setOrderId(e.target.value)}
            />
          </label>
          <label>
            Amount
            <input
              data-testid="pay-amount"
              inputMode="decimal"
              autoComplete="off"
              placeholder="250.00"
              value={payAmount}
              onChange={(e) => setPayAmount(e.target.value)}
            />
          </label>
          <button data-testid="pay-submit" type="submit" disabled={busy}>
            Pay from wallet
          </button>
        </form>
      </div>

      <section className="card">
        <h2>Recent transactions</h2>
        {transactions.length === 0 && <p className="empty">No transactions yet.</p>}
        <ul className="transactions" data-testid="transactions">
          {transactions.map((t) => (
            <li key={t.transaction_id} data-kind={t.kind} data-type={t.type}>
              <span className="what">
                <strong>{KIND_LABELS[t.kind] || t.kind}</strong>
                <small>{[describeReference(t.reference), formatDate(t.created_at)].filter(Boolean).join(' · ')}</small>
              </span>
              <span className={`amount ${t.type}`}>
                {t.type === 'debit' ? '−' : '+'}
                {formatMoney(t.amount, t.currency)}
              </span>
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}
