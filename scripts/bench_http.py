"""`make bench`: the service over real HTTP, as users run it, driven by 8 keep-alive clients.

    .venv/bin/python scripts/bench_http.py [--seconds 8] [--writes N] [--clients 8] [--json FILE]

Starts, each on a free port of 127.0.0.1, in processes of their own:
- the embedded default (MONGODB_URI unset): `python -m backend`'s server (waitress, its threads and
  limits, the worker thread) through scripts/bench_server.py, which also writes the pending orders
  that pay-with-wallet needs into the in-process store before serving (nothing outside that process
  can reach the store);
- with MONGODB_URI=mongodb://...: `gunicorn -c gunicorn.conf.py` (4 workers x 8 threads) on a fresh
  database `bench_<random>`, whose orders this script writes with pymongo first, and drops at the end;
- the floor: a Flask app with one trivial route under the same server with the same settings,
  measured before and after the service.
This process is the load generator: 8 threads, each with one keep-alive `http.client` connection.

Phases: floor; GET health and GET status (empty wallet) for --seconds each; then, so many requests
each (--writes, the same number before and after a change: the embedded store scans whole
collections, so its cost grows with the data and only a fixed amount of work compares fairly)
POST initiate, Razorpay webhook `payment.captured` for the payment orders just initiated, POST
pay-with-wallet (each a fresh pending order), POST refund (0.01 of each order just paid, admin
token); the floor again. Then the server's RSS after 5k and 50k GET health (right after the read
phases, before the writes) and store round trips per request, counted in a separate process by
a wrapper around the app's database (both stores when MONGODB_URI is set). Rate limits are off
(RATE_LIMITS_ENABLED=false): eight clients on one address would meet 429 after 30 money POSTs.
Prints Markdown, as pasted into docs/benchmarks.md.
"""

import argparse
import datetime
import hashlib
import hmac
import http.client
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import jwt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from bench_server import ORDER_AMOUNT_MINOR, customer_id, order_id, pending_orders  # noqa: E402

BASE = "/api/integration"
WEBHOOK_SECRET = "bench_webhook_secret"
EMPTY_CUSTOMER = "bench_empty"
ADMIN = "bench_admin"
TOPUP_SETUP = "100000.00"  # per customer, before pay: far more than the orders cost
TOPUP_AMOUNT = "10.00"  # each initiate of the initiate phase (credited by the webhook phase)
TOPUP_AMOUNT_MINOR = 1000
REFUND_AMOUNT = "0.01"
WRITES_DEFAULT = 400
MEMORY_REQUESTS = (5000, 50000)
START_SECONDS_MAX = 60


# ---------------------------------------------------------------- processes


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server process of ours on a free port; its output goes to a log file."""

    def __init__(self, name, argv, env, log_dir, ready_path):
        self.name, self.port = name, free_port()
        self.log_path = os.path.join(log_dir, f"{name}.log")
        environment = dict(os.environ, HOST="127.0.0.1", PORT=str(self.port), PYTHONUNBUFFERED="1", **env)
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=environment, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + START_SECONDS_MAX
        while True:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(
                    f"{name} did not start (exit status {self.process.poll()}); its output:\n{self.tail()}"
                )
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", ready_path)
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                time.sleep(0.1)

    def tail(self, lines=30):
        with open(self.log_path) as handle:
            return "".join(handle.readlines()[-lines:])

    def rss_kib(self):
        """VmRSS of the server process plus its children (gunicorn's workers), in KiB."""
        pids = [self.process.pid] + children(self.process.pid)
        return sum(vm_rss_kib(pid) for pid in pids), len(pids)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session: only what we started
                self.process.wait()
        self.log.close()


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def vm_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---------------------------------------------------------------- load


class Client:
    """One keep-alive connection; `call` returns (status or None on a connection error, body)."""

    def __init__(self, port):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method, path, body=None, headers=None):
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            data = response.read()
            if response.will_close:
                self.connection.close()
            return response.status, data
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return None, b""

    def close(self):
        self.connection.close()


def run_phase(port, clients, request_for, seconds=None, per_client=None, on_response=None):
    """Each client sends `request_for(client, n)` -> (method, path, body, headers), n = 0, 1, ...,
    for `seconds` or `per_client` requests. Returns latencies (ms), errors, elapsed seconds."""
    latencies, errors = [[] for _ in range(clients)], [0] * clients
    start = threading.Barrier(clients + 1)
    connections = [Client(port) for _ in range(clients)]

    def work(index):
        client, own = connections[index], latencies[index]
        start.wait()
        deadline = time.perf_counter() + seconds if seconds else None
        n = 0
        while (n < per_client) if per_client is not None else (time.perf_counter() < deadline):
            method, path, body, headers = request_for(index, n)
            began = time.perf_counter()
            status, data = client.call(method, path, body, headers)
            own.append((time.perf_counter() - began) * 1000)
            if status != 200:
                errors[index] += 1
            elif on_response:
                on_response(index, n, data)
            n += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    for connection in connections:
        connection.close()
    return [value for own in latencies for value in own], sum(errors), elapsed


