import { useCallback, useEffect, useState } from 'react';
import { useFocusOn } from '../hooks/useFocusOn.js';
import integrationService from '../services/integrationService.js';
import { amountText, formatMoney } from '../money.js';
import { formatExpiry, heldAmount } from '../holdsAndLimits.js';

const PAGE = 10;

// What each action asks before it is done, and its confirm button.
const ASK = {
  pay: (money, id) => [`Pay ${money} from your wallet for order ${id}?`, 'The amount leaves your wallet at once.', 'Confirm payment'],
  authorize: (money, id) => [
    `Authorise ${money} for order ${id}?`,
    'The amount is held in your wallet (it can no longer be spent or withdrawn) until the shop takes it, ' +
      'all or part, or the authorisation is cancelled or runs out; whatever is not taken comes back.',
    'Confirm authorisation',
  ],
};

// The customer's orders waiting for them: the authorised ones (held, awaiting the shop's capture,
// each with "Cancel authorisation") and the pending ones, each with Pay (at once) and Authorise
// (hold now, the shop captures later), each asked first; more pending orders on demand. Each is paid
// or authorised in its own currency (from that currency's wallet), whichever wallet the page shows.
export default function PendingOrders({ customerId, busy, run, setMessage, onPaid, onError }) {
  const [orders, setOrders] = useState(null);
  const [authorised, setAuthorised] = useState([]);
  const [nextAfter, setNextAfter] = useState(null);
  const [confirming, setConfirming] = useState(null); // {orderId, action: 'pay' | 'authorize'} awaiting confirmation
  const question = useFocusOn(confirming);

  const load = useCallback(
    async (after = null) => {
      const [page, held] = await Promise.all([
        integrationService.listOrders(customerId, { status: 'pending', limit: PAGE, after }),
        after ? null : integrationService.listOrders(customerId, { status: 'authorized', limit: PAGE }),
      ]);
      setOrders((list) => (after ? [...(list || []), ...page.orders] : page.orders));
      setNextAfter(page.next_after ?? null);
      if (held) setAuthorised(held.orders);
    },
    [customerId],
  );

  useEffect(() => {
    load().catch(onError);
  }, [load, onError]);

  function review(order, action) {
    setMessage(null);
    setConfirming({ orderId: order.order_id, action });
  }

  function pay(order) {
    setConfirming(null);
    run(async () => {
      const amount = amountText(order.amount, order.currency);
      const res = await integrationService.payOrderWithWallet(order.order_id, customerId, amount, order.currency);
      setMessage({
        kind: 'success',
        text: `Order ${order.order_id} paid. Remaining balance ${formatMoney(res.remaining_balance, res.currency || order.currency)}.`,
      });
      await Promise.all([onPaid(), load()]);
    });
  }

  function authorize(order) {
    setConfirming(null);
    run(async () => {
      const amount = amountText(order.amount, order.currency);
      const res = await integrationService.authorizeOrder(order.order_id, customerId, amount, order.currency);
      const money = (value) => formatMoney(value, res.currency || order.currency);
      const until = formatExpiry(res.expires_at);
      setMessage({
        kind: 'success',
        text:
          `Order ${order.order_id} authorised: ${money(res.amount ?? order.amount)} is on hold until the shop takes it` +
          `${until ? ` (by ${until})` : ''}. Available now ${money(res.available_balance)}.`,
      });
      await Promise.all([onPaid(), load()]);
    });
  }

  function cancelAuthorisation(order) {
    setMessage(null);
    run(async () => {
      const res = await integrationService.voidOrder(order.order_id);
      const money = (value) => formatMoney(value, res.currency || order.currency);
      setMessage({
        kind: 'success',
        text: `Authorisation of order ${order.order_id} cancelled: ${money(res.released)} is available again. Available now ${money(res.available_balance)}.`,
      });
      await Promise.all([onPaid(), load()]);
    });
  }

  const confirmation = (o) => {
    const act = confirming.action === 'pay' ? pay : authorize;
    const [asked, effect, button] = ASK[confirming.action](formatMoney(o.amount, o.currency), o.order_id);
    return (
      <div className="confirm" data-testid={`${confirming.action}-confirmation`}>
        <p ref={question.ref} id={question.id} tabIndex={-1}>
          {asked} {effect}
        </p>
        <button type="button" data-testid={`${confirming.action}-confirm`} aria-describedby={question.id} disabled={busy} onClick={() => act(o)}>
          {button}
        </button>{' '}
        <button type="button" className="secondary" data-testid={`${confirming.action}-back`} onClick={() => setConfirming(null)}>
          Back
        </button>
      </div>
    );
  };

  const none = orders?.length === 0 && authorised.length === 0;
  return (
    <section className="card">
      <h2>Orders to pay</h2>
      {orders === null && <p className="empty">Loading…</p>}
      {none && <p className="empty">No orders waiting for payment.</p>}
      <ul className="orders" data-testid="authorised-orders">
        {authorised.map((o) => {
          const until = formatExpiry(o.authorization?.expires_at);
          return (
            <li key={o.order_id} data-order-id={o.order_id}>
              <span className="what">
                <strong>{o.order_id}</strong>
                <small data-testid={`authorised-${o.order_id}`}>
                  Authorised, awaiting capture: {formatMoney(heldAmount(o), o.currency)} on hold
                  {until ? ` until ${until}` : ''}
                </small>
              </span>
              <button type="button" className="secondary" data-testid={`void-${o.order_id}`} aria-label={`Cancel authorisation of order ${o.order_id}`} disabled={busy} onClick={() => cancelAuthorisation(o)}>
                Cancel authorisation
              </button>
            </li>
          );
        })}
      </ul>
      <ul className="orders" data-testid="pending-orders">
        {(orders || []).map((o) => (
          <li key={o.order_id} data-order-id={o.order_id}>
            <span className="what">
              <strong>{o.order_id}</strong>
              <small>{formatMoney(o.amount, o.currency)}</small>
            </span>
            {confirming?.orderId === o.order_id ? (
              confirmation(o)
            ) : (
              <span className="order-actions">
                <button type="button" data-testid={`pay-${o.order_id}`} aria-label={`Pay ${formatMoney(o.amount, o.currency)} for order ${o.order_id}`} disabled={busy} onClick={() => review(o, 'pay')}>
                  Pay {formatMoney(o.amount, o.currency)}
                </button>
                <button type="button" className="secondary" data-testid={`authorize-${o.order_id}`} aria-label={`Authorise order ${o.order_id}`} disabled={busy} onClick={() => review(o, 'authorize')}>
                  Authorise
                </button>
              </span>
            )}
          </li>
        ))}
      </ul>
      {nextAfter && (
        <button type="button" className="link" data-testid="more-orders" onClick={() => run(() => load(nextAfter))}>
          Show more orders
        </button>
      )}
    </section>
  );
}
