"""Refunds into the wallet of an order paid from it or at the shop's checkout: all refunds of a life
of the order together never exceed what that life was paid (docs/ledger.md, "Refunds")."""

from ..clock import new_id
from ..errors import IdempotencyKeyReused, OrderNotFound, OrderNotRefundable, RefundExceedsPaid
from ..idempotency import KeyedOperation
from ..orders import PAID_STATES, order_currency
from ..prefetched_wallets import read_wallet
from ..records import REFUND
from ..wallet_service import wallet_id
from .outcomes import pending_on_store_error


class Refunds:
    def __init__(self, wallet, history, orders, audit):
        self.wallet, self.history, self.orders, self.audit = wallet, history, orders, audit

    def refund(self, order_id, customer_id, amount_minor, reason="", refund_id=None, amount_in=None):
        """Credit part or all of a paid order (paid from the wallet or at the shop's checkout) back
        to the wallet; all refunds of the order's life together never exceed what was paid. A retry
        with the same `refund_id` returns that refund, even once it no longer fits (it is counted
        already). `refund_id` may be the request's `KeyedOperation`, read with the order
        (`backend.idempotency`): its refund, found so, answers the retry."""
        keyed = refund_id if isinstance(refund_id, KeyedOperation) else None
        order, wallets, made = self.orders.with_wallets(order_id, customer_id, keyed)
        own = next((e for e in made if e["kind"] == REFUND), None)
        if own is not None:  # this request's refund: its answer, whatever the shop did to the order since
            return of_refund(own, order_id, amount_minor, keyed)
        if order is None:
            raise OrderNotFound()
        refund_id = keyed.operation_id if keyed else refund_id
        currency = order_currency(order, OrderNotRefundable, amount_in)
        key = f"refund:{refund_id or new_id('rfnd')}"
        if keyed and keyed.lives_past:  # the key used again after its 24 h: a refund of its own
            key += f"~{keyed.lives_past}"
        earlier = None
        if refund_id and not keyed and order.get("refund_wallet_id") is None:  # before the first refund pins the order
            earlier = self.wallet.entry_for_key(customer_id, currency, key)
        operation = (keyed.operation_id, keyed.fingerprint) if keyed else None
        try:
            entry, created = (
                (earlier, False)
                if earlier
                else self._credit(order, currency, amount_minor, (key, operation), reason, wallets)
            )
        except (RefundExceedsPaid, OrderNotRefundable):  # a retry of a refund made: the shop may have moved on
            entry = refund_id and self.wallet.entry_for_key(customer_id, currency, key)
            if not entry:
                raise
            created = False
        of_refund(entry, order_id, amount_minor, keyed)
        if created:
            with pending_on_store_error(entry):
                self.audit.record(
                    "order.refunded",
                    "ok",
                    customer_id=customer_id,
                    order_id=order_id,
                    transaction_id=entry["_id"],
                    amount_minor=amount_minor,
                    currency=entry["currency"],
                    reason=reason[:200],
                )
        return entry

    def _credit(self, order, currency, amount_minor, keys, reason, wallets):
        """(entry, created): the refund credited into the wallet of the order's life, in its next place
        among that life's refunds; RefundExceedsPaid or OrderNotRefundable (nothing written) when it
        cannot be. `keys`: its ledger key and its request's operation (`WalletService.credit`);
        `wallets`: the customer's, as read with the order (`OrderBook.with_wallets`)."""
        if order["payment_status"] == "refunded":
            raise RefundExceedsPaid("This order is already fully refunded.")
        if order["payment_status"] not in PAID_STATES:
            raise OrderNotRefundable()
        self.orders.refund_fields(order, amount_minor)  # a refund that does not fit writes nothing
        customer_id = order["customer_id"]  # the request's: the order may name another once read again
        wid = wallet_id(customer_id, currency)
        if order.get("refund_wallet_id") != wid:
            pinned_wid, order = self.orders.refund_wallet(order, wid)
            if pinned_wid != wid:
                raise OrderNotRefundable(
                    "This order's refunds go to the wallet that paid it or had its first refund, not this one."
                )
        slot = RefundSlot(self.orders, self.history, order, wid)
        reference = {"order_id": order["order_id"], "reason": reason}
        key, operation = keys
        return self.wallet.credit(
            customer_id,
            currency,
            amount_minor,
            REFUND,
            key=key,
            reference=reference,
            slot=slot,
            wallet=read_wallet(wallets, customer_id, currency),
            operation=operation,
        )


def of_refund(entry, order_id, amount_minor, keyed=None):
    """`entry`, if it is a refund of `amount_minor` of `order_id` (made, when the request is `keyed`,
    for the same body), else IdempotencyKeyReused (its refund id made another refund)."""
    if (entry["reference"].get("order_id"), entry["amount_minor"]) != (order_id, amount_minor):
        raise IdempotencyKeyReused("This refund id belongs to another refund.")
    if keyed is not None and entry.get("operation_fingerprint", keyed.fingerprint) != keyed.fingerprint:
        raise IdempotencyKeyReused()  # another body sent at once under the key refunded first
    return entry


class RefundSlot:
    """A refund's place among the refunds of its order's life, claimed by the same insert as its
    place in the wallet (the `slot` of WalletService.append)."""

    def __init__(self, book, history, order, wid):
        self.book, self.history, self.order, self.wid = book, history, order, wid

    def fields(self, draft):
        """Raises OrderNotRefundable when the order, read again after a collision, is no longer paid
        into this wallet (the shop reopened, cancelled or moved it)."""
        if (
            self.order is None
            or self.order.get("payment_status") not in PAID_STATES + ("refunded",)
            or self.order.get("refund_wallet_id") != self.wid
        ):
            raise OrderNotRefundable("The order changed while it was being refunded; nothing was refunded.")
        reference = dict(draft["reference"], order_life=self.order.get("payment_life"))
        return dict(self.book.refund_fields(self.order, draft["amount_minor"]), reference=reference)

    def catch_up(self):
        self.order = self.book.catch_up_refunds(
            self.order["order_id"], self.history, self.wid, self.order.get("payment_life")
        )

    def roll(self, entry):
        self.book.roll_refund(entry)
