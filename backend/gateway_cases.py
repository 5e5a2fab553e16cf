"""What gateways told us after a credit (`gateway_cases`): one document per refund, reversal or dispute,
by the gateway's own id, with every action its webhooks asked for. Webhooks about one case may come in
any order and more than once; the flow (`backend/flows/after_credit.py`) decides what the case as a
whole asks of the ledger, so a late or repeated webhook changes nothing. A case whose payment has not
credited a wallet (yet) is `waiting`: applied if that payment is credited later."""

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from .clock import utcnow
from .gateways.base import gateway_filter

REFUND_CASE, REVERSAL_CASE, DISPUTE_CASE = "refund", "reversal", "dispute"
OPEN, CLOSED = "open", "closed"


def case_key(gateway, kind, case_id):
    return f"{gateway}:{kind}:{case_id}"


class CaseToldOtherwise(Exception):
    """An event names another payment or currency than its case was told of first: nothing recorded."""

    def __init__(self, case):
        super().__init__(case["_id"])
        self.case = case


class GatewayCases:
    def __init__(self, db, clock=utcnow):
        self.collection = db["gateway_cases"]
        self.clock = clock

    def record(self, gateway, kind, event, closes):
        """Add the event's action (with its amount) to its case, creating the case; the case after.
        `closes`: the action ends the case (a refund processed or failed, a dispute won or lost)."""
        now = self.clock()
        # What an event tells of the case's payment and currency is kept once told (an early event
        # may not say: PayPal's CUSTOMER.DISPUTE.UPDATED can come first, without the disputed
        # transaction), for good: an event telling another matches no case, and its upsert collides
        # with the case's `_id` (CaseToldOtherwise).
        told = {
            name: value
            for name, value in (("gateway_payment_id", event.gateway_payment_id), ("currency", event.currency))
            if value is not None
        }
        update = {
            "$setOnInsert": {
                "gateway": gateway,
                "kind": kind,
                "case_id": event.case_id,
                "created_at": now,
                "waiting": True,
            },
            "$addToSet": {
                "actions": {"action": event.action, "amount_minor": event.amount_minor, "currency": event.currency}
            },
            "$set": {"updated_at": now, **told},
        }
        if closes:
            update["$set"]["status"] = CLOSED
        else:
            update["$setOnInsert"]["status"] = OPEN
        match = {"_id": case_key(gateway, kind, event.case_id)}
        match.update({name: {"$in": [value, None]} for name, value in told.items()})
        try:
            return self.collection.find_one_and_update(match, update, upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:  # a case told otherwise, or one made by another event at the same instant
            case = self.collection.find_one_and_update(match, update, return_document=ReturnDocument.AFTER)
            if case is None:
                raise CaseToldOtherwise(self.get(match["_id"])) from None
            return case

    def told_otherwise(self, case_id, said):
        """Keep `said` (what an event at odds with the case told) on the case, once."""
        self.collection.update_one({"_id": case_id}, {"$addToSet": {"told_otherwise": said}})

    def waiting_for(self, gateways, gateway_payment_id):
        """The cases of a payment still waiting for its credit, recorded by any of `gateways`."""
        return list(
            self.collection.find(
                {"gateway": gateway_filter(gateways), "gateway_payment_id": gateway_payment_id, "waiting": True}
            )
        )

    def applied(self, case, customer_id):
        """The case's payment credited `customer_id`'s wallet, and what the case asks of it is done (so far):
        True; False, nothing written, when an action was added since `case` was read (a webhook recorded
        it while the case was applied from an older read): the case as it is now is to be applied."""
        done = self.collection.update_one(  # an action added grows `actions`; a repeated one does not
            {"_id": case["_id"], "actions": {"$size": len(case["actions"])}},
            {"$set": {"waiting": False, "customer_id": customer_id}},
        )
        return done.matched_count == 1

    def applied_of(self, case_ids):
        """The ids among `case_ids` of cases applied to a wallet (no longer waiting for a credit)."""
        if not case_ids:
            return set()
        return {case["_id"] for case in self.collection.find({"_id": {"$in": case_ids}, "waiting": False}, ["_id"])}

    def get(self, case_id):
        return self.collection.find_one({"_id": case_id})

    def disputed(self, gateway_payment_ids):
        """The ids among `gateway_payment_ids` of payments with a dispute still open."""
        if not gateway_payment_ids:
            return set()
        found = self.collection.find(
            {"gateway_payment_id": {"$in": sorted(set(gateway_payment_ids))}, "kind": DISPUTE_CASE, "status": OPEN},
            projection=["gateway_payment_id"],
        )
        return {case["gateway_payment_id"] for case in found}

    def count_open_disputes(self):
        return self.collection.count_documents({"kind": DISPUTE_CASE, "status": OPEN})
