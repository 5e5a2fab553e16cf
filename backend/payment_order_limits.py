"""Payment orders as the wallet limits (backend/wallet_limits.py) count them, and what is decided
of a payment of one once limits are set (`PaymentOrders.limits`): `decision` is `credit` or
`give_back`, set once per payment order by whichever report decides first, so two reports of one
top-up can never credit it and give it back both, however slow either is."""

import datetime

from .clock import utcnow
from .payment_orders import CREATED, EXPIRED, FAILED, PAID, REFUSED

LOADS_LOOKBACK_DAYS = 31
CREDIT, GIVE_BACK = "credit", "give_back"


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
        its gateway's retries of initiate. One decided to be credited counts as open until it is."""
        open_minor = credited_minor = 0
        since = month_start - datetime.timedelta(days=LOADS_LOOKBACK_DAYS)
        for document in self.collection.find(
            {"customer_id": customer_id, "created_at": {"$gte": since}, "currency": currency},
            projection=["status", "amount_minor", "paid_at", "created_at", "decision"],
        ):
            failed_open = document["status"] == FAILED and document["created_at"] >= failed_since
            crediting = document.get("decision") == CREDIT and document["status"] != PAID
            if document["status"] == CREATED or failed_open or crediting:
                open_minor += document["amount_minor"]
            elif document.get("paid_at") and document["paid_at"] >= month_start:
                credited_minor += document["amount_minor"]
        return open_minor, credited_minor

    def claim_open(self, payment_order_id):
        """Decide to credit a payment of the top-up if it is still `created` (the limits count it:
        only the sweep's `expire`, one write, ends that; a `failed` one's count ends with the clock,
        so it is decided under the lease instead) and nothing else was decided; True when it is
        decided so (by this call or before). The sweep never expires it after this."""
        claimed = self.collection.update_one(
            {"_id": payment_order_id, "status": CREATED, "decision": {"$ne": GIVE_BACK}},
            {"$set": {"decision": CREDIT}},
        )
        return claimed.matched_count == 1

    def decide(self, payment_order_id, decision):
        """Decide `decision` (CREDIT or GIVE_BACK) for the top-up unless the other was decided; True
        when it stands (decided by this call or before)."""
        decided = self.collection.update_one(
            {"_id": payment_order_id, "decision": {"$in": [decision, None]}}, {"$set": {"decision": decision}}
        )
        return decided.matched_count == 1

    def refuse(self, payment_order_id, limit):
        """`refused` (a lapsed top-up whose payment would pass `limit`), unless it is `created` or `paid`."""
        self.collection.update_one(
            {"_id": payment_order_id, "status": {"$in": [FAILED, EXPIRED]}},
            {"$set": {"status": REFUSED, "refused_limit": limit, "refused_at": self.clock()}},
        )
