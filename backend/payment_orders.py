"""Payment orders (`payment_orders`): one per top-up, `created` until the gateway confirms it
(`paid`, credited once) or reports a failure (`failed`), or until the sweep gives up on it
(`expired`: nothing captured at the gateway long after initiate; see docs/sweep.md), or until a
payment that came after it lapsed would pass a wallet limit (`refused`: given back, never credited;
`backend/flows/topups.py`). The ids of
the webhook events applied to it are kept on it (`webhook_event_ids`: how redeliveries are
recognised). This module is the only one that reads or writes them."""

import datetime
from dataclasses import dataclass

from .clock import utcnow
from .gateways.base import gateway_filter
from .prefetched_wallets import customer_wallets, lookup_value, with_customer_wallets

COLLECTION = "payment_orders"
CREATED, PAID, FAILED, EXPIRED, REFUSED = "created", "paid", "failed", "expired", "refused"


@dataclass(frozen=True)
class PaymentOrder:
    """A top-up as the service recorded it at initiate; `id` is the gateway's order id."""

    id: str
    reference: str
    gateway: str
    customer_id: str
    amount_minor: int
    currency: str
    status: str = CREATED
    gateway_payment_id: str | None = None
    created_at: datetime.datetime | None = None
    refused_limit: str | None = None  # the limit a payment of a lapsed top-up would have passed
    decision: str | None = None  # `credit` or `give_back`, once limits are set (backend/payment_order_limits.py)

    @property
    def is_paid(self):
        return self.status == PAID

    def audit_fields(self):
        """Its fields as an audit entry records a top-up's event (`AuditLog.record`)."""
        return dict(
            customer_id=self.customer_id,
            payment_order_id=self.id,
            gateway=self.gateway,
            amount_minor=self.amount_minor,
            currency=self.currency,
        )


def from_document(document):
    if document is None:
        return None
    return PaymentOrder(
        id=document["_id"],
        reference=document["reference"],
        gateway=document["gateway"],
        customer_id=document["customer_id"],
        amount_minor=document["amount_minor"],
        currency=document["currency"],
        status=document["status"],
        gateway_payment_id=document.get("gateway_payment_id"),
        created_at=document.get("created_at"),
        refused_limit=document.get("refused_limit"),
        decision=document.get("decision"),
    )


@dataclass(frozen=True)
class EventRead:
    """A webhook event's payment order as `PaymentOrders.for_event` read it: `fresh` when the event
    was not applied to it before, nor to any other payment order (`elsewhere`: another payment order
    keeps its id); its customer's wallets by id (all of them); the gateway cases recorded for the
    event's payment (None when the event names no payment)."""

    payment_order: PaymentOrder
    fresh: bool
    wallets: dict
    cases: list | None
    elsewhere: bool = False


