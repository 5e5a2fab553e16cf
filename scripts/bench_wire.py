"""The wire run of `make bench` (scripts/bench_http.py): what production pays for each request.

The store in a process of its own, reached over the MongoDB wire protocol: mongoeco's server
(scripts/bench_store.py, with `.venv-eco`'s Python >= 3.13), which counts the commands it runs. The
service as deployed: `gunicorn -c gunicorn.conf.py` with ONE worker (WEB_WORKERS=1, its 8 threads),
rate limits on (RATE_LIMITS_ENABLED=true) with the storage docker-compose.yml ships (memory://, each
web process its own counters), behind a proxy (TRUSTED_PROXY_COUNT=1: the clients send
X-Forwarded-For, as nginx does), the metrics in multiprocess mode. Two more instances of the same
service on the same database measure what the rate limits cost: limits off, and limits on with
RATE_LIMIT_STORAGE_URI=redis://... (a redis-server of ours on a free port; skipped, and said so,
when none is installed). `python -m backend worker` runs beside them on the same store, as deployed,
while /health is measured (`BesideWorker`). The floor: a Flask app with one trivial JSON route
(scripts/bench_server.py) under the same gunicorn settings.

For each phase: the worker's CPU time (utime + stime of the one gunicorn worker, from
/proc/<pid>/stat) before and after, divided by the requests: the app's CPU per request, whatever
else the machine runs; the store's commands on the run's database before and after (at the
store); latencies at the clients. Every phase of the service is between two floor phases, and its
CPU per request is given as a ratio to their mean. After each phase with the limits on, the floor
app's /floor/wait answers as that phase waited (as many sleeps as it had store round trips, adding up
to its p50 less its CPU per request): how much of the ratio is the waiting itself. The whole
sequence runs --repetitions times (3), and the tables give the range over the repetitions. Each
repetition has a database of its own, and services started on it: the service's CPU per request
grows with the time it waits for the store, and mongoeco's writes slow down as its collections grow.
"""

import collections
import itertools
import json
import os
import shutil
import socket
import sys
import uuid

import pymongo
from bench_load import fill_wallets, run_phase, summary
from bench_processes import CLOCK_TICKS_PER_SECOND, ROOT, Server, cpu_ticks, free_port, vm_rss_kib
from bench_report import FLOOR
from bench_server import pending_orders

FLOOR_SECONDS = 1
ORDERS_A_COMMAND = 25
WARM_UP_REQUESTS = 40  # of each read, per service, and 2 payments per client, before each repetition
# (operation, limits): the phases of one repetition, in order, each after a floor phase. The three
# instances of a read (and of pay) run one after the other, so that what the limits cost is measured
# between phases close in time; their order turns with each repetition (`rotated_plan`).
PLAN = (
    ("health", "on"),
    ("health", "off"),
    ("health", "redis"),
    ("status", "on"),
    ("status", "off"),
    ("status", "redis"),
    ("initiate", "on"),
    ("credit", "on"),
    ("pay", "on"),
    ("pay", "off"),
    ("pay", "redis"),
    ("refund", "on"),
)
READS = ("health", "status")
# gunicorn's control socket is one path per user ($HOME/.gunicorn/gunicorn.ctl): each of the bench's
# four gunicorns (and any other on this machine) would take it from the one before.
GUNICORN_OPTIONS = ("--no-control-socket",)


def eco_python():
    """.venv-eco's Python (made as scripts/test_real_driver.sh makes it when missing), or exit."""
    sys.path.insert(0, ROOT)
    from tests.mongoeco_support import eco_python as made

    python, why_not = made()
    if python is None:
        raise SystemExit(f"make bench needs mongoeco's wire server: {why_not}")
    return python


def redis_binary():
    found = shutil.which("redis-server")
    if found:
        return found
    return next(
        (path for path in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.access(path, os.X_OK)), None
    )


