"""Client CPU per store call: what one pymongo call costs the process that makes it (issue 21).

    .venv/bin/python scripts/bench_driver.py [--calls 1000] [--repetitions 3] [--profile]

For each call the service makes (find_one by `_id`, insert_one, update_one with a filter,
find_one_and_update, count_documents, and a `ping` command), on documents shaped like ours (a
wallet, a ledger entry, a payment order; "large": a wallet and an entry carrying 40 holds), the
calling process's CPU time per call (time.process_time: every thread of it, user and system,
whatever else the machine runs; the median of 5 batches of --calls / 5 calls, each call's documents
built before its batch starts). Under the client settings backend/db.py uses (the client
`backend.db.connect` builds, so that a run after a change to db.py measures the change) and under
variations of them, each a change of one setting; all of them --repetitions times, interleaved; the
table gives the range over the repetitions, in µs per call.

The store is mongoeco's MongoDB-wire server (the memory engine, with `.venv-eco`'s Python >= 3.13),
started here twice on free ports: as it is (a standalone server) and with the face of a one-member
replica set (its `hello` names a set, a primary and an election id; its replies carry
`$clusterTime` and `operationTime`), so that the driver does what it does against production's
replica set: retryable writes (a `txnNumber` on each write) and cluster-time gossip. What the
server does is not measured, only what the client spends. Floors: a `ping` through pymongo, and
the same OP_MSG `ping` written and read on a bare socket.

--profile: also where the CPU of a call goes under backend/db.py's settings, from cProfile timed
by process CPU, by area of the driver (shares; the profiler inflates Python calls against C ones).

    .venv-eco/bin/python scripts/bench_driver.py --serve PORT    # the replica-set face alone
"""

import sys

if "--no-c" in sys.argv:  # a run without the C extensions: hide them before bson is imported
    sys.modules["bson._cbson"] = None  # type: ignore[assignment]
    sys.modules["pymongo._cmessage"] = None  # type: ignore[assignment]

import argparse  # noqa: E402
import collections  # noqa: E402
import cProfile  # noqa: E402
import datetime  # noqa: E402
import functools  # noqa: E402
import itertools  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import bson  # noqa: E402
import pymongo  # noqa: E402
from pymongo import ReturnDocument  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WARM_UP_CALLS = 100
BATCHES = 5
LARGE_HOLDS = 40
TODAY = {"serverSelectionTimeoutMS": 5000, "connectTimeoutMS": 5000, "w": "majority"}  # backend/db.py's, at 099f932
# (name, server, settings or a session mode, threads): "rs" the replica-set face, "standalone" mongoeco as it
# is. The first is the reference of the differences; the second has the same settings, in the client
# backend/db.py keeps, so that its difference shows how far two identical clients differ here.
VARIANTS = [
    ("db.py's settings (a client of its own)", "rs", dict(TODAY), 1),
    ("backend.db.connect (the service's client)", "rs", "service", 1),
    ("w=1", "rs", dict(TODAY, w=1), 1),
    ("retryWrites=False", "rs", dict(TODAY, retryWrites=False), 1),
    ("retryReads=False", "rs", dict(TODAY, retryReads=False), 1),
    ("compressors=zlib (mongoeco offers none: not used)", "rs", dict(TODAY, compressors="zlib"), 1),
    ("appname=wallet", "rs", dict(TODAY, appname="wallet"), 1),
    ("heartbeatFrequencyMS=60000", "rs", dict(TODAY, heartbeatFrequencyMS=60000), 1),
    ("serverMonitoringMode=poll", "rs", dict(TODAY, serverMonitoringMode="poll"), 1),
    ("maxPoolSize=8", "rs", dict(TODAY, maxPoolSize=8), 1),
    ("uuidRepresentation=standard", "rs", dict(TODAY, uuidRepresentation="standard"), 1),
    ("socketTimeoutMS=10000", "rs", dict(TODAY, socketTimeoutMS=10000), 1),
    ("directConnection=True", "rs", dict(TODAY, directConnection=True), 1),
    ("one explicit session, causal_consistency=False", "rs", "session", 1),
    ("one explicit session, causal_consistency=True", "rs", "causal", 1),
    ("standalone server (no txnNumber, no $clusterTime)", "standalone", dict(TODAY), 1),
    ("backend.db.connect, 4 threads at once", "rs", "service", 4),
]
BARE = "bare socket, no driver"
NO_C = "no C extensions (bson._cbson, pymongo._cmessage hidden)"
OPERATIONS = (
    "find_one _id",
    "find_one _id (large)",
    "insert_one",
    "insert_one (large)",
    "update_one",
    "find_one_and_update",
    "count_documents",
    "ping",
)