class PaymentOrders:
    def __init__(self, db, clock=utcnow):
        self.collection = db[COLLECTION]
        self.clock = clock
        from .payment_order_limits import LimitCounts
        from .payment_order_lookups import SettlementLookups  # they read payment orders as this module does
        from .sweep_queue import SweepQueue

        self.sweep = SweepQueue(self.collection, clock)
        self.limits = LimitCounts(self.collection, clock)

        self.settlement = SettlementLookups(self.collection)

    def has_customer(self, customer_id):
        """Whether the customer ever initiated a top-up."""
        return self.collection.find_one({"customer_id": customer_id}, {"_id": 1}) is not None

    def create(self, payment_order_id, reference, gateway, customer_id, amount_minor, currency, keyed=None):
        """Record a `created` payment order; returns it. `keyed`: `{operation_id, redirect_url}` of a
        request with an Idempotency-Key, by which its retry finds it (`keyed_by`)."""
        payment_order = PaymentOrder(
            payment_order_id, reference, gateway, customer_id, amount_minor, currency, created_at=self.clock()
        )
        document = {
            "_id": payment_order.id,
            "reference": reference,
            "gateway": gateway,
            "customer_id": customer_id,
            "amount_minor": amount_minor,
            "currency": currency,
            "status": CREATED,
            "created_at": payment_order.created_at,
        }
        self.collection.insert_one(dict(document, keyed=keyed) if keyed else document)
        return payment_order

    def keyed_by(self, customer_id, operation_id):
        """(the customer's payment order the request `operation_id` made, its `keyed`), or None."""
        document = self.collection.find_one({"customer_id": customer_id, "keyed.operation_id": operation_id})
        return (from_document(document), document["keyed"]) if document else None

    def get(self, payment_order_id, gateway=None):
        """The payment order with this id (of `gateway`, when given), or None."""
        query = {"_id": payment_order_id}
        if gateway is not None:
            query["gateway"] = gateway
        return from_document(self.collection.find_one(query))

    def for_event(self, gateway, event):
        """The `EventRead` of a webhook event of `gateway` (a name, or a tuple of the names whose
        payment orders its webhooks confirm) naming a payment order by id or by reference, whatever
        amount it reports; None when there is none. One command reads the payment order, its
        customer's wallets and the gateway cases recorded for the event's payment, so that a credit
        takes no other read; the same command looks the event's id up among every payment order's
        (SPEC §5: webhooks are de-duplicated by the gateway's event id, so an event id another payment
        order kept is a duplicate whatever it names). Nothing is written: the event's id is kept by
        the write that applies it (`mark_paid`, `mark_failed`)."""
        query = self._event_query(event)
        if query is None:
            return None
        stages = [
            *lookup_value(event.event_id, COLLECTION, "webhook_event_ids", "event_kept_by"),
            *lookup_value(event.gateway_payment_id, "gateway_cases", "gateway_payment_id", "cases"),
        ]
        document = with_customer_wallets(self.collection, dict(query, gateway=gateway_filter(gateway)), stages)
        if document is None:
            return None
        elsewhere = any(kept["_id"] != document["_id"] for kept in document.get("event_kept_by", []))
        return EventRead(
            from_document(document),
            fresh=event.event_id not in document.get("webhook_event_ids", []) and not elsewhere,
            wallets=customer_wallets(document),
            cases=document.get("cases"),
            elsewhere=elsewhere,
        )

    def by_event(self, gateway, event):
        """The payment order of `gateway` (a name or a tuple, as `for_event`) a webhook event names,
        whatever its amount, or None."""
        query = self._event_query(event)
        return (
            None
            if query is None
            else from_document(self.collection.find_one(dict(query, gateway=gateway_filter(gateway))))
        )

    @staticmethod
    def _event_query(event):
        """By the payment order's id, else by what the event names as ours (PayPal's `custom_id`): our
        reference, or the payment order's id as initiate answered it (SPEC §6: "our payment order id
        as custom_id"); references and gateway order ids never look alike."""
        if event.payment_order_id is not None:
            return {"_id": event.payment_order_id}
        if event.payment_order_reference is not None:
            reference = event.payment_order_reference
            return {"$or": [{"reference": reference}, {"_id": reference}]}
        return None

    def mark_paid(self, payment_order_id, entry_id, gateway_payment_id, event_id=None):
        """`paid` by the ledger entry `entry_id` (idempotent: the first payment recorded stays; never a
        `refused` one, whose payments are given back), and
        the webhook event that credited it, `event_id`, kept (a redelivery finds it)."""
        paid = {"status": PAID, "entry_id": entry_id, "paid_at": self.clock(), "gateway_payment_id": gateway_payment_id}
        update: dict = {"$set": paid}
        if event_id is not None:
            update["$addToSet"] = {"webhook_event_ids": event_id}
        self.collection.update_one({"_id": payment_order_id, "status": {"$nin": [PAID, REFUSED]}}, update)

    def credited_by(self, gateway, gateway_payment_id):
        """The `paid` payment order of `gateway` (a name, or a tuple of names) whose credit was this
        payment, or None (a payment that credited nothing: unknown, a second payment of a top-up, one
        not confirmed yet)."""
        if not gateway_payment_id:
            return None
        document = self.collection.find_one(
            {"gateway_payment_id": gateway_payment_id, "gateway": gateway_filter(gateway), "status": PAID}
        )
        return from_document(document)

    def credited_since(self, customer_id, currency, since, limit, after=None):
        """The customer's top-ups in `currency` credited (`paid`) since `since`, newest first, at most
        `limit`; `after`: the last of the page before (those initiated after it, or at once, are left out)."""
        query = {"customer_id": customer_id, "status": PAID, "currency": currency, "paid_at": {"$gte": since}}
        if after is not None:  # one millisecond's top-ups in `_id` order, as sorted
            query["$or"] = [
                {"created_at": {"$lt": after.created_at}},
                {"created_at": after.created_at, "_id": {"$lt": after.id}},
            ]
        documents = self.collection.find(query, sort=[("created_at", -1), ("_id", -1)], limit=limit)
        return [from_document(d) for d in documents]

    def paid_ids(self, payment_order_ids):
        """The ids among `payment_order_ids` of payment orders marked `paid`."""
        if not payment_order_ids:
            return set()
        return {
            d["_id"]
            for d in self.collection.find(
                {"_id": {"$in": sorted(set(payment_order_ids))}, "status": PAID}, projection=["_id"]
            )
        }

    def mark_failed(self, payment_order_id, reason, event_id=None):
        """`failed`, unless it is no longer `created` (a later capture still credits a failed one); the
        failure's webhook event `event_id`, when given, kept either way (a redelivery finds it)."""
        kept = {"$addToSet": {"webhook_event_ids": event_id}} if event_id is not None else {}
        failed = self.collection.update_one(
            {"_id": payment_order_id, "status": CREATED},
            dict(kept, **{"$set": {"status": FAILED, "failure_reason": reason}}),
        )
        if kept and not failed.matched_count:
            self.collection.update_one({"_id": payment_order_id}, kept)
