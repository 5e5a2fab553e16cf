import { formatMoney } from '../money.js';
import WalletFigures from './WalletFigures.jsx';

// The wallet balance ('…' until the status has loaded), then held money, debt and what is available.
export default function BalanceCard({ wallet }) {
  return (
    <section className="card balance-card">
      <h2>Balance</h2>
      <p className="balance" data-testid="balance">
        {wallet ? formatMoney(wallet.balance, wallet.currency) : '…'}
      </p>
      <p className="currency">{wallet?.currency}</p>
      <WalletFigures wallet={wallet} />
    </section>
  );
}
