"""Rate limits shared between processes through Redis (RATE_LIMIT_STORAGE_URI=redis://...).

A real `redis-server` (`make redis-deps` installs it) on a free port, no persistence. Two apps
stand for two gunicorn workers: with Redis the money limit (30/min per client address) trips
across both; with memory:// each app counts alone, so twice the limit gets through. Only the money
POSTs count in Redis: every other endpoint counts in its process, with no round trip.
Skips, printing why, only when redis-server is not installed or does not start."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
import redis

from backend import create_app
from backend.limits import DEFAULT_LIMIT, MONEY_LIMIT, SHARED_KEY_PREFIX, WINDOW_SECONDS, per_window
from tests.conftest import app_config
from tests.helpers import bearer
from tests.integration.support import assert_error

MONEY_LIMIT_PER_MINUTE = int(MONEY_LIMIT.split()[0])
VERIFY = "/api/integration/wallet/topup/verify"
START_SECONDS_MAX = 10


def skip(reason):
    print(f"SKIPPED: {reason}", file=sys.stderr)
    pytest.skip(reason)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_uri():
    binary = shutil.which("redis-server") or next(
        (path for path in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.access(path, os.X_OK)), None
    )
    if binary is None:
        skip("redis-server is not installed (`make redis-deps` installs it)")
    port, workdir = free_port(), tempfile.mkdtemp(prefix="wallet-redis-")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    uri = f"redis://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS_MAX
        while True:
            try:
                redis.Redis.from_url(uri, socket_timeout=1).ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    skip(f"redis-server did not start: {process.communicate()[0][-500:]}")
                time.sleep(0.05)
        yield uri
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def worker_clients():
    """make(storage_uri): two apps (two workers of one deployment) limiting with `storage_uri`, on
    one store, with a client address of their own so that tests do not share counters."""
    apps = []

    def make(storage_uri):
        apps.append(create_app(app_config(RATE_LIMITS_ENABLED="true", RATE_LIMIT_STORAGE_URI=storage_uri)))
        apps.append(
            create_app(
                app_config(
                    RATE_LIMITS_ENABLED="true",
                    RATE_LIMIT_STORAGE_URI=storage_uri,
                    MONGODB_DB=apps[-1].extensions["wallet_db"].name,
                )
            )
        )
        return clients_of(apps[-2:])

    yield make
    for app in apps[::2]:  # a real server's test database (MONGODB_URI=mongodb://...)
        database = app.extensions["wallet_db"]
        if getattr(database, "client", None) is not None:
            database.client.drop_database(database.name)


def clients_of(apps):
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    clients = [app.test_client() for app in apps]
    for client in clients:
        client.environ_base["REMOTE_ADDR"] = address
    return clients


def verify(client):
    return client.post(VERIFY, json={}, headers=bearer("cust_r"))


def test_redis_counts_one_limit_across_workers(redis_uri, worker_clients):
    first, second = worker_clients(redis_uri)
    codes = [verify(first if i % 2 else second).status_code for i in range(MONEY_LIMIT_PER_MINUTE)]
    assert codes == [400] * MONEY_LIMIT_PER_MINUTE  # under the limit: the app's own answer
    assert_error(verify(first), 429, "rate_limited")  # the limit is shared: both workers refuse now
    assert_error(verify(second), 429, "rate_limited")
    keys = redis.Redis.from_url(redis_uri).keys("*")
    assert keys, "the counters live in Redis"


def test_memory_storage_counts_per_worker(worker_clients):
    first, second = worker_clients("memory://")
    codes = [verify(first if i % 2 else second).status_code for i in range(MONEY_LIMIT_PER_MINUTE + 2)]
    assert codes == [400] * (MONEY_LIMIT_PER_MINUTE + 2)  # each worker saw about half: none refuses
    for client in (first, second):
        for _ in range(MONEY_LIMIT_PER_MINUTE // 2 - 1):
            assert verify(client).status_code == 400
        assert_error(verify(client), 429, "rate_limited")  # each trips at its own 30


def test_with_redis_only_the_money_posts_count_there(redis_uri, worker_clients):
    first, second = worker_clients(redis_uri)
    store = redis.Redis.from_url(redis_uri)
    before = set(store.keys("*"))
    for client in (first, second):
        assert client.get("/api/integration/health").headers["X-RateLimit-Limit"] == str(per_window(DEFAULT_LIMIT))
    assert set(store.keys("*")) == before  # no round trip for anything but money
    verify(first)
    (added,) = set(store.keys("*")) - before
    assert added.decode().startswith(SHARED_KEY_PREFIX + "integration.verify_wallet_topup/")


def test_other_endpoints_count_in_each_worker_with_redis_too(redis_uri, worker_clients):
    first, second = worker_clients(redis_uri)
    limit = per_window(DEFAULT_LIMIT)
    for client in (first, second):
        remaining = [client.get("/api/integration/health").headers["X-RateLimit-Remaining"] for _ in range(2)]
        assert remaining == [str(limit - 1), str(limit - 2)]  # each worker's own count


def test_a_redis_window_starts_at_its_first_request_and_says_when_it_ends(redis_uri, worker_clients):
    first, second = worker_clients(redis_uri)
    started = time.time()
    answered = verify(first)
    again = verify(second)
    (key,) = [key for key in redis.Redis.from_url(redis_uri).keys("*") if key.endswith(first_address(first))]
    assert 0 < redis.Redis.from_url(redis_uri).pttl(key) <= WINDOW_SECONDS * 1000
    reset = int(answered.headers["X-RateLimit-Reset"])
    assert started + WINDOW_SECONDS - 1 <= reset <= time.time() + WINDOW_SECONDS + 1
    assert abs(int(again.headers["X-RateLimit-Reset"]) - reset) <= 1  # the same window, from either worker
    assert again.headers["X-RateLimit-Remaining"] == str(MONEY_LIMIT_PER_MINUTE - 2)


def first_address(client):
    return client.environ_base["REMOTE_ADDR"].encode()
