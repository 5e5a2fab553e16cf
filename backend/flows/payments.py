"""Paying an order from the wallet: one debit per life of the order (docs/ledger.md, "Lives of an
order"), never below zero; a debit that can no longer pay its order is given back."""

from ..errors import AmountDiffersFromOrder, OrderAlreadyPaid, OrderNotPayable, StoreUnavailable
from ..orders import PAID_STATES, order_currency, paid_by, payment_key
from ..records import PAYMENT, REVERSAL, SETTLED_GIVEN_BACK, SETTLED_PAID, LedgerEntry
from .outcomes import pending_on_store_error

LIVES_MAX = 5  # a payment request meets at most this many ended lives of its order before it gives up


class OrderPayments:
    def __init__(self, wallet, orders, audit, clock):
        self.wallet, self.orders, self.audit, self.clock = wallet, orders, audit, clock

    def pay(self, order_id, customer_id, amount_minor, operation_id=None):
        """Pay a pending order from the wallet: one debit per life of the order (a reopened order is
        a new life, paid anew), never below zero. A retry of the same request (same `operation_id`)
        returns that payment, whether it finished it or not."""
        order = self.orders.for_customer(order_id, customer_id)
        currency = order_currency(order)
        if order["payment_status"] != "pending":
            return self._paid_already(order, operation_id)
        if amount_minor != order["amount_minor"]:
            raise AmountDiffersFromOrder("The amount must equal the order's amount.")
        entry, created = self._debit_in_its_life(order, currency, amount_minor, operation_id)
        if entry.get("settled"):  # this request's own payment, settled before the retry
            return self._retried(entry)
        with pending_on_store_error(entry):
            if not self.settle(entry):
                raise OrderNotPayable(
                    "The order changed while it was being paid; the amount was returned to the wallet."
                )
            retried = not created and operation_id is not None and entry.get("operation_id") == operation_id
            if not created and not retried:
                raise OrderAlreadyPaid()
            self.audit.record(
                "order.paid",
                "ok",
                customer_id=customer_id,
                order_id=order_id,
                transaction_id=entry["_id"],
                amount_minor=amount_minor,
                currency=entry["currency"],
                reason="retry" if retried else None,
            )
        return entry

    def _debit_in_its_life(self, order, currency, amount_minor, operation_id):
        """(entry, created): the debit of the order's current life (its `payment_ticket`), made now or
        found (a concurrent request's, or this request's when it is a retry). A key held by a settled
        debit of another request belongs to an ended life whose ticket the shop dropped (it replaced
        a paid order's document): the order gets a ticket of its own and is debited under it."""
        for _ in range(LIVES_MAX):
            ticket = order.get("payment_ticket")
            entry, created = self.wallet.debit(
                order["customer_id"],
                currency,
                amount_minor,
                kind=PAYMENT,
                key=payment_key(order["order_id"], ticket),
                reference={"order_id": order["order_id"], "order_life": ticket},
                operation_id=operation_id,
            )
            if created or not entry.get("settled"):
                return entry, created
            if operation_id is not None and entry.get("operation_id") == operation_id:
                return entry, False
            order = self.orders.new_ticket(order)
            if order is None or order["payment_status"] != "pending" or order["amount_minor"] != amount_minor:
                raise OrderNotPayable()
        raise StoreUnavailable("The order keeps changing; nothing was debited. Try again.")

    def _paid_already(self, order, operation_id):
        """A payment of an order that is not pending: this request's own payment when it is a retry
        of the one that paid it (or gave it back), whatever the shop did to the order since; else
        OrderAlreadyPaid / OrderNotPayable."""
        earlier = (
            self.wallet.entry_for_operation(order["customer_id"], order["currency"], operation_id, order["order_id"])
            if operation_id
            else None
        )
        if earlier is not None:
            return self._retried(earlier, order)
        if order["payment_status"] not in PAID_STATES + ("refunded",):
            raise OrderNotPayable()
        raise OrderAlreadyPaid()

    def _retried(self, earlier, order=None):
        """The outcome of a payment request retried after its debit `earlier` was settled."""
        order = order or self.orders.get(earlier["reference"]["order_id"]) or {}
        if earlier.get("settled") == SETTLED_GIVEN_BACK or (
            earlier.get("settled") is None and not paid_by(order, earlier["_id"])
        ):
            raise OrderNotPayable("The order was paid otherwise; this payment was returned to the wallet.")
        return earlier  # this request's own payment, finished before the retry

    def settle(self, entry: LedgerEntry) -> bool:
        """Mark the order paid by the debit `entry`; when it is no longer payable by it (cancelled,
        paid otherwise, reopened, or changed since it was read), give the amount back. The outcome
        is then recorded on the entry (`settled`: paid | given_back), so a later life of the order,
        or a shop that replaced the order's document, never meets an undecided debit. True when paid."""
        if self.orders.mark_paid(entry, self.clock()) or not self.orders.give_back(entry):
            self.wallet.settle(entry, SETTLED_PAID)
            return True
        order_id = entry["reference"]["order_id"]
        reversal, created = self.wallet.credit(
            entry["customer_id"],
            entry["currency"],
            entry["amount_minor"],
            kind=REVERSAL,
            key=f"reversal:{entry['_id']}",
            reference={"order_id": order_id, "reversal_of": entry["_id"]},
        )
        self.wallet.settle(entry, SETTLED_GIVEN_BACK)
        if created:
            why = self.orders.why_not_payable(order_id, entry["customer_id"], entry["amount_minor"]) or "order_changed"
            self.audit.record(
                "payment.reversed",
                "ok",
                customer_id=entry["customer_id"],
                order_id=order_id,
                transaction_id=reversal["_id"],
                amount_minor=entry["amount_minor"],
                currency=entry["currency"],
                reason=why,
            )
        return False