def summary(latencies, errors, elapsed):
    ordered = sorted(latencies)

    def percentile(p):
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")

    return {
        "requests": len(ordered),
        "seconds": round(elapsed, 2),
        "rate": len(ordered) / elapsed,
        "p50": percentile(50),
        "p95": percentile(95),
        "p99": percentile(99),
        "errors": errors,
    }


# ---------------------------------------------------------------- requests


class Requests:
    """The requests of each phase, with tokens minted for the server's JWT_SECRET."""

    def __init__(self, jwt_secret, clients):
        expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)

        def bearer(sub, role):
            token = jwt.encode({"sub": sub, "role": role, "exp": expires}, jwt_secret, algorithm="HS256")
            return f"Bearer {token}"

        self.auth = [bearer(customer_id(c), "customer") for c in range(clients)]
        self.empty_auth = bearer(EMPTY_CUSTOMER, "customer")
        self.admin_auth = bearer(ADMIN, "admin")
        self.payment_orders = [[] for _ in range(clients)]  # (payment order id, amount minor) per client
        self.paid = [[] for _ in range(clients)]  # order ids paid per client

    @staticmethod
    def post(path, body, authorization=None, idempotent=True):
        headers = {"Content-Type": "application/json"}
        if authorization:
            headers["Authorization"] = authorization
        if idempotent:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return "POST", BASE + path, json.dumps(body).encode(), headers

    def health(self, client, n):
        return "GET", BASE + "/health", None, {}

    def status(self, client, n):
        return "GET", f"{BASE}/status/{EMPTY_CUSTOMER}", None, {"Authorization": self.empty_auth}

    def initiate(self, client, n, amount=TOPUP_AMOUNT):
        return self.post(
            "/wallet/topup/initiate",
            {"customer_id": customer_id(client), "amount": amount, "payment_method": "razorpay"},
            self.auth[client],
        )

    def keep_payment_order(self, client, n, data):
        self.payment_orders[client].append(json.loads(data)["payment_order_id"])

    def webhook(self, client, n, amount_minor=TOPUP_AMOUNT_MINOR):
        payment_order_id = self.payment_orders[client][n]
        payment_id = f"pay_{uuid.uuid4().hex[:14]}"
        event = {
            "entity": "event",
            "account_id": "acc_bench",
            "event": "payment.captured",
            "contains": ["payment"],
            "payload": {
                "payment": {
                    "entity": {
                        "id": payment_id,
                        "entity": "payment",
                        "amount": amount_minor,
                        "currency": "INR",
                        "status": "captured",
                        "order_id": payment_order_id,
                        "notes": [],
                    }
                }
            },
            "created_at": int(time.time()),
        }
        body = json.dumps(event).encode()
        signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return (
            "POST",
            BASE + "/webhook/razorpay",
            body,
            {
                "Content-Type": "application/json",
                "X-Razorpay-Signature": signature,
                "X-Razorpay-Event-Id": f"evt_{uuid.uuid4().hex[:14]}",
            },
        )

    def pay(self, client, n):
        return self.post(
            "/order/pay-with-wallet",
            {"order_id": order_id(client, n), "customer_id": customer_id(client), "amount": ORDER_AMOUNT_MINOR / 100},
            self.auth[client],
        )

    def keep_paid(self, client, n, data):
        self.paid[client].append(order_id(client, n))

    def refund(self, client, n):
        orders = self.paid[client]
        return self.post(
            "/order/refund-to-wallet",
            {
                "order_id": orders[n % len(orders)],
                "customer_id": customer_id(client),
                "amount": REFUND_AMOUNT,
                "reason": "bench",
            },
            self.admin_auth,
        )


# ---------------------------------------------------------------- store round trips


class CountingCollection:
    def __init__(self, collection, name, counts):
        self._collection, self._name, self._counts = collection, name, counts

    def __getattr__(self, attribute):
        value = getattr(self._collection, attribute)
        if not callable(value):
            return value

        def counted(*args, **kwargs):
            key = f"{self._name}.{attribute}"
            self._counts[key] = self._counts.get(key, 0) + 1
            return value(*args, **kwargs)

        return counted


