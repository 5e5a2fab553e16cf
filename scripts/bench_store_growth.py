"""What the service's CPU per payment does as the wire store slows down (why `make bench` gives each
repetition a database of its own; docs/benchmarks.md, "A fresh database for every repetition").

    .venv/bin/python scripts/bench_store_growth.py [--batches 6] [--payments 100]

One process, one thread: the app (`create_app`, rate limits off) on mongoeco's wire server (started
here, as `make bench` starts it), driven through Flask's test client. Database A: a customer topped
up, then --batches batches of --payments payments of pending 1.00 orders, each with its own
Idempotency-Key; then database B, fresh, in the same store process, and one batch there. For each
batch: this process's CPU per payment (time.process_time: the app, the test client and the driver,
every thread) and the wall time per payment (mostly the store's: mongoeco checks unique indexes by
scanning, so its writes slow down as collections grow). Every payment does the same work on
documents of the same size whatever the database's size; the commands are those of a payment
(6, tests/integration/store/test_round_trips.py).
"""

import argparse
import logging
import os
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench_wire import Store  # noqa: E402 (scripts/ is this script's directory)

from backend import create_app  # noqa: E402
from tests.conftest import app_config  # noqa: E402
from tests.helpers import Api, bearer  # noqa: E402

CUSTOMER = "growth_c"


def database(uri):
    app = create_app(app_config(MONGODB_URI=uri, TESTING=False, RATE_LIMITS_ENABLED=False))
    api = Api(app.test_client(), app.extensions["wallet_db"])
    api.topup(CUSTOMER, "100000.00")
    return api


def batch(api, label, payments):
    orders = [api.add_order(CUSTOMER, 100) for _ in range(payments)]
    cpu, wall = time.process_time(), time.perf_counter()
    for order_id in orders:
        headers = dict(bearer(CUSTOMER), **{"Idempotency-Key": uuid.uuid4().hex})
        response = api.pay(order_id, CUSTOMER, 1.0, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"a payment failed: {response.status_code} {response.get_json()}")
    cpu, wall = (time.process_time() - cpu) / payments * 1e6, (time.perf_counter() - wall) / payments * 1e3
    print(f"| {label} | {cpu:,.0f} | {wall:,.1f} |", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=6)
    parser.add_argument("--payments", type=int, default=100)
    options = parser.parse_args(argv)
    logging.disable(logging.INFO)  # the audit's line per payment is not what is measured here
    log_dir = tempfile.mkdtemp(prefix="wallet-growth-")
    store = Store(log_dir)
    try:
        print("| batch | CPU per payment, µs | wall per payment, ms |\n|---|--:|--:|")
        grown = database(store.uri)
        for number in range(options.batches):
            batch(grown, f"database A, batch {number + 1}", options.payments)
        batch(database(store.uri), "database B (fresh, same store process), batch 1", options.payments)
        batch(grown, f"database A, batch {options.batches + 1}", options.payments)
    finally:
        store.server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
