"""The embedded store says where it stops: past EMBEDDED_SLOW_LEDGER_ENTRIES ledger entries
(measured by scripts/embedded_limits.py; README, "The embedded store's limits") a WARNING is logged,
at start-up or when /health first finds it, and /health reports `features.embedded_store`. The
threshold is made small here by monkeypatching the constant. On MongoDB nothing is counted."""

import logging
import uuid

import pytest

import backend.db as store
from backend import create_app, prepare_store
from tests.conftest import app_config
from tests.helpers import BASE, Api
from tests.mongoeco_support import mongodb_uri  # noqa: F401 (a fixture)

LIMIT = 2
SLOW = "EMBEDDED STORE SLOW"


def embedded_app(**overrides):
    return create_app(app_config(MONGODB_URI="mongomock://localhost", **overrides))


def health(app):
    response = app.test_client().get(f"{BASE}/health")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"status", "service", "timestamp", "features"}
    return body["features"]


def slow_warnings(caplog):
    return [r for r in caplog.records if r.levelno == logging.WARNING and SLOW in r.getMessage()]


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(store, "EMBEDDED_SLOW_LEDGER_ENTRIES", LIMIT)
    monkeypatch.setattr(store, "EMBEDDED_COUNT_CACHE_SECONDS", 0)


def test_health_reports_the_embedded_store_size_and_its_limit(monkeypatch):
    monkeypatch.setattr(store, "EMBEDDED_COUNT_CACHE_SECONDS", 0)  # else the count made at start-up (0) stands
    app = embedded_app()
    Api(app.test_client(), app.extensions["wallet_db"]).topup("cust_l", "10")
    assert health(app)["embedded_store"] == {
        "ledger_entries": 1,
        "slow_past_ledger_entries": store.EMBEDDED_SLOW_LEDGER_ENTRIES,
        "slow": False,
    }


def test_past_the_limit_health_says_so_and_one_warning_is_logged(small_limit, caplog):
    app = embedded_app()
    api = Api(app.test_client(), app.extensions["wallet_db"])
    for _ in range(LIMIT):
        api.topup("cust_l", "10")
    assert health(app)["embedded_store"]["slow"] is False  # at the limit, not past it
    assert slow_warnings(caplog) == []
    api.topup("cust_l", "10")
    embedded = health(app)["embedded_store"]
    assert (embedded["ledger_entries"], embedded["slow"]) == (LIMIT + 1, True)
    assert "MONGODB_URI" in embedded["warning"] and "50 ms" in embedded["warning"]
    assert embedded["slow_past_ledger_entries"] == LIMIT
    assert len(slow_warnings(caplog)) == 1
    health(app)
    assert len(slow_warnings(caplog)) == 1  # once per store, not per health check


def test_a_store_already_past_the_limit_is_warned_about_at_start_up(small_limit, monkeypatch, caplog):
    filled = store.connect("mongomock://localhost", f"filled_{uuid.uuid4().hex[:8]}")
    filled["ledger_entries"].insert_many(
        [
            {"_id": f"txn_{i}", "idempotency_key": f"k{i}", "wallet_id": f"c{i}:INR", "sequence": 1, "finalized": True}
            for i in range(LIMIT + 1)
        ]
    )
    monkeypatch.setattr(store, "connect", lambda uri, db_name: filled)
    with caplog.at_level(logging.INFO, logger="integration"):
        prepare_store(embedded_app(RECOVER_ON_START="false"))
    [warning] = slow_warnings(caplog)
    assert f"{LIMIT + 1} ledger entries, past {LIMIT}" in warning.getMessage()


def test_start_up_states_the_limit(caplog):
    with caplog.at_level(logging.INFO, logger="integration"):
        prepare_store(embedded_app())
    assert any(f"past {store.EMBEDDED_SLOW_LEDGER_ENTRIES} ledger entries" in r.getMessage() for r in caplog.records)
    assert slow_warnings(caplog) == []


def test_the_count_is_cached_between_health_checks(monkeypatch):
    app = embedded_app()
    counts = []
    real_count = store.document_count

    def counting(db, name):
        counts.append(name)
        return real_count(db, name)

    monkeypatch.setattr(store, "document_count", counting)
    monkeypatch.setattr(store, "EMBEDDED_COUNT_CACHE_SECONDS", 3600)
    app.extensions["wallet_db"].ledger_count = None  # as if counted long ago
    Api(app.test_client(), app.extensions["wallet_db"]).topup("cust_l", "10")
    assert health(app)["embedded_store"]["ledger_entries"] == 1
    for _ in range(5):
        health(app)
    assert counts == ["ledger_entries"]


def test_on_mongodb_nothing_is_counted_and_health_has_no_embedded_store(mongodb_uri, monkeypatch):  # noqa: F811
    def never(*args):
        raise AssertionError("counted documents on MongoDB")

    monkeypatch.setattr(store, "document_count", never)
    app = create_app(app_config(MONGODB_URI=mongodb_uri))
    try:
        assert "embedded_store" not in health(app)
        assert store.check_embedded_store(app.extensions["wallet_db"]) is None
    finally:
        database = app.extensions["wallet_db"]
        database.client.drop_database(database.name)
