"""Withdrawals (`withdrawals`): money refunded to the payment methods of a customer's own top-ups.

One document per withdrawal: who, how much, and its plan (`parts`: which top-up's payment gives back
how much). `stage` says how far its request got: `holding` until the amount is held in the wallet and
every part asked of its gateway (`asked`), or `refused` when the hold did not fit. A request that
died mid-way leaves it `holding` past its lease, and the worker takes it up (`due`). How each part
ended is its `gateway_refunds` record's (`backend/gateway_refunds.py`)."""

import datetime

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from .clock import utcnow

HOLDING, ASKED, REFUSED = "holding", "asked", "refused"
LEASE_SECONDS = 30


class WithdrawalBook:
    def __init__(self, db, clock=utcnow):
        self.collection = db["withdrawals"]
        self.clock = clock

    def create(self, withdrawal_id, customer_id, currency, amount_minor, parts):
        """Record a withdrawal leased to this request; (document, created): an existing one is returned."""
        now = self.clock()
        document = {
            "_id": withdrawal_id,
            "customer_id": customer_id,
            "currency": currency,
            "amount_minor": amount_minor,
            "parts": parts,
            "stage": HOLDING,
            "created_at": now,
            "lease_until": now + datetime.timedelta(seconds=LEASE_SECONDS),
        }
        try:
            self.collection.insert_one(document)
        except DuplicateKeyError:
            return self.collection.find_one({"_id": withdrawal_id}), False
        return document, True

    def get(self, withdrawal_id):
        return self.collection.find_one({"_id": withdrawal_id})

    def holding(self, customer_id, currency):
        """The customer's withdrawals in `currency` still `holding` (being carried out, or left by a
        request that died: the worker carries them on)."""
        return list(self.collection.find({"stage": HOLDING, "customer_id": customer_id, "currency": currency}))

    def advance(self, withdrawal_id, stage):
        self.collection.update_one({"_id": withdrawal_id, "stage": HOLDING}, {"$set": {"stage": stage}})

    def due(self, limit):
        """Withdrawals whose request died before they were asked (lease past), oldest first."""
        return list(
            self.collection.find(
                {"stage": HOLDING, "lease_until": {"$lte": self.clock()}}, sort=[("lease_until", 1)], limit=limit
            )
        )

    def claim(self, withdrawal_id):
        """Lease a withdrawal still `holding` with its lease past to this run; the document, or None."""
        now = self.clock()
        return self.collection.find_one_and_update(
            {"_id": withdrawal_id, "stage": HOLDING, "lease_until": {"$lte": now}},
            {"$set": {"lease_until": now + datetime.timedelta(seconds=LEASE_SECONDS)}},
            return_document=ReturnDocument.AFTER,
        )
