"""What a wallet payment did to its order, decided once on the payment's own ledger entry
(`settled`: paid | given_back), by one settler at a time.

The request that inserted the debit settles it. Anyone else (the worker, recovery, a retry, a
concurrent request) first claims it, which succeeds only once that request has let it go (it
answered `operation_pending`), or `grace_seconds` after it (or the last claimer) started without a
decision (it died): so two settlers never decide one debit at once while a settler decides within
the grace (three writes; the worker's grace is 30 s, recovery's RECOVERY_GRACE_SECONDS). Once
decided, never decided again: a debit given back can never pay its order, even one the shop
re-issued with no trace of the wallet's life (docs/ledger.md, "Lives of an order")."""

import datetime

from pymongo import ReturnDocument
from pymongo.errors import PyMongoError

from .clock import utcnow
from .records import LedgerEntry

RELEASED = datetime.datetime(1970, 1, 1)


class PaymentSettlements:
    def __init__(self, db, clock=utcnow):
        self.entries = db["ledger_entries"]
        self.clock = clock

    def claim(self, entry: LedgerEntry, grace_seconds: float) -> LedgerEntry | None:
        """The undecided payment `entry` (as it is now), claimed by this settler, or None while its
        request, or another claimer, started on it less than `grace_seconds` ago, or once decided."""
        now = self.clock()
        started_before = now - datetime.timedelta(seconds=grace_seconds)
        unattended = {
            "$or": [
                {"settling_since": {"$lte": started_before}},
                {"settling_since": None, "created_at": {"$lte": started_before}},
            ]
        }
        claimed = self.entries.find_one_and_update(
            {"_id": entry["_id"], "settled": None, **unattended},
            {"$set": {"settling_since": now}},
            return_document=ReturnDocument.AFTER,
        )
        return claimed  # type: ignore[no-any-return]

    def release(self, entry_id: str) -> None:
        """Let the next settler claim the undecided payment at once (its request answers
        `operation_pending`; best effort: the store may be what failed)."""
        try:
            self.entries.update_one({"_id": entry_id, "settled": None}, {"$set": {"settling_since": RELEASED}})
        except PyMongoError:
            pass

    def record(self, entry: LedgerEntry, outcome: str) -> str:
        """Record the settler's decision (never a second one: a decided payment stays decided); the
        decision that stands, on `entry` too: another settler's, when it recorded one first."""
        if entry.get("settled") is None:
            decided = self.entries.update_one({"_id": entry["_id"], "settled": None}, {"$set": {"settled": outcome}})
            entry["settled"] = outcome if decided.matched_count else (self.outcome(entry["_id"]) or outcome)
        return entry["settled"]

    def outcome(self, entry_id: str) -> str | None:
        """The payment's decision as recorded now, or None while undecided."""
        found = self.entries.find_one({"_id": entry_id}, {"settled": 1})
        return None if found is None else found.get("settled")