class CountingDatabase:
    """Counts every call on the app's database and its collections: one call, one round trip."""

    def __init__(self, database, counts):
        self._database, self._counts = database, counts
        self.name = database.name

    def __getitem__(self, name):
        return CountingCollection(self._database[name], name, self._counts)

    def __getattr__(self, attribute):
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        value = getattr(self._database, attribute)
        if attribute == "command":
            return CountingCollection(self._database, "db", self._counts).command
        if callable(value) and hasattr(value, "find_one"):  # db.<collection>
            return CountingCollection(value, attribute, self._counts)
        return value


def count_round_trips(uri, jwt_secret):
    """One request of each kind through the Flask test client after a warm-up round of the same;
    returns {operation: {"total": n, "calls": {collection.method: n}, "wire": n or None}}."""
    sys.path.insert(0, ROOT)
    import pymongo.monitoring

    wire = [0]

    class Commands(pymongo.monitoring.CommandListener):
        def started(self, event):
            wire[0] += 1

        def succeeded(self, event):
            pass

        def failed(self, event):
            pass

    pymongo.monitoring.register(Commands())
    from backend import create_app
    from backend import db as store

    counts = {}
    connect = store.connect
    store.connect = lambda *args: CountingDatabase(connect(*args), counts)
    database_name = f"bench_rt_{uuid.uuid4().hex[:8]}"
    app = create_app(
        {
            "MONGODB_URI": uri,
            "MONGODB_DB": database_name,
            "JWT_SECRET": jwt_secret,
            "RATE_LIMITS_ENABLED": "false",
            "SEED_DEMO_DATA": "false",
            "RAZORPAY_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
    )
    database = app.extensions["wallet_db"]._database
    client = app.test_client()
    requests = Requests(jwt_secret, 1)
    database["orders"].insert_many(pending_orders(1, 2, app.config["DEFAULT_CURRENCY"]))
    results = {}
    for round_number in range(2):  # the first round warms up (creates the wallet); the second is counted

        def measure(name, method, path, body, headers, expect=200):
            counts.clear()
            wire[0] = 0
            response = client.open(path, method=method, data=body, headers=headers)
            assert response.status_code == expect, (name, response.status_code, response.get_data(as_text=True))
            if round_number == 1:  # noqa: B023 (measure runs within its own round)
                results[name] = {
                    "total": sum(counts.values()),
                    "calls": dict(sorted(counts.items())),
                    "wire": wire[0] if not app.config["EMBEDDED_STORE"] else None,
                }
            return response

        measure("health", *requests.health(0, 0))
        measure("status", *requests.status(0, 0))
        response = measure("initiate", *requests.initiate(0, 0, amount=TOPUP_SETUP))
        requests.keep_payment_order(0, 0, response.get_data())
        measure("webhook", *requests.webhook(0, round_number, amount_minor=int(TOPUP_SETUP.replace(".", ""))))
        measure("pay", *requests.pay(0, round_number))
        requests.keep_paid(0, round_number, b"")
        measure("refund", *requests.refund(0, round_number))
    if not app.config["EMBEDDED_STORE"]:
        database.client.drop_database(database_name)
    return results


# ---------------------------------------------------------------- the run


def code_label():
    def git(*args):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git(
        "status",
        "--porcelain",
        "--",
        "backend",
        "gunicorn.conf.py",
        "requirements.txt",
        "scripts/bench_http.py",
        "scripts/bench_server.py",
    )
    return commit + (" + uncommitted changes" if dirty else "")


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }


