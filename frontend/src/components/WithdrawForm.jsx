import { useEffect, useState } from 'react';
import { useFocusOn } from '../hooks/useFocusOn.js';
import integrationService from '../services/integrationService.js';
import { checkAmount, formatMoney } from '../money.js';
import { withdrawalMessage, withdrawalSettled } from '../withdrawal.js';

// A withdrawal the gateways have not all answered is looked at again this often, this long, before
// the page says it is on its way (the simulators answer within a second or two).
const FOLLOW_POLL_MS = 500;
const FOLLOW_WAIT_MS = 10000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Withdraw money to the payment methods of the customer's own top-ups: how much can go (GET
// withdrawable, read again whenever `wallet` changes) before anything is typed, the amount, a
// confirmation, then what happened (waiting a little for the gateways), and `onDone` (refresh).
// `whose`: 'your' (the customer's page) or e.g. "cust_1's" (support); `gateways` name the gateways.
// `currency`: the wallet it leaves (null: the default currency's, none named).
export default function WithdrawForm({
  customerId, wallet, currency = null, gateways = [], whose = 'your', busy, run, setMessage, onDone, onError,
}) {
  const [quoted, setQuoted] = useState(null);
  const quote = quoted && (!currency || quoted.currency === currency) ? quoted : null; // not another wallet's
  const [amount, setAmount] = useState('');
  const [confirming, setConfirming] = useState(false);
  const question = useFocusOn(confirming);
  const walletCurrency = currency || quote?.currency || wallet?.currency || undefined;

  useEffect(() => {
    let live = true;
    integrationService.getWithdrawable(customerId, { currency }).then(
      (answer) => live && setQuoted(answer),
      (err) => {
        if (!live) return;
        setQuoted(null);
        if (err.status === 401) onError(err);
      },
    );
    return () => {
      live = false;
    };
  }, [customerId, currency, wallet, onError]);

  function review(e) {
    e.preventDefault();
    const problem = checkAmount(amount, walletCurrency);
    if (problem) return setMessage({ kind: 'error', text: problem });
    if (quote && Number(amount) > quote.withdrawable) {
      return setMessage({ kind: 'error', text: `At most ${money(quote.withdrawable)} can be withdrawn now.` });
    }
    setMessage(null);
    setConfirming(true);
  }

  function confirm() {
    setConfirming(false);
    run(async () => {
      let withdrawal;
      try {
        withdrawal = await integrationService.withdraw(customerId, amount.trim(), walletCurrency);
      } catch (err) {
        if (err.status >= 400 && err.status < 500) {
          // refused: the wallet or its top-ups moved since the quote shown; show what is true now
          integrationService.getWithdrawable(customerId, { currency }).then(setQuoted, () => {});
        }
        if (err.code === 'insufficient_funds') {
          const held = Number(wallet?.held) > 0 ? ': money on hold cannot be withdrawn' : '';
          err.message = `That is more than is available in ${whose} wallet now${held}.`;
        }
        throw err;
      }
      setAmount('');
      setMessage(withdrawalMessage(withdrawal, gateways, whose));
      await onDone();
      if (withdrawalSettled(withdrawal)) return;
      const deadline = Date.now() + FOLLOW_WAIT_MS;
      while (!withdrawalSettled(withdrawal) && Date.now() < deadline) {
        await sleep(FOLLOW_POLL_MS);
        withdrawal = await integrationService.getWithdrawal(withdrawal.withdrawal_id);
      }
      if (withdrawalSettled(withdrawal)) {
        setMessage(withdrawalMessage(withdrawal, gateways, whose));
        await onDone();
      }
    });
  }

  const money = (value) => formatMoney(value, walletCurrency);
  return (
    <form className="card" data-testid="withdraw-form" onSubmit={review}>
      <h2>Withdraw</h2>
      <p data-testid="withdrawable">
        {quote ? `Up to ${money(quote.withdrawable)} can be withdrawn now.` : 'Checking how much can be withdrawn…'}
      </p>
      <small className="hint">
        It goes back to the cards and accounts {whose} top-ups were paid with, newest top-up first.
        {quote && quote.refundable < quote.available
          ? ` Only ${money(quote.refundable)} of ${whose} top-ups can still be refunded (each at most what is left of it, within the refund window).`
          : ''}
        {Number(wallet?.held) > 0 ? ' Money on hold cannot be withdrawn.' : ''}
      </small>
      <label>
        Amount
        <input
          data-testid="withdraw-amount"
          inputMode="decimal"
          autoComplete="off"
          value={amount}
          onChange={(e) => {
            setAmount(e.target.value);
            setConfirming(false);
          }}
        />
      </label>
      {confirming ? (
        <div className="confirm" data-testid="withdraw-confirmation">
          <p ref={question.ref} id={question.id} tabIndex={-1}>
            Withdraw <strong>{money(Number(amount))}</strong> to the payment methods of {whose} top-ups? It leaves the
            available balance at once and is on hold until each payment provider confirms.
          </p>
          <button type="button" data-testid="withdraw-confirm" aria-describedby={question.id} disabled={busy} onClick={confirm}>
            Confirm withdrawal
          </button>{' '}
          <button type="button" className="secondary" data-testid="withdraw-back" onClick={() => setConfirming(false)}>
            Back
          </button>
        </div>
      ) : (
        <button type="submit" data-testid="withdraw-review" disabled={busy || !quote || Number(quote.withdrawable) <= 0}>
          Withdraw…
        </button>
      )}
    </form>
  );
}
