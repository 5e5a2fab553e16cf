import { useState } from 'react';
import { useFocusOn } from '../hooks/useFocusOn.js';
import integrationService from '../services/integrationService.js';
import { amountText, checkAmount, currencyDecimals, formatMoney } from '../money.js';
import { heldAmount } from '../holdsAndLimits.js';

// Support: capture an authorised order (the amount typed, the whole hold to begin with, at most the
// hold, in the order's currency; asked first: the rest is released) or void its authorisation (the
// hold released, the order pending again). `act(action)` clears the earlier banners, then runs the action.
export default function CaptureForm({ customerId, order, busy, act, setMessage, onDone, onCancel }) {
  const held = heldAmount(order);
  const [amount, setAmount] = useState(amountText(held, order.currency));
  const [confirming, setConfirming] = useState(false);
  const question = useFocusOn(confirming);
  const money = (value) => formatMoney(value, order.currency);

  function review(e) {
    e.preventDefault();
    act(() => {
      const problem = checkAmount(amount, order.currency);
      if (problem) return setMessage({ kind: 'error', text: problem });
      if (Number(amount) > Number(held)) {
        return setMessage({ kind: 'error', text: `At most ${money(held)} is authorised for this order.` });
      }
      setConfirming(true);
    });
  }

  function capture() {
    act(async () => {
      const res = await integrationService.captureOrder(order.order_id, amount.trim(), order.currency);
      const released = Number(res.released) > 0 ? `; ${money(res.released)} released back to the customer` : '';
      setMessage({
        kind: 'success',
        text: `Captured ${money(res.captured)} of order ${order.order_id} from ${customerId}'s wallet${released}. Balance ${formatMoney(res.remaining_balance, res.currency)}.`,
      });
      await onDone();
    });
  }

  function voidAuthorisation() {
    act(async () => {
      const res = await integrationService.voidOrder(order.order_id);
      setMessage({
        kind: 'success',
        text: `Authorisation of order ${order.order_id} voided: ${money(res.released)} released to ${customerId}'s available money; the order is pending again.`,
      });
      await onDone();
    });
  }

  if (confirming) {
    const unit = 10 ** currencyDecimals(order.currency);
    const rest = (Math.round(Number(held) * unit) - Math.round(Number(amount) * unit)) / unit; // in minor units: no float remainder
    return (
      <div className="confirm" data-testid="capture-confirmation">
        <p ref={question.ref} id={question.id} tabIndex={-1}>
          Capture <strong>{money(Number(amount))}</strong> of the {money(held)} authorised for order {order.order_id} from{' '}
          {customerId}&apos;s wallet?{rest > 0 ? ` The remaining ${money(rest)} is released.` : ''} This cannot be undone.
        </p>
        <button type="button" data-testid="capture-confirm" aria-describedby={question.id} disabled={busy} onClick={capture}>
          Confirm capture
        </button>{' '}
        <button type="button" className="secondary" data-testid="capture-back" onClick={() => act(() => setConfirming(false))}>
          Back
        </button>
      </div>
    );
  }
  return (
    <form className="refund" data-testid="capture-form" onSubmit={review}>
      <label>
        Amount to capture (at most {money(held)})
        <input data-testid="capture-amount" inputMode="decimal" autoComplete="off" value={amount} onChange={(e) => setAmount(e.target.value)} />
      </label>
      <button type="submit" data-testid="capture-review" disabled={busy}>
        Review capture
      </button>{' '}
      <button type="button" className="secondary" data-testid="capture-void" disabled={busy} onClick={voidAuthorisation}>
        Void authorisation
      </button>{' '}
      <button type="button" className="secondary" onClick={() => act(onCancel)}>
        Cancel
      </button>
    </form>
  );
}
