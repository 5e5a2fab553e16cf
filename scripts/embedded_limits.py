"""How the embedded (mongomock) store slows down as it fills: GET /status and
POST /order/pay-with-wallet latency at several ledger sizes.

    .venv/bin/python scripts/embedded_limits.py [ledger entries ...]   # default: 0 1000 5000 10000

The store is filled as the API fills it: a batch of top-ups (signed webhooks) and payments of
BATCH_CUSTOMERS customers goes through the API, then the whole batch (ledger entries, wallets,
payment orders, webhook events, orders, idempotency keys, outbox messages, audit entries) is copied
under fresh ids into a new store until its ledger holds the asked number of entries, and the app is
started on that store. Then a new customer's status and payments are timed, each figure the median
of CALLS requests, as wall-clock and CPU time (the CPU time of the request is what it costs whatever
else the machine runs). mongomock keeps no indexes for queries: every find and update scans its
whole collection, so each request's cost grows with the store. README.md ("The embedded store's
limits") quotes these figures, and backend/db.py's EMBEDDED_SLOW_LEDGER_ENTRIES is derived from them.
"""

import logging
import os
import statistics
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import backend.db as store  # noqa: E402
from backend import create_app  # noqa: E402
from tests.helpers import TEST_JWT_SECRET, Api, bearer  # noqa: E402

CALLS = 15
BATCH_CUSTOMERS = 50  # each tops up once and pays one order: 2 ledger entries per customer
# Fields that identify a document (unique keys, or a customer's own): renamed in every copy.
RENAMED = (
    "_id",
    "idempotency_key",
    "reference",
    "order_id",
    "event_id",
    "customer_id",
    "wallet_id",
    "payment_order_id",
)
PROBE = "cust_probe"


def copy_of(document, suffix):
    renamed = {key: f"{value}{suffix}" for key, value in document.items() if key in RENAMED and isinstance(value, str)}
    copied = dict(document, **renamed)
    if "_id" not in renamed:
        copied.pop("_id", None)  # an ObjectId: the store makes a new one
    return copied


def new_app(database=None):
    """An app on a new embedded store, or on `database` (filled before the app makes its indexes:
    mongomock checks unique and TTL indexes by a scan per insert)."""
    made = store.connect
    if database is not None:
        store.connect = lambda uri, db_name: database
    try:
        return create_app(
            {
                "TESTING": True,
                "MONGODB_URI": "mongomock://localhost",
                "MONGODB_DB": f"limits_{uuid.uuid4().hex[:8]}",
                "JWT_SECRET": TEST_JWT_SECRET,
                "SEED_DEMO_DATA": "false",
                "RATE_LIMITS_ENABLED": "false",
                "RECOVER_ON_START": "false",
            }
        )
    finally:
        store.connect = made


def filled_store(entries):
    """A new embedded store holding about `entries` ledger entries: a batch made through the API,
    copied under fresh ids as many times as it takes."""
    database = store.connect("mongomock://localhost", f"limits_{uuid.uuid4().hex[:8]}")
    if not entries:
        return database
    batch_app = new_app()
    api = Api(batch_app.test_client(), batch_app.extensions["wallet_db"])
    for index in range(BATCH_CUSTOMERS):
        customer_id = f"cust_{index}"
        api.topup(customer_id, "100")
        order_id = api.add_order(customer_id, 1000)
        api.pay(order_id, customer_id, 10, headers={**bearer(customer_id), "Idempotency-Key": order_id})
    made = batch_app.extensions["wallet_db"]
    batch = {name: list(made[name].find({})) for name in made.list_collection_names()}
    copies = -(-entries // len(batch["ledger_entries"]))
    for name, documents in batch.items():
        if documents:
            database[name].insert_many(
                [copy_of(document, f"_c{copy}") for copy in range(copies) for document in documents]
            )
    return database


def milliseconds(action):
    """(wall-clock, CPU) milliseconds of `action`: the CPU time of this thread is what the request
    costs, whatever else the machine is running; the wall clock is what a client waits."""
    started, started_cpu = time.perf_counter(), time.thread_time()
    action()
    return (time.perf_counter() - started) * 1000, (time.thread_time() - started_cpu) * 1000


def measure(entries):
    app = new_app(filled_store(entries))
    db = app.extensions["wallet_db"]
    api = Api(app.test_client(), db)
    stored = db["ledger_entries"].count_documents({})
    api.topup(PROBE, "100000")
    orders = [api.add_order(PROBE, 100) for _ in range(CALLS)]

    def status():
        assert api.status(PROBE).status_code == 200

    def pay(order_id):
        return lambda: api.pay(order_id, PROBE, 1, headers={**bearer(PROBE), "Idempotency-Key": order_id})

    status_ms = [milliseconds(status) for _ in range(CALLS)]
    pay_ms = [milliseconds(pay(order_id)) for order_id in orders]
    return stored, status_ms, pay_ms


def main(sizes):
    logging.disable(logging.WARNING)  # the audit's INFO lines, thousands of them
    print(
        f"embedded store (mongomock): milliseconds per request, median of {CALLS} calls "
        f"(wall clock / CPU time of the request)"
    )
    print(f"{'ledger entries':>14}  {'status':>13}  {'pay-with-wallet':>15}")
    for entries in sizes:
        stored, status_ms, pay_ms = measure(entries)
        status_wall, status_cpu = (statistics.median(column) for column in zip(*status_ms, strict=True))
        pay_wall, pay_cpu = (statistics.median(column) for column in zip(*pay_ms, strict=True))
        print(f"{stored:>14}  {status_wall:>6.1f} /{status_cpu:>5.1f}  {pay_wall:>8.1f} /{pay_cpu:>5.1f}", flush=True)


if __name__ == "__main__":
    main([int(size) for size in sys.argv[1:]] or [0, 1000, 5000, 10000])