class Store:
    """The counting wire store and the database of this run."""

    def __init__(self, log_dir):
        port, self.counts_port = free_port(), free_port()
        argv = [eco_python(), "scripts/bench_store.py", str(port), str(self.counts_port)]
        self.server = Server("store", argv, {}, log_dir, ready_line="mongodb://", port=port)
        self.uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
        self.database = None

    def new_database(self):
        self.database = f"bench_{uuid.uuid4().hex[:8]}"

    def drop_database(self):
        """Drop the current database (the store keeps every database in its memory)."""
        with pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=5000) as client:
            client.drop_database(self.database)

    def commands(self):
        """Commands the store has run on this run's database so far, by name."""
        with socket.create_connection(("127.0.0.1", self.counts_port), timeout=10) as sock:
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        return collections.Counter(json.loads(data).get(self.database, {}))

    def write_orders(self, clients, per_client):
        """The pending orders the pay phases pay, ORDERS_A_COMMAND at a time: mongoeco checks each
        insert against a unique index by a scan, and a long command would stall its event loop (and
        the services' heartbeats)."""
        orders = pending_orders(clients, per_client, "INR")
        with pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=5000) as client:
            for start in range(0, len(orders), ORDERS_A_COMMAND):
                client[self.database]["orders"].insert_many(orders[start : start + ORDERS_A_COMMAND])


class Redis:
    """A redis-server of ours on a free port, no persistence; None of it when none is installed."""

    def __init__(self, log_dir):
        self.server, binary = None, redis_binary()
        if binary:
            port = free_port()
            argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            argv += ["--dir", log_dir]
            self.server = Server("redis", argv, {}, log_dir, ready_line="Ready to accept connections", port=port)
            self.uri = f"redis://127.0.0.1:{port}"


class Phases:
    """Runs phases against one service or the floor and keeps what each measured."""

    def __init__(self, store, clients):
        self.store, self.clients = store, clients
        self.rows = collections.defaultdict(list)  # (operation, limits) -> one result per repetition
        self.waiting_floor_rows = collections.defaultdict(list)  # the same keys: the floor waiting as each did

    def run(self, key, server, request_for, seconds=None, per_client=None, on_response=None, idle=None):
        """One phase against `server`; `idle`, another server's worker, is read too: what a worker
        spends when no request comes (its heartbeat, the driver's monitor)."""
        result = self.measure(server, request_for, seconds, per_client, on_response, idle)
        if key != FLOOR:  # the floor phase just before it; the next floor phase comes just after it
            result["floor_before"] = len(self.rows[FLOOR]) - 1
        self.rows[key].append(result)
        self.show(key[0], key[1], result)
        return result

    def run_waiting_floor(self, key, floor, requests, seconds=None, per_client=None):
        """The floor answering after as many sleeps as `key`'s last phase had store round trips, adding
        up to its p50 less its CPU per request: what the floor costs when it waits as that phase did."""
        measured = self.rows[key][-1]
        wait_ms = max(0.0, measured["p50"] - measured["cpu_us"] / 1000)
        pieces = max(1, round(measured["round_trips"]))
        result = self.measure(floor, requests.floor_waiting(wait_ms, pieces), seconds, per_client)
        result.update(wait_ms=wait_ms, pieces=pieces)
        self.waiting_floor_rows[key].append(result)
        self.show("  floor", f"waiting {wait_ms:.1f} ms in {pieces}", result)

    def measure(self, server, request_for, seconds=None, per_client=None, on_response=None, idle=None):
        pid, idle_pid = server.worker_pid(), idle and idle.worker_pid()
        ticks, commands = cpu_ticks(pid), self.store.commands()
        idle_ticks = idle_pid and cpu_ticks(idle_pid)
        latencies, errors, elapsed, first_error = run_phase(
            server.port, self.clients, request_for, seconds=seconds, per_client=per_client, on_response=on_response
        )
        ticks, commands = cpu_ticks(pid) - ticks, self.store.commands() - commands
        result = summary(latencies, errors, elapsed)
        if idle_pid:
            result["idle_cpu_ms_per_second"] = (
                (cpu_ticks(idle_pid) - idle_ticks) / CLOCK_TICKS_PER_SECOND * 1e3 / elapsed
            )
        requests = max(1, result["requests"])
        result["cpu_us"] = ticks / CLOCK_TICKS_PER_SECOND * 1e6 / requests
        result["round_trips"] = sum(commands.values()) / requests
        result["commands"] = {name: n / requests for name, n in sorted(commands.items())}
        result["first_error"] = first_error and [first_error[0], first_error[1].decode("utf-8", "replace")]
        return result

    @staticmethod
    def show(name, variant, result):
        first_error = result["first_error"]
        print(
            f"  {name:9s} {variant:6s} {result['requests']:5d} requests {result['rate']:7.1f}/s  "
            f"CPU {result['cpu_us']:7.0f} µs/request  round trips {result['round_trips']:5.2f}  "
            f"p50 {result['p50']:6.1f} ms  p99 {result['p99']:6.1f} ms  {result['errors']} errors"
            + (f"  first: {first_error[0]} {first_error[1][:160]!r}" if first_error else ""),
            flush=True,
        )


