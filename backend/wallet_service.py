"""The wallet ledger: one wallet per (customer, currency), immutable ledger entries.

The ledger is the truth and the wallet document is its running total. Each entry takes the
wallet's next `sequence` and carries the balance after it, computed from the wallet as read; one
insert decides it, because two unique indexes stand behind that insert:
- `(wallet_id, idempotency_key)`: a movement happens once (a repeat finds the same entry);
- `(wallet_id, sequence)`: one entry per place in the wallet's history, so an entry computed from a
  stale balance collides with the one that took its place, and the writer reads again.
Then the wallet is rolled forward to the entry (a compare-and-set on `version`, which is the
sequence of the last entry it holds), so a debit never takes a balance below zero and no update is
lost, without transactions: the same code is right on a standalone MongoDB, a replica set and the
embedded store. A crash between the insert and the roll leaves the wallet one entry behind; the
next movement on the wallet (whose insert collides with that entry), the status read and recovery
all roll it forward the same way. docs/ledger.md has the whole protocol.
"""
import random
import time

from pymongo.errors import DuplicateKeyError, PyMongoError

from .clock import new_id, utcnow
from .errors import InsufficientFunds, OperationPending, StoreUnavailable

APPEND_ATTEMPTS_MAX = 200
CREDIT, DEBIT = "credit", "debit"
RECENT_ENTRIES_MAX = 20
FINISH_BATCH_MAX = 100
FINALIZE_CHUNK = 10
OPERATION_ENTRIES_MAX = 10  # entries one request's key may have made (a key reused a day later: another)


def wallet_id(customer_id, currency):
    return f"{customer_id}:{currency}"


def signed_minor(entry):
    return entry["amount_minor"] if entry["type"] == CREDIT else -entry["amount_minor"]