# --- the replica-set face (run with .venv-eco's Python) -------------------------------------------
def serve_replica_set(port):
    """mongoeco's wire server whose hello and replies say: the primary of the one-member set rs0."""
    import asyncio

    from mongoeco.engines import MemoryEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer
    from mongoeco.wire.executor import WireCommandExecutor
    from mongoeco.wire.handshake import WireHandshakeService

    member, election = f"127.0.0.1:{port}", bson.ObjectId()
    hello, execute = WireHandshakeService.build_hello_response, WireCommandExecutor.execute_prepared

    def primary_hello(service, **arguments):
        response = hello(service, **arguments)
        response.update(setName="rs0", setVersion=1, hosts=[member], primary=member, me=member, electionId=election)
        return response

    async def with_cluster_time(executor, context):
        result = await execute(executor, context)
        if isinstance(result, dict):
            now = bson.Timestamp(int(time.time()), 1)
            result["operationTime"] = now
            result["$clusterTime"] = {"clusterTime": now, "signature": {"hash": bytes(20), "keyId": 0}}
        return result

    WireHandshakeService.build_hello_response = primary_hello
    WireCommandExecutor.execute_prepared = with_cluster_time

    async def main():
        proxy = AsyncMongoEcoProxyServer(engine=MemoryEngine(), host="127.0.0.1", port=port)
        print((await proxy.start()).uri, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


class Stores:
    """The two mongoeco servers of this run, each in a process of its own."""

    def __init__(self, log_dir):
        sys.path.insert(0, ROOT)
        sys.path.insert(0, HERE)
        from bench_processes import Server, free_port

        from tests.mongoeco_support import eco_python

        python, why_not = eco_python()
        if python is None:
            raise SystemExit(f"bench_driver needs mongoeco's wire server: {why_not}")
        ports = {"standalone": free_port(), "rs": free_port()}
        argv = {
            "standalone": [python, "scripts/mongoeco_server.py", str(ports["standalone"])],
            "rs": [python, "scripts/bench_driver.py", "--serve", str(ports["rs"])],
        }
        self.servers = [
            Server(name, argv[name], {}, log_dir, ready_line="mongodb://", port=ports[name]) for name in argv
        ]
        self.uris = {
            "standalone": f"mongodb://127.0.0.1:{ports['standalone']}/?directConnection=true",
            "rs": f"mongodb://127.0.0.1:{ports['rs']}/?replicaSet=rs0",
        }
        self.ports = ports

    def stop(self):
        for server in self.servers:
            server.stop()


# --- documents shaped like ours -------------------------------------------------------------------
def now():
    moment = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def holds(count):
    return {f"hold_{n:04d}": {"remaining_minor": 10_000 + n, "since": n + 1} for n in range(count)}


def wallet(wallet_id, hold_count=0):
    """A wallet as backend/wallet_service.py keeps it (`holds` and `taken` as a busy one's)."""
    customer_id, currency = wallet_id.split(":")
    kinds = ("topup", "payment", "refund", "reversal")
    return {
        "_id": wallet_id,
        "customer_id": customer_id,
        "currency": currency,
        "balance_minor": 10_000_000,
        "held_minor": sum(h["remaining_minor"] for h in holds(hold_count).values()),
        "debt_minor": 0,
        "holds": holds(hold_count),
        "taken": {f"pay_{n:04d}": 100 for n in range(hold_count)},
        "version": 1,
        "totals": {f"{kind}_{unit}": 12_345 for kind in kinds for unit in ("minor", "count")},
        "created_at": now(),
        "updated_at": now(),
    }


def ledger_entry(wallet_id, sequence, hold_count=0):
    """A payment's entry as `WalletService.append` inserts it."""
    customer_id, currency = wallet_id.split(":")
    moment = now()
    entry = {
        "_id": f"txn_{uuid.uuid4().hex[:20]}",
        "idempotency_key": f"payment:ord_{uuid.uuid4().hex[:12]}:1",
        "wallet_id": wallet_id,
        "customer_id": customer_id,
        "currency": currency,
        "type": "debit",
        "kind": "payment",
        "amount_minor": 100,
        "reference": {"order_id": f"ord_{uuid.uuid4().hex[:12]}", "order_life": uuid.uuid4().hex[:16]},
        "status": "applied",
        "finalized": False,
        "created_at": moment,
        "applied_at": moment,
        "operation_id": uuid.uuid4().hex,
        "sequence": sequence,
        "balance_after_minor": 9_999_900,
        "held_after_minor": 0,
        "debt_after_minor": 0,
    }
    if hold_count:
        entry["holds_after"] = holds(hold_count)
    return entry


def payment_order(customer_id):
    """A `created` payment order as `PaymentOrders.create` inserts it."""
    return {
        "_id": f"po_{uuid.uuid4().hex[:20]}",
        "reference": uuid.uuid4().hex,
        "gateway": "razorpay",
        "customer_id": customer_id,
        "amount_minor": 100_000,
        "currency": "INR",
        "status": "created",
        "created_at": now() - datetime.timedelta(minutes=5),
    }


# --- the calls ------------------------------------------------------------------------------------
class Calls:
    """The calls of one thread (`lane`) on one database. `prepared(name, count)`: `count` calls of
    `name`, each a no-argument function with its documents built beforehand (a new document, or a
    new version, where the service's would be), so that the time measured is the driver's."""

    def __init__(self, db, lane, calls, session=None):
        self.db, self.session = db, session
        self.wallet_id, self.large_id = f"bench_c{lane}:INR", f"bench_big{lane}:INR"
        self.version = 1
        db["wallets"].insert_many([wallet(self.wallet_id), wallet(self.large_id, LARGE_HOLDS)])
        orders = [payment_order(f"bench_c{lane}") for _ in range(calls + WARM_UP_CALLS)]
        db["payment_orders"].insert_many(orders)
        self.order_ids = iter([order["_id"] for order in orders])
        if lane == 0:
            db["payment_orders_waiting"].insert_many([payment_order("bench_w") for _ in range(20)])
        self.sequences = itertools.count(2)

    def prepared(self, name, count):
        return [self.one(name) for _ in range(count)]

    def one(self, name):
        s, wallets, entries = {"session": self.session}, self.db["wallets"], self.db["ledger_entries"]
        if name.startswith("find_one _id"):
            return functools.partial(
                wallets.find_one, {"_id": self.large_id if "large" in name else self.wallet_id}, **s
            )
        if name.startswith("insert_one"):
            wallet_id, hold_count = (self.large_id, LARGE_HOLDS) if "large" in name else (self.wallet_id, 0)
            return functools.partial(entries.insert_one, ledger_entry(wallet_id, next(self.sequences), hold_count), **s)
        if name == "update_one":
            return self.roll()
        if name == "find_one_and_update":
            return functools.partial(
                self.db["payment_orders"].find_one_and_update,
                {"_id": next(self.order_ids), "gateway": {"$in": ["razorpay"]}},
                {"$addToSet": {"webhook_event_ids": f"evt_{uuid.uuid4().hex[:14]}"}},
                return_document=ReturnDocument.BEFORE,
                **s,
            )
        if name == "count_documents":
            waiting = {"status": "created", "created_at": {"$lte": now() - datetime.timedelta(seconds=60)}}
            return functools.partial(self.db["payment_orders_waiting"].count_documents, waiting, **s)
        return functools.partial(self.db.command, "ping", **s)

    def roll(self):
        """`WalletService.roll`: the wallet forward one entry, a compare-and-set on `version`."""
        update = {
            "$set": {"balance_minor": 10_000_000 - self.version, "version": self.version + 1, "updated_at": now()},
            "$inc": {"totals.payment_minor": 100, "totals.payment_count": 1},
        }
        self.version += 1
        return functools.partial(
            self.db["wallets"].update_one,
            {"_id": self.wallet_id, "version": self.version - 1},
            update,
            **{"session": self.session},
        )

    def check(self):
        """Every roll found its wallet (each update_one matched)."""
        assert self.db["wallets"].find_one({"_id": self.wallet_id})["version"] == self.version


def run_all(batch):
    for function in batch:
        function()


class Client:
    """One variant: a client with these settings (or backend/db.py's: "service"), its database and
    `threads` lanes of calls. `batch(name, calls)`: µs of this process's CPU per call over `calls`
    calls of `name`, split over the lanes' threads, their documents built before the clock starts."""

    def __init__(self, uri, settings, threads, calls):
        self.settings = settings
        self.client = client_for(uri, settings)
        self.session = None
        if settings in ("session", "causal"):
            self.session = self.client.start_session(causal_consistency=settings == "causal")
        self.name = f"bench_driver_{uuid.uuid4().hex[:8]}"
        db = self.client[self.name]
        self.lanes = [Calls(db, lane, calls // threads, self.session) for lane in range(threads)]

    def batch(self, name, calls):
        share = calls // len(self.lanes)
        batches = [lane.prepared(name, share) for lane in self.lanes]
        if len(batches) == 1:
            started = time.process_time()
            run_all(batches[0])
            return (time.process_time() - started) / share * 1e6
        ready = threading.Barrier(len(batches) + 1)  # the threads are started before the clock is

        def after_start(batch):
            ready.wait()
            run_all(batch)

        threads = [threading.Thread(target=after_start, args=(batch,)) for batch in batches]
        for thread in threads:
            thread.start()
        ready.wait()
        started = time.process_time()
        for thread in threads:
            thread.join()
        return (time.process_time() - started) / (share * len(batches)) * 1e6

    def close(self):
        for lane in self.lanes:
            lane.check()
        self.client.drop_database(self.name)
        if self.session is not None:
            self.session.end_session()
        if self.settings not in ("service", "session", "causal"):
            self.client.close()


def client_for(uri, settings):
    if settings in ("service", "session", "causal"):
        sys.path.insert(0, ROOT)
        from backend.db import connect

        return connect(uri, "admin").client  # the one client backend/db.py keeps for this URI
    return pymongo.MongoClient(uri, **settings)


class BarePing:
    """The floor under any driver: an OP_MSG `ping` written and read on a plain socket."""

    def __init__(self, port):
        body = bson.encode({"ping": 1, "$db": "admin"})
        payload = struct.pack("<I", 0) + b"\0" + body
        self.message = struct.pack("<iiii", 16 + len(payload), 1, 0, 2013) + payload
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def batch(self, name, calls):
        if name != "ping":
            return None
        started = time.process_time()
        for _ in range(calls):
            self.sock.sendall(self.message)
            header = self.sock.recv(16, socket.MSG_WAITALL)
            self.sock.recv(struct.unpack("<i", header[:4])[0] - 16, socket.MSG_WAITALL)
        return (time.process_time() - started) / calls * 1e6

    def close(self):
        self.sock.close()


class WithoutC:
    """db.py's settings at 099f932 in a child process that cannot import the C extensions;
    it runs a batch when asked (`<name>\t<calls>` on its stdin) and answers with its CPU per call."""

    def __init__(self, uri, calls):
        argv = [sys.executable, __file__, "--no-c", "--uri", uri, "--calls", str(calls)]
        child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert child.stdin is not None and child.stdout is not None
        self.child, self.asks, self.answers = child, child.stdin, child.stdout

    def batch(self, name, calls):
        self.asks.write(f"{name}\t{calls}\n")
        self.asks.flush()
        return float(self.answers.readline())

    def close(self):
        self.asks.close()
        self.child.wait(timeout=60)


def serve_batches(uri, calls):
    """The child of WithoutC."""
    assert not bson.has_c() and not pymongo.has_c()
    client = Client(uri, dict(TODAY), 1, calls)
    for line in sys.stdin:
        name, count = line.rstrip("\n").split("\t")
        print(client.batch(name, int(count)), flush=True)
    client.close()


def measure(variants, repetitions, calls):
    """{variant: {operation: [µs per call, one per repetition]}} and the same for the difference from
    the first variant. Each repetition runs every operation in BATCHES slots; in each slot every
    variant runs one batch of calls / BATCHES calls, one after the other, in an order that turns
    from slot to slot, so that what the machine does meanwhile falls on all of them alike. A
    repetition's figure is the median over its slots, and the difference the median of the
    slots' differences from the first variant's batch in the same slot."""
    names = list(variants)
    figures: dict[str, dict[str, list[float]]] = {name: collections.defaultdict(list) for name in names}
    differences: dict[str, dict[str, list[float]]] = {name: collections.defaultdict(list) for name in names}
    for name in names:  # warm up: connections, caches, the server's first documents
        for operation in OPERATIONS:
            variants[name].batch(operation, WARM_UP_CALLS)
    turn = itertools.count()
    for _ in range(repetitions):
        for operation in OPERATIONS:
            slots = []
            for _ in range(BATCHES):
                shift = next(turn) % len(names)
                order = names[shift:] + names[:shift]
                slots.append({name: variants[name].batch(operation, calls // BATCHES) for name in order})
            for name in names:
                if slots[0][name] is None:
                    continue
                figures[name][operation].append(statistics.median(slot[name] for slot in slots))
                base = names[0]
                differences[name][operation].append(statistics.median(slot[name] - slot[base] for slot in slots))
    return figures, differences


# --- where it goes --------------------------------------------------------------------------------
AREAS = {
    "collection.py": "operation and cursor objects",
    "cursor.py": "operation and cursor objects",
    "cursor_shared.py": "operation and cursor objects",
    "cursor_base.py": "operation and cursor objects",
    "database.py": "operation and cursor objects",
    "results.py": "operation and cursor objects",
    "aggregation.py": "operation and cursor objects",
    "command_cursor.py": "operation and cursor objects",
    "mongo_client.py": "retry loop and client bookkeeping",
    "mongo_client_shared.py": "retry loop and client bookkeeping",
    "_csot.py": "retry loop and client bookkeeping",
    "helpers.py": "retry loop and client bookkeeping",
    "topology.py": "server selection",
    "topology_description.py": "server selection",
    "server_selectors.py": "server selection",
    "server_description.py": "server selection",
    "read_preferences.py": "server selection",
    "server.py": "server selection",
    "pool.py": "connection checkout and checkin",
    "pool_shared.py": "connection checkout and checkin",
    "lock.py": "connection checkout and checkin",
    "client_session.py": "implicit session (lsid, txnNumber, $clusterTime)",
    "client_session_shared.py": "implicit session (lsid, txnNumber, $clusterTime)",
    "message.py": "command building, reply checks (Python)",
    "command_runner.py": "command building, reply checks (Python)",
    "helpers_shared.py": "command building, reply checks (Python)",
    "write_concern.py": "command building, reply checks (Python)",
    "common.py": "command building, reply checks (Python)",
    "network_layer.py": "network, Python side",
    "socket_checker.py": "network, Python side",
    "logger.py": "logging checks",
}


def area_of(function_key):
    filename, _, function = function_key
    if filename == "~":
        if "socket" in function:
            return "socket system calls"
        if "_cbson" in function or "_cmessage" in function:
            return "BSON in C"
        return "other built-ins"
    if f"{os.sep}bson{os.sep}" in filename:
        return "BSON in Python"
    return AREAS.get(os.path.basename(filename), "other Python")


def profile(uri, calls):
    """{operation: {area: share of the call's profiled CPU}} under backend/db.py's settings."""
    client = client_for(uri, "service")
    name = f"bench_driver_{uuid.uuid4().hex[:8]}"
    lanes = [Calls(client[name], 0, calls)]
    shares = {}
    try:
        for operation in OPERATIONS:
            for function in lanes[0].prepared(operation, WARM_UP_CALLS):
                function()
            batch = lanes[0].prepared(operation, calls)
            profiler = cProfile.Profile(time.process_time)
            profiler.runcall(run_all, batch)
            areas: collections.Counter = collections.Counter()
            for key, (_, _, own_seconds, _, _) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
                areas[area_of(key)] += own_seconds
            total = sum(areas.values())
            shares[operation] = {area: seconds / total for area, seconds in areas.items()}
    finally:
        client.drop_database(name)
    return shares


# --- the report -----------------------------------------------------------------------------------
def spread(values, signed=False):
    """'a–b' over the repetitions (one value when they agree to the µs)."""
    form = "{:+.0f}" if signed else "{:.0f}"
    low, high = form.format(min(values)), form.format(max(values))
    return low if low == high else f"{low} … {high}" if signed else f"{low}–{high}"


def table(title, rows, signed=False):
    print(f"| {title} | " + " | ".join(OPERATIONS) + " |")
    print("|---|" + "--:|" * len(OPERATIONS))
    for variant, results in rows.items():
        cells = [spread(results[operation], signed) if results.get(operation) else "" for operation in OPERATIONS]
        print(f"| {variant} | " + " | ".join(cells) + " |")
    print()


def print_report(figures, differences, arguments, loads, shares):
    print(f"pymongo {pymongo.version} (C extensions: bson {bson.has_c()}, pymongo {pymongo.has_c()}), ", end="")
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores; {arguments.calls} calls of each", end=" ")
    print(f"operation per variant and repetition, {arguments.repetitions} repetitions; load average", end=" ")
    print("(1, 5, 15 min) before " + ", after ".join(" ".join(f"{load:.2f}" for load in three) for three in loads))
    print()
    table("client CPU per call, µs (range over the repetitions)", figures)
    base = next(iter(figures))
    table(f"difference from '{base}', µs (paired batches)", {v: d for v, d in differences.items() if v != base}, True)
    if shares:
        areas = sorted({area for share in shares.values() for area in share}, key=lambda a: -shares["insert_one"][a])
        shares_by_area = {area: {op: [shares[op].get(area, 0) * 100] for op in OPERATIONS} for area in areas}
        table("share of a call's profiled CPU (backend.db.connect), %", shares_by_area)


def variants_for(stores, arguments):
    chosen = [v for v in VARIANTS if not arguments.only or arguments.only in v[0] or v is VARIANTS[0]]
    calls = arguments.calls * arguments.repetitions
    variants: dict[str, Client | BarePing | WithoutC] = {
        name: Client(stores.uris[server], settings, threads, calls) for name, server, settings, threads in chosen
    }
    if not arguments.only or arguments.only in BARE:
        variants[BARE] = BarePing(stores.ports["rs"])
    if not arguments.only or arguments.only in NO_C:
        variants[NO_C] = WithoutC(stores.uris["rs"], calls)
    return variants


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls of each operation per variant and repetition")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--only", help="measure only the variants whose name contains this text (and the first)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-c", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--uri", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        return serve_replica_set(arguments.serve)
    if arguments.no_c:
        return serve_batches(arguments.uri, arguments.calls)
    with tempfile.TemporaryDirectory(prefix="bench_driver_") as log_dir:
        stores = Stores(log_dir)
        try:
            loads = [os.getloadavg()]
            variants = variants_for(stores, arguments)
            figures, differences = measure(variants, arguments.repetitions, arguments.calls)
            for variant in variants.values():
                variant.close()
            shares = profile(stores.uris["rs"], arguments.calls) if arguments.profile else None
            loads.append(os.getloadavg())
            print_report(figures, differences, arguments, loads, shares)
        finally:
            stores.stop()
    return None


if __name__ == "__main__":
    main()
