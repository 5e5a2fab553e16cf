"""Authorise now, take later (SPEC §10): an order's amount is held in the wallet (`authorize`), then taken, in
full or in part, the rest released (`capture`), or released (`void`); a hold not captured within its time is
released by the worker (`expire`).

Each step is one ledger entry keyed by the authorisation's hold (`checkout_hold:<order>:<auth>`, `capture:…`,
`release:…`) and one write of the order (`backend/order_authorizations.py`), in that order: the order is
claimed `authorized` before its hold is made, so two authorisations of an order never both hold; a capture and
a void of one hold race in the ledger, where one wins. A process that dies between the two writes leaves an
order the worker puts right (`expire`, after a grace): an authorisation without its hold goes back to
`pending`, a capture or release in the ledger is written to its order."""

import logging

from ..currencies import CURRENCY_DECIMALS
from ..errors import (
    AmountDiffersFromOrder,
    CaptureExceedsHold,
    Forbidden,
    HoldNotFound,
    InsufficientFunds,
    OrderNotFound,
    OrderNotPayable,
)
from ..idempotency import retried
from ..order_authorizations import AUTHORIZED, audit_hold, held_in_its_wallet, is_wallet_authorization
from ..orders import PAID_STATES, order_currency, paid_by
from ..prefetched_wallets import read_wallet
from ..records import CAPTURE, CHECKOUT_HOLD, HOLD_RELEASE, SETTLED_GIVEN_BACK, SETTLED_PAID
from .outcomes import pending_on_store_error

EXPIRE_BATCH_MAX = 100
EXPIRE_LOOKED_AT_PER_RUN_MAX = 10 * EXPIRE_BATCH_MAX  # when malformed orders fill a run's pages
CAPTURE_GIVEN_BACK = "The order changed while it was being captured; the amount was returned to the wallet."
CUT_AWAY = "the gateway took the held money back"  # the audit's reason of a void that released 0
logger = logging.getLogger("integration")


