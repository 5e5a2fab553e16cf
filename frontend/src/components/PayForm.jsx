import { useState } from 'react';
import integrationService from '../services/integrationService.js';
import { checkAmount, formatMoney } from '../money.js';

// Pay a pending order from the wallet, then reload the wallet (`onPaid`).
export default function PayForm({ customerId, currency, busy, run, setMessage, onPaid }) {
  const [orderId, setOrderId] = useState('');
  const [amount, setAmount] = useState('');

  function onSubmit(e) {
    e.preventDefault();
    const id = orderId.trim();
    if (!id) return setMessage({ kind: 'error', text: 'Enter the order id.' });
    const problem = checkAmount(amount);
    if (problem) return setMessage({ kind: 'error', text: problem });
    run(async () => {
      const res = await integrationService.payOrderWithWallet(id, customerId, amount.trim());
      setMessage({
        kind: 'success',
        text: `Order ${id} paid. Remaining balance ${formatMoney(res.remaining_balance, currency || 'INR')}.`,
      });
      setOrderId('');
      setAmount('');
      await onPaid();
    });
  }

  return (
    <form className="card" onSubmit={onSubmit}>
      <h2>Pay an order</h2>
      <label>
        Order id
        <input
          data-testid="pay-order-id"
          autoComplete="off"
          placeholder="ord_…"
          value={orderId}
          onChange={(e) => setOrderId(e.target.value)}
        />
      </label>
      <label>
        Amount
        <input
          data-testid="pay-amount"
          inputMode="decimal"
          autoComplete="off"
          placeholder="250.00"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
        />
      </label>
      <button data-testid="pay-submit" type="submit" disabled={busy}>
        Pay from wallet
      </button>
    </form>
  );
}
