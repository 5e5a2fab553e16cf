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
from .errors import InsufficientFunds, IntegrationError, OperationPending, StoreUnavailable
from .records import CREDIT, DEBIT, LedgerEntry, with_operation
from .wallet_figures import EMPTY_WALLET, balance_delta, figures_after, plan_debt_repayment
from .wallet_holds import repayment_draft

APPEND_ATTEMPTS_MAX = 200
FINISH_BATCH_MAX = 100
FINALIZE_CHUNK = 10
OPERATION_ENTRIES_MAX = 10  # entries one request's key may have made (a key reused a day later: another)


def wallet_id(customer_id, currency):
    return f"{customer_id}:{currency}"


def signed_minor(entry: LedgerEntry) -> int:
    """What the entry did to the balance (a MEMO entry: nothing)."""
    return int(balance_delta(entry))


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

    def entries_made_by(self, operation_id):
        """The entries made by the request `operation_id` (an Idempotency-Key, hashed), in any wallet:
        the order it was about may name another since (re-issued to another customer)."""
        return list(self.entries.find({"operation_id": operation_id}, limit=OPERATION_ENTRIES_MAX))

    # --- writes ------------------------------------------------------------------------------
    def credit(self, customer_id, currency, amount_minor, kind, key, reference, slot=None, wallet=None, operation=None):
        """Credit once per `key`; returns (entry, created). `slot`, `wallet`: see `append`; `operation`:
        see `debit`. A wallet in debt pays it from the credit at once (its follow-up repays it after a crash)."""
        draft = self.draft(customer_id, currency, amount_minor, CREDIT, kind, key, reference)
        entry, created = self.append(with_operation(draft, operation), slot, wallet=wallet)
        if entry.get("debt_after_minor"):
            try:
                self.append(repayment_draft(self, entry), plan=plan_debt_repayment)
            except (PyMongoError, StoreUnavailable, OperationPending):
                pass  # the credit's follow-up repays it (backend/flows/followups.py)
        return entry, created

    def debit(self, customer_id, currency, amount_minor, kind, key, reference, operation=None, wallet=None):
        """Debit once per `key`, never below zero; returns (entry, created). `operation`: the
        request's Idempotency-Key, hashed (`operation_id`, which lets a retry of the same request
        recognise its entry), and its body's fingerprint (or None), as a pair. `wallet`: see `append`."""
        draft = self.draft(customer_id, currency, amount_minor, DEBIT, kind, key, reference)
        return self.append(with_operation(draft, operation), wallet=wallet)

    def draft(self, customer_id, currency, amount_minor, direction, kind, key, reference):
        """An entry before its place in the wallet's history is known (`amount_minor` 0 for an
        entry whose `plan` decides it, see `append`)."""
        assert isinstance(amount_minor, int) and amount_minor >= 0
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

    def append(self, draft, slot=None, plan=None, wallet=None):
        """Insert `draft` as the wallet's next entry and roll the wallet forward to it; returns
        (entry, created), where `created` is False when an entry already held its key (returned as
        it is, its wallet rolled forward).

        `slot`, when given, claims a second place with the same insert (a refund's place among its
        order's refunds): `slot.fields(draft)` gives its fields or raises, `slot.catch_up()` rolls
        its owner forward after a collision, `slot.roll(entry)` after the insert.

        `plan`, when given, decides the entry from the wallet as read (`plan(wallet)`: the fields to
        set, e.g. `wallet_figures.plan_take_back`), again on every attempt; when it returns None
        there is nothing to do: the entry already holding the key is returned, or None. What it refuses
        (raises) is refused only once the wallet is rolled forward over its whole ledger.

        `wallet`, when given, is the wallet document as this request read it already (with the order
        it pays, `OrderBook.with_wallets`; `EMPTY_WALLET` for one that does not exist): the first
        attempt plans from it instead of reading it again, one round trip fewer. A wallet that moved
        since is safe as any stale read: the entry planned from it collides, and the next attempt reads.

        Raises InsufficientFunds (nothing written) for a debit the balance does not cover,
        StoreUnavailable (nothing written) when the wallet stays too contended, OperationPending
        when the entry is in but the wallet could not be rolled forward (recovery finishes it)."""
        wid = draft["wallet_id"]
        planned, read = draft, wallet
        for attempt in range(APPEND_ATTEMPTS_MAX):
            wallet = read if read is not None else (self.wallets.find_one({"_id": wid}) or EMPTY_WALLET)
            read = None
            if plan is not None:
                try:
                    changes = plan(wallet)
                except IntegrationError:  # refused (a capture's hold not found, say): on a wallet behind its ledger?
                    if self.catch_up(wid) != wallet["version"]:
                        continue
                    raise
                if changes is None:
                    found = self._found(draft)
                    if found[0] is None and self.catch_up(wid) != wallet["version"]:
                        continue  # planned from a wallet its ledger was ahead of (an entry not rolled in): again
                    return found
                planned = dict(draft, **changes)
            figures = figures_after(wallet, planned)
            if figures is None:
                existing = self._shortfall(planned, wallet["version"])
                if existing is not None:
                    return existing, False
                continue  # the wallet was one entry behind: rolled forward, read again
            entry = dict(
                planned,
                _id=new_id("txn", 20),
                sequence=wallet["version"] + 1,
                **figures,
                **(slot.fields(planned) if slot else {}),
            )
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
        raise StoreUnavailable(
            f"The wallet is busy; nothing was {'credited' if draft['type'] == CREDIT else 'debited'}. Try again."
        )

    def _found(self, draft):
        """(the entry holding the draft's key, False), its wallet rolled forward; (None, False) without one."""
        existing = self._entry_for(draft)
        if existing is not None:
            self._roll_after_insert(existing, None)
        return existing, False

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
        """The entry holding the draft's key; for a keyed payment, first the payment its key made in
        this life of the key (another request's with the same key: two sent at once)."""
        query = {"wallet_id": draft["wallet_id"], "idempotency_key": draft["idempotency_key"]}
        if "operation_life" not in draft:
            return self.entries.find_one(query)
        keyed = {k: draft[k] for k in ("kind", "operation_id", "operation_life")}
        found = list(self.entries.find({"wallet_id": draft["wallet_id"], "$or": [query, keyed]}).limit(2))
        found.sort(key=lambda e: any(e.get(k) != v for k, v in keyed.items()))  # the key's own payment first
        return next(iter(found), None)

    def _roll_after_insert(self, entry, slot):
        try:
            self.roll(entry)
            if slot:
                slot.roll(entry)
        except PyMongoError:
            raise OperationPending(entry["_id"]) from None

    def roll(self, entry: LedgerEntry) -> None:
        """Roll the wallet forward to `entry`, the one after its last (a no-op when it holds it)."""
        sequence = entry["sequence"]
        figures = {"balance_minor": entry["balance_after_minor"], "version": sequence, "updated_at": self.clock()}
        if "held_after_minor" in entry:  # entries written before held money and debt carry none
            figures.update(held_minor=entry["held_after_minor"], debt_minor=entry["debt_after_minor"])
        for key, taken_minor in (entry.get("taken_after") or {}).items():
            figures[f"taken.{key}"] = taken_minor
        closed = {}
        for hid, hold in (entry.get("holds_after") or {}).items():
            if hold["remaining_minor"] > 0 or hold.get("closed"):
                figures[f"holds.{hid}"] = hold
            else:
                closed[f"holds.{hid}"] = ""
        update = {
            "$set": figures,
            "$inc": {f"totals.{entry['kind']}_minor": entry["amount_minor"], f"totals.{entry['kind']}_count": 1},
        }
        if closed:
            update["$unset"] = closed
        if sequence > 1:
            self.wallets.update_one({"_id": entry["wallet_id"], "version": sequence - 1}, update)
            return
        update["$setOnInsert"] = {
            "customer_id": entry["customer_id"],
            "currency": entry["currency"],
            "created_at": self.clock(),
        }
        try:
            self.wallets.update_one({"_id": entry["wallet_id"], "version": 0}, update, upsert=True)
        except DuplicateKeyError:
            pass  # the wallet exists past version 0: it holds this entry already

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
            "held_minor": 0,
            "debt_minor": 0,
            "holds": {},
            "version": 0,
            "totals": {},
            "created_at": self.clock(),
        }

    # --- recovery and reconciliation ---------------------------------------------------------
    def unfinalized(self, limit=FINISH_BATCH_MAX):
        """Entries whose follow-up writes (order, payment order, outbox) are not known done, oldest first,
        but those whose follow-ups failed and were put off to a later time (`mark_finalized`)."""
        due = [{"follow_up_retry_at": {"$exists": False}}, {"follow_up_retry_at": {"$lte": self.clock()}}]
        return list(self.entries.find({"finalized": False, "$or": due}, sort=[("created_at", 1)], limit=limit))

    def catch_up_wallets(self, entries):
        """Roll forward every wallet of `entries` that does not hold its entries yet."""
        newest: dict[str, int] = {}
        for entry in entries:
            newest[entry["wallet_id"]] = max(newest.get(entry["wallet_id"], 0), entry["sequence"])
        held = {w["_id"]: w["version"] for w in self.wallets.find({"_id": {"$in": sorted(newest)}})}
        for wid, sequence in newest.items():
            if held.get(wid, 0) < sequence:
                self.catch_up(wid)

    def mark_finalized(self, entry_ids, put_off=None):
        """Mark `entry_ids` finalized; `put_off` ({entry id: moment}): entries whose follow-ups failed, left
        unfinalized and skipped by `unfinalized` until that moment, their failures counted."""
        for entry_id, retry_at in (put_off or {}).items():
            retry = {"$set": {"follow_up_retry_at": retry_at}, "$inc": {"follow_up_failures": 1}}
            self.entries.update_one({"_id": entry_id, "finalized": False}, retry)
        entry_ids = list(entry_ids)
        # In chunks: the embedded store checks every unique index against the whole ledger for each document
        # an update touches, under its one lock (100 at once held requests up a second at a few thousand).
        for start in range(0, len(entry_ids), FINALIZE_CHUNK):
            self.entries.update_many(
                {"_id": {"$in": entry_ids[start : start + FINALIZE_CHUNK]}}, {"$set": {"finalized": True}}
            )
