import { currencyName } from '../money.js';

// Which currency's wallet to show, among the server's `currencies` (the default first): shown only
// when there is more than one. `onChange(code)`; `testId` names the select.
export default function CurrencyChoice({ currencies = [], currency, onChange, disabled = false, testId = 'currency-choice' }) {
  if (currencies.length < 2) return null;
  return (
    <label className="currency-choice">
      Currency
      <select data-testid={testId} value={currency || currencies[0]} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
        {currencies.map((code) => (
          <option key={code} value={code}>
            {code} · {currencyName(code)}
          </option>
        ))}
      </select>
    </label>
  );
}
