"""/health's backlog read from the newest heartbeat (backend/backlog.py): a stale count must not hide a growing
backlog for more than ~BACKLOG_FRESH_SECONDS, whatever the worker's clock; 503 when the store fails."""

import datetime

import pytest
from pymongo.errors import PyMongoError

from backend import create_app, routes_integration
from backend.clock import utcnow
from backend.worker import Worker
from tests.conftest import app_config


@pytest.fixture
def worker_app():
    app = create_app(app_config(RECOVERY_GRACE_SECONDS="0", SWEEP_STALE_AFTER_SECONDS="1"))
    yield app
    database = app.extensions["wallet_db"]
    if getattr(database, "client", None) is not None:
        database.client.drop_database(database.name)


def worker(app, clock, store_clock, worker_id="w1"):
    return Worker(
        app.extensions["integration"],
        app.extensions["wallet_db"],
        app.config,
        clock=clock,
        worker_id=worker_id,
        store_clock=store_clock,
    )


def grow_backlog(db):
    an_hour_ago = utcnow() - datetime.timedelta(hours=1)
    db["payment_orders"].insert_one(
        {"_id": "order_bl", "status": "created", "created_at": an_hour_ago, "customer_id": "c", "gateway": "razorpay"}
    )


def health_at(app, monkeypatch, seconds_later):
    """/health as the service sees it `seconds_later` from now (its clock moved, the worker gone)."""
    later = utcnow() + datetime.timedelta(seconds=seconds_later)
    with monkeypatch.context() as patch:
        patch.setattr(routes_integration, "utcnow", lambda: later)
        response = app.test_client().get("/api/integration/health")
    return response


def test_a_worker_an_hour_ahead_on_a_store_that_tells_no_time_hides_the_backlog(worker_app, monkeypatch):
    db = worker_app.extensions["wallet_db"]
    ahead = lambda: utcnow() + datetime.timedelta(hours=1)  # noqa: E731
    worker(worker_app, ahead, lambda: None).run_once()  # the store does not tell its time: no skew check
    grow_backlog(db)
    response = health_at(worker_app, monkeypatch, 30)  # the worker died; 30 s on
    assert response.get_json()["features"]["sweep"] == {"waiting": 1}


def test_a_worker_ahead_within_the_skew_bound_shows_its_count_at_most_fresh_plus_skew(worker_app, monkeypatch):
    """Clocks may differ by WORKER_CLOCK_SKEW_MAX_SECONDS (5 s): a count is shown at most that much
    longer than BACKLOG_FRESH_SECONDS (docs/api.md, §9)."""
    db = worker_app.extensions["wallet_db"]
    ahead = lambda: utcnow() + datetime.timedelta(seconds=5)  # noqa: E731
    worker(worker_app, ahead, utcnow).run_once()  # within WORKER_CLOCK_SKEW_MAX_SECONDS=5: it runs
    grow_backlog(db)
    assert health_at(worker_app, monkeypatch, 0).get_json()["features"]["sweep"] == {"waiting": 1}  # from the future
    assert health_at(worker_app, monkeypatch, 10).get_json()["features"]["sweep"] == {"waiting": 0}
    assert health_at(worker_app, monkeypatch, 16).get_json()["features"]["sweep"] == {"waiting": 1}


def test_fresh_count_shown_and_stale_counted_live(worker_app, monkeypatch):
    db = worker_app.extensions["wallet_db"]
    worker(worker_app, utcnow, utcnow).run_once()
    grow_backlog(db)
    assert health_at(worker_app, monkeypatch, 0).get_json()["features"]["sweep"] == {"waiting": 0}
    assert health_at(worker_app, monkeypatch, 11).get_json()["features"]["sweep"] == {"waiting": 1}


def test_503_when_the_heartbeat_read_fails_with_a_fresh_heartbeat(worker_app, monkeypatch):
    worker(worker_app, utcnow, utcnow).run_once()
    from backend import worker as worker_module

    def broken(db, now=None):
        raise PyMongoError("boom")

    monkeypatch.setattr(routes_integration, "last_heartbeat", broken, raising=False)
    response = worker_app.test_client().get("/api/integration/health")
    assert response.status_code == 503, response.get_json()
    assert worker_module


def test_503_when_the_live_count_fails_after_a_stale_heartbeat(worker_app, monkeypatch):
    worker(worker_app, utcnow, utcnow).run_once()
    from backend import backlog as backlog_module

    def broken(*args, **kwargs):
        raise PyMongoError("boom")

    monkeypatch.setattr(backlog_module, "count_backlog", broken)
    response = health_at(worker_app, monkeypatch, 30)
    assert response.status_code == 503, response.get_json()
    assert "boom" not in response.get_data(as_text=True)