def cpu_seconds():
    """(CPU-seconds the whole machine has been busy, CPU-seconds of this process and its reaped children)."""
    with open("/proc/stat") as handle:
        fields = [int(value) for value in handle.readline().split()[1:]]
    busy = sum(fields[:3]) + sum(fields[5:8])  # user nice system (idle iowait) irq softirq steal
    times = os.times()
    return busy / os.sysconf("SC_CLK_TCK"), times.user + times.system + times.children_user + times.children_system


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8, help="length of each timed phase (floor, health, status)")
    parser.add_argument("--writes", type=int, default=WRITES_DEFAULT, help="requests of each write phase")
    parser.add_argument(
        "--memory",
        type=int,
        nargs=2,
        default=MEMORY_REQUESTS,
        metavar=("FIRST", "THEN"),
        help="GET health requests after which the RSS is read (default 5000 50000)",
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--count-round-trips", metavar="URI", help=argparse.SUPPRESS)
    parser.add_argument("--jwt-secret", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.count_round_trips:
        print(json.dumps(count_round_trips(options.count_round_trips, options.jwt_secret)))
        return 0

    started, cpu_started = time.monotonic(), cpu_seconds()
    uri = os.environ.get("MONGODB_URI", "")
    mongodb = uri.startswith(("mongodb://", "mongodb+srv://"))
    clients = options.clients
    writes = options.writes
    per_client = max(1, writes // clients)
    jwt_secret = secrets.token_hex(32)
    database_name = f"bench_{uuid.uuid4().hex[:8]}"
    env = {"JWT_SECRET": jwt_secret, "RATE_LIMITS_ENABLED": "false", "RAZORPAY_WEBHOOK_SECRET": WEBHOOK_SECRET}
    python = sys.executable
    if mongodb:
        env.update(MONGODB_URI=uri, MONGODB_DB=database_name)
        floor_argv = [
            python,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--pythonpath",
            "scripts",
            "bench_server:floor_app",
        ]
        service_argv = [python, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        server_kind = "gunicorn -c gunicorn.conf.py (4 workers x 8 threads, gthread)"
    else:
        env["MONGODB_URI"] = ""
        floor_argv = [python, "scripts/bench_server.py", "floor"]
        service_argv = [python, "scripts/bench_server.py", "serve", str(clients), str(per_client)]
        server_kind = "waitress as `python -m backend` serves (8 threads), worker thread on"
    info = dict(
        machine(),
        code=code_label(),
        server=server_kind,
        store=f"MongoDB {uri.split('@')[-1]}" if mongodb else "embedded (mongomock)",
        clients=clients,
        seconds=options.seconds,
        writes=per_client * clients,
    )
    print(
        f"code {info['code']}; {info['date']}; nproc {info['nproc']}; {info['cpu']}; Python {info['python']}",
        flush=True,
    )
    print(
        f"server: {server_kind}; store: {info['store']}; {clients} keep-alive clients; "
        f"{options.seconds:g} s per timed phase; {per_client * clients} requests per write phase",
        flush=True,
    )

    requests = Requests(jwt_secret, clients)
    rows, memory, log_dir = {}, {}, tempfile.mkdtemp(prefix="wallet-bench-")

    def phase(name, port, request_for, **kwargs):
        result = summary(*run_phase(port, clients, request_for, **kwargs))
        rows[name] = result
        print(
            f"  {name:24s} {result['requests']:6d} requests in {result['seconds']:5.1f} s: "
            f"{result['rate']:7.1f}/s, p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms, "
            f"{result['errors']} errors",
            flush=True,
        )

    def floor(name):
        server = Server("floor", floor_argv, env, log_dir, "/floor")
        try:
            run_phase(server.port, clients, lambda c, n: ("GET", "/floor", None, {}), seconds=1)  # warm-up
            phase(name, server.port, lambda c, n: ("GET", "/floor", None, {}), seconds=options.seconds)
        finally:
            server.stop()

    try:
        floor("floor (before)")
        if mongodb:
            import pymongo

            with pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000) as mongo:
                mongo[database_name]["orders"].insert_many(pending_orders(clients, per_client, "INR"))
        server = Server("service", service_argv, env, log_dir, BASE + "/health")
        try:
            memory["at ready"] = server.rss_kib()
            port = server.port
            # Setup, not measured: each customer's wallet gets TOPUP_SETUP by initiate + signed webhook.
            setup = Requests(jwt_secret, clients)
            for c in range(clients):
                _, errors, _ = run_phase(
                    port,
                    1,
                    lambda _, n, c=c: setup.initiate(c, n, amount=TOPUP_SETUP),
                    per_client=1,
                    on_response=lambda _, n, data, c=c: setup.keep_payment_order(c, n, data),
                )
                if not errors:
                    _, errors, _ = run_phase(
                        port,
                        1,
                        lambda _, n, c=c: setup.webhook(c, n, amount_minor=int(TOPUP_SETUP.replace(".", ""))),
                        per_client=1,
                    )
                if errors:
                    raise SystemExit(f"the setup top-up failed; the service's output:\n{server.tail()}")
            run_phase(port, clients, requests.health, seconds=1)  # warm-up
            phase("GET health", port, requests.health, seconds=options.seconds)
            run_phase(port, clients, requests.status, seconds=1)
            phase("GET status (empty)", port, requests.status, seconds=options.seconds)
            memory["after the read phases"] = server.rss_kib()
            sent = info["memory_errors"] = 0
            for checkpoint in options.memory:
                _, errors, _ = run_phase(port, clients, requests.health, per_client=(checkpoint - sent) // clients)
                info["memory_errors"] += errors
                sent = checkpoint
                memory[f"after {checkpoint:,} GET health"] = server.rss_kib()
            phase(
                "POST initiate", port, requests.initiate, per_client=per_client, on_response=requests.keep_payment_order
            )
            phase(
                "POST webhook (credit)",
                port,
                requests.webhook,
                per_client=min(len(own) for own in requests.payment_orders),
            )
            phase("POST pay-with-wallet", port, requests.pay, per_client=per_client, on_response=requests.keep_paid)
            if min(len(own) for own in requests.paid):
                phase("POST refund (admin)", port, requests.refund, per_client=per_client)
            memory["after the write phases"] = server.rss_kib()
        finally:
            server.stop()
        floor("floor (after)")
        round_trips = {"embedded (mongomock)": count_in_process("mongomock://localhost", jwt_secret)}
        if mongodb:
            round_trips["MongoDB"] = count_in_process(uri, jwt_secret)
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)  # a server that failed to start has printed its output
        if mongodb:
            import pymongo

            with pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000) as mongo:
                mongo.drop_database(database_name)
    info["total_seconds"] = round(time.monotonic() - started)
    busy, ours = (end - start for end, start in zip(cpu_seconds(), cpu_started, strict=True))
    info["other_cpu_seconds"] = round(max(0.0, busy - ours), 1)
    info["other_cpu_share"] = round(max(0.0, busy - ours) / (info["total_seconds"] * info["nproc"]), 3)
    report(info, rows, memory, round_trips)
    if options.json:
        with open(options.json, "w") as handle:
            json.dump({"info": info, "rows": rows, "memory": memory, "round_trips": round_trips}, handle, indent=1)
    errors = sum(row["errors"] for row in rows.values()) + info["memory_errors"]
    return 1 if errors else 0


def count_in_process(uri, jwt_secret):
    done = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--count-round-trips", uri, "--jwt-secret", jwt_secret],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"counting store round trips failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


OPERATION_OF_ROW = {
    "GET health": "health",
    "GET status (empty)": "status",
    "POST initiate": "initiate",
    "POST webhook (credit)": "webhook",
    "POST pay-with-wallet": "pay",
    "POST refund (admin)": "refund",
}


def report(info, rows, memory, round_trips):
    floors = [rows[name]["rate"] for name in ("floor (before)", "floor (after)") if name in rows]
    floor_rate = sum(floors) / len(floors)
    stores = list(round_trips)
    print(
        f"\ncode {info['code']}; {info['date']}; nproc {info['nproc']}; {info['cpu']}; Python {info['python']}; "
        f"{info['total_seconds']} s in all"
    )
    print(
        f"other processes kept the machine busy for {info['other_cpu_seconds']:g} CPU-seconds during the run "
        f"({info['other_cpu_share']:.0%} of its {info['nproc']} cores): more than a few % makes the figures noisy"
    )
    print(f"server: {info['server']}; store: {info['store']}; {info['clients']} keep-alive clients\n")
    print(
        "| operation | requests | req/s | vs floor | p50 ms | p95 ms | p99 ms | errors | "
        + " | ".join(f"store round trips, {store}" for store in stores)
        + " |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|" + "--:|" * len(stores))
    for name, row in rows.items():
        operation = OPERATION_OF_ROW.get(name)
        trips = []
        for store in stores:
            counted = round_trips[store].get(operation) if operation else None
            if counted is None:
                trips.append("0" if name.startswith("floor") else "")
            else:
                trips.append(str(counted["total"]) + (f" ({counted['wire']} wire)" if counted["wire"] else ""))
        print(
            f"| {name} | {row['requests']} | {row['rate']:.0f} | {row['rate'] / floor_rate:.2f} | {row['p50']:.1f} "
            f"| {row['p95']:.1f} | {row['p99']:.1f} | {row['errors']} | " + " | ".join(trips) + " |"
        )
    print(f"\nFloor: the mean of before and after, {floor_rate:.0f} req/s.\n")
    print("| server RSS | MiB | processes |\n|---|--:|--:|")
    for name, (kib, processes) in memory.items():
        print(f"| {name} | {kib / 1024:.1f} | {processes} |")
    print(
        f"\nGET health counted from the end of the read phases ({info['memory_errors']} errors); "
        "VmRSS of the server process (gunicorn: master and workers together)."
    )
    for store in stores:
        print(f"\nStore calls per request, {store} (a warm second request of each kind):\n")
        print("| operation | calls |\n|---|---|")
        for operation, counted in round_trips[store].items():
            calls = ", ".join(f"{key} {n}" if n > 1 else key for key, n in counted["calls"].items())
            print(f"| {operation} | {counted['total']}: {calls} |")


if __name__ == "__main__":
    sys.exit(main())
