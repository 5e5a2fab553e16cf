import { useEffect, useState } from 'react';
import integrationService from '../services/integrationService.js';
import { checkAmount } from '../money.js';
import { headroomText, limitExceededText } from '../holdsAndLimits.js';

// Top up: how much more the wallet's limits let in (GET limits, read again whenever `wallet`
// changes; nothing said without limits), checks the amount, then sends the browser to the chosen
// gateway's checkout page; a top-up beyond a limit (422) says which limit and how much more fits.
// `methods` ([[value, label], …]) are the server's gateways: none while it has not said (`loaded`), or offers none.
export default function TopupForm({ customerId, wallet, methods, method, loaded = true, onMethodChange, busy, run, setMessage, onError }) {
  const [amount, setAmount] = useState('');
  const [limits, setLimits] = useState(null);
  const [asked, setAsked] = useState(0); // bumped to read the limits again after a refusal

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
    const problem = checkAmount(amount);
    if (problem) return setMessage({ kind: 'error', text: problem });
    run(async () => {
      let res;
      try {
        res = await integrationService.initiateWalletTopup(customerId, amount.trim(), method);
      } catch (err) {
        if (err.code === 'limit_exceeded') {
          err.message = limitExceededText(err.body, limits?.currency || wallet?.currency);
          setAsked((n) => n + 1);
        }
        throw err;
      }
      setMessage({ kind: 'info', text: 'Taking you to the payment page…' });
      window.location.assign(res.redirect_url);
    });
  }

  const headroom = headroomText(limits);

  return (
    <form className="card" onSubmit={onSubmit}>
      <h2>Top up</h2>
      {headroom && (
        <p className="hint" data-testid="topup-headroom">
          {headroom}
        </p>
      )}
      <label>
        Amount
        <input
          data-testid="topup-amount"
          inputMode="decimal"
          autoComplete="off"
          aria-describedby="topup-amount-hint"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
        />
        <small id="topup-amount-hint" className="hint">
          Up to 2 decimals, for example 500 or 99.50
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
            {loaded ? 'No payment method is available right now.' : 'Loading payment methods…'}
          </small>
        )}
      </label>
      <button data-testid="topup-submit" type="submit" disabled={busy || !method}>
        Top up
      </button>
    </form>
  );
}
