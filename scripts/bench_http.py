"""`make bench`: what the service costs per request over real HTTP, as production runs it.

    .venv/bin/python scripts/bench_http.py [--repetitions 3] [--seconds 2] [--writes 100]
                                           [--clients 4] [--no-embedded] [--json FILE]

1. The wire run (scripts/bench_wire.py): the service under gunicorn with one worker, rate limits on
   as deployed, on mongoeco's MongoDB-wire server in a process of its own, against 4 keep-alive
   clients. For each operation (health, status, initiate, webhook credit, pay and refund with an
   Idempotency-Key): the worker's CPU per request (from /proc) and as a multiple of a floor app's
   (one trivial JSON route under the same gunicorn settings, measured between every two phases),
   the store's commands per request (counted at the store), p50/p99 latency; then health, status
   and pay with rate limits off and with redis:// limits, for what the limits cost. All of it
   --repetitions times, each on a database of its own with services of its own (the floor
   between every two phases of it); the tables give the range.
2. The embedded run (scripts/bench_embedded.py): `python -m backend`'s waitress on the embedded
   mongomock store, each phase once.

Nothing here calls the internet: every server is ours, on 127.0.0.1. This process is the load
generator. Prints Markdown, as pasted into docs/benchmarks.md; takes about 4 to 5 minutes.
"""

import argparse
import datetime
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_embedded  # noqa: E402
import bench_report  # noqa: E402
import bench_wire  # noqa: E402
from bench_load import Requests  # noqa: E402
from bench_processes import ROOT, machine_busy_seconds  # noqa: E402

MEASURED_PATHS = ("backend", "gunicorn.conf.py", "requirements.txt")


def code_label():
    def git(*args):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", *MEASURED_PATHS)
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


