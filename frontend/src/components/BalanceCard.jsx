import { formatMoney } from '../money.js';
import CurrencyChoice from './CurrencyChoice.jsx';
import WalletFigures from './WalletFigures.jsx';

// The wallet balance ('…' until the status has loaded), then held money, debt and what is available;
// with more than one of the server's `currencies`, the choice of which currency's wallet to show.
export default function BalanceCard({ wallet, currencies = [], currency = null, onCurrencyChange }) {
  return (
    <section className="card balance-card">
      <div className="card-head">
        <h2>Balance</h2>
        <CurrencyChoice currencies={currencies} currency={currency} onChange={onCurrencyChange} />
      </div>
      <p className="balance" data-testid="balance">
        {wallet ? formatMoney(wallet.balance, wallet.currency) : '…'}
      </p>
      <p className="currency" data-testid="balance-currency">
        {wallet?.currency}
      </p>
      <WalletFigures wallet={wallet} />
    </section>
  );
}
