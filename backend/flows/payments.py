"""Paying an order from the wallet: one debit per life of the order (docs/ledger.md, "Lives of an
order"), never below zero; a debit that can no longer pay its order is given back."""

import time

from ..errors import (
    AmountDiffersFromOrder,
    IdempotencyKeyReused,
    OperationPending,
    OrderAlreadyPaid,
    OrderNotFound,
    OrderNotPayable,
    StoreUnavailable,
)
from ..idempotency import KeyedOperation
from ..orders import PAID_STATES, order_currency, paid_by, payment_key
from ..prefetched_wallets import read_wallet
from ..records import PAYMENT, REVERSAL, SETTLED_GIVEN_BACK, SETTLED_PAID, LedgerEntry
from .outcomes import pending_on_store_error

CLAIM_AFTER_SECONDS = 30  # a debit its request has not decided for this long is claimed (the request died)
LIVES_MAX = 5  # a payment request meets at most this many ended lives of its order before it gives up
# A request that meets another settler's undecided debit of the order waits this long for its decision.
SETTLED_WAIT_SECONDS, SETTLED_POLL_SECONDS = 1.0, 0.05
GIVEN_BACK = "The order changed while it was being paid; the amount was returned to the wallet."


class OrderPayments:
    def __init__(self, wallet, orders, settlements, audit, clock):
        self.wallet, self.orders, self.settlements, self.audit, self.clock = wallet, orders, settlements, audit, clock

    def pay(self, order_id, customer_id, amount_minor, operation_id=None, amount_in=None):
        """Pay a pending order from the wallet: one debit per life of the order (a reopened order is
        a new life, paid anew), never below zero. A retry of the same request (same `operation_id`)
        returns that payment, whether it finished it or not; `operation_id` may be the request's
        `KeyedOperation`, read with the order (`backend.idempotency`). `amount_in`: see `orders.order_currency`."""
        keyed = operation_id if isinstance(operation_id, KeyedOperation) else None
        order, wallets, made = self.orders.with_wallets(order_id, customer_id, keyed)
        answered = next(payments_of(made, order_id), None)
        if answered is not None:  # this request's payment: its answer, whatever the order is now
            return self._retried(self._decided(answered))
        if order is None:
            raise OrderNotFound()
        operation: tuple | None = (operation_id, None) if operation_id else None
        made_by = keyed or operation_id
        if keyed:
            operation_id, operation = keyed.operation_id, (keyed.operation_id, keyed.fingerprint, keyed.lives_past)
        currency = order_currency(order, amount_in=amount_in)
        if order["payment_status"] != "pending":
            return self._paid_already(order, operation_id, made if keyed else None)
        if amount_minor != order["amount_minor"]:
            raise AmountDiffersFromOrder("The amount must equal the order's amount.")
        wallet = read_wallet(wallets, customer_id, currency)
        try:
            entry, created = self._debit_in_its_life(order, currency, amount_minor, (operation, made_by), wallet)
        except OperationPending as pending:  # the debit is in: let a retry (or the worker) settle it now
            self.settlements.release(pending.details["transaction_id"])
            raise
        own = made_it(made_by, entry)
        if own and keyed and entry.get("operation_fingerprint", keyed.fingerprint) != keyed.fingerprint:
            raise IdempotencyKeyReused()  # another body sent at once under the key paid first
        if not created:
            entry = self._settled_by_another(entry, own)
            if entry.get("settled"):  # a retry of this request, its payment decided before it
                return self._retried(entry) if own else self._refused(entry)
        with pending_on_store_error(entry, self.settlements.release):
            if not self.settle(entry):
                raise OrderNotPayable(GIVEN_BACK)
            retried = not created and own
            if not created and not retried:
                raise OrderAlreadyPaid()
            self._audit_paid(entry, "retry" if retried else None)
        return entry

    def _decided(self, entry):
        """This request's own payment `entry` (found by its retry), in its wallet and decided: as
        recorded, or now by this request when its settler let it go or died (`_settled_by_another`:
        OperationPending while another still settles it), never a payment of the order's next life."""
        if entry.get("settled"):
            return entry
        entry = self._settled_by_another(entry, own=True)
        with pending_on_store_error(entry, self.settlements.release):
            self.wallet.roll(entry)  # its first try may have stopped before the wallet took it
            if not entry.get("settled") and self.settle(entry):
                self._audit_paid(entry, "retry")
        return entry

    def _audit_paid(self, entry, reason):
        self.audit.record(
            "order.paid",
            "ok",
            customer_id=entry["customer_id"],
            order_id=entry["reference"]["order_id"],
            transaction_id=entry["_id"],
            amount_minor=entry["amount_minor"],
            currency=entry["currency"],
            reason=reason,
        )

    def _debit_in_its_life(self, order, currency, amount_minor, operations, wallet=None):
        """(entry, created): the debit of the order's current life (its `payment_ticket`), made now or
        found (a concurrent request's, or this request's when it is a retry). A key held by a settled
        debit of another request (or of this key's past its life) belongs to an ended life whose
        ticket the shop dropped (it replaced a paid order's document): the order gets a ticket of
        its own and is debited under it. `operations`: the operation to write, (operation_id,
        fingerprint) or None (`WalletService.debit`), and who made this request's entries (`made_it`);
        `wallet`: the wallet as read with the order (`WalletService.append`)."""
        operation, made_by = operations
        customer_id, currency_named = order["customer_id"], order.get("currency")  # the request's, as read
        for _ in range(LIVES_MAX):
            ticket = order.get("payment_ticket")
            entry, created = self.wallet.debit(
                customer_id,
                currency,
                amount_minor,
                kind=PAYMENT,
                key=payment_key(order["order_id"], ticket),
                reference={"order_id": order["order_id"], "order_life": ticket},
                operation=operation,
                wallet=wallet,
            )
            wallet = None  # read again for another life
            if created or not entry.get("settled"):
                return entry, created
            if made_it(made_by, entry):
                return entry, False
            order = self.orders.new_ticket(order)
            if order is None:
                raise OrderNotPayable()
            if (order.get("customer_id"), order.get("currency")) != (customer_id, currency_named):
                raise OrderNotPayable("The order changed while it was being paid.")  # the shop moved it
            if order["payment_status"] in PAID_STATES + ("refunded",):
                raise OrderAlreadyPaid()  # by the payment in this one's place, made since this one read the order
            if order["payment_status"] != "pending" or order["amount_minor"] != amount_minor:
                raise OrderNotPayable()
        raise StoreUnavailable("The order keeps changing; nothing was debited. Try again.")

    def _settled_by_another(self, entry, own):
        """The undecided debit `entry` this request did not insert: claimed for this request to settle
        (its inserter let it go, or died), else as decided by its settler within a short wait; a
        settler that takes longer leaves OperationPending (this request's own debit) or
        OrderAlreadyPaid (another request's payment of the order is being completed)."""
        claimed = self.settlements.claim(entry, grace_seconds=CLAIM_AFTER_SECONDS)
        if claimed is not None:
            return claimed
        for _ in range(int(SETTLED_WAIT_SECONDS / SETTLED_POLL_SECONDS)):
            outcome = self.settlements.outcome(entry["_id"])
            if outcome is not None:
                return dict(entry, settled=outcome)
            time.sleep(SETTLED_POLL_SECONDS)
        if own:
            raise OperationPending(entry["_id"])
        raise OrderAlreadyPaid("Another payment of this order is being completed.")

    def _refused(self, entry):
        """Another request's payment of this life, decided: it paid the order, or was given back."""
        if entry["settled"] == SETTLED_GIVEN_BACK:
            raise OrderNotPayable("The order changed while it was being paid.")
        raise OrderAlreadyPaid()

    def _paid_already(self, order, operation_id, made=None):
        """A payment of an order that is not pending: this request's own payment when it is a retry
        of the one that paid it (or gave it back), whatever the shop did to the order since; else
        OrderAlreadyPaid / OrderNotPayable. `made`: the entries of `operation_id` read with the order."""
        if made is not None:
            earlier = next(payments_of(made, order["order_id"]), None)
        elif operation_id:
            made = self.wallet.entries_made_by(str(operation_id))
            earlier = next(payments_of(made, order["order_id"]), None)
        else:
            earlier = None
        if earlier is not None:
            return self._retried(earlier, order)
        if order["payment_status"] not in PAID_STATES + ("refunded",):
            raise OrderNotPayable()
        raise OrderAlreadyPaid()

    def _retried(self, earlier, order=None):
        """The outcome of a payment request retried after its debit `earlier` was made: the payment,
        or OrderNotPayable when it was given back (a retry never pays the order again)."""
        settled = earlier.get("settled")
        if settled is None:
            order = order or self.orders.get(earlier["reference"]["order_id"]) or {}
            settled = SETTLED_PAID if paid_by(order, earlier["_id"]) else SETTLED_GIVEN_BACK
        if settled == SETTLED_GIVEN_BACK:
            raise OrderNotPayable(GIVEN_BACK)  # the first answer's words: a repeat gets the first response
        return earlier  # this request's own payment, finished before the retry

    def settle(self, entry: LedgerEntry) -> bool:
        """Decide the undecided debit `entry` (its settler only: the request that inserted it, or who
        claimed it, `PaymentSettlements`): mark the order paid by it; when it is no longer payable by
        it (cancelled, paid otherwise, reopened, or changed since it was read), give the amount back.
        The decision is recorded on the entry (`settled`) before any money goes back, so a debit
        given back never pays its order later, even one the shop re-issued. True when paid."""
        decided: str
        if self.orders.mark_paid(entry, self.clock()) or not self.orders.give_back(entry):
            decided = self.settlements.record(entry, SETTLED_PAID)
        else:
            decided = self.settlements.record(entry, SETTLED_GIVEN_BACK)
        if decided == SETTLED_GIVEN_BACK:  # (another settler's decision, when one recorded it first, stands)
            self.give_back(entry)
        return decided == SETTLED_PAID

    def give_back(self, entry: LedgerEntry) -> None:
        """Credit back the debit `entry`, decided given back (once: keyed `reversal:<entry id>`)."""
        order_id = entry["reference"]["order_id"]
        reversal, created = self.wallet.credit(
            entry["customer_id"],
            entry["currency"],
            entry["amount_minor"],
            kind=REVERSAL,
            key=f"reversal:{entry['_id']}",
            reference={"order_id": order_id, "reversal_of": entry["_id"]},
        )
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


def made_it(made_by, entry):
    """Whether the ledger entry `entry` is this request's: made by its `KeyedOperation` within the key's
    life, or with its operation id (a string; None: no request's)."""
    if isinstance(made_by, KeyedOperation):
        return made_by.made(entry)
    return made_by is not None and entry.get("operation_id") == made_by


def payments_of(entries, order_id):
    """The payments of `order_id` among `entries`."""
    return (e for e in entries if e["kind"] == PAYMENT and e["reference"].get("order_id") == order_id)
