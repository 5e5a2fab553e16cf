import { useEffect, useState } from 'react';
import { formatMoney } from '../money.js';
import { formatExpiry, heldAmount } from '../holdsAndLimits.js';
import CaptureForm from './CaptureForm.jsx';
import RefundForm from './RefundForm.jsx';

const STATUS_LABELS = {
  pending: 'Pending',
  authorized: 'Authorised, awaiting capture',
  paid: 'Paid',
  partially_refunded: 'Partly refunded',
  refunded: 'Refunded',
};

// What the support view says of an order: amount, state, what was refunded, what an authorisation holds.
function orderDetails(o) {
  const money = (value) => formatMoney(value, o.currency);
  const until = o.payment_status === 'authorized' ? formatExpiry(o.authorization?.expires_at) : null;
  return [
    money(o.amount),
    STATUS_LABELS[o.payment_status] || o.payment_status,
    o.payment_status === 'authorized' ? `${money(heldAmount(o))} on hold${until ? ` until ${until}` : ''}` : '',
    o.refunded_amount > 0 ? `refunded ${money(o.refunded_amount)}` : '',
  ].filter(Boolean).join(' · ');
}

// The customer's orders in the support view: refund a paid one (RefundForm); capture an authorised
// one, or void its authorisation (CaptureForm). One form open at a time, closed whenever the orders
// are read again. `act(action)` clears the earlier banners, then runs the action; `onDone` reads the
// customer again.
export default function SupportOrders({ customerId, orders, nextAfter, busy, act, setMessage, onDone }) {
  const [open, setOpen] = useState(null); // {orderId, form: 'refund' | 'capture'}
  useEffect(() => setOpen(null), [orders]);
  const isOpen = (o, form) => open?.orderId === o.order_id && open.form === form;
  const shared = { customerId, busy, act, setMessage, onDone, onCancel: () => setOpen(null) };

  return (
    <section className="card">
      <h2>Orders</h2>
      {orders.length === 0 && <p className="empty">No orders.</p>}
      <ul className="orders" data-testid="support-orders">
        {orders.map((o) => (
          <li key={o.order_id} data-order-id={o.order_id}>
            <span className="what">
              <strong>{o.order_id}</strong>
              <small>{orderDetails(o)}</small>
            </span>
            {o.refundable_amount > 0 && open?.orderId !== o.order_id && (
              <button type="button" data-testid={`refund-${o.order_id}`} aria-label={`Refund… order ${o.order_id}`} onClick={() => act(() => setOpen({ orderId: o.order_id, form: 'refund' }))}>
                Refund…
              </button>
            )}
            {o.payment_status === 'authorized' && open?.orderId !== o.order_id && (
              <button type="button" data-testid={`capture-${o.order_id}`} aria-label={`Capture or void… order ${o.order_id}`} onClick={() => act(() => setOpen({ orderId: o.order_id, form: 'capture' }))}>
                Capture or void…
              </button>
            )}
            {isOpen(o, 'refund') && <RefundForm order={o} {...shared} />}
            {isOpen(o, 'capture') && <CaptureForm order={o} {...shared} />}
          </li>
        ))}
      </ul>
      {nextAfter && <p className="empty">More orders: GET /orders?customer_id={customerId}&amp;after={nextAfter}</p>}
    </section>
  );
}
