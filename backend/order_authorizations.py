"""Orders authorised from the wallet (SPEC §10): the `authorized` state of the shop's `orders` and the
hold behind it, kept on the order as `authorization` = {hold_key, hold_id, amount_minor, wallet_id,
life, authorized_at, expires_at}. This module is the only one that writes those fields. An order is
authorised only from `pending`, for its own customer, amount and life; it leaves `authorized` by a
capture (then `paid`, for what was captured), a void or the hold's expiry (`pending` again)."""

import datetime
from typing import Any, TypeGuard

from .clock import new_id, utcnow
from .orders import paid_update
from .records import LedgerEntry
from .wallet_figures import hold_id_for

AUTHORIZED = "authorized"
# An `authorized` order whose authorisation is the wallet's (`claim` writes `hold_key` first): the
# shop's own checkout may mark orders `authorized` with an `authorization` of its own.
WALLET_AUTHORIZED = {"authorization.hold_key": {"$type": "string"}}


def is_wallet_authorization(authorization: Any) -> TypeGuard[dict]:
    """Whether an order's `authorization` is the wallet's (as WALLET_AUTHORIZED finds them)."""
    return isinstance(authorization, dict) and isinstance(authorization.get("hold_key"), str)


class OrderAuthorizations:
    def __init__(self, db, clock=utcnow):
        self.orders = db["orders"]
        self.clock = clock

    def claim(self, order, amount_minor, ttl_seconds, operation_id=None):
        """Mark a pending order `authorized` for a new hold; the authorization, or None when the order
        is no longer pending for that customer, amount, currency and life."""
        now = self.clock()
        hold_key = f"checkout_hold:{order['order_id']}:{new_id('auth', 12)}"
        authorization: dict[str, Any] = {
            "hold_key": hold_key,
            "hold_id": hold_id_for(hold_key),
            "amount_minor": amount_minor,
            "wallet_id": f"{order['customer_id']}:{order['currency']}",
            # a life of its own: a re-issued or reopened order's earlier life (its refunds' places) may
            # have the ticket the order shows now
            "life": new_id("life"),
            "authorized_at": now,
            "expires_at": now + datetime.timedelta(seconds=ttl_seconds),
        }
        if operation_id is not None:
            authorization["operation_id"] = operation_id  # a retry of the request finds it
        claimed = self.orders.update_one(
            {
                "order_id": order["order_id"],
                "customer_id": order["customer_id"],
                "amount_minor": order["amount_minor"],
                "currency": order["currency"],
                "payment_status": "pending",
                "payment_ticket": order.get("payment_ticket"),
            },
            {
                "$set": {
                    "payment_status": AUTHORIZED,
                    "authorization": authorization,
                    "payment_ticket": authorization["life"],
                },
                "$inc": {"version": 1},
            },
        )
        return authorization if claimed.modified_count else None

    def unclaim(self, order_id, hold_id):
        """`pending` again (a void, an expiry); False when the order is no longer authorised by that hold."""
        reverted = self.orders.update_one(
            {"order_id": order_id, "payment_status": AUTHORIZED, "authorization.hold_id": hold_id},
            {"$set": {"payment_status": "pending"}, "$unset": {"authorization": ""}, "$inc": {"version": 1}},
        )
        return reverted.modified_count == 1

    def give_up(self, order, hold_id):
        """`pending` again as `order` was read before it was claimed for `hold_id` (its life's ticket and
        version too): nothing was held, so a payment of the order that debited meanwhile (under that
        ticket) still pays it."""
        held_by = {"order_id": order["order_id"], "payment_status": AUTHORIZED, "authorization.hold_id": hold_id}
        restored: dict[str, dict] = {"$set": {"payment_status": "pending"}, "$unset": {"authorization": ""}}
        for field in ("payment_ticket", "version"):  # as they were: a refused authorisation changes nothing
            if field in order:
                restored["$set"][field] = order[field]
            else:
                restored["$unset"][field] = ""
        claimed_version = (order.get("version") or 0) + 1  # as `claim` left it: nobody else wrote the order since
        if not self.orders.update_one(dict(held_by, version=claimed_version), restored).matched_count:
            ticket = order.get("payment_ticket")  # written since: its version only moves forward
            self.orders.update_one(
                held_by,
                {
                    "$set": {"payment_status": "pending", "payment_ticket": ticket},
                    "$unset": {"authorization": ""},
                    "$inc": {"version": 1},
                },
            )

    def mark_captured(self, entry: LedgerEntry) -> bool:
        """After the capture debit `entry`: the order it authorised is `paid` for what was captured
        (idempotent); its refunds start in the authorised life, into the paying wallet. False when the
        order is no longer authorised by its hold (paid by it already, or changed by the shop: moved to
        another customer or currency too, which the hold's wallet never pays for; a field the shop
        removed moves it nowhere)."""
        reference = entry["reference"]
        marked = self.orders.update_one(
            {
                "order_id": reference["order_id"],
                "customer_id": {"$in": [entry["customer_id"], None]},
                "currency": {"$in": [entry["currency"], None]},
                "payment_status": AUTHORIZED,
                "authorization.hold_id": reference["hold_id"],
            },
            paid_update(
                entry,
                self.clock(),
                reference.get("order_life"),
                **{"authorization.captured_minor": entry["amount_minor"]},
            ),
        )
        return bool(marked.matched_count == 1)

    def due(self, grace_seconds, limit, excluded_ids=()):
        """Authorised orders to look at: holds past their expiry, and authorisations older than
        `grace_seconds` not yet seen with their hold (the request may have died before it); none of
        `excluded_ids`."""
        now = self.clock()
        stale = now - datetime.timedelta(seconds=grace_seconds)
        others = {"_id": {"$nin": list(excluded_ids)}} if excluded_ids else {}
        expired = self.orders.find(
            {"payment_status": AUTHORIZED, "authorization.expires_at": {"$lte": now}, **WALLET_AUTHORIZED, **others},
            limit=limit,
        )
        unchecked = self.orders.find(
            {
                "payment_status": AUTHORIZED,
                "authorization.authorized_at": {"$lte": stale},
                "authorization.checked": {"$ne": True},
                **WALLET_AUTHORIZED,
                **others,
            },
            limit=limit,
        )
        found = {order["_id"]: order for order in [*expired, *unchecked]}
        return list(found.values())[:limit]

    def checked(self, order_id, hold_id):
        """The authorisation's hold was seen in the ledger: only its expiry brings it back."""
        self.orders.update_one(
            {"order_id": order_id, "authorization.hold_id": hold_id}, {"$set": {"authorization.checked": True}}
        )

    def count_expired(self):
        """Authorised orders whose hold is past its expiry (/health's and /metrics' backlog)."""
        return self.orders.count_documents(
            {"payment_status": AUTHORIZED, "authorization.expires_at": {"$lte": self.clock()}, **WALLET_AUTHORIZED}
        )


def authorized_by(order, hold_id):
    """Whether the order (a document, or None) is `authorized` by the hold `hold_id`."""
    order = order or {}
    return order.get("payment_status") == AUTHORIZED and (order.get("authorization") or {}).get("hold_id") == hold_id


def held_in_its_wallet(order):
    """The authorised `order` with the customer and currency of the wallet its hold is in (recorded
    when authorised), whatever the shop wrote on the order since."""
    wallet_id = (order.get("authorization") or {}).get("wallet_id")
    if not isinstance(wallet_id, str) or ":" not in wallet_id:
        return order  # authorised before the wallet was recorded
    customer_id, currency = wallet_id.rsplit(":", 1)
    return dict(order, customer_id=customer_id, currency=currency)


def audit_hold(audit, event, order, entry, reason=None):
    """The audit entry of a hold's step `event` (`order.authorized`, `.captured`, `.voided`, ...), for
    the customer whose wallet `entry` is in."""
    audit.record(
        event,
        "ok",
        customer_id=entry["customer_id"],
        order_id=order["order_id"],
        transaction_id=entry["_id"],
        amount_minor=entry["amount_minor"],
        currency=entry["currency"],
        reason=reason,
    )
