"""The wallet ledger: one wallet per (customer, currency), immutable ledger entries.

Every money movement is a ledger entry keyed by a unique `idempotency_key` and applied in steps
that are each a single-document atomic write, so the ledger stays right without transactions
(standalone MongoDB, replica set or the embedded store alike):

1. insert the entry as `pending` (the unique key makes a repeat find the same entry);
2. decide it on the wallet with one compare-and-set on the wallet's `version`: the new balance
   (never below zero), the running totals and a `pending` record {id, outcome, balance_after}
   are written together, so an entry is applied at most once and no update is lost;
3. copy the decision onto the entry (`applied`, or delete it when rejected for lack of funds);
4. drop the record from the wallet's `pending` list.

A crash between any two steps leaves enough behind for `settle` (called again by a retry or by
recovery) to finish the same entry the same way.
"""
import random
import time

from pymongo.errors import DuplicateKeyError

from .clock import new_id, utcnow
from .errors import InsufficientFunds, OperationPending, StoreUnavailable

CAS_ATTEMPTS_MAX = 200
VOID_ATTEMPTS_MAX = 50
BUSY = object()  # a wallet too contended to decide within the attempts
CREDIT, DEBIT = "credit", "debit"
RECENT_ENTRIES_MAX = 20


def wallet_id(customer_id, currency):
    return f"{customer_id}:{currency}"


