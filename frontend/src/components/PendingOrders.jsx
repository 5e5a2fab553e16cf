import { useCallback, useEffect, useState } from 'react';
import integrationService from '../services/integrationService.js';
import { formatMoney } from '../money.js';

const PAGE = 10;

// The customer's pending orders, each with a Pay button for its own amount, then a confirmation
// step (as refunds have); more orders on demand.
export default function PendingOrders({ customerId, busy, run, setMessage, onPaid, onError }) {
  const [orders, setOrders] = useState(null);
  const [nextAfter, setNextAfter] = useState(null);
  const [confirming, setConfirming] = useState(null); // the order id whose payment awaits confirmation

  const load = useCallback(
    async (after = null) => {
      const page = await integrationService.listOrders(customerId, { status: 'pending', limit: PAGE, after });
      setOrders((list) => (after ? [...(list || []), ...page.orders] : page.orders));
      setNextAfter(page.next_after ?? null);
    },
    [customerId],
  );

  useEffect(() => {
    load().catch(onError);
  }, [load, onError]);

  function review(order) {
    setMessage(null);
    setConfirming(order.order_id);
  }

  function pay(order) {
    setConfirming(null);
    run(async () => {
      const amount = Number(order.amount).toFixed(2);
      const res = await integrationService.payOrderWithWallet(order.order_id, customerId, amount);
      setMessage({
        kind: 'success',
        text: `Order ${order.order_id} paid. Remaining balance ${formatMoney(res.remaining_balance, res.currency || order.currency)}.`,
      });
      await Promise.all([onPaid(), load()]);
    });
  }

  return (
    <section className="card">
      <h2>Orders to pay</h2>
      {orders === null && <p className="empty">Loading…</p>}
      {orders?.length === 0 && <p className="empty">No orders waiting for payment.</p>}
      <ul className="orders" data-testid="pending-orders">
        {(orders || []).map((o) => (
          <li key={o.order_id} data-order-id={o.order_id}>
            <span className="what">
              <strong>{o.order_id}</strong>
              <small>{formatMoney(o.amount, o.currency)}</small>
            </span>
            {confirming === o.order_id ? (
              <div className="confirm" data-testid="pay-confirmation">
                <p>
                  Pay <strong>{formatMoney(o.amount, o.currency)}</strong> from your wallet for order {o.order_id}? The
                  amount leaves your wallet at once.
                </p>
                <button type="button" data-testid="pay-confirm" disabled={busy} onClick={() => pay(o)}>
                  Confirm payment
                </button>{' '}
                <button type="button" className="secondary" data-testid="pay-back" onClick={() => setConfirming(null)}>
                  Back
                </button>
              </div>
            ) : (
              <button type="button" data-testid={`pay-${o.order_id}`} disabled={busy} onClick={() => review(o)}>
                Pay {formatMoney(o.amount, o.currency)}
              </button>
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