def gunicorn_env(store, jwt_secret, limits, redis):
    env = {
        "MONGODB_URI": store.uri,
        "MONGODB_DB": store.database,
        "JWT_SECRET": jwt_secret,
        "WEB_WORKERS": "1",
        "TRUSTED_PROXY_COUNT": "1",
        "CORS_ORIGINS": "https://shop.example.com",
        "RAZORPAY_WEBHOOK_SECRET": "bench_webhook_secret",
        "SEED_DEMO_DATA": "false",
        "RATE_LIMITS_ENABLED": "false" if limits == "off" else "true",
        "RATE_LIMIT_STORAGE_URI": redis.uri if limits == "redis" else "memory://",
    }
    return env


def start_services(servers, store, redis, jwt_secret, log_dir):
    """Into `servers` (so that whatever started is stopped even when a later one fails): the floor,
    and the service with limits on (memory://), off, and on with redis:// when there is a
    redis-server."""
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *GUNICORN_OPTIONS]
    floor_argv = [*gunicorn, "--pythonpath", "scripts", "bench_server:floor_app"]
    floor_env = gunicorn_env(store, jwt_secret, "off", redis)
    servers["floor"] = Server("floor", floor_argv, floor_env, log_dir, "/floor")
    for limits in ("on", "off", "redis"):
        if limits == "redis" and redis.server is None:
            continue
        env = gunicorn_env(store, jwt_secret, limits, redis)
        servers[limits] = Server(f"service-{limits}", gunicorn, env, log_dir, "/api/integration/health")


class BesideWorker:
    """`python -m backend worker` on the same store, as deployed beside the web processes, while
    /health is measured: /health reads the backlog it counts with its heartbeat (backend/backlog.py).
    It is stopped for the other phases, so that its commands are not counted as theirs and its
    follow-ups do not load the one-process store under the writes. Its CPU is not measured."""

    def __init__(self, store, jwt_secret, redis, log_dir):
        self.env, self.log_dir, self.server = gunicorn_env(store, jwt_secret, "on", redis), log_dir, None

    def start(self):
        if self.server is None:
            argv = [sys.executable, "-m", "backend", "worker"]
            self.server = Server("worker", argv, self.env, self.log_dir, ready_line="started:")

    def stop(self):
        if self.server is not None:
            self.server.stop()
            self.server = None


def set_up(servers, requests, clients):
    """The wallets (bench_load.fill_wallets), then every service answers each read and two payments
    per client before anything is measured."""
    fill_wallets(servers["on"].port, requests, clients)
    for name, server in servers.items():
        if name == "floor":
            run_phase(server.port, clients, requests.floor, per_client=WARM_UP_REQUESTS)
            continue
        for read in READS:
            run_phase(server.port, clients, getattr(requests, read), per_client=WARM_UP_REQUESTS)
        _, errors, _, first = run_phase(
            server.port, clients, requests.pay, per_client=2, on_response=requests.keep_paid
        )
        if errors:
            raise SystemExit(f"{server.name}: a warm-up payment failed: {first}")


def rotated_plan(number):
    """PLAN with the instances of each operation in an order that turns with the repetition's
    `number` (on, off, redis; then off, redis, on; ...): the writes grow the database, so the last
    of three payment phases waits longest for the store, and each instance takes each place once."""
    plan = []
    for _, steps in itertools.groupby(PLAN, key=lambda step: step[0]):
        steps = list(steps)
        turn = number % len(steps)
        plan += steps[turn:] + steps[:turn]
    return plan


