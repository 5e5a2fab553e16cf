"""`python -m backend worker` as a real process on a MongoDB-wire server: it beats, /health of a web
app on the same store sees the beat, and SIGTERM stops it cleanly, releasing its job leases; on the
embedded store it refuses."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from pymongo import MongoClient

from backend import create_app
from tests.conftest import app_config
from tests.helpers import TEST_JWT_SECRET
from tests.mongoeco_support import ROOT, free_port, mongodb_uri  # noqa: F401 (a fixture)

BEAT_SECONDS_MAX = 20


def worker_env(**settings):
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "MONGODB_DB", "APP_ENV")}
    env.update(APP_ENV="development", JWT_SECRET=TEST_JWT_SECRET, **settings)
    return env


def test_the_worker_refuses_the_embedded_store():
    done = subprocess.run(
        [sys.executable, "-m", "backend", "worker"],
        cwd=ROOT,
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "MONGODB_URI" in done.stderr and "python -m backend" in done.stderr


def test_a_worker_process_beats_and_stops_on_sigterm(mongodb_uri):  # noqa: F811
    db_name = f"worker_{uuid.uuid4().hex[:10]}"
    process = subprocess.Popen(
        [sys.executable, "-m", "backend", "worker"],
        cwd=ROOT,
        env=worker_env(MONGODB_URI=mongodb_uri, MONGODB_DB=db_name),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = MongoClient(mongodb_uri, serverSelectionTimeoutMS=5000)
    try:
        deadline = time.monotonic() + BEAT_SECONDS_MAX
        while client[db_name]["worker_heartbeats"].count_documents({}) == 0:
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "no heartbeat"
            time.sleep(0.2)
        beat = client[db_name]["worker_heartbeats"].find_one({})
        assert set(beat["jobs"]) == {"recovery", "outbox", "sweep", "reconcile", "settlement"}
        web = create_app(app_config(MONGODB_URI=mongodb_uri, MONGODB_DB=db_name))
        health = web.test_client().get("/api/integration/health").get_json()
        assert 0 <= health["features"]["worker"]["last_heartbeat_age_seconds"] < BEAT_SECONDS_MAX
        leases = client[db_name]["worker_leases"]
        assert {lease["owner"] for lease in leases.find({})} == {beat["_id"]}  # it holds its jobs
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        output = process.stdout.read()
        assert "stopped" in output and "CLOCK SKEW" not in output  # the store's clock is this machine's
        assert {lease["owner"] for lease in leases.find({})} == {None}  # released: the next worker runs them now
    finally:
        if process.poll() is None:
            process.kill()
        client.drop_database(db_name)
        client.close()


def test_a_worker_process_serves_its_own_audit_events_on_worker_metrics_port(mongodb_uri):  # noqa: F811
    """The money a worker moves (sweep credits, settlement heals, take-backs) is counted in its own
    process, which the web processes' /metrics cannot sum: it serves them on WORKER_METRICS_PORT."""
    db_name, port, shared = f"worker_{uuid.uuid4().hex[:10]}", free_port(), tempfile.mkdtemp(prefix="metrics-")
    env = worker_env(
        MONGODB_URI=mongodb_uri, MONGODB_DB=db_name, WORKER_METRICS_PORT=str(port), PROMETHEUS_MULTIPROC_DIR=shared
    )
    process = subprocess.Popen([sys.executable, "-m", "backend", "worker"], cwd=ROOT, env=env, text=True)
    try:
        deadline, text = time.monotonic() + BEAT_SECONDS_MAX, None
        while text is None:
            assert process.poll() is None and time.monotonic() < deadline
            try:
                text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
            except OSError:
                time.sleep(0.2)
        assert 'wallet_audit_events_total{event="wallet.chargeback",outcome="ok"} 0.0' in text
        assert "wallet_store_up" not in text and "wallet_http_requests_total" not in text  # the web processes'
        assert os.listdir(shared) == []  # not in the web processes' directory: their /metrics would sum them too
        taken = subprocess.run(
            [sys.executable, "-m", "backend", "worker"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert taken.returncode == 2 and f"WORKER_METRICS_PORT {port}" in taken.stderr
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
        MongoClient(mongodb_uri).drop_database(db_name)
        shutil.rmtree(shared, ignore_errors=True)


def test_a_gunicorn_web_process_runs_no_background_loop(mongodb_uri):  # noqa: F811
    probe = (
        "import threading, backend.wsgi; "
        "print(sorted(t.name for t in threading.enumerate() if t is not threading.main_thread()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=worker_env(MONGODB_URI=mongodb_uri, MONGODB_DB=f"wsgi_{uuid.uuid4().hex[:10]}"),
    )
    assert done.returncode == 0, done.stderr
    threads = done.stdout.strip().splitlines()[-1]
    assert "worker" not in threads and "outbox" not in threads, threads
