"""The one home of the store: connect, create indexes, hand out `get_db()`.

Production talks to MongoDB (a replica set) through pymongo and relies on the server's atomic
single-document operations; nothing here takes a lock on that path. The embedded default uses
mongomock, which is not thread-safe, so every call on it goes through one process-wide lock
(its adapter: backend/embedded_store.py).
"""

import logging
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import mongomock
import pymongo
from flask import current_app
from pymongo.errors import OperationFailure, PyMongoError

from .embedded_store import LockedDatabase
from .gateways.registry import gateway_registry

logger = logging.getLogger("integration")
# Timeouts the URI may set otherwise; never the write concern (the ledger's keys need majority writes).
TIMEOUT_DEFAULTS: dict[str, Any] = {"serverSelectionTimeoutMS": 5000, "connectTimeoutMS": 5000}
_clients: dict[str, pymongo.MongoClient] = {}
_clients_lock = threading.Lock()


def connect(uri, db_name):
    """A pymongo-compatible `Database` for `uri`. MongoDB: one client per URI per process, shared by every
    app. mongomock: a new, empty in-memory store each time, so every app (each test's) starts clean."""
    if uri.startswith("mongomock://"):
        return LockedDatabase(mongomock.MongoClient()[db_name])
    with _clients_lock:
        client = _clients.get(uri)
        if client is None:
            named = {option.lower() for option in parse_qs(urlsplit(uri).query)}
            timeouts = {k: v for k, v in TIMEOUT_DEFAULTS.items() if k.lower() not in named}
            client = pymongo.MongoClient(uri, w="majority", **timeouts)
            _clients[uri] = client
    return client[db_name]


