"""The embedded run of `make bench` (scripts/bench_http.py): `python -m backend` as a developer runs it.

The embedded default (MONGODB_URI unset): the service's own server (waitress, its threads, the worker
thread) through scripts/bench_server.py, which writes the pending orders pay-with-wallet needs into
the in-process store before serving (nothing outside that process can reach it). Rate limits off:
waitress drops X-Forwarded-For unless told which proxy to trust, so every request would count
against 127.0.0.1 and the money POSTs meet 429 after 30. The floor: the same trivial Flask app
under waitress with the same settings, before and after. Each phase runs once; the CPU per request
is the whole server process's (its worker thread included), the store round trips are counted in a
separate process (`python scripts/bench_embedded.py count`) by a wrapper around the app's database,
one warm request of each kind through the Flask test client.

mongomock scans whole collections, so the cost of a write grows with the data: a fixed number of
writes per phase (--writes) is what compares fairly between runs.
"""

import json
import os
import subprocess
import sys
import uuid

from bench_load import TOPUP_SETUP, Requests, fill_wallets, run_phase, summary
from bench_processes import CLOCK_TICKS_PER_SECOND, ROOT, Server, cpu_ticks
from bench_server import pending_orders

FLOOR_SECONDS = 2


def run(options, jwt_secret, log_dir):
    """Returns (rows, round trips counted) for the report."""
    clients, per_client = options.clients, max(1, options.writes // options.clients)
    requests = Requests(jwt_secret, clients)
    python = sys.executable
    env = {
        "MONGODB_URI": "",
        "JWT_SECRET": jwt_secret,
        "RATE_LIMITS_ENABLED": "false",
        "RAZORPAY_WEBHOOK_SECRET": "bench_webhook_secret",
        "SEED_DEMO_DATA": "false",
    }
    rows = {}

    def phase(name, operation, server, request_for, **kwargs):
        ticks = cpu_ticks(server.process.pid)
        latencies, errors, elapsed, first_error = run_phase(server.port, clients, request_for, **kwargs)
        result = summary(latencies, errors, elapsed)
        ticks = cpu_ticks(server.process.pid) - ticks
        result["cpu_us"] = ticks / CLOCK_TICKS_PER_SECOND * 1e6 / max(1, result["requests"])
        result["operation"] = operation
        rows[name] = result
        print(
            f"  {name:36s} {result['requests']:6d} requests {result['rate']:7.1f}/s  CPU {result['cpu_us']:6.0f} "
            f"µs/request  p50 {result['p50']:.1f} ms  p99 {result['p99']:.1f} ms  {errors} errors"
            + (f"  first: {first_error}" if first_error else ""),
            flush=True,
        )

    def floor(name):
        server = Server("floor-embedded", [python, "scripts/bench_server.py", "floor"], env, log_dir, "/floor")
        try:
            run_phase(server.port, clients, requests.floor, seconds=0.5)  # warm-up
            phase(name, None, server, requests.floor, seconds=FLOOR_SECONDS)
        finally:
            server.stop()

    floor("floor (before)")
    argv = [python, "scripts/bench_server.py", "serve", str(clients), str(per_client + 2)]
    server = Server("service-embedded", argv, env, log_dir, "/api/integration/health")
    try:
        fill_wallets(server.port, requests, clients)
        for read in ("health", "status"):
            run_phase(server.port, clients, getattr(requests, read), seconds=0.5)  # warm-up
        phase("GET health", "health", server, requests.health, seconds=options.seconds)
        phase("GET status (a page of 20 entries)", "status", server, requests.status, seconds=options.seconds)
        phase(
            "POST initiate",
            "initiate",
            server,
            requests.initiate,
            per_client=per_client,
            on_response=requests.keep_payment_order,
        )
        phase("POST webhook (credit)", "webhook", server, requests.webhook, per_client=per_client)
        phase(
            "POST pay-with-wallet", "pay", server, requests.pay, per_client=per_client, on_response=requests.keep_paid
        )
        phase("POST refund (admin)", "refund", server, requests.refund, per_client=per_client)
    finally:
        server.stop()
    floor("floor (after)")
    return rows, count_in_process(jwt_secret)


def count_in_process(jwt_secret):
    done = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "count", jwt_secret], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"counting store round trips failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class CountingCollection:
    def __init__(self, collection, name, counts):
        self.collection, self.name, self.counts = collection, name, counts

    def __getattr__(self, attribute):
        value = getattr(self.collection, attribute)
        if not callable(value):
            return value

        def counted(*args, **kwargs):
            key = f"{self.name}.{attribute}"
            self.counts[key] = self.counts.get(key, 0) + 1
            return value(*args, **kwargs)

        return counted


class CountingDatabase:
    """Counts every call on the app's database and its collections: one call, one round trip."""

    def __init__(self, database, counts):
        self.database, self.counts = database, counts
        self.name = database.name

    def __getitem__(self, name):
        return CountingCollection(self.database[name], name, self.counts)

    def __getattr__(self, attribute):
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        value = getattr(self.database, attribute)
        if attribute == "command":
            return CountingCollection(self.database, "db", self.counts).command
        if callable(value) and hasattr(value, "find_one"):  # db.<collection>
            return CountingCollection(value, attribute, self.counts)
        return value


def count_round_trips(jwt_secret):
    """One request of each kind through the Flask test client after a warm-up round of the same;
    returns {operation: {"total": n, "calls": {collection.method: n}}}."""
    sys.path.insert(0, ROOT)
    from backend import create_app
    from backend import db as store

    counts, databases = {}, []
    connect = store.connect

    def counting_connect(*args):
        databases.append(connect(*args))
        return CountingDatabase(databases[-1], counts)

    store.connect = counting_connect
    app = create_app(
        {
            "MONGODB_URI": "mongomock://localhost",
            "MONGODB_DB": f"bench_rt_{uuid.uuid4().hex[:8]}",
            "JWT_SECRET": jwt_secret,
            "RATE_LIMITS_ENABLED": "false",
            "SEED_DEMO_DATA": "false",
            "RAZORPAY_WEBHOOK_SECRET": "bench_webhook_secret",
        }
    )
    databases[-1]["orders"].insert_many(pending_orders(1, 2, app.config["DEFAULT_CURRENCY"]))
    client, requests, results = app.test_client(), Requests(jwt_secret, 1), {}

    def measure(name, counted, method, path, body, headers):
        counts.clear()
        response = client.open(path, method=method, data=body, headers=headers)
        assert response.status_code == 200, (name, response.status_code, response.get_data(as_text=True))
        if counted:
            results[name] = {"total": sum(counts.values()), "calls": dict(sorted(counts.items()))}
        return response

    for counted in (False, True):  # the first round warms up (creates the wallet); the second is counted
        measure("health", counted, *requests.health(0, 0))
        measure("status", counted, *requests.status(0, 0))
        response = measure("initiate", counted, *requests.initiate(0, 0, amount=TOPUP_SETUP))
        requests.keep_payment_order(0, 0, response.get_data())
        measure("webhook", counted, *requests.webhook(0, 0, amount_minor=int(TOPUP_SETUP.replace(".", ""))))
        measure("pay", counted, *requests.pay(0, 0))
        requests.keep_paid(0, 0, b"")
        measure("refund", counted, *requests.refund(0, 0))
    return results


if __name__ == "__main__":
    if sys.argv[1:2] == ["count"] and len(sys.argv) == 3:
        print(json.dumps(count_round_trips(sys.argv[2])))
        sys.exit(0)
    print(__doc__, file=sys.stderr)
    sys.exit(2)