def our_cpu_seconds():
    """CPU-seconds of this process and of its children it has reaped (every server, once stopped)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def options_from(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repetitions", type=int, default=3, help="repetitions of the wire run")
    parser.add_argument("--seconds", type=float, default=2, help="length of each read phase (health, status)")
    parser.add_argument("--writes", type=int, default=100, help="requests of each write phase")
    parser.add_argument("--clients", type=int, default=4, help="keep-alive clients")
    parser.add_argument("--no-embedded", action="store_true", help="skip the embedded run")
    parser.add_argument("--json", help="also write the results to this file")
    return parser.parse_args(argv)


def main(argv=None):
    options = options_from(argv)
    started, busy_started, ours_started = time.monotonic(), machine_busy_seconds(), our_cpu_seconds()
    load_started = os.getloadavg()
    info = dict(machine(), code=code_label(), clients=options.clients, repetitions=options.repetitions)
    print(f"code {info['code']}; {info['date']}; nproc {info['nproc']}; {info['cpu']}; Python {info['python']}")
    print(f"load average at the start: {' '.join(f'{value:.2f}' for value in load_started)}", flush=True)
    jwt_secret = secrets.token_hex(32)
    log_dir = tempfile.mkdtemp(prefix="wallet-bench-")
    try:
        print("wire run:", flush=True)
        wire_rows, waiting_rows, facts = bench_wire.run(
            options, lambda: Requests(jwt_secret, options.clients), jwt_secret, log_dir
        )
        embedded = None
        if not options.no_embedded:
            print("embedded run:", flush=True)
            embedded = bench_embedded.run(options, jwt_secret, log_dir)
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)  # a server that failed to start has printed its output
    info["total_seconds"] = round(time.monotonic() - started)
    others = max(0.0, machine_busy_seconds() - busy_started - (our_cpu_seconds() - ours_started))
    info["other_cpu_seconds"] = round(others, 1)
    info["other_cpu_share"] = round(others / (info["total_seconds"] * info["nproc"]), 3)
    info["load_average"] = [load_started, os.getloadavg()]
    report(info, wire_rows, waiting_rows, facts, embedded, options)
    if options.json:
        with open(options.json, "w") as handle:
            json.dump(
                {
                    "info": info,
                    "facts": facts,
                    "wire": {f"{op} {limits}": results for (op, limits), results in wire_rows.items()},
                    "floor_waiting": {f"{op} {limits}": results for (op, limits), results in waiting_rows.items()},
                    "embedded": embedded,
                },
                handle,
                indent=1,
            )
    errors = sum(result["errors"] for results in wire_rows.values() for result in results)
    errors += sum(row["errors"] for row in embedded[0].values()) if embedded else 0
    return 1 if errors else 0


def idle_cpu_ms_per_second(wire_rows):
    """The mean over the floor phases (one phase of 1 s reads 0 or a tick of 10 ms)."""
    values = [row["idle_cpu_ms_per_second"] for row in wire_rows[bench_report.FLOOR] if "idle_cpu_ms_per_second" in row]
    return f"{sum(values) / len(values):.2f}" if values else "?"


def report(info, wire_rows, waiting_rows, facts, embedded, options):
    load_start, load_end = (" ".join(f"{value:.2f}" for value in values) for values in info["load_average"])
    print(
        f"\ncode {info['code']}; {info['date']}; nproc {info['nproc']}; {info['cpu']}; Python {info['python']}; "
        f"{info['total_seconds']} s in all"
    )
    print(
        f"load average {load_start} at the start, {load_end} at the end; other processes kept the machine busy "
        f"for {info['other_cpu_seconds']:g} CPU-seconds during the run ({info['other_cpu_share']:.0%} of its "
        f"{info['nproc']} cores)"
    )
    print(
        f"\nWire store (mongoeco's wire server, its own process); gunicorn -c gunicorn.conf.py, 1 worker x 8 "
        f"threads; rate limits on (memory://), TRUSTED_PROXY_COUNT=1; {info['clients']} keep-alive clients; "
        f"ranges over {info['repetitions']} repetitions, each on a fresh database ({options.seconds:g} s per read "
        f"phase, {options.writes} requests per write phase, the floor for {bench_wire.FLOOR_SECONDS:g} s between "
        "every two phases):\n"
    )
    print(bench_report.wire_table(wire_rows))
    print(
        f"\nLast repetition: worker RSS {facts['rss_kib_at_ready'] / 1024:.1f} MiB at ready, "
        f"{facts['rss_kib_at_end'] / 1024:.1f} MiB at the end; {facts['ledger_entries']:,} ledger entries in its "
        f"database at the end. An idle service worker (read "
        f"during the floor phases) spends {idle_cpu_ms_per_second(wire_rows)} ms of CPU a second on average.\n"
    )
    print(
        "The floor waiting as each operation waits (limits on): after each phase, the floor's second route answers "
        "after as many sleeps as the phase had store round trips, adding up to the phase's p50 less its CPU per "
        "request; × that floor is paired within each repetition. Not issue 21's yardstick (× floor above): "
        "it shows how much of that is the wait.\n"
    )
    print(bench_report.waiting_floor_table(wire_rows, waiting_rows))
    print("\nWhat the rate limits cost (the same service, three instances on one store):\n")
    print(bench_report.limits_table(wire_rows))
    if not facts["redis"]:
        print("\n(no redis-server installed: `make redis-deps` installs it; the redis:// columns are missing)")
    print("\nStore commands per request, counted at the store (limits on, memory://):\n")
    print(bench_report.commands_table(wire_rows))
    if embedded:
        rows, counted = embedded
        print(
            f"\nEmbedded store (mongomock, in the process): `python -m backend`'s waitress, worker thread on, rate "
            f"limits off; {info['clients']} keep-alive clients; each phase once; CPU of the "
            "whole server process:\n"
        )
        print(bench_report.embedded_table(rows, counted))
        print("\nStore calls per request, embedded store (a warm second request of each kind):\n")
        print(bench_report.calls_table(counted))


if __name__ == "__main__":
    sys.exit(main())
