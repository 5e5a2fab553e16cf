"""Payment orders as the wallet limits (backend/wallet_limits.py) count them, and a lapsed top-up
they refuse (`PaymentOrders.limits`)."""

import datetime

from .clock import utcnow
from .payment_orders import CREATED, EXPIRED, FAILED, REFUSED

LOADS_LOOKBACK_DAYS = 31


class LimitCounts:
    def __init__(self, collection, clock=utcnow):
        self.collection = collection
        self.clock = clock

    def loads(self, customer_id, currency, month_start, failed_since):
        """(open, credited since `month_start`): minor units of the customer's top-ups in `currency`
        still `created` (or `failed` and initiated since `failed_since`: a failed attempt leaves its
        order payable, and a later capture credits it), and of those credited (`paid`) since
        `month_start` (the limits' counts). Top-ups initiated over LOADS_LOOKBACK_DAYS before the
        month are not read: the sweep expires an open one within a day, and a credit comes within
        its gateway's retries of initiate."""
        open_minor = credited_minor = 0
        since = month_start - datetime.timedelta(days=LOADS_LOOKBACK_DAYS)
        for document in self.collection.find(
            {"customer_id": customer_id, "created_at": {"$gte": since}, "currency": currency},
            projection=["status", "amount_minor", "paid_at", "created_at"],
        ):
            failed_open = document["status"] == FAILED and document["created_at"] >= failed_since
            if document["status"] == CREATED or failed_open:
                open_minor += document["amount_minor"]
            elif document.get("paid_at") and document["paid_at"] >= month_start:
                credited_minor += document["amount_minor"]
        return open_minor, credited_minor

    def refuse(self, payment_order_id, limit):
        """`refused` (a lapsed top-up whose payment would pass `limit`), unless it is `created` or `paid`."""
        self.collection.update_one(
            {"_id": payment_order_id, "status": {"$in": [FAILED, EXPIRED]}},
            {"$set": {"status": REFUSED, "refused_limit": limit, "refused_at": self.clock()}},
        )
