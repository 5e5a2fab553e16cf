import { formatMoney } from '../money.js';

// The wallet balance ('…' until the status has loaded).
export default function BalanceCard({ wallet }) {
  return (
    <section className="card balance-card">
      <h2>Balance</h2>
      <p className="balance" data-testid="balance">
        {wallet ? formatMoney(wallet.balance, wallet.currency) : '…'}
      </p>
      <p className="currency">{wallet?.currency}</p>
    </section>
  );
}