INDEXES = {
    "wallets": [
        ([("customer_id", 1), ("currency", 1)], {"unique": True}),
        ([("debt_minor", 1)], {"sparse": True}),  # /metrics: wallets in debt
    ],
    "ledger_entries": [
        # A movement happens once per key; an entry takes the wallet's next place (`sequence`), so two
        # entries computed from the same balance collide (docs/ledger.md). Every unique index starts
        # with `wallet_id`, the shard key of ledger_entries.
        ([("wallet_id", 1), ("idempotency_key", 1)], {"unique": True}),
        # Also the wallet's history, newest first (status, GET .../transactions).
        ([("wallet_id", 1), ("sequence", -1)], {"unique": True}),
        # A refund's place among the refunds of its order's life (wallet-paid or shop-paid alike).
        (
            [("wallet_id", 1), ("reference.order_id", 1), ("reference.order_life", 1), ("kind", 1), ("refund_seq", 1)],
            {"unique": True, "partialFilterExpression": {"kind": "refund"}},
        ),
        # A retried payment request finds its own debit (by its hashed Idempotency-Key).
        ([("wallet_id", 1), ("operation_id", 1)], {"sparse": True}),
        # One payment per key and life of the key: two bodies sent at once under one key collide.
        (
            [("wallet_id", 1), ("operation_id", 1), ("operation_life", 1)],
            {"unique": True, "partialFilterExpression": {"kind": "payment", "operation_life": {"$exists": True}}},
        ),
        # a payment's Idempotency-Key, read with its order (backend/idempotency.py, `KeyedOperation`)
        ([("operation_id", 1)], {"sparse": True}),
        # The worker's follow-ups: entries not yet finalized, oldest first, but those put off.
        ([("finalized", 1), ("created_at", 1), ("follow_up_retry_at", 1)], {}),
    ],
    "payment_orders": [
        ([("customer_id", 1), ("created_at", -1)], {}),
        # a withdrawal's plan: a customer's credited top-ups newest first, a page at a time (`_id`
        # orders one millisecond's), within the window (`credited_since`)
        ([("customer_id", 1), ("status", 1), ("currency", 1), ("created_at", -1), ("_id", -1), ("paid_at", 1)], {}),
        # a keyed initiate's retry finds the payment order its first try recorded (`keyed_by`)
        (
            [("customer_id", 1), ("keyed.operation_id", 1)],
            {"partialFilterExpression": {"keyed.operation_id": {"$exists": True}}},
        ),
        ([("status", 1), ("created_at", 1)], {}),
        # our reference, random and so unique without a unique index (which sharding
        # on `_id` would refuse); PayPal's events name a payment order by it
        ([("reference", 1), ("gateway", 1)], {"sparse": True}),
        # settling a day: the credits of a day no report listed yet
        ([("status", 1), ("gateway", 1), ("settled_on", 1), ("paid_at", 1)], {}),
        # a refund, reversal or dispute names the payment that credited the top-up
        ([("gateway_payment_id", 1), ("gateway", 1)], {"sparse": True}),
        # a webhook's event id among those every payment order kept (`PaymentOrders.for_event`)
        ([("webhook_event_ids", 1)], {"sparse": True}),
    ],
    # refunds, reversals and disputes by the gateway's own id (`_id`), and those waiting for a credit
    # refunds we asked a gateway for: the worker's open ones, a withdrawal's parts, a payment's refunds
    "gateway_refunds": [
        ([("status", 1), ("updated_at", 1)], {}),
        ([("withdrawal_id", 1), ("part", 1)], {"sparse": True}),
        ([("gateway_payment_id", 1), ("status", 1)], {}),
        ([("gateway_refund_id", 1)], {"sparse": True}),  # a webhook without our reference names its refund
    ],
    # withdrawals whose request died before every part was asked (the worker's)
    "withdrawals": [
        ([("stage", 1), ("lease_until", 1)], {}),
        # a plan counts the customer's withdrawals still `holding` (`WithdrawalBook.holding`)
        ([("customer_id", 1), ("currency", 1), ("stage", 1)], {}),
    ],
    # settled days (`_id` "<gateway>:<date>") and what they found; open ones for /metrics
    "settlements": [([("gateway", 1), ("date", -1)], {})],
    "settlement_exceptions": [
        ([("gateway", 1), ("date", 1)], {}),
        # open exceptions by kind (/metrics), and of a gateway in `_id` batches (a settling looks at them again)
        ([("status", 1), ("kind", 1), ("gateway", 1), ("_id", 1)], {}),
        ([("gateway", 1), ("payment_id", 1), ("kind", 1), ("status", 1)], {}),
    ],
    "gateway_cases": [
        ([("gateway_payment_id", 1), ("gateway", 1), ("waiting", 1)], {}),
        ([("kind", 1), ("status", 1)], {}),
    ],
    "orders": [
        ([("order_id", 1)], {"unique": True}),
        # a customer's orders page by page, of one status or all (GET /orders)
        ([("customer_id", 1), ("payment_status", 1), ("order_id", 1)], {}),
        ([("customer_id", 1), ("order_id", 1)], {}),
        # orders authorised from the wallet (`hold_key`) whose hold ran out (the worker, /health, /metrics)
        ([("payment_status", 1), ("authorization.expires_at", 1), ("authorization.hold_key", 1)], {}),
        (
            [
                ("payment_status", 1),
                ("authorization.authorized_at", 1),
                ("authorization.checked", 1),
                ("authorization.hold_key", 1),
            ],
            {},
        ),
    ],
    "webhook_events": [([("gateway", 1), ("event_id", 1)], {"unique": True})],
    # a PayPal transmission's body digest, kept a day: another body under it is refused
    "webhook_deliveries": [([("received_at", 1)], {"expireAfterSeconds": 24 * 3600})],
    "idempotency_keys": [([("created_at", 1)], {"expireAfterSeconds": 24 * 3600})],
    "integration_logs": [
        ([("created_at", -1)], {}),
        # the support view: a customer's audit entries, newest first (those of one millisecond too:
        # by `_id`, so that pages and their cursors see one order)
        ([("customer_id", 1), ("created_at", -1), ("_id", -1)], {}),
    ],
    # the outbox's due messages: `pending` ones by when they are due, `sending` ones by when their
    # worker's claim runs out (backend/notifications.py)
    "notification_outbox": [([("status", 1), ("next_attempt_at", 1)], {}), ([("status", 1), ("claimed_until", 1)], {})],
    # sparse: documents another system keys by `_id` alone (`WalletLimits.level`) may be many
    "customers": [([("customer_id", 1)], {"unique": True, "sparse": True})],
    # A stopped worker's heartbeat goes after a week; the newest one is read by /health.
    "worker_heartbeats": [([("beat_at", 1)], {"expireAfterSeconds": 7 * 24 * 3600})],
}
# Indexes of earlier versions, dropped at start-up: refund places were per order before they were
# per life of an order (a reopened order's refunds start again); the support view's audit index
# gained `_id` (one millisecond's entries in one order); the follow-ups' index gained the time an
# entry whose follow-ups failed is put off to.
INDEX_NOT_FOUND = 27  # MongoDB's error code: a process starting at the same time dropped it first
OBSOLETE_INDEXES = {
    "ledger_entries": [
        [("wallet_id", 1), ("reference.order_id", 1), ("kind", 1), ("refund_seq", 1)],
        [("finalized", 1), ("created_at", 1)],
    ],
    "integration_logs": [[("customer_id", 1), ("created_at", -1)]],  # now with `_id` after it
    "customers": [([("customer_id", 1)], {"sparse": False})],  # (keys, options it had): now sparse
    "settlement_exceptions": [[("status", 1), ("kind", 1), ("gateway", 1)]],  # now with `_id` after it
    "orders": [  # now with `authorization.hold_key` after them: the wallet's authorisations only
        [("payment_status", 1), ("authorization.expires_at", 1)],
        [("payment_status", 1), ("authorization.authorized_at", 1), ("authorization.checked", 1)],
    ],
}


def retention_indexes(config):
    """TTL indexes whose periods are configured: sent WhatsApp messages, claimed single-use webhook
    events (Google Pay tokens) and audit entries expire; ledger entries, wallets, payment orders
    (with the ids of their webhook events) and orders are kept for good."""
    return {
        "notification_outbox": [([("sent_at", 1)], config["OUTBOX_RETENTION_SECONDS"])],
        "webhook_events": [([("received_at", 1)], config["WEBHOOK_EVENT_RETENTION_SECONDS"])],
        "integration_logs": [([("created_at", 1)], config["AUDIT_RETENTION_SECONDS"])],
    }


