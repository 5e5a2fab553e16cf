"""Refunds the service asks a gateway for (`gateway_refunds`): a customer's second payment of a top-up
already credited, and the parts of a withdrawal. One document per refund, `_id` = our reference (also
the gateway's idempotency key and the refund's notes / `custom_id`, so its webhooks name it).

`requested` until the gateway accepted it (a crash or an unreachable gateway leaves it there: the
worker asks again under the same reference, which the gateway answers with the same refund),
`pending` until the gateway says how it ended, then `processed` or `failed`. The ending is claimed
(`ending`) before its money moves and the status set after, so of two tellings that contradict each
other only the first moves money, and a crash between the two is finished as claimed."""

import datetime

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from .clock import utcnow
from .gateways.base import gateway_filter

SECOND_PAYMENT, LAPSED_PAYMENT, WITHDRAWAL_PART = "second_payment", "lapsed_payment", "withdrawal"
REQUESTED, PENDING, PROCESSED, FAILED = "requested", "pending", "processed", "failed"
OPEN_STATUSES = (REQUESTED, PENDING)


class GatewayRefunds:
    def __init__(self, db, clock=utcnow):
        self.collection = db["gateway_refunds"]
        self.clock = clock

    def create(self, reference, purpose, gateway, payment_order, payment_id, amount_minor, **fields):
        """Record a refund to ask for; (record, created): an existing one under `reference` is returned."""
        now = self.clock()
        record = {
            "_id": reference,
            "purpose": purpose,
            "gateway": gateway,
            "gateway_payment_id": payment_id,
            "payment_order_id": payment_order.id,
            "customer_id": payment_order.customer_id,
            "currency": payment_order.currency,
            "amount_minor": amount_minor,
            "status": REQUESTED,
            "created_at": now,
            "updated_at": now,
            **fields,
        }
        try:
            self.collection.insert_one(record)
        except DuplicateKeyError:
            return self.collection.find_one({"_id": reference}), False
        return record, True

    def get(self, reference, gateways=None, refund_id=None):
        """Our refund `reference`, when it was asked of one of `gateways` (any when None); else, given
        `refund_id`, the one the gateway answered with that refund id (a webhook that does not carry
        our reference back still names its refund by the gateway's own id)."""
        only = {} if gateways is None else {"gateway": gateway_filter(tuple(gateways))}
        record = self.collection.find_one({"_id": reference, **only}) if reference is not None else None
        if record is None and refund_id:
            record = self.collection.find_one({"gateway_refund_id": refund_id, **only})
        return record

    def named_or_of(self, gateways, references, payment_ids):
        """Our refunds asked of one of `gateways` named by one of `references`, or of one of the payments
        `payment_ids`: those a report's refund rows or a refund webhook may be about (one may not carry
        our reference; its refund id is then matched to `gateway_refund_id`). One query, each branch on
        an index (`_id`, `gateway_payment_id`); the gateway is checked on what it finds."""
        clauses = [
            {field: {"$in": sorted(set(values))}}
            for field, values in (("_id", references), ("gateway_payment_id", payment_ids))
            if values
        ]
        if not clauses:
            return []
        return [r for r in self.collection.find({"$or": clauses}) if r.get("gateway") in gateways]

    def accepted(self, reference, refund_id):
        """The gateway took the request (`pending`, with its refund id), unless it ended already."""
        self.collection.update_one(
            {"_id": reference, "status": {"$in": list(OPEN_STATUSES)}},
            {"$set": {"status": PENDING, "gateway_refund_id": refund_id, "updated_at": self.clock()}},
        )

    def claim_end(self, reference, status):
        """Claim ending `status` (`processed` or `failed`) for the open refund, before its money moves;
        the record after, or None when it ended or another ending was claimed first."""
        return self.collection.find_one_and_update(
            {"_id": reference, "status": {"$in": list(OPEN_STATUSES)}, "ending": {"$in": [None, status]}},
            {"$set": {"ending": status}},
            return_document=ReturnDocument.AFTER,
        )

    def end(self, reference, status, refund_id=None):
        """`processed` or `failed`, as claimed; the record after, or None when it had ended already."""
        update = {"status": status, "ending": status, "updated_at": self.clock(), "ended_at": self.clock()}
        if refund_id:
            update["gateway_refund_id"] = refund_id
        return self.collection.find_one_and_update(
            {"_id": reference, "status": {"$in": list(OPEN_STATUSES)}},
            {"$set": update},
            return_document=ReturnDocument.AFTER,
        )

    def of_withdrawal(self, withdrawal_id):
        return list(self.collection.find({"withdrawal_id": withdrawal_id}, sort=[("part", 1)]))

    def refunded_and_failed(self, payment_ids, failed_since):
        """({gateway payment id: minor units our refunds took or are taking from it} (failed ones
        aside), {gateway payment ids a refund of ours failed of since `failed_since`}): one read."""
        totals: dict[str, int] = {}
        failed: set[str] = set()
        if not payment_ids:
            return totals, failed
        for record in self.collection.find({"gateway_payment_id": {"$in": sorted(set(payment_ids))}}):
            payment_id = record["gateway_payment_id"]
            if record["status"] != FAILED:
                totals[payment_id] = totals.get(payment_id, 0) + record["amount_minor"]
            elif (record.get("ended_at") or record["updated_at"]) >= failed_since:
                failed.add(payment_id)
        return totals, failed

    def due(self, older_than_seconds, limit):
        """Open refunds not touched for `older_than_seconds`, oldest first (the worker asks the gateway)."""
        cutoff = self.clock() - datetime.timedelta(seconds=older_than_seconds)
        return list(
            self.collection.find(
                {"status": {"$in": list(OPEN_STATUSES)}, "updated_at": {"$lte": cutoff}},
                sort=[("updated_at", 1)],
                limit=limit,
            )
        )

    def note_mismatch(self, reference, amount_minor, currency):
        """Keep what the gateway said of the refund when it is not what was asked (`mismatch`); True
        when that is new (not the same as kept already)."""
        said = {"amount_minor": amount_minor, "currency": currency}
        noted = self.collection.update_one({"_id": reference, "mismatch": {"$ne": said}}, {"$set": {"mismatch": said}})
        return noted.modified_count == 1

    def withdraw(self, reference):
        """Delete a refund recorded and not asked yet (`requested`); True when it was."""
        return self.collection.delete_one({"_id": reference, "status": REQUESTED}).deleted_count == 1

    def touch(self, reference):
        """Asked the gateway again just now (the next ask waits its turn)."""
        self.collection.update_one({"_id": reference}, {"$set": {"updated_at": self.clock()}})