class WalletService:
    """Balances and ledger entries; every method takes and returns integer minor units."""

    def __init__(self, db, clock=utcnow):
        self.wallets = db["wallets"]
        self.entries = db["ledger_entries"]
        self.clock = clock

    # --- reads -------------------------------------------------------------------------------
    def get_wallet(self, customer_id, currency):
        """The wallet document, or an empty zero-balance one for a customer who never paid in."""
        wallet = self.wallets.find_one({"_id": wallet_id(customer_id, currency)})
        return wallet or self._new_wallet(customer_id, currency)

    def entry_for_key(self, key):
        """The entry holding idempotency key `key`, or None."""
        return self.entries.find_one({"idempotency_key": key})

    def recent_entries(self, customer_id, currency, limit=RECENT_ENTRIES_MAX):
        """Applied entries of the wallet, newest first."""
        return list(
            self.entries.find(
                {"wallet_id": wallet_id(customer_id, currency), "status": "applied"},
                sort=[("sequence", -1)],
                limit=min(limit, RECENT_ENTRIES_MAX),
            )
        )

    def entries_page(self, customer_id, currency, limit, before_sequence=None):
        """Up to `limit` applied entries of the wallet, newest first, older than `before_sequence`
        when given (the cursor of a history page: the last page's smallest `sequence`)."""
        query = {"wallet_id": wallet_id(customer_id, currency), "status": "applied"}
        if before_sequence is not None:
            query["sequence"] = {"$lt": before_sequence}
        return list(self.entries.find(query, sort=[("sequence", -1)], limit=limit))

    # --- writes ------------------------------------------------------------------------------
    def credit(self, customer_id, currency, amount_minor, kind, key, reference):
        """Credit once per `key`; returns (entry, created)."""
        entry, created = self.open_entry(customer_id, currency, amount_minor, CREDIT, kind, key, reference)
        return self.settle_or_pending(entry), created

    def debit(self, customer_id, currency, amount_minor, kind, key, reference, operation_id=None):
        """Debit once per `key`, never below zero; returns (entry, created)."""
        # Refuse a plain shortfall before writing anything (unless an entry already holds `key`: an
        # interrupted debit, possibly applied already); a shortfall that appears only under a race
        # is refused by the wallet's compare-and-set below. The balance is read first, so a debit
        # that fits costs no look-up of the key.
        if self.get_wallet(customer_id, currency)["balance_minor"] < amount_minor:
            if self.entry_for_key(key) is None:
                raise InsufficientFunds()
        entry, created = self.open_entry(customer_id, currency, amount_minor, DEBIT, kind, key, reference,
                                         operation_id)
        settled = self._decide_until(entry, CAS_ATTEMPTS_MAX)
        if settled is BUSY:  # answer only once the debit is applied or void, or say it is pending
            settled = self._decide_until(entry, VOID_ATTEMPTS_MAX, void=True)
            if settled is None:
                raise StoreUnavailable("The wallet is busy; nothing was debited. Try again.")
            if settled is BUSY:
                raise OperationPending(entry["_id"])
        if settled is None:
            raise InsufficientFunds()
        return settled, created

    def open_entry(self, customer_id, currency, amount_minor, direction, kind, key, reference, operation_id=None):
        """Step 1: insert a pending entry, or return the one already holding `key`. `operation_id`
        (the request's Idempotency-Key, hashed) lets a retry of the same request recognise it."""
        assert isinstance(amount_minor, int) and amount_minor > 0
        entry = {
            "_id": new_id("txn", 20),
            "idempotency_key": key,
            "wallet_id": wallet_id(customer_id, currency),
            "customer_id": customer_id,
            "currency": currency,
            "type": direction,
            "kind": kind,
            "amount_minor": amount_minor,
            "reference": reference,
            "status": "pending",
            "finalized": False,
            "created_at": self.clock(),
        }
        if operation_id is not None:
            entry["operation_id"] = operation_id
        for _ in range(3):
            try:
                self.entries.insert_one(entry)
                return entry, True
            except DuplicateKeyError:
                existing = self.entry_for_key(key)
                if existing is not None:
                    return existing, False
        raise StoreUnavailable("The ledger is busy; try again.")

    def settle(self, entry):
        """Steps 2-4: apply or reject `entry`; the applied entry, or None when rejected."""
        settled = self._decide_until(entry, CAS_ATTEMPTS_MAX)
        if settled is BUSY:
            raise StoreUnavailable("The wallet is busy; try again.")
        return settled

    def settle_or_pending(self, entry):
        """`settle`, or `OperationPending` when the wallet stays too busy (a credit is never voided:
        the money arrived; a retry or recovery applies it)."""
        settled = self._decide_until(entry, CAS_ATTEMPTS_MAX)
        if settled is BUSY:
            raise OperationPending(entry["_id"])
        return settled

    def void_undecided(self, entry):
        """Reject `entry` unless it is decided already, so that nothing applies it later: True when
        it is void (or gone), False when it was applied, None when the wallet stayed too busy."""
        settled = self._decide_until(entry, VOID_ATTEMPTS_MAX, void=True)
        return None if settled is BUSY else settled is None

    def _decide_until(self, entry, attempts, void=False):
        """The applied entry, None when rejected (or voided), or BUSY after `attempts` lost races."""
        for attempt in range(attempts):
            wallet = self._load_or_create(entry)
            # Read the entry after the wallet: if it is still pending now, any decision taken
            # before the wallet read is in `wallet.pending`, and any later one changes `version`.
            current = self.entries.find_one({"_id": entry["_id"]})
            if current is None or current["status"] == "applied":
                assert current is None or "balance_after_minor" in current, current["_id"]
                return current
            decision = next((p for p in wallet.get("pending", []) if p["id"] == entry["_id"]), None)
            decision = decision or self._decide(wallet, current, void)
            if decision is not None:
                return self.finish(current, decision)
            time.sleep(random.uniform(0, 0.002 * min(attempt, 10)))
        return BUSY

    def _decide(self, wallet, entry, void=False):
        """One compare-and-set on the wallet deciding `entry`: applied, or rejected (no funds, or `void`)."""
        amount_minor = entry["amount_minor"]
        signed_minor = amount_minor if entry["type"] == CREDIT else -amount_minor
        balance_after_minor = wallet["balance_minor"] + signed_minor
        version = wallet["version"] + 1
        decision = {"id": entry["_id"], "sequence": version, "balance_after_minor": balance_after_minor}
        update = {"$set": {"version": version, "updated_at": self.clock()}}
        query = {"_id": wallet["_id"], "version": wallet["version"]}
        if balance_after_minor >= 0 and not void:
            decision["outcome"] = "applied"
            update["$set"]["balance_minor"] = balance_after_minor
            update["$inc"] = {f"totals.{entry['kind']}_minor": amount_minor, f"totals.{entry['kind']}_count": 1}
            if entry["type"] == DEBIT:
                query["balance_minor"] = {"$gte": amount_minor}
        else:
            decision["outcome"] = "rejected"
            decision["balance_after_minor"] = wallet["balance_minor"]
        update["$push"] = {"pending": decision}
        won = self.wallets.update_one(query, update).modified_count == 1
        return decision if won else None

    def finish(self, entry, decision):
        """Copy a wallet decision onto its entry, then drop it from the wallet (idempotent)."""
        applied = None
        if decision["outcome"] == "applied":
            assert decision["balance_after_minor"] >= 0, decision  # no decision takes a balance below zero
            fields = {
                "status": "applied",
                "balance_after_minor": decision["balance_after_minor"],
                "sequence": decision["sequence"],
                "applied_at": self.clock(),
            }
            self.entries.update_one({"_id": entry["_id"], "status": "pending"}, {"$set": fields})
            applied = dict(entry, **fields)  # the same decision whoever wrote it first
        else:
            self.entries.delete_one({"_id": entry["_id"], "status": "pending"})
        self.wallets.update_one({"_id": entry["wallet_id"]}, {"$pull": {"pending": {"id": entry["_id"]}}})
        return applied

    def mark_finalized(self, entry_id):
        self.entries.update_one({"_id": entry_id}, {"$set": {"finalized": True}})

    def void(self, entry):
        """Drop a pending entry that will never be applied (a refund that did not fit)."""
        self.entries.delete_one({"_id": entry["_id"], "status": "pending"})

    def _load_or_create(self, entry):
        wallet = self.wallets.find_one({"_id": entry["wallet_id"]})
        if wallet is None:
            try:
                self.wallets.insert_one(self._new_wallet(entry["customer_id"], entry["currency"]))
            except DuplicateKeyError:
                pass
            wallet = self.wallets.find_one({"_id": entry["wallet_id"]})
        return wallet

    def _new_wallet(self, customer_id, currency):
        return {
            "_id": wallet_id(customer_id, currency),
            "customer_id": customer_id,
            "currency": currency,
            "balance_minor": 0,
            "version": 0,
            "pending": [],
            "totals": {},
            "created_at": self.clock(),
        }

    # --- recovery and reconciliation ---------------------------------------------------------
    def stale_pending(self, cutoff):
        """Pending entries created at or before `cutoff`: operations interrupted between two writes."""
        return self.entries.find({"status": "pending", "created_at": {"$lte": cutoff}})

    def unfinalized(self):
        """Applied entries whose follow-up writes (order, payment order, outbox) may not have run."""
        return self.entries.find({"status": "applied", "finalized": False})

    def applied_refunds_by_order(self):
        """Order id -> minor units refunded to wallets by applied refund entries, in one aggregation."""
        rows = self.entries.aggregate([
            {"$match": {"kind": "refund", "status": "applied"}},
            {"$group": {"_id": "$reference.order_id", "total": {"$sum": "$amount_minor"}}},
        ])
        return {row["_id"]: row["total"] for row in rows}

    def finish_wallet_decisions(self):
        """Finish every decision left in a wallet's `pending` list (after a crash)."""
        finished = 0
        for wallet in self.wallets.find({"pending.0": {"$exists": True}}):
            for decision in wallet["pending"]:
                entry = self.entries.find_one({"_id": decision["id"]}) or {
                    "_id": decision["id"],
                    "wallet_id": wallet["_id"],
                }
                self.finish(entry, decision)
                finished += 1
        return finished

    def reconcile(self):
        """Wallets whose balance differs from credits minus debits of their ledger, or is < 0."""
        ledger_minor = self._applied_sums()
        drifted = []
        for wallet in self.wallets.find({}):
            expected_minor = ledger_minor.get(wallet["_id"], 0) + self._in_flight_minor(wallet)
            if expected_minor != wallet["balance_minor"] or wallet["balance_minor"] < 0:
                drifted.append({"wallet_id": wallet["_id"], "balance_minor": wallet["balance_minor"],
                                "ledger_minor": expected_minor})
        return drifted

    def _applied_sums(self):
        """Credits minus debits of every wallet's applied entries, in one aggregation."""
        sums = {}
        rows = self.entries.aggregate([
            {"$match": {"status": "applied"}},
            {"$group": {"_id": {"wallet_id": "$wallet_id", "type": "$type"}, "total": {"$sum": "$amount_minor"}}},
        ])
        for row in rows:
            sign = 1 if row["_id"]["type"] == CREDIT else -1
            wallet = row["_id"]["wallet_id"]
            sums[wallet] = sums.get(wallet, 0) + sign * row["total"]
        return sums

    def _in_flight_minor(self, wallet):
        """Decisions already in the balance whose entries are not yet marked applied."""
        in_flight_minor = 0
        for decision in wallet.get("pending", []):
            entry = self.entries.find_one({"_id": decision["id"], "status": "pending"})
            if decision["outcome"] == "applied" and entry is not None:
                in_flight_minor += entry["amount_minor"] if entry["type"] == CREDIT else -entry["amount_minor"]
        return in_flight_minor