def phase_requests(requests, operation):
    """(the requests, what to do with each answer) of `operation`'s phases."""
    return {
        "health": (requests.health, None),
        "status": (requests.status, None),
        "initiate": (requests.initiate, requests.keep_payment_order),
        "credit": (requests.webhook, None),
        "pay": (requests.pay, requests.keep_paid),
        "refund": (requests.refund, None),
    }[operation]


def repetition(phases, servers, worker, requests, options, number=0):
    """One floor phase, then each phase of the repetition's plan (`rotated_plan`) followed by a
    floor phase (and, for the limits on, first by the floor waiting as it did); the worker runs for
    the health phases (`BesideWorker`)."""
    floor = servers["floor"]
    phases.run(FLOOR, floor, requests.floor, seconds=FLOOR_SECONDS, idle=servers["on"])
    per_client = max(1, options.writes // options.clients)
    for operation, limits in rotated_plan(number):
        if limits not in servers:
            continue
        server, key = servers[limits], (operation, limits)
        worker.start() if operation == "health" else worker.stop()
        request_for, on_response = phase_requests(requests, operation)
        seconds, count = (options.seconds, None) if operation in READS else (None, per_client)
        phases.run(key, server, request_for, seconds, count, on_response)
        if limits == "on":
            phases.run_waiting_floor(key, floor, requests, seconds, count)
        phases.run(FLOOR, floor, requests.floor, seconds=FLOOR_SECONDS, idle=servers["on"])


def run(options, make_requests, jwt_secret, log_dir):
    """The wire run: returns (rows, waiting floor rows, facts) for the report. Each repetition runs on
    a database of its own, with services (and wallets, and orders) of its own: mongoeco's writes
    slow down as its collections grow, and the service's CPU per request grows with the time it
    waits for the store (docs/benchmarks.md), so that a repetition on a grown database would measure
    the store's growth. `make_requests()`: the requests of one repetition (`bench_load.Requests`)."""
    store = Store(log_dir)
    stores, facts = [store.server], {}
    try:
        redis = Redis(log_dir)
        if redis.server is not None:
            stores.append(redis.server)
        phases = Phases(store, options.clients)
        for number in range(options.repetitions):
            store.new_database()
            print(
                f"repetition {number + 1} of {options.repetitions} (database {store.database}, load average "
                f"{os.getloadavg()[0]:.2f})",
                flush=True,
            )
            requests = make_requests()
            facts.update(one_repetition(phases, store, redis, requests, options, jwt_secret, log_dir, number))
            store.drop_database()
        return phases.rows, phases.waiting_floor_rows, facts
    finally:
        for server in reversed(stores):
            server.stop()


def one_repetition(phases, store, redis, requests, options, jwt_secret, log_dir, number):
    """Start the services on the store's current database, set them up, run the phases of PLAN."""
    servers = {}  # everything started, stopped at the end whatever happens
    worker = BesideWorker(store, jwt_secret, redis, log_dir)
    try:
        start_services(servers, store, redis, jwt_secret, log_dir)
        # After the services made their indexes, as the shop's orders arrive in production (mongoeco
        # builds an index over documents already there slowly enough to stall its heartbeats).
        pays_per_client = 3 * max(1, options.writes // options.clients) + 2 * 3 + 2
        store.write_orders(options.clients, pays_per_client)
        facts = {"rss_kib_at_ready": vm_rss_kib(servers["on"].worker_pid()), "redis": redis.server is not None}
        set_up(servers, requests, options.clients)
        repetition(phases, servers, worker, requests, options, number)
        facts["rss_kib_at_end"] = vm_rss_kib(servers["on"].worker_pid())
        facts["ledger_entries"] = ledger_entries(store)
        return facts
    finally:
        for server in [*servers.values(), worker]:
            server.stop()


def ledger_entries(store):
    with pymongo.MongoClient(store.uri, serverSelectionTimeoutMS=5000) as client:
        return client[store.database]["ledger_entries"].estimated_document_count()
