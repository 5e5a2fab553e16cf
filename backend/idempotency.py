"""`Idempotency-Key` for money POSTs: a repeat with the same key and body gets the first response.

Keys are scoped to the caller and the endpoint and kept 24 h (TTL index). The same key with
another body is a 409. A repeat that arrives while the first is still running waits briefly for
it; a key left `in_progress` by a crashed request past the recovery grace, or released by a request
that failed with a 5xx, is taken over, and the operation runs again with the claim's
`operation_id`, which the ledger's keys make safe.

A *keyed* operation (paying an order, refunding one: `run_keyed`) takes no claim at all: the key is
folded into the ledger. Its entry carries the key's `operation_id` and the request's fingerprint,
and the read that takes the order also takes, by `$lookup`, the ledger entries of that
`operation_id` and the key's record (`KeyedOperation.stages`): a refusal stored, or an entry of
another body (409), or this request's own entry, which answers the repeat (before a refusal of another
body sent at once, stored after this one had read the key). Only a refusal is written under the key,
so a repeat of a refused request is refused alike. Repeats that arrive while the
first still runs run with it, and the ledger's keys make one movement. Two payments with one key and
different bodies at the same instant make one payment, and the other is 409: the ledger takes one
payment per wallet, key and life of the key (`operation_life`, a unique index, per wallet as the
ledger's shard key is); two bodies paying from two wallets at once (two currencies, or an admin's
key for two customers) can both be made (each a whole, correct payment of its own order).
"""

import datetime
import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass

from pymongo.errors import DuplicateKeyError, PyMongoError

from .clock import utcnow
from .errors import IdempotencyKeyInProgress, IdempotencyKeyReused, IntegrationError, InvalidRequest, error_body
from .prefetched_wallets import lookup_value, value_field

logger = logging.getLogger("integration")
KEY_LENGTH_MAX = 255
WAIT_SECONDS_MAX = 5.0
RELEASED_AT = datetime.datetime(1970, 1, 1)  # a released claim's `started_at`: past any grace
KEPT = datetime.timedelta(hours=24)  # a key's life: its record's TTL (backend/db.py), and its entries' claim


def request_fingerprint(body):
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Replayed(Exception):
    """The stored answer of an earlier request with this key and body: answer it."""

    def __init__(self, payload, status_code):
        super().__init__(status_code)
        self.payload, self.status_code = payload, status_code


@dataclass
class KeyedOperation:
    """A request's Idempotency-Key as a keyed operation sees it (`IdempotencyStore.run_keyed`);
    `checked` once `earlier` has judged what the key holds."""

    key_id: str
    fingerprint: str
    now: datetime.datetime
    checked: bool = False
    lives_past: int = 0  # how many entries this key made in lives of the key that ended (24 h each)

    @property
    def operation_id(self):
        return "idk_" + self.key_id[:32]

    def made(self, entry):
        """Whether the ledger entry `entry` is this key's, made within the key's life."""
        return entry.get("operation_id") == self.operation_id and self._alive(entry)

    def _alive(self, entry):
        """Whether `entry` was made within the key's life (24 h ago or less)."""
        return self.now - entry["created_at"] < KEPT

    def stages(self):
        """Aggregation stages that read, with the document before them, the ledger entries this key
        made and its stored record (`earlier` takes them off it)."""
        return [
            *lookup_value(self.operation_id, "ledger_entries", "operation_id", "key_entries"),
            *lookup_value(self.key_id, "idempotency_keys", "_id", "key_records"),
        ]

    def earlier(self, document):
        """The entries this key made within its life, read with `document` by `stages` (taken off
        it); Replayed for a refusal stored under it, IdempotencyKeyReused when the key's record or an
        entry it made is of another body."""
        for field in (value_field("key_entries"), value_field("key_records")):
            document.pop(field, None)
        records, made = document.pop("key_records"), document.pop("key_entries")
        self.checked = True
        # A debit of the version before keys were folded has no fingerprint: its key's record (an
        # `in_progress` claim, kept 24 h) has the body's.
        claimed = records[0]["fingerprint"] if records else None
        self.lives_past = sum(1 for e in made if not self._alive(e))
        made = [e for e in made if self._alive(e)]
        mine = [e for e in made if e.get("operation_fingerprint", claimed) == self.fingerprint]
        if mine:
            return mine  # this body's movement answers it, whatever another body sent at once made or stored
        for record in records:
            if record["fingerprint"] != self.fingerprint:
                raise IdempotencyKeyReused()
            if record["state"] == "completed":
                raise Replayed(record["response"]["payload"], record["response"]["status_code"])
        if made:  # entries of another body
            raise IdempotencyKeyReused()
        return made