def count_open(db, older_than_seconds, now):
    """How many of our refunds are still open `older_than_seconds` after they were recorded."""
    cutoff = now - datetime.timedelta(seconds=older_than_seconds)
    return db["gateway_refunds"].count_documents(
        {"status": {"$in": list(OPEN_STATUSES)}, "created_at": {"$lte": cutoff}}
    )


class ReportRecords:
    """Our refund records (`GatewayRefunds.named_or_of`) that a page of a settlement report's rows may
    name: by our reference, or by the gateway's refund id once it gave one. `keep` a record as it is
    after a row ended it; `unanswered(row)`: the open ones with no refund id yet (the gateway's answer
    lost) that a row without a reference may be."""

    def __init__(self, records):
        self.by_reference, self.by_refund_id = {}, {}
        for record in records:
            self.keep(record)

    def keep(self, record):
        self.by_reference[record["_id"]] = record
        if record.get("gateway_refund_id"):
            self.by_refund_id[record["gateway_refund_id"]] = record

    def of_row(self, row):
        return self.by_reference.get(row.reference) or self.by_refund_id.get(row.refund_id)

    def unanswered(self, row):
        return unanswered(self.by_reference.values(), row.gateway_payment_id, row.amount_minor, row.currency)


def unanswered(records, payment_id, amount_minor, currency):
    """Those of our refund `records` still open with no refund id yet (the gateway's answer lost, or
    not come yet) of `payment_id` for `amount_minor` `currency`: a refund of it told without our
    reference may be one of them."""
    same = (payment_id, amount_minor, currency)
    return [
        r
        for r in records
        if r["status"] in OPEN_STATUSES
        and not r.get("gateway_refund_id")
        and (r["gateway_payment_id"], r["amount_minor"], r["currency"]) == same
    ]
