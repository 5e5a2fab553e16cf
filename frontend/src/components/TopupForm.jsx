import { useEffect, useState } from 'react';
import integrationService from '../services/integrationService.js';
import { amountHint, checkAmount } from '../money.js';
import { headroomText, limitExceededText } from '../holdsAndLimits.js';

// What a gateway refusing the currency (400 payment_method_unavailable) says, with what it takes.
function unavailableText(label, currency, body) {
  const taken = Array.isArray(body?.currencies) ? body.currencies : [];
  const takes = taken.length ? `it takes ${taken.join(', ')}` : "it takes none of this service's currencies";
  return `${label} does not take ${currency} here: ${takes}. Choose another way to pay.`;
}

// Top up: how much more the wallet's limits let in (GET limits, read again whenever `wallet`
// changes; nothing said without limits), checks the amount, then sends the browser to the chosen
// gateway's checkout page; a top-up beyond a limit (422) says which limit and how much more fits.
// `methods` ([[value, label], …]) are the server's gateways that take `currency`: none while it has
// not said (`loaded`), or offers none. `currency`: the wallet topped up (null: the default one,
// none named); the amount takes its decimals (none for JPY). The limits are said for their currency only.
export default function TopupForm({
  customerId, wallet, currency = null, methods, method, loaded = true, onMethodChange, busy, run, setMessage, onError,
}) {
  const [amount, setAmount] = useState('');
  const [limits, setLimits] = useState(null);
  const [asked, setAsked] = useState(0); // bumped to read the limits again after a refusal
  const shownCurrency = currency || wallet?.currency || 'INR';

  useEffect(() => {
    let live = true;
    integrationService.getLimits(customerId).then(
      (answer) => live && setLimits(answer),
      (err) => {
        if (!live) return;
        setLimits(null); // a server without limits (or unreachable): the form as before
        if (err.status === 401) onError?.(err);
      },
    );
    return () => {
      live = false;
    };
  }, [customerId, wallet, asked, onError]);

  function onSubmit(e) {
    e.preventDefault();
    const problem = checkAmount(amount, shownCurrency);
    if (problem) return setMessage({ kind: 'error', text: problem });
    run(async () => {
      let res;
      try {
        res = await integrationService.initiateWalletTopup(customerId, amount.trim(), method, currency ?? undefined);
      } catch (err) {
        if (err.code === 'limit_exceeded') {
          err.message = limitExceededText(err.body, shownCurrency);
          setAsked((n) => n + 1);
        }
        if (err.code === 'payment_method_unavailable') {
          const label = methods.find(([value]) => value === method)?.[1] || method;
          err.message = unavailableText(label, shownCurrency, err.body);
        }
        throw err;
      }
      setMessage({ kind: 'info', text: 'Taking you to the payment page…' });
      window.location.assign(res.redirect_url);
    });
  }

  // The limits' currency is the default one: said only for that wallet.
  const headroom = !currency || limits?.currency === currency ? headroomText(limits) : null;

  return (
    <form className="card" onSubmit={onSubmit}>
      <h2>Top up</h2>
      {headroom && (
        <p className="hint" data-testid="topup-headroom">
          {headroom}
        </p>
      )}
      <label>
        Amount ({shownCurrency})
        <input
          data-testid="topup-amount"
          inputMode="decimal"
          autoComplete="off"
          aria-describedby="topup-amount-hint"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
        />
        <small id="topup-amount-hint" className="hint">
          {amountHint(shownCurrency)}
        </small>
      </label>
      <label>
        Pay with
        <select data-testid="topup-method" value={method} onChange={(e) => onMethodChange(e.target.value)}>
          {methods.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        {methods.length === 0 && (
          <small data-testid="topup-no-methods" className="hint">
            {!loaded && 'Loading payment methods…'}
            {loaded && (currency ? `No payment method takes ${currency} right now.` : 'No payment method is available right now.')}
          </small>
        )}
      </label>
      <button data-testid="topup-submit" type="submit" disabled={busy || !method}>
        Top up
      </button>
    </form>
  );
}
