"""Shop orders (the existing `orders` collection) as the wallet sees them: paid once, refunded at
most what was paid (whether paid from the wallet or at the shop's checkout). Every change is a
single-document write; refunds take numbered places in the ledger, so concurrent refunds cannot
overshoot (the race of hyperswitch #13182).
"""

import datetime
from typing import cast

from .clock import new_id
from .errors import OrderNotFound, OrderNotPayable, OrderNotRefundable, RefundExceedsPaid
from .idempotency import KeyedOperation
from .money import CURRENCY_DECIMALS
from .prefetched_wallets import customer_wallets, with_customer_wallets
from .records import LedgerEntry, Order

PAID_STATES = ("paid", "partially_refunded")


def payment_key(order_id, ticket):
    """The ledger key of a wallet payment of the order's life `ticket` (None: its first life)."""
    return f"payment:{order_id}" if ticket is None else f"payment:{order_id}:{ticket}"


def is_whole_number(value: object) -> bool:
    """A whole number, zero or more (not a bool, not a float): an amount in minor units, or a count
    such as `refund_seq` (fields the shop may have rewritten)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def well_formed(order: Order) -> bool:
    """Whether the shop wrote the order's own fields as the wallet needs them (docs/ledger.md)."""
    figures = [order.get("amount_minor")] + [order.get(k) for k in ("paid_minor", "refunded_minor") if k in order]
    return (
        order.get("currency") in CURRENCY_DECIMALS
        and isinstance(order.get("payment_status"), str)
        and all(is_whole_number(value) for value in figures)
    )


def order_currency(order, refusal=OrderNotPayable, amount_in=None):
    """The order's currency, or `refusal` when the order is not well formed (nothing can be paid or
    refunded in a currency not known, or for an amount that is not a whole number of minor units);
    CurrencyMismatch when a request's amount (`amount_in`, a `currencies.AmountIn`) cannot be in it."""
    if not well_formed(order):
        raise refusal(
            "The order's currency, amount or status is not set as it must be; the shop must correct "
            "it before it is paid or refunded."
        )
    if amount_in is not None:
        amount_in.check(order["currency"])
    return order["currency"]


