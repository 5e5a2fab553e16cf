"""Payment orders as the gateway sweep (backend/sweep.py) takes them (`PaymentOrders.sweep`)."""

import datetime

from pymongo import ReturnDocument

from .clock import utcnow
from .payment_orders import CREATED, EXPIRED, from_document


class SweepQueue:
    """Payment orders as the gateway sweep (backend/sweep.py) takes them. `sweep_until`: no sweep looks
    the payment order up before then. A claim sets it (a lease, so two sweeps never look one order up
    at once); a look-up that finds nothing yet moves it later."""

    def __init__(self, collection, clock=utcnow):
        self.collection = collection
        self.clock = clock

    def due(self, older_than_seconds, gateways, limit, now=None):
        """`created` payment orders of `gateways` older than `older_than_seconds` and not leased
        (`sweep_until` absent or past), oldest first, at most `limit`."""
        now = now or self.clock()
        cutoff = now - datetime.timedelta(seconds=older_than_seconds)
        documents = self.collection.find(
            {
                "status": CREATED,
                "created_at": {"$lte": cutoff},
                "gateway": {"$in": list(gateways)},
                "$or": [{"sweep_until": None}, {"sweep_until": {"$lte": now}}],
            },
            sort=[("created_at", 1), ("_id", 1)],
            limit=max(int(limit), 1),
        )
        return [from_document(document) for document in documents]

    def claim(self, payment_order_id, lease_seconds, now=None):
        """Lease a still `created`, unleased payment order to this sweep for `lease_seconds`: the
        payment order as it is now, or None when it is paid, failed, expired or leased already."""
        now = now or self.clock()
        document = self.collection.find_one_and_update(
            {
                "_id": payment_order_id,
                "status": CREATED,
                "$or": [{"sweep_until": None}, {"sweep_until": {"$lte": now}}],
            },
            {
                "$set": {"sweep_until": now + datetime.timedelta(seconds=lease_seconds), "swept_at": now},
                "$inc": {"sweep_count": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        return from_document(document)

    def defer(self, payment_order_id, until):
        """Look the `created` payment order up again no sooner than `until`."""
        self.collection.update_one({"_id": payment_order_id, "status": CREATED}, {"$set": {"sweep_until": until}})

    def expire(self, payment_order_id, reason, now=None):
        """`expired`, unless it is no longer `created` or a credit of it was decided (with wallet limits
        set: backend/payment_order_limits.py); True when this call expired it. Only a fresh gateway
        confirmation (a capture webhook, verify, a posted token) credits it afterwards."""
        result = self.collection.update_one(
            {"_id": payment_order_id, "status": CREATED, "decision": None},  # never one decided to be credited
            {"$set": {"status": EXPIRED, "expired_at": now or self.clock(), "expiry_reason": reason}},
        )
        return result.modified_count == 1

    def count_waiting(self, older_than_seconds):
        """How many payment orders are still `created` after `older_than_seconds` (for /health)."""
        cutoff = self.clock() - datetime.timedelta(seconds=older_than_seconds)
        return self.collection.count_documents({"status": CREATED, "created_at": {"$lte": cutoff}})