class OrderHolds:
    def __init__(self, wallet, holds, orders, authorizations, audit, ttl_seconds, settling):
        """`settling`: (`PaymentSettlements`, `give_back(entry)`), which decide a capture once, as a
        payment is decided: paid, or given back when its order changed meanwhile."""
        self.wallet, self.holds, self.orders, self.authorizations = wallet, holds, orders, authorizations
        self.audit, self.ttl_seconds = audit, ttl_seconds
        self.settlements, self.give_back = settling

    def authorize(self, order_id, customer_id, amount_minor, operation_id=None, amount_in=None):
        """Hold a pending order's amount; `{hold_id, entry, expires_at}`. InsufficientFunds (nothing
        kept) when the available money does not cover it. A retry of the same request (same
        `operation_id`) finishes and returns that authorisation."""
        order, wallets, _ = self.orders.with_wallets(order_id, customer_id)
        authorization = order.get("authorization") or {}
        again = operation_id is not None and authorization.get("operation_id") == operation_id
        if again:  # its first try claimed the order: finished in the wallet it was claimed for, whatever the shop wrote
            order = held_in_its_wallet(order)
        currency = order_currency(order, amount_in=amount_in)
        if order["payment_status"] != "pending" and not again:
            paid = order["payment_status"] in PAID_STATES
            raise OrderNotPayable("This order is already paid; it cannot be authorised." if paid else None)
        if amount_minor != order["amount_minor"]:
            raise AmountDiffersFromOrder("The amount must equal the order's amount.")
        if not again and self._earlier(order, operation_id, CHECKOUT_HOLD) is not None:
            raise OrderNotPayable("This request's authorisation has ended (voided, captured or expired).")
        if not again:
            authorization = self.authorizations.claim(order, amount_minor, self.ttl_seconds, operation_id)
        if authorization is None:
            raise OrderNotPayable("The order changed while it was being authorised; nothing was held.")
        reference = {"order_id": order_id, "order_life": authorization["life"]}
        try:
            entry, _ = self.holds.hold(
                customer_id,
                currency,
                amount_minor,
                CHECKOUT_HOLD,
                authorization["hold_key"],
                reference,
                wallet=read_wallet(wallets, customer_id, currency),
                operation=_operation(operation_id),
            )
        except InsufficientFunds:
            self.authorizations.give_up(order, authorization["hold_id"])
            raise
        if entry is None:  # the worker gave this authorisation up (the request was too slow): nothing held
            raise OrderNotPayable("The authorisation took too long and was given up; nothing was held.")
        with pending_on_store_error(entry):
            self._audit("order.authorized", order, entry)
        return {"hold_id": authorization["hold_id"], "entry": entry, "expires_at": authorization["expires_at"]}

    def capture(self, order_id, amount_minor, customer_id=None, amount_in=None, operation_id=None):
        """Take `amount_minor` (at most the hold) and release the rest; (capture entry, released minor).
        A retry of a request answers the capture its first try made, whatever the order is now."""
        order = self._order(order_id, customer_id)
        entry = self._earlier(order, operation_id, CAPTURE, other_hold_only=False)
        if entry is None:
            authorization = self._authorization(order)
            if amount_in is not None:
                amount_in.check(order["currency"])
            entry = self._capture(order, authorization, amount_minor, operation_id)
        with pending_on_store_error(entry, self.settlements.release):
            if not self.settle_capture(entry):
                raise OrderNotPayable(CAPTURE_GIVEN_BACK)
            self._audit("order.captured", order, entry)
        return entry, -entry["held_delta_minor"] - entry["amount_minor"]

    def settle_capture(self, entry):
        """Decide the capture `entry` once, recorded on it (`settled`, as a payment's): paid when its
        order is marked paid by it; given back (a reversal credit, once) when the shop cancelled,
        re-issued or moved the order between the capture's read and its debit. True when paid."""
        settled = entry.get("settled")
        if settled is None:
            paid = self.authorizations.mark_captured(entry) or paid_by(
                self.orders.get(entry["reference"]["order_id"]), entry["_id"]
            )
            settled = self.settlements.record(entry, SETTLED_PAID if paid else SETTLED_GIVEN_BACK)
        elif settled == SETTLED_PAID:
            self.authorizations.mark_captured(entry)
        if settled == SETTLED_GIVEN_BACK:
            self.give_back(entry)
            reference = entry["reference"]  # its hold is spent: an order still authorised by it (moved) is pending
            self.authorizations.unclaim(reference["order_id"], reference["hold_id"])
        return settled == SETTLED_PAID

    def _capture(self, order, authorization, amount_minor, operation_id):
        """The hold's capture: made now, or found made by this same request (the same amount and
        key, or none) whose order was not marked yet; HoldNotFound when another request made it."""
        made = self._entry(order, "capture:")
        if made is not None:
            return _same_request(made, amount_minor, operation_id)
        if authorization["expires_at"] <= self.authorizations.clock():
            raise HoldNotFound("The order's hold has expired; authorise the order again.")
        if amount_minor > authorization["amount_minor"]:
            raise CaptureExceedsHold()
        entry, _ = self.holds.capture(
            order["customer_id"],
            order["currency"],
            authorization["hold_id"],
            amount_minor,
            f"capture:{authorization['hold_key']}",
            {"order_id": order["order_id"], "order_life": authorization["life"]},
            (HoldNotFound, CaptureExceedsHold),
            _operation(operation_id),
        )
        return _same_request(entry, amount_minor, operation_id)  # a capture at once may have taken the key

    def void(self, order_id, customer_id=None, operation_id=None):
        """Release the hold; the order is `pending` again. The release entry: of 0 when a take-back cut the
        hold away whole. A retry answers the release its first try made (finishing it), whatever the order
        is now."""
        order = self._order(order_id, customer_id)
        entry = self._earlier(order, operation_id, HOLD_RELEASE, other_hold_only=False)
        if entry is not None:
            with pending_on_store_error(entry):
                self.authorizations.unclaim(order_id, entry["reference"]["hold_id"])  # done already, or not
                self._audit("order.voided", order, entry, reason=None if entry["amount_minor"] else CUT_AWAY)
            return entry
        authorization, reason = self._authorization(order), None
        entry = self._release(order, authorization, operation_id=operation_id)
        if entry is None and self._entry(order, "") is not None and self._entry(order, "capture:") is None:
            entry = self._release(order, authorization, operation_id=operation_id)  # held since the first try?
            if entry is None and self._entry(order, "capture:") is None:  # a take-back cut it away whole:
                entry = self._release(order, authorization, must_exist=False, operation_id=operation_id)  # 0
                reason = CUT_AWAY
        if entry is None:  # captured, or its hold not made yet (the order stays authorised: `expire`)
            raise HoldNotFound()
        with pending_on_store_error(entry):
            self.authorizations.unclaim(order_id, authorization["hold_id"])
            self._audit("order.voided", order, entry, reason=reason)
        return entry

    def expire(self, grace_seconds, limit=EXPIRE_BATCH_MAX):
        """The worker: holds past their time released (their orders `pending` again), and what a request
        that died left finished; how many orders it changed."""
        changed = 0
        looked_at: list = []  # `_id`s of the orders this run looked at
        while True:
            due = self.authorizations.due(grace_seconds, limit, excluded_ids=looked_at)
            skipped = False
            for order in due:
                looked_at.append(order["_id"])
                try:
                    changed += self._put_right(held_in_its_wallet(order))
                except (KeyError, TypeError, ValueError, AttributeError) as error:  # the shop's document, not ours
                    logger.error(
                        "expiry: authorised order %s skipped, its document is malformed (%r)",
                        order.get("order_id"),
                        error,
                    )
                    skipped = True
            # A page the wallet's malformed orders filled in part is followed by the next, past every
            # order seen: they must not keep the others' holds from expiring (they stay counted).
            if len(due) < limit or not skipped or len(looked_at) >= EXPIRE_LOOKED_AT_PER_RUN_MAX:
                return changed

    def _entry(self, order, prefix):
        """The ledger entry of the order's authorisation under `prefix` (`capture:`, `release:`, `` for its hold)."""
        key = prefix + order["authorization"]["hold_key"]
        return self.wallet.entry_for_key(order["customer_id"], order["currency"], key)

    def _put_right(self, order):
        authorization = order["authorization"]

        def entry(prefix):
            return self._entry(order, prefix)

        captured = entry("capture:")
        if captured is not None:
            if captured.get("settled") == SETTLED_GIVEN_BACK:  # the order was moved: pending again
                self.authorizations.unclaim(order["order_id"], authorization["hold_id"])
            elif captured.get("settled") == SETTLED_PAID:  # undecided: its request or the follow-ups decide it
                self.authorizations.mark_captured(captured)
            return 1
        if entry("release:") is None:
            if entry("") is None:  # never held: closed for good, so a late hold of the request holds nothing
                self._release(order, authorization, must_exist=False)
            elif authorization["expires_at"] > self.authorizations.clock():
                self.authorizations.checked(order["order_id"], authorization["hold_id"])
                return 0
            else:
                released = self._release(order, authorization)
                if released is not None and released["amount_minor"]:  # (0: a void's, written meanwhile)
                    self._audit("order.authorization_expired", order, released)
                elif (captured := entry("capture:")) is not None:  # a capture took the hold meanwhile
                    self.authorizations.mark_captured(captured)
                    return 1
                # else a gateway's take-back cut the hold away already
        self.authorizations.unclaim(order["order_id"], authorization["hold_id"])  # voided, expired or never held
        return 1

    def _release(self, order, authorization, must_exist=True, operation_id=None):
        entry, _ = self.holds.release(
            order["customer_id"],
            order["currency"],
            authorization["hold_id"],
            f"release:{authorization['hold_key']}",
            {"order_id": order["order_id"], "order_life": authorization["life"]},
            must_exist=must_exist,
            operation=_operation(operation_id),
        )
        return entry

    def _earlier(self, order, operation_id, kind, other_hold_only=True):
        """The entry of `kind` that this request made in a try before (its key's claim was taken over
        from a request that failed or died), or None: a retry answers, or is refused by, what its
        first try did, never moving another hold. `other_hold_only`: only of another hold of the
        order than the one it has now (authorize finds its own through the order)."""
        if not retried(operation_id):
            return None
        hold_id = (order.get("authorization") or {}).get("hold_id") if other_hold_only else None
        made = self.wallet.entries_made_by(str(operation_id))
        return next((e for e in made if e["kind"] == kind and e["reference"].get("hold_id") != hold_id), None)

    def _order(self, order_id, customer_id):
        """The order to capture or void, with the customer and currency of the wallet its hold is in;
        OrderNotFound; Forbidden when `customer_id` (a customer acting, not an admin) is not the
        order's (SPEC §10: "admin or the order's customer"); OrderNotPayable when the shop's document
        names no wallet (its customer or currency unset or unknown)."""
        order = self.orders.get(order_id)
        if order is None:
            raise OrderNotFound()
        order = held_in_its_wallet(order)
        if customer_id is not None and order.get("customer_id") != customer_id:
            raise Forbidden("You may capture or void only your own orders.")
        if not isinstance(order.get("customer_id"), str) or order.get("currency") not in CURRENCY_DECIMALS:
            raise OrderNotPayable("The order's customer or currency is not set as it must be; the shop must mend it.")
        return order

    @staticmethod
    def _authorization(order):
        """The order's authorisation; HoldNotFound when it is not authorised from the wallet (the
        shop's own checkout may have authorised it, with an `authorization` of its own)."""
        authorization = order.get("authorization")
        if order.get("payment_status") != AUTHORIZED or not isinstance(authorization, dict):
            raise HoldNotFound()
        if not is_wallet_authorization(authorization):
            raise HoldNotFound("The order was not authorised from the wallet.")
        return authorization

    def _audit(self, event, order, entry, reason=None):
        audit_hold(self.audit, event, order, entry, reason)


def _same_request(entry, amount_minor, operation_id):
    """`entry`, a capture of the hold found made, when this request could have made it: the same
    amount, under the same key (or none); else HoldNotFound (the hold was captured by another)."""
    operation = str(operation_id) if operation_id else None
    if entry["amount_minor"] != amount_minor or entry.get("operation_id") != operation:
        raise HoldNotFound(
            "The order's hold was captured by another request (a retry gets its answer under the first request's key)."
        )
    return entry


def _operation(operation_id):
    """The ledger's (operation_id, fingerprint) of a request's entry (`WalletService.debit`)."""
    return (str(operation_id), None) if operation_id else None