class WalletService:
    """Balances and ledger entries; every method takes and returns integer minor units."""

    def __init__(self, db, clock=utcnow):
        self.wallets = db["wallets"]
        self.entries = db["ledger_entries"]
        self.clock = clock

    # --- reads -------------------------------------------------------------------------------
    def get_wallet(self, customer_id, currency):
        """The wallet document, or an empty zero-balance one for a customer who never paid in. It
        may be one entry behind its ledger after a crash (see `current`)."""
        wallet = self.wallets.find_one({"_id": wallet_id(customer_id, currency)})
        return wallet or self._new_wallet(customer_id, currency)

    def entry_for_key(self, customer_id, currency, key):
        """The entry of the wallet holding idempotency key `key`, or None."""
        return self.entries.find_one({"wallet_id": wallet_id(customer_id, currency), "idempotency_key": key})

    def entry_for_operation(self, customer_id, currency, operation_id, order_id):
        """The payment of `order_id` made by the request `operation_id` (an Idempotency-Key, hashed), or None."""
        made = self.entries.find({"wallet_id": wallet_id(customer_id, currency), "operation_id": operation_id},
                                 limit=OPERATION_ENTRIES_MAX)
        return next((e for e in made if e["kind"] == "payment" and e["reference"].get("order_id") == order_id), None)

    def recent_entries(self, customer_id, currency, limit=RECENT_ENTRIES_MAX):
        """The wallet's entries, newest first."""
        return self.entries_page(customer_id, currency, min(limit, RECENT_ENTRIES_MAX))

    def entries_page(self, customer_id, currency, limit, before_sequence=None):
        """Up to `limit` entries of the wallet, newest first, older than `before_sequence` when given
        (the cursor of a history page: the last page's smallest `sequence`)."""
        query = {"wallet_id": wallet_id(customer_id, currency)}
        if before_sequence is not None:
            query["sequence"] = {"$lt": before_sequence}
        return list(self.entries.find(query, sort=[("sequence", -1)], limit=limit))

    @staticmethod
    def current(wallet, newest_entries):
        """The wallet as its ledger has it: `wallet` with the entries of `newest_entries` (newest first,
        as `recent_entries` returns them) that it does not hold yet added in (an entry inserted by a
        request that has not rolled the wallet forward yet, or was interrupted)."""
        ahead = [e for e in newest_entries if e["sequence"] > wallet["version"]]
        if not ahead:
            return wallet
        totals = dict(wallet.get("totals", {}))
        for entry in ahead:
            totals[f"{entry['kind']}_minor"] = totals.get(f"{entry['kind']}_minor", 0) + entry["amount_minor"]
            totals[f"{entry['kind']}_count"] = totals.get(f"{entry['kind']}_count", 0) + 1
        return dict(wallet, balance_minor=ahead[0]["balance_after_minor"], version=ahead[0]["sequence"],
                    totals=totals)

    # --- writes ------------------------------------------------------------------------------
    def credit(self, customer_id, currency, amount_minor, kind, key, reference, slot=None):
        """Credit once per `key`; returns (entry, created). `slot`: see `append`."""
        return self.append(self.draft(customer_id, currency, amount_minor, CREDIT, kind, key, reference), slot)

    def debit(self, customer_id, currency, amount_minor, kind, key, reference, operation_id=None):
        """Debit once per `key`, never below zero; returns (entry, created). `operation_id` (the
        request's Idempotency-Key, hashed) lets a retry of the same request recognise its entry."""
        draft = self.draft(customer_id, currency, amount_minor, DEBIT, kind, key, reference)
        if operation_id is not None:
            draft["operation_id"] = operation_id
        return self.append(draft)

    def draft(self, customer_id, currency, amount_minor, direction, kind, key, reference):
        """An entry before its place in the wallet's history is known."""
        assert isinstance(amount_minor, int) and amount_minor > 0
        now = self.clock()
        return {
            "idempotency_key": key,
            "wallet_id": wallet_id(customer_id, currency),
            "customer_id": customer_id,
            "currency": currency,
            "type": direction,
            "kind": kind,
            "amount_minor": amount_minor,
            "reference": reference,
            "status": "applied",
            "finalized": False,
            "created_at": now,
            "applied_at": now,
        }

    def append(self, draft, slot=None):
        """Insert `draft` as the wallet's next entry and roll the wallet forward to it; returns
        (entry, created), where `created` is False when an entry already held its key (returned as
        it is, its wallet rolled forward).

        `slot`, when given, claims a second place with the same insert (a refund's place among its
        order's refunds): `slot.fields(draft)` gives its fields or raises, `slot.catch_up()` rolls
        its owner forward after a collision, `slot.roll(entry)` after the insert.

        Raises InsufficientFunds (nothing written) for a debit the balance does not cover,
        StoreUnavailable (nothing written) when the wallet stays too contended, OperationPending
        when the entry is in but the wallet could not be rolled forward (recovery finishes it)."""
        wid = draft["wallet_id"]
        for attempt in range(APPEND_ATTEMPTS_MAX):
            wallet = self.wallets.find_one({"_id": wid}) or {"version": 0, "balance_minor": 0}
            balance_after_minor = wallet["balance_minor"] + signed_minor(draft)
            if balance_after_minor < 0:
                existing = self._shortfall(draft, wallet["version"])
                if existing is not None:
                    return existing, False
                continue  # the wallet was one entry behind: rolled forward, read again
            entry = dict(draft, _id=new_id("txn", 20), sequence=wallet["version"] + 1,
                         balance_after_minor=balance_after_minor, **(slot.fields(draft) if slot else {}))
            try:
                self.entries.insert_one(entry)
            except DuplicateKeyError:
                existing = self._entry_for(draft)
                if existing is not None:
                    self._roll_after_insert(existing, slot)
                    return existing, False
                self.catch_up(wid)  # another entry took this place: roll the wallet to it, read again
                if slot:
                    slot.catch_up()
                time.sleep(random.uniform(0, 0.002 * min(attempt, 10)))
                continue
            self._roll_after_insert(entry, slot)
            return entry, True
        raise StoreUnavailable(f"The wallet is busy; nothing was {'credited' if draft['type'] == CREDIT else 'debited'}. "
                               f"Try again.")

    def _shortfall(self, draft, version):
        """A debit the read balance does not cover: the entry already holding its key (an interrupted
        or repeated debit), None after rolling forward a wallet that was behind, else InsufficientFunds."""
        existing = self._entry_for(draft)
        if existing is not None:
            self._roll_after_insert(existing, None)
            return existing
        if self.catch_up(draft["wallet_id"]) == version:
            raise InsufficientFunds()
        return None

    def _entry_for(self, draft):
        return self.entries.find_one({"wallet_id": draft["wallet_id"], "idempotency_key": draft["idempotency_key"]})

    def _roll_after_insert(self, entry, slot):
        try:
            self.roll(entry)
            if slot:
                slot.roll(entry)
        except PyMongoError:
            raise OperationPending(entry["_id"]) from None

    def roll(self, entry):
        """Roll the wallet forward to `entry`, the one after its last (a no-op when it holds it)."""
        sequence = entry["sequence"]
        update = {"$set": {"balance_minor": entry["balance_after_minor"], "version": sequence,
                           "updated_at": self.clock()},
                  "$inc": {f"totals.{entry['kind']}_minor": entry["amount_minor"],
                           f"totals.{entry['kind']}_count": 1}}
        if sequence > 1:
            self.wallets.update_one({"_id": entry["wallet_id"], "version": sequence - 1}, update)
            return
        update["$setOnInsert"] = {"customer_id": entry["customer_id"], "currency": entry["currency"],
                                  "created_at": self.clock()}
        try:
            self.wallets.update_one({"_id": entry["wallet_id"], "version": 0}, update, upsert=True)
        except DuplicateKeyError:
            pass  # the wallet exists past version 0: it holds this entry already

    def settle(self, entry, outcome):
        """Record on the payment `entry` what it did to its order: `paid` it, or was `given_back`."""
        if entry.get("settled") != outcome:
            self.entries.update_one({"_id": entry["_id"]}, {"$set": {"settled": outcome}})
            entry["settled"] = outcome

    def catch_up(self, wid):
        """Roll the wallet `wid` forward over the entries it does not hold yet; its version after."""
        wallet = self.wallets.find_one({"_id": wid})
        version = wallet["version"] if wallet else 0
        for entry in self.entries.find({"wallet_id": wid, "sequence": {"$gt": version}}, sort=[("sequence", 1)]):
            self.roll(entry)
            version = entry["sequence"]
        return version

    def _new_wallet(self, customer_id, currency):
        return {
            "_id": wallet_id(customer_id, currency),
            "customer_id": customer_id,
            "currency": currency,
            "balance_minor": 0,
            "version": 0,
            "totals": {},
            "created_at": self.clock(),
        }

    # --- recovery and reconciliation ---------------------------------------------------------
    def unfinalized(self, limit=FINISH_BATCH_MAX):
        """Entries whose follow-up writes (order, payment order, outbox) are not known done, oldest first."""
        return list(self.entries.find({"finalized": False}, sort=[("created_at", 1)], limit=limit))

    def catch_up_wallets(self, entries):
        """Roll forward every wallet of `entries` that does not hold its entries yet."""
        newest = {}
        for entry in entries:
            newest[entry["wallet_id"]] = max(newest.get(entry["wallet_id"], 0), entry["sequence"])
        held = {w["_id"]: w["version"] for w in self.wallets.find({"_id": {"$in": sorted(newest)}})}
        for wid, sequence in newest.items():
            if held.get(wid, 0) < sequence:
                self.catch_up(wid)

    def mark_finalized(self, entry_ids):
        entry_ids = list(entry_ids)
        # In chunks: the embedded store checks every unique index against the whole ledger for each
        # document an update touches, under its one lock, so one update of 100 entries would hold
        # every request up for a second at a few thousand entries; ten at a time lets them through.
        for start in range(0, len(entry_ids), FINALIZE_CHUNK):
            self.entries.update_many({"_id": {"$in": entry_ids[start:start + FINALIZE_CHUNK]}},
                                     {"$set": {"finalized": True}})

    def refunds_of_order(self, wid, order_id, life, after_refund_seq=0):
        """The refund entries of the order's life `life` past `after_refund_seq`, in order."""
        return list(self.entries.find(
            {"wallet_id": wid, "reference.order_id": order_id, "reference.order_life": life, "kind": "refund",
             "refund_seq": {"$gt": after_refund_seq}},
            sort=[("refund_seq", 1)]))

    def refunds_through(self, wid, order_id, life, refund_seq):
        """Minor units of the refunds of the order's life `life` in wallet `wid` numbered up to `refund_seq`."""
        return sum(e["amount_minor"] for e in self.entries.find(
            {"wallet_id": wid, "reference.order_id": order_id, "reference.order_life": life, "kind": "refund",
             "refund_seq": {"$lte": refund_seq}}))

    def refunds_by_order(self):
        """Order id -> [{wallet_id, life, refunded_minor, paid_minor}] over every refund entry: what each
        life of the order had refunded, in which wallet, and what its payment took."""
        rows = self.entries.aggregate([
            {"$match": {"kind": "refund"}},
            {"$group": {"_id": {"order_id": "$reference.order_id", "wallet_id": "$wallet_id",
                                "life": "$reference.order_life"},
                        "total": {"$sum": "$amount_minor"}, "paid": {"$max": "$order_paid_minor"}}},
        ])
        by_order = {}
        for row in rows:
            by_order.setdefault(row["_id"]["order_id"], []).append(
                {"wallet_id": row["_id"]["wallet_id"], "life": row["_id"].get("life"),
                 "refunded_minor": row["total"], "paid_minor": row["paid"]})
        return by_order

    def reconcile(self):
        """Wallets whose balance differs from credits minus debits of the entries they hold, or is < 0.
        The whole ledger is summed in one aggregation first; a wallet that differs from its sum is a
        candidate, checked again on a fresh read of the wallet against its entries up to its version
        (entries never change, so that is consistent). So entries past a wallet's version (inserted,
        not yet rolled in) are in flight, not drift, as is a movement landing between the sum and the
        wallet read; so is the first entry of a wallet not created yet."""
        sums = self._sums()
        drifted = []
        for wallet in self.wallets.find({}):
            if sums.get(wallet["_id"], 0) != wallet["balance_minor"] or wallet["balance_minor"] < 0:
                drift = self._wallet_drift(wallet["_id"])
                if drift is not None:
                    drifted.append(drift)
        return drifted

    def reconcile_customer(self, customer_id):
        """`reconcile` for one customer's wallets, each checked directly (no whole-ledger sum)."""
        wallets = self.wallets.find({"customer_id": customer_id}, sort=[("currency", 1)])
        return [drift for drift in (self._wallet_drift(w["_id"]) for w in wallets) if drift is not None]

    def _wallet_drift(self, wid):
        wallet = self.wallets.find_one({"_id": wid})
        total_minor = sum(signed_minor(e) for e in self.entries.find(
            {"wallet_id": wid, "sequence": {"$lte": wallet["version"]}}))
        if total_minor == wallet["balance_minor"] and wallet["balance_minor"] >= 0:
            return None
        return {"wallet_id": wid, "balance_minor": wallet["balance_minor"], "ledger_minor": total_minor}

    def _sums(self):
        """wallet id -> credits minus debits of all its entries, in one aggregation."""
        sums = {}
        rows = self.entries.aggregate([
            {"$group": {"_id": {"wallet_id": "$wallet_id", "type": "$type"}, "total": {"$sum": "$amount_minor"}}},
        ])
        for row in rows:
            sign = 1 if row["_id"]["type"] == CREDIT else -1
            sums[row["_id"]["wallet_id"]] = sums.get(row["_id"]["wallet_id"], 0) + sign * row["total"]
        return sums
