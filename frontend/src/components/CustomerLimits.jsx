import { useEffect, useState } from 'react';
import integrationService from '../services/integrationService.js';
import { formatMoney } from '../money.js';
import { limitName } from '../holdsAndLimits.js';

const LEVELS = [
  ['minimum', 'Minimum KYC'],
  ['full', 'Full KYC'],
];

// Support: the customer's KYC level (which picks the limits that apply), set here, and each limit
// that applies with how much more can be topped up (GET limits, read again whenever `wallet`
// changes). `act(action)` clears the earlier banners, then runs the action.
export default function CustomerLimits({ customerId, wallet, busy, act, setMessage }) {
  const [answer, setAnswer] = useState(null);
  const [level, setLevel] = useState('');
  const [asked, setAsked] = useState(0); // bumped to read the limits again after a change

  useEffect(() => {
    let live = true;
    integrationService.getLimits(customerId).then(
      (limits) => {
        if (!live) return;
        setAnswer(limits);
        setLevel(limits.kyc_level);
      },
      () => live && setAnswer(null),
    );
    return () => {
      live = false;
    };
  }, [customerId, wallet, asked]);

  function save(e) {
    e.preventDefault();
    act(async () => {
      await integrationService.setKycLevel(customerId, level);
      const label = LEVELS.find(([value]) => value === level)[1];
      setMessage({ kind: 'success', text: `${customerId}'s level is now ${label}: the ${label} limits apply to their top-ups.` });
      setAsked((n) => n + 1);
    });
  }

  if (!answer) return null; // a server without limits, or not read yet
  const money = (value) => formatMoney(value, answer.currency);
  return (
    <form className="card" data-testid="support-limits" onSubmit={save}>
      <h2>Level and limits</h2>
      {answer.limits.length === 0 && <p className="empty">No top-up limits are configured.</p>}
      <ul className="orders" data-testid="support-limits-list">
        {answer.limits.map((l) => (
          <li key={l.limit} data-limit={l.limit}>
            <span className="what">
              <strong>{limitName(l.limit).replace(/^the (.)/, (_, first) => first.toUpperCase())}</strong>
              <small>
                {money(l.used)} of {money(l.max)} used · {money(l.headroom)} more can be topped up
              </small>
            </span>
          </li>
        ))}
      </ul>
      <label>
        KYC level
        <select data-testid="support-kyc-level" value={level} onChange={(e) => setLevel(e.target.value)}>
          {LEVELS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" data-testid="support-kyc-save" disabled={busy || level === answer.kyc_level}>
        Set level
      </button>
    </form>
  );
}