class OrderBook:
    def __init__(self, db):
        self.orders = db["orders"]

    def with_wallets(self, order_id: str, customer_id: str, keyed: KeyedOperation | None = None) -> tuple:
        """(order, wallets, made) by one command: the order if it is `customer_id`'s (else 'not found'),
        the customer's wallets by id (all: one missing does not exist; `WalletService.append`'s
        `wallet`), and the entries the request's key made (`keyed.earlier`). When it made some, an
        order no longer the customer's is None, not 'not found': those entries answer the request."""
        found = with_customer_wallets(self.orders, {"order_id": order_id}, keyed.stages() if keyed else [])
        if found is None:
            raise OrderNotFound()
        made, wallets = keyed.earlier(found) if keyed else [], customer_wallets(found)
        mine = found.get("customer_id") == customer_id
        if not (mine or made):
            raise OrderNotFound()
        return (cast(Order, found), wallets, made) if mine else (None, {}, made)

    def get(self, order_id: str) -> Order | None:
        """The order, or None."""
        return cast(Order | None, self.orders.find_one({"order_id": order_id}))

    def page_for_customer(self, customer_id, limit, status=None, after_order_id=None):
        """Up to `limit` of the customer's orders (of `payment_status` `status` when given), ordered by
        `order_id`, after `after_order_id` when given (the cursor of a page: the last page's last id)."""
        query = {"customer_id": customer_id}
        if status is not None:
            query["payment_status"] = status
        if after_order_id is not None:
            query["order_id"] = {"$gt": after_order_id}
        return list(self.orders.find(query, sort=[("order_id", 1)], limit=limit))

    def by_ids(self, order_ids):
        """order id -> order, for those of `order_ids` that exist."""
        if not order_ids:
            return {}
        return {o["order_id"]: o for o in self.orders.find({"order_id": {"$in": sorted(set(order_ids))}})}

    def why_not_payable(self, order_id, customer_id, amount_minor):
        """None when the order is pending for this customer and amount; else why not, in a word or two."""
        order = self.orders.find_one({"order_id": order_id})
        if order is None or order.get("customer_id") != customer_id:
            return "order_not_found"
        if order["payment_status"] != "pending":
            return f"order_{order['payment_status']}"[:64]
        if order["amount_minor"] != amount_minor:
            return "order_amount_changed"
        return None

    def mark_paid(self, entry: LedgerEntry, now: datetime.datetime) -> bool:
        """After the wallet debit `entry`: the order, still pending for that customer, amount and
        life (`payment_ticket`), is paid (idempotent). True when the order is paid by `entry`, False
        when it is not payable by it (cancelled, paid otherwise, changed or reopened meanwhile: the
        caller gives the debit back, `give_back`). Paying ends the life: the ticket turns, so a
        reopened order is paid by a new debit, and its refunds (refund places, the paying wallet)
        start again in the life the debit paid (`payment_life`)."""
        order_id, ticket = entry["reference"]["order_id"], entry["reference"].get("order_life")
        marked = self.orders.update_one(
            {
                "order_id": order_id,
                "customer_id": entry["customer_id"],
                "amount_minor": entry["amount_minor"],
                "currency": entry["currency"],
                "payment_status": "pending",
                "payment_ticket": ticket,
            },
            paid_update(entry, now, ticket),
        )
        if marked.modified_count:
            return True
        return paid_by(self.orders.find_one({"order_id": order_id}), entry["_id"])

    def give_back(self, entry: LedgerEntry) -> bool:
        """End the debit `entry`'s life on the order without it paying (the ticket turns, so the
        debit can never pay the order, and the next payment is a new one), unless it paid it: True
        when it is given back, False when it paid the order. (Paying and giving back both need the
        debit's ticket on the order, so they exclude each other.)"""
        order_id, ticket = entry["reference"]["order_id"], entry["reference"].get("order_life")
        recorded = self.orders.update_one(
            {"order_id": order_id, "payment_ticket": ticket},
            {"$set": {"payment_ticket": new_id("life")}, "$addToSet": {"reversed_entry_ids": entry["_id"]}},
        )
        if recorded.matched_count:
            return True
        return not paid_by(self.orders.find_one({"order_id": order_id}), entry["_id"])

    def new_ticket(self, order):
        """The pending order with a ticket of its own, for an order whose life's ledger key is taken
        by an ended payment (the shop replaced a paid order's document, dropping the wallet's
        fields), when it is still the customer's as read; the order as read after."""
        as_read = {name: order.get(name) for name in ("order_id", "customer_id", "payment_ticket")}
        self.orders.update_one({**as_read, "payment_status": "pending"}, {"$set": {"payment_ticket": new_id("life")}})
        return self.orders.find_one({"order_id": order["order_id"]})

    def refund_wallet(self, order, wid):
        """The wallet the order's refunds go to: the paying wallet, or for an order paid at the shop
        the first refund's, `wid` (pinned on the order here, with a life of its own for its refund
        places; what the shop's checkout took is pinned when that refund rolls in, `roll_refund`, so a
        pin left by a refund that never happened caps nothing). A refund to any other wallet would take
        places among the order's refunds that the first wallet's do not collide with. Returns (wallet
        id, the order as it is now)."""
        if order.get("refund_wallet_id") is None:
            pin = {"refund_wallet_id": wid, "payment_life": new_id("life")}
            pinned = self.orders.update_one(
                {
                    "order_id": order["order_id"],
                    "customer_id": order["customer_id"],
                    "currency": order.get("currency"),
                    "refund_wallet_id": None,
                    "amount_minor": order["amount_minor"],
                    "payment_status": {"$in": list(PAID_STATES)},
                },
                {"$set": pin},
            )
            if pinned.modified_count:
                return wid, dict(order, **pin)
            order = self.orders.find_one({"order_id": order["order_id"]}) or {}  # another refund pinned it
        return order.get("refund_wallet_id"), order

    # --- refunds -----------------------------------------------------------------------------
    # An order's refunds are numbered 1, 2, ... (`refund_seq`) in the ledger, whose unique index on
    # (wallet, order, refund_seq) lets one insert take the next number: two refunds computed from
    # the same state of the order collide, and the later one reads again. The order document holds
    # the running total (`refunded_minor` as of refund `refund_seq`) and is rolled forward after.

    def refund_fields(self, order, amount_minor):
        """The ledger fields that place a refund of `amount_minor` after the refunds so far of the
        order's life, or RefundExceedsPaid when all of them together would exceed what was paid."""
        order_paid_minor = paid_minor(order)
        refunded_after_minor = order.get("refunded_minor", 0) + amount_minor
        if refunded_after_minor > order_paid_minor:
            raise RefundExceedsPaid()
        return {
            "refund_seq": refund_seq_of(order) + 1,
            "order_refunded_after_minor": refunded_after_minor,
            "order_paid_minor": order_paid_minor,
        }

    def roll_refund(self, entry: LedgerEntry) -> None:
        """Roll the order forward to the refund `entry`, the one after its last in the entry's life
        (a no-op when it holds it, or has moved on to another life). The status follows only while
        the order is paid: one the shop cancelled or reopened meanwhile keeps the shop's status."""
        refund_seq, paid_minor = entry["refund_seq"], entry["order_paid_minor"]
        refunded_minor = entry["order_refunded_after_minor"]
        place = {
            "order_id": entry["reference"]["order_id"],
            "payment_life": entry["reference"].get("order_life"),
            "refund_wallet_id": entry["wallet_id"],
            "refund_seq": {"$in": [None, 0]} if refund_seq == 1 else refund_seq - 1,
        }
        totals = {  # what the life's payment took too: the shop may change the amount when it reopens it
            "refund_seq": refund_seq,
            "refunded_minor": refunded_minor,
            "refundable_minor": paid_minor - refunded_minor,
            "paid_minor": paid_minor,
        }
        status = "refunded" if refunded_minor == paid_minor else "partially_refunded"
        rolled = self.orders.update_one(
            dict(place, payment_status={"$in": list(PAID_STATES)}),
            {"$set": dict(totals, payment_status=status), "$inc": {"version": 1}},
        )
        if not rolled.matched_count:
            self.orders.update_one(place, {"$set": totals, "$inc": {"version": 1}})

    def catch_up_refunds(self, order_id, history, wid, life):
        """Roll the order forward over the refunds of its life `life` in `history` (a LedgerHistory) it
        does not hold yet; the order after (None when there is no such order; as it is when it has
        moved on to another life)."""
        order = self.orders.find_one({"order_id": order_id})
        if order is None or not in_life(order, wid, life):
            return order
        behind = history.refunds_of_order(wid, order_id, life, refund_seq_of(order))
        for entry in behind:
            self.roll_refund(entry)
        return self.orders.find_one({"order_id": order_id}) if behind else order