def ensure_indexes(db, config=None):
    """Create the indexes the money rules depend on (unique keys make credits idempotent) and that
    serve the service's queries (tests/integration/store/test_query_coverage.py), and with `config` the
    retention (TTL) indexes and, in simulator mode, the indexes of the simulators' own records, kept
    in the same store (each gateway's entry declares them: `GatewayEntry.simulator_collections`)."""
    simulated = config is not None and config.get("GATEWAY_MODE") == "simulator"
    simulator_indexes = gateway_registry(config).simulator_indexes() if simulated else {}
    for collection, obsolete in OBSOLETE_INDEXES.items():
        for name, spec in db[collection].index_information().items():
            if is_obsolete(spec, obsolete):
                try:
                    db[collection].drop_index(name)
                except OperationFailure as error:
                    if error.code != INDEX_NOT_FOUND:
                        raise
                    logger.info("index %s of %s was dropped by another process starting too", name, collection)
    for collection, indexes in [*INDEXES.items(), *simulator_indexes.items()]:
        for keys, options in indexes:
            db[collection].create_index(keys, **options)
    for collection, indexes in (retention_indexes(config) if config else {}).items():
        for keys, expire_after_seconds in indexes:
            try:
                db[collection].create_index(keys, expireAfterSeconds=expire_after_seconds)
            except OperationFailure:  # the period changed since the index was made: change it in place
                db.command(
                    "collMod", collection, index={"keyPattern": dict(keys), "expireAfterSeconds": expire_after_seconds}
                )


def is_obsolete(spec, obsolete):
    """Whether an index (`index_information`'s `spec`) is one of `obsolete`: its keys, or (its keys,
    the options it had then: an index whose options changed keeps its name, so it is dropped first)."""
    keys = [(field, int(direction)) for field, direction in spec["key"]]
    for entry in obsolete:
        old_keys, options = entry if isinstance(entry, tuple) else (entry, {})
        if keys == old_keys and all(spec.get(option, False) == value for option, value in options.items()):
            return True
    return False


def ping(db):
    """True when the store answers."""
    try:
        db.command("ping")
        return True
    except (PyMongoError, OSError):
        return False


# The embedded store keeps no indexes for queries: every find and update scans its collection (and
# every access to a collection with a TTL index scans it for expired documents), so each request
# slows down as the store fills. Measured by scripts/embedded_limits.py (README, "The embedded
# store's limits"), the store filled as the API fills it: pay-with-wallet takes 24-30 ms at 1,000
# ledger entries, 50-84 ms at 2,500, 121-162 ms at 5,000 (status 14-22 ms there). Past this many
# ledger entries a payment takes 50 ms or more, and the store says so.
EMBEDDED_SLOW_LEDGER_ENTRIES = 2500
EMBEDDED_COUNT_CACHE_SECONDS = 10.0  # /health counts at most this often


def check_embedded_store(db, starting=False):
    """On the embedded store: `{"ledger_entries": n, "slow_past_ledger_entries": limit, "slow": bool}`
    (with a `warning` text when slow), counted at most every EMBEDDED_COUNT_CACHE_SECONDS; the first
    time it finds the store past the limit it logs a WARNING (`starting`: also state the limit, at
    INFO). None on MongoDB: nothing is counted there. create_app and /health call it."""
    if not isinstance(db, LockedDatabase):
        return None
    now, limit = time.monotonic(), EMBEDDED_SLOW_LEDGER_ENTRIES
    counted = db.ledger_count
    if counted is None or now - counted[0] >= EMBEDDED_COUNT_CACHE_SECONDS:
        counted = db.ledger_count = (now, document_count(db, "ledger_entries"))
    entries = counted[1]
    if starting:
        logger.info(
            "embedded store: a payment takes 50 ms or more past %d ledger entries (it holds %d); "
            'see README, "The embedded store\'s limits"',
            limit,
            entries,
        )
    report: dict[str, object] = {"ledger_entries": entries, "slow_past_ledger_entries": limit, "slow": entries > limit}
    if report["slow"]:
        report["warning"] = (
            f"the embedded store holds {entries} ledger entries, past {limit}: it scans whole "
            f"collections, so a payment takes 50 ms or more and slower with every entry; "
            f"set MONGODB_URI=mongodb://... for a real database"
        )
        if not db.slow_warned:
            db.slow_warned = True
            logger.warning("EMBEDDED STORE SLOW: %s", report["warning"])
    return report


def document_count(db, name):  # about 7 ms per 10,000 on the embedded store, so /health caches it
    return db[name].count_documents({})


def init_app(app):
    app.extensions["wallet_db"] = connect(app.config["MONGODB_URI"], app.config["MONGODB_DB"])


def get_db():  # the `Database` of the current app
    return current_app.extensions["wallet_db"]
