import { useState } from 'react';
import integrationService from '../services/integrationService.js';
import { checkAmount } from '../money.js';

// Top up: checks the amount, then sends the browser to the chosen gateway's checkout page. `methods`
// ([[value, label], …]) are the server's gateways: none while it has not said (`loaded`), or offers none.
export default function TopupForm({ customerId, methods, method, loaded = true, onMethodChange, busy, run, setMessage }) {
  const [amount, setAmount] = useState('');

  function onSubmit(e) {
    e.preventDefault();
    const problem = checkAmount(amount);
    if (problem) return setMessage({ kind: 'error', text: problem });
    run(async () => {
      const res = await integrationService.initiateWalletTopup(customerId, amount.trim(), method);
      setMessage({ kind: 'info', text: 'Taking you to the payment page…' });
      window.location.assign(res.redirect_url);
    });
  }

  return (
    <form className="card" onSubmit={onSubmit}>
      <h2>Top up</h2>
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