def paid_update(entry: LedgerEntry, now: datetime.datetime, life: str | None, **more: object) -> dict:
    """The update that makes an order `paid` from the wallet by the debit `entry` in its life `life`
    (a payment's, or a capture's: `backend/order_authorizations.py`): what it paid is what its
    refunds may give back, into the paying wallet; the ticket turns, so a reopened order is a new life."""
    return {
        "$set": {
            "payment_status": "paid",
            "paid_via": "wallet",
            "paid_minor": entry["amount_minor"],
            "refundable_minor": entry["amount_minor"],
            "refunded_minor": 0,
            "refund_seq": 0,
            "payment_entry_id": entry["_id"],
            "refund_wallet_id": entry["wallet_id"],
            "paid_at": now,
            "payment_life": life,
            "payment_ticket": new_id("life"),
            **more,
        },
        "$addToSet": {"paid_entry_ids": entry["_id"]},
        "$inc": {"version": 1},
    }


def paid_minor(order: Order) -> int:
    """What the order's payment took: from the wallet (`paid_minor`, also pinned by the first refund
    of an order paid at the shop) or at the shop's checkout (its `amount_minor`)."""
    return order.get("paid_minor", order["amount_minor"])


def paid_by(order: Order | None, entry_id: str) -> bool:
    """True when the debit `entry_id` paid a life of `order` (this one, or one the shop reopened since:
    `paid_entry_ids` keeps every paying debit)."""
    return order is not None and (
        order.get("payment_entry_id") == entry_id or entry_id in order.get("paid_entry_ids", ())
    )


def in_life(order: Order, wid: str, life: str | None) -> bool:
    """True when the order is in the life `life` whose refunds go to wallet `wid` (a life is known by
    both: the first life of every wallet is None, and a re-issued order has neither)."""
    return order.get("payment_life") == life and order.get("refund_wallet_id") == wid


def refund_seq_of(order):
    """How many refunds the order's life has had (`refund_seq`; missing or null: none, as
    `roll_refund` reads it). OrderNotRefundable when the shop wrote anything else that is no count
    (`""`, `"1"`, `false`): a refund cannot be placed after it (nothing is refunded; a person puts
    the order right)."""
    seq = order.get("refund_seq")
    if seq is None:
        return 0
    if not is_whole_number(seq):
        raise OrderNotRefundable("The order's refund count (`refund_seq`) is not a number; nothing was refunded.")
    return seq
