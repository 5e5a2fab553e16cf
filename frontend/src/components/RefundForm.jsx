import { useState } from 'react';
import { useFocusOn } from '../hooks/useFocusOn.js';
import integrationService from '../services/integrationService.js';
import { checkAmount, formatMoney } from '../money.js';

// Refund part or all of an order, in its currency (to that currency's wallet): amount and reason,
// then a confirmation step. `act(action)` clears the earlier banners, then runs the action.
export default function RefundForm({ customerId, order, busy, act, setMessage, onDone, onCancel }) {
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const question = useFocusOn(confirming);

  function review(e) {
    e.preventDefault();
    act(() => {
      const problem = checkAmount(amount, order.currency);
      if (problem) return setMessage({ kind: 'error', text: problem });
      if (Number(amount) > order.refundable_amount) {
        return setMessage({ kind: 'error', text: `At most ${formatMoney(order.refundable_amount, order.currency)} is left to refund on this order.` });
      }
      setConfirming(true);
    });
  }

  function confirm() {
    act(async () => {
      const res = await integrationService.refundOrderToWallet(order.order_id, customerId, amount.trim(), reason.trim(), order.currency);
      setMessage({
        kind: 'success',
        text: `Refunded ${formatMoney(Number(amount), order.currency)} to ${customerId}'s wallet for ${order.order_id}. New balance ${formatMoney(res.new_balance, res.currency)}.`,
      });
      await onDone();
    });
  }

  if (confirming) {
    return (
      <div className="confirm" data-testid="refund-confirmation">
        <p ref={question.ref} id={question.id} tabIndex={-1}>
          Refund <strong>{formatMoney(Number(amount), order.currency)}</strong> to {customerId}&apos;s wallet for order{' '}
          {order.order_id}
          {reason.trim() ? ` (reason: ${reason.trim()})` : ''}? This cannot be undone.
        </p>
        <button type="button" data-testid="refund-confirm" aria-describedby={question.id} disabled={busy} onClick={confirm}>
          Confirm refund
        </button>{' '}
        <button type="button" className="secondary" onClick={() => act(() => setConfirming(false))}>
          Back
        </button>
      </div>
    );
  }
  return (
    <form className="refund" onSubmit={review}>
      <label>
        Amount to refund (at most {formatMoney(order.refundable_amount, order.currency)})
        <input data-testid="refund-amount" inputMode="decimal" autoComplete="off" value={amount} onChange={(e) => setAmount(e.target.value)} />
      </label>
      <label>
        Reason
        <input data-testid="refund-reason" maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <button type="submit" data-testid="refund-review" disabled={busy}>
        Review refund
      </button>{' '}
      <button type="button" className="secondary" onClick={() => act(onCancel)}>
        Cancel
      </button>
    </form>
  );
}