class IdempotencyStore:
    def __init__(self, db, grace_seconds=60.0, clock=utcnow):
        self.db, self.keys = db, db["idempotency_keys"]
        self.grace_seconds = grace_seconds
        self.clock = clock

    def run_keyed(self, scope, key, body, action):
        """`action(keyed)` → (payload, status): a keyed operation (see above), given its
        `KeyedOperation` (None without a key); only its refusals are stored."""
        if key is None:
            return action(None)
        key_id = self._key_id(scope, key)
        keyed = KeyedOperation(key_id, request_fingerprint(body), self.clock())
        try:
            return action(keyed)
        except Replayed as stored:
            return stored.payload, stored.status_code
        except IntegrationError as error:
            if error.http_status >= 500 or isinstance(error, IdempotencyKeyReused):
                raise
            refusal = error
        try:  # refused before the key was read (no such order: nothing to read it with): read it now
            made = [] if keyed.checked else keyed.earlier(self._key_state(keyed))
        except Replayed as stored:
            return stored.payload, stored.status_code
        if not made:  # an entry this key made answers it once its order is back: nothing stored
            self._store_refusal(keyed, refusal)
        raise refusal

    def _key_state(self, keyed):
        """What `KeyedOperation.stages` reads with a document, read on its own."""
        return {
            "key_records": list(self.keys.find({"_id": keyed.key_id})),
            "key_entries": list(self.db["ledger_entries"].find({"operation_id": keyed.operation_id})),
        }

    def _store_refusal(self, keyed, error):
        now = self.clock()
        refusal = {"payload": error_payload(error), "status_code": error.http_status}
        record = {"fingerprint": keyed.fingerprint, "state": "completed", "response": refusal}
        try:  # the first answer stays
            self.keys.update_one(
                {"_id": keyed.key_id}, {"$setOnInsert": dict(record, created_at=now, started_at=now)}, upsert=True
            )
        except DuplicateKeyError:
            pass

    def _key_id(self, scope, key):
        if not 1 <= len(key) <= KEY_LENGTH_MAX or not key.isascii() or not key.isprintable():
            raise InvalidRequest(f"Idempotency-Key must be 1-{KEY_LENGTH_MAX} printable ASCII characters.")
        return hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()

    def run(self, scope, key, body, action):
        """`action(operation_id)` → (payload, status), run at most once per (scope, key)."""
        if key is None:
            return action(None)
        key_id = self._key_id(scope, key)
        fingerprint = request_fingerprint(body)
        stored, claim = self._claim(key_id, fingerprint)
        if stored is not None:
            return stored["payload"], stored["status_code"]
        try:
            payload, status_code = action(claim.operation())
        except IntegrationError as error:
            if error.http_status >= 500:
                self._release(claim)
            else:
                self._complete_refusal(claim, error)
            raise
        except Exception:
            self._release(claim)
            raise
        try:
            self._complete(claim, payload, status_code)
        except PyMongoError:
            # The operation is done; only its stored answer is missing. Answer it: the key stays
            # `in_progress`, so a repeat waits, then (after the grace) runs it again with the same
            # operation_id, as retried: a withdrawal or hold, by the ledger's keys, returns the same
            # movement, a capture or void its entry, an initiate its payment order.
            logger.warning("idempotency key %s: the answer could not be stored", key_id[:12])
        return payload, status_code

    def _claim(self, key_id, fingerprint):
        """(None, the `Claim`) when this request may run; (the stored response, None) when it already
        ran. The operation id is the claim's own, so a request that takes over a crashed claim carries
        its operation on, and a key used again once its record is gone (24 h) is a new operation (a
        withdrawal's id is made from it). The claimant is this request's alone: a request that ran
        past the grace and was taken over no longer releases or completes the claim."""
        deadline = time.monotonic() + WAIT_SECONDS_MAX
        while True:
            now, claimant = self.clock(), secrets.token_hex(8)
            fresh = {"fingerprint": fingerprint, "state": "in_progress", "created_at": now, "started_at": now}
            fresh.update(operation_id="idk_" + secrets.token_hex(16), claimant=claimant)
            try:  # one round trip: the key's record as it was (None: this request made it)
                existing = self.keys.find_one_and_update({"_id": key_id}, {"$setOnInsert": fresh}, upsert=True)
            except DuplicateKeyError:  # a concurrent first request inserted it between
                continue
            if existing is None:
                return None, Claim(key_id, fresh["operation_id"], claimant)
            if existing["fingerprint"] != fingerprint:
                raise IdempotencyKeyReused()
            if existing["state"] == "completed":
                return existing["response"], None
            if (now - existing["started_at"]).total_seconds() > self.grace_seconds:
                taken = self.keys.update_one(
                    {"_id": key_id, "state": "in_progress", "started_at": existing["started_at"]},
                    {"$set": {"started_at": now, "claimant": claimant}},
                )
                if taken.modified_count:  # (a claim older than claims' own operation ids used the key's)
                    operation_id = existing.get("operation_id", "idk_" + key_id[:32])
                    return None, Claim(key_id, operation_id, claimant, taken_over=True)
            if time.monotonic() > deadline:
                raise IdempotencyKeyInProgress()
            time.sleep(0.05)

    def _release(self, claim):
        """After a 5xx: the next request with the key takes the claim over at once, with its operation
        id, so what this one wrote (a withdrawal, a hold) is carried on, not made a second time. When
        the store does not answer, the claim stays: a repeat takes it over after the grace."""
        try:
            self.keys.update_one(claim.filter(), {"$set": {"started_at": RELEASED_AT}})
        except PyMongoError:
            logger.warning("idempotency key %s: the claim could not be released", claim.key_id[:12])

    def _complete_refusal(self, claim, error):
        """Store the refusal as the key's answer; when it cannot be stored, release the claim (a repeat
        runs again at once) and answer the refusal all the same."""
        try:
            self._complete(claim, error_payload(error), error.http_status)
        except PyMongoError:
            logger.warning("idempotency key %s: the refusal could not be stored", claim.key_id[:12])
            self._release(claim)

    def _complete(self, claim, payload, status_code):
        self.keys.update_one(
            claim.filter(),
            {"$set": {"state": "completed", "response": {"payload": payload, "status_code": status_code}}},
        )


def retried(operation_id):
    """Whether the request with `operation_id` took its key's claim over from one that failed or died
    (`OperationId`): what that one wrote with the id may be in."""
    return getattr(operation_id, "retried", False)


class OperationId(str):
    """The operation id an action of `IdempotencyStore.run` gets; `retried` when its claim was taken
    over from a request that failed or died, whose writes (made with this id) may be in."""

    retried: bool

    def __new__(cls, value, retried=False):
        operation_id = super().__new__(cls, value)
        operation_id.retried = retried
        return operation_id


@dataclass(frozen=True)
class Claim:
    """A request's claim of a key (`IdempotencyStore.run`): its operation id, the claimant that only
    this request wrote on the key's record, and whether it took the claim over."""

    key_id: str
    operation_id: str
    claimant: str
    taken_over: bool = False

    def operation(self):
        return OperationId(self.operation_id, retried=self.taken_over)

    def filter(self):
        """The key's record while this request still holds its claim."""
        return {"_id": self.key_id, "state": "in_progress", "claimant": self.claimant}


def error_payload(error):
    """The error's body as its first answer gave it, documented extra fields too (`limit`, `headroom`,
    `refundable`, ...), so a repeat of the key answers the same."""
    return error_body(error.code, error.message, **error.details)
