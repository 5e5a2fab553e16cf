import { formatMoney } from '../money.js';

// Held money and debt when there are any, and what is available, each said plainly (SPEC §9:
// available = balance − held; debt is owed apart from the balance). `testId` prefixes the figures';
// `whose`: 'your' on the customer's page, "the customer's" in the support view.
export default function WalletFigures({ wallet, testId = 'wallet', whose = 'your' }) {
  if (!wallet || wallet.available == null) return null; // a server without the figures: the balance only
  const money = (amount) => formatMoney(amount, wallet.currency);
  const rows = [];
  if (Number(wallet.held) !== 0) {
    rows.push(['held', 'On hold', wallet.held, 'on hold while an order is authorised, a dispute is open or a withdrawal is on its way']);
  }
  if (Number(wallet.debt) !== 0) {
    rows.push([
      'debt',
      'Owed',
      wallet.debt,
      `money a payment provider took back after it was spent; ${whose} next top-up pays it first`,
    ]);
  }
  rows.push(['available', 'Available', wallet.available, 'what can be spent or withdrawn now']);
  return (
    <dl className="figures" data-testid={`${testId}-figures`}>
      {rows.map(([name, label, amount, meaning]) => (
        <div key={name} data-testid={`${testId}-${name}`}>
          <dt>{label}</dt>
          <dd>
            <strong>{money(amount)}</strong> <small>{meaning}</small>
          </dd>
        </div>
      ))}
    </dl>
  );
}
