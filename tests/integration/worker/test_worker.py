"""The worker: recovery, the outbox and the gateway sweep on intervals, one worker per job at a time
(leases), and a heartbeat that /health reports."""

import datetime
import logging
import threading
import time
from unittest import mock

import pytest
from pymongo.errors import PyMongoError

from backend import create_app, routes_integration
from backend.backlog import BACKLOG_FRESH_SECONDS
from backend.clock import store_now, utcnow
from backend.config import load_config
from backend.embedded_store import LockedDatabase
from backend.errors import ConfigError
from backend.flows.followups import FOLLOW_UP_RETRY_FIRST_SECONDS
from backend.metrics import FOLLOW_UP_OVERDUE_SECONDS
from backend.wallet_service import FINISH_BATCH_MAX
from backend.worker import JOB_LEASE_SECONDS, Worker
from tests.conftest import app_config
from tests.helpers import Api, Clock, bearer
from tests.integration.orders_support import paid_order
from tests.integration.support import balance_minor


@pytest.fixture
def worker_app():
    app = create_app(app_config(RECOVERY_GRACE_SECONDS="0", SWEEP_STALE_AFTER_SECONDS="1"))
    yield app
    database = app.extensions["wallet_db"]
    if getattr(database, "client", None) is not None:
        database.client.drop_database(database.name)


def make_worker(app, clock=None, worker_id="w1", store_clock=None):
    """A worker on `clock`; the store keeps the same time unless `store_clock` says otherwise (a test's
    clock moves the worker's time, and a wire server's own clock would then be far from it)."""
    clock = clock or Clock(datetime.datetime.utcnow().replace(microsecond=0))
    return Worker(
        app.extensions["integration"],
        app.extensions["wallet_db"],
        app.config,
        clock=clock,
        worker_id=worker_id,
        store_clock=store_clock or clock,
    )


def test_one_tick_runs_every_job_and_beats(worker_app):
    client = worker_app.test_client()
    assert client.get("/api/integration/health").get_json()["features"]["worker"] == {
        "last_heartbeat_age_seconds": None
    }
    results = make_worker(worker_app, clock=datetime.datetime.utcnow).run_once()
    assert set(results) == {"recovery", "outbox", "sweep", "reconcile", "settlement"}
    age = client.get("/api/integration/health").get_json()["features"]["worker"]["last_heartbeat_age_seconds"]
    assert isinstance(age, float) and 0 <= age < 5


def test_jobs_run_on_their_intervals(worker_app):
    clock = Clock(datetime.datetime.utcnow().replace(microsecond=0))
    worker = make_worker(worker_app, clock)
    assert set(worker.run_once()) == {"recovery", "outbox", "sweep", "reconcile", "settlement"}
    clock.advance(3)
    assert set(worker.run_once()) == {"outbox"}  # every 2 s; recovery every 30 s, sweep every 60 s
    clock.advance(30)
    assert set(worker.run_once()) == {"recovery", "outbox"}


def test_the_worker_recovers_an_interrupted_payment_and_sends_its_confirmation(worker_app, monkeypatch):
    integration, db = worker_app.extensions["integration"], worker_app.extensions["wallet_db"]
    api_client = worker_app.test_client()
    payment_order_id = api_client.post(
        "/api/integration/wallet/topup/initiate",
        headers=bearer("cust_w"),
        json={"customer_id": "cust_w", "amount": "50"},
    ).get_json()["payment_order_id"]
    integration.topups.confirm(integration.find_payment_order(payment_order_id), "pay_w", "test")
    order_id = "ord_w1"
    db["orders"].insert_one(
        {
            "order_id": order_id,
            "customer_id": "cust_w",
            "amount_minor": 2000,
            "currency": "INR",
            "payment_status": "pending",
        }
    )
    with monkeypatch.context() as interrupted:  # the process dies right after the ledger insert
        interrupted.setattr(integration.wallet, "roll", lambda entry: None)
        integration.wallet.debit("cust_w", "INR", 2000, "payment", f"payment:{order_id}", {"order_id": order_id})
    assert balance_minor(db, "cust_w") == 5000
    results = make_worker(worker_app, clock=datetime.datetime.utcnow).run_once()
    assert results["recovery"]["finished"] == 2  # the top-up's follow-ups and the payment's
    assert balance_minor(db, "cust_w") == 3000
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "paid"
    assert db["notification_outbox"].count_documents({"status": "pending"}) == 0  # drained (no phone: skipped)


def test_the_worker_sweeps_a_top_up_whose_webhook_never_came(worker_app, monkeypatch):
    db = worker_app.extensions["wallet_db"]
    client = worker_app.test_client()
    monkeypatch.setattr("backend.gateways.delivery.Delivery.__call__", lambda *args, **kwargs: None)  # lost
    payment_order_id = client.post(
        "/api/integration/wallet/topup/initiate",
        headers=bearer("cust_sw"),
        json={"customer_id": "cust_sw", "amount": "75"},
    ).get_json()["payment_order_id"]
    client.post(f"/simulator/razorpay/checkout/{payment_order_id}/pay")  # paid; the customer never returns
    assert balance_minor(db, "cust_sw") == 0
    time.sleep(1.1)  # SWEEP_STALE_AFTER_SECONDS=1
    assert client.get("/api/integration/health").get_json()["features"]["sweep"] == {"waiting": 1}
    make_worker(worker_app, clock=datetime.datetime.utcnow).run_once()
    assert balance_minor(db, "cust_sw") == 7500
    assert client.get("/api/integration/health").get_json()["features"]["sweep"] == {"waiting": 0}


def test_health_shows_the_backlog_a_worker_counted_while_fresh_and_counts_it_itself_after(worker_app):
    db = worker_app.extensions["wallet_db"]
    client = worker_app.test_client()
    make_worker(worker_app, clock=utcnow).run_once()
    assert db["worker_heartbeats"].find_one({"_id": "w1"})["backlog"]["sweep_waiting"] == 0
    an_hour_ago = utcnow() - datetime.timedelta(hours=1)
    db["payment_orders"].insert_one(
        {"_id": "order_bl", "status": "created", "created_at": an_hour_ago, "customer_id": "c", "gateway": "razorpay"}
    )

    def features():
        return client.get("/api/integration/health").get_json()["features"]

    assert features()["sweep"] == {"waiting": 0}  # as the worker counted it, a moment ago
    a_while_ago = utcnow() - datetime.timedelta(seconds=BACKLOG_FRESH_SECONDS + 1)
    db["worker_heartbeats"].update_one({"_id": "w1"}, {"$set": {"backlog.counted_at": a_while_ago}})
    assert (features()["sweep"], features()["holds"]) == ({"waiting": 1}, {"expired": 0})  # counted live


def test_two_workers_never_run_the_same_leased_job_at_once(worker_app):
    clock = Clock(datetime.datetime.utcnow().replace(microsecond=0))
    first, second = make_worker(worker_app, clock, "w1"), make_worker(worker_app, clock, "w2")
    assert set(first.run_once()) == {"recovery", "outbox", "sweep", "reconcile", "settlement"}
    assert set(second.run_once()) == {"outbox"}  # recovery, sweep and reconcile are leased to w1
    clock.advance(60)
    assert set(first.run_once()) == {"recovery", "outbox", "sweep"}  # its own leases, renewed
    assert set(second.run_once()) == {"outbox"}
    clock.advance(JOB_LEASE_SECONDS + 1)  # w1 was killed: its leases run out
    assert set(second.run_once()) == {"recovery", "outbox", "sweep", "reconcile", "settlement"}
    db = worker_app.extensions["wallet_db"]
    owners = {lease["_id"]: lease["owner"] for lease in db["worker_leases"].find({})}
    assert owners == {"recovery": "w2", "sweep": "w2", "reconcile": "w2", "settlement": "w2"}


def test_a_live_worker_keeps_its_leases_between_runs(worker_app):
    """Each tick renews the worker's leases, so a short lease never lapses while it lives, even for a
    job that runs once an hour."""
    clock = Clock(datetime.datetime.utcnow().replace(microsecond=0))
    first, second = make_worker(worker_app, clock, "w1"), make_worker(worker_app, clock, "w2")
    first.run_once()
    for _ in range(60):  # ten minutes, a tick every 10 s
        clock.advance(10)
        first.run_once()
        assert set(second.run_once()) <= {"outbox"}
    db = worker_app.extensions["wallet_db"]
    assert {lease["owner"] for lease in db["worker_leases"].find({})} == {"w1"}


def test_leases_are_short(worker_app):
    """A worker killed with kill -9 releases nothing: its jobs wait for its leases to run out."""
    assert JOB_LEASE_SECONDS <= 30 < worker_app.config["WORKER_SWEEP_INTERVAL_SECONDS"]


def lost_webhook_top_up(worker_app, monkeypatch, customer_id):
    """A Razorpay top-up paid on the simulator whose webhook was lost, old enough to be swept."""
    client = worker_app.test_client()
    monkeypatch.setattr("backend.gateways.delivery.Delivery.__call__", lambda *args, **kwargs: None)
    payment_order_id = client.post(
        "/api/integration/wallet/topup/initiate",
        headers=bearer(customer_id),
        json={"customer_id": customer_id, "amount": "75"},
    ).get_json()["payment_order_id"]
    client.post(f"/simulator/razorpay/checkout/{payment_order_id}/pay")
    time.sleep(1.1)  # SWEEP_STALE_AFTER_SECONDS=1
    assert balance_minor(worker_app.extensions["wallet_db"], customer_id) == 0


def test_a_stopped_worker_releases_its_leases_and_the_next_one_sweeps_at_once(worker_app, monkeypatch):
    db = worker_app.extensions["wallet_db"]
    clock = Clock(datetime.datetime.utcnow().replace(microsecond=0))
    first, stop = make_worker(worker_app, clock, "w1"), threading.Event()
    thread = threading.Thread(target=first.run, args=(stop, 0.01))
    thread.start()
    deadline = time.monotonic() + 10
    while db["worker_heartbeats"].count_documents({"_id": "w1"}) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()  # SIGTERM
    thread.join(timeout=10)
    assert all(lease["until"] <= clock.now and lease.get("owner") is None for lease in db["worker_leases"].find({}))
    lost_webhook_top_up(worker_app, monkeypatch, "cust_restart")
    results = make_worker(worker_app, clock, "w1-restarted").run_once()
    assert results["sweep"]["credited"] == 1
    assert balance_minor(db, "cust_restart") == 7500


def test_after_a_killed_worker_a_lost_webhook_top_up_is_credited_within_one_sweep_interval(worker_app, monkeypatch):
    db = worker_app.extensions["wallet_db"]
    clock = Clock(datetime.datetime.utcnow().replace(microsecond=0))
    make_worker(worker_app, clock, "w1").run_once()  # then kill -9: its leases stay behind
    clock.advance(1)
    lost_webhook_top_up(worker_app, monkeypatch, "cust_killed")
    restarted, started_at = make_worker(worker_app, clock, "w1-restarted"), clock.now
    while balance_minor(db, "cust_killed") == 0:
        assert (clock.now - started_at).total_seconds() <= worker_app.config["WORKER_SWEEP_INTERVAL_SECONDS"]
        restarted.run_once()
        clock.advance(1)
    assert balance_minor(db, "cust_killed") == 7500


# --- clocks: the worker's against the store's --------------------------------------------------
def test_a_worker_whose_clock_is_far_ahead_of_the_stores_does_nothing(worker_app, monkeypatch, caplog):
    """Two days ahead it would expire a top-up made a second earlier and take every lease: it runs no
    job, takes no lease and writes no heartbeat, and says so in the log."""
    db, integration = worker_app.extensions["wallet_db"], worker_app.extensions["integration"]
    store = Clock(utcnow())
    make_worker(worker_app, store, "w_right", store_clock=store).run_once()
    payment_order_id = (
        worker_app.test_client()
        .post(
            "/api/integration/wallet/topup/initiate",
            headers=bearer("cust_skew"),
            json={"customer_id": "cust_skew", "amount": "5"},
        )
        .get_json()["payment_order_id"]
    )
    ahead = Clock(store.now + datetime.timedelta(days=2))
    monkeypatch.setattr(integration, "clock", ahead)  # the whole process's clock is ahead
    with caplog.at_level(logging.ERROR, logger="integration.worker"):
        assert make_worker(worker_app, ahead, "w_ahead", store_clock=store).run_once() == {}
    assert db["payment_orders"].find_one({"_id": payment_order_id})["status"] == "created"
    assert {lease["owner"] for lease in db["worker_leases"].find({})} == {"w_right"}
    assert db["worker_heartbeats"].count_documents({"_id": "w_ahead"}) == 0
    assert any("clock" in record.getMessage() and "172800" in record.getMessage() for record in caplog.records)


def test_a_worker_behind_the_store_beyond_the_bound_does_nothing_until_its_clock_is_right(worker_app):
    store = Clock(utcnow())
    behind = Clock(store.now - datetime.timedelta(seconds=worker_app.config["WORKER_CLOCK_SKEW_MAX_SECONDS"] + 1))
    worker = make_worker(worker_app, behind, "w_behind", store_clock=store)
    assert worker.run_once() == {}
    behind.now = store.now + datetime.timedelta(seconds=worker_app.config["WORKER_CLOCK_SKEW_MAX_SECONDS"] - 1)
    assert set(worker.run_once()) == {"recovery", "outbox", "sweep", "reconcile", "settlement"}


def test_the_clock_skew_bound_setting():
    assert load_config({"APP_ENV": "test"})["WORKER_CLOCK_SKEW_MAX_SECONDS"] == 5
    assert load_config({"APP_ENV": "test", "WORKER_CLOCK_SKEW_MAX_SECONDS": "2"})["WORKER_CLOCK_SKEW_MAX_SECONDS"] == 2
    for bad in ("0", "-1", "five"):
        with pytest.raises(ConfigError, match="WORKER_CLOCK_SKEW_MAX_SECONDS"):
            load_config({"APP_ENV": "test", "WORKER_CLOCK_SKEW_MAX_SECONDS": bad})


class Hello:
    """A store answering `hello` as MongoDB does (pymongo hands `localTime` back naive UTC, or aware
    with tz_aware=True)."""

    def __init__(self, local_time):
        self.local_time = local_time

    def command(self, name):
        assert name == "hello"
        return {"isWritablePrimary": True, "localTime": self.local_time, "ok": 1.0}


def test_the_stores_clock_is_its_hello_local_time(db):
    moment = datetime.datetime(2030, 1, 2, 3, 4, 5, 678000)
    assert store_now(Hello(moment)) == moment
    assert store_now(Hello(moment.replace(tzinfo=datetime.UTC))) == moment
    assert store_now(Hello(None)) is None
    if isinstance(db, LockedDatabase):
        assert store_now(db) is None  # mongomock: the embedded store lives in this process, on its clock
    else:  # a server: its own clock, which here is this machine's
        assert abs((store_now(db) - datetime.datetime.utcnow()).total_seconds()) < 5


def test_a_failing_job_does_not_stop_the_others(worker_app, monkeypatch):
    worker = make_worker(worker_app)
    monkeypatch.setattr(worker.integration, "recover", lambda grace_seconds: 1 / 0)
    results = worker.run_once()
    assert results["recovery"] == "failed" and "outbox" in results and "sweep" in results
    beat = worker_app.extensions["wallet_db"]["worker_heartbeats"].find_one({"_id": "w1"})
    assert beat["jobs"]["recovery"]["result"] == "failed"


def ttl_seconds(db, collection, field):
    """expireAfterSeconds of the TTL index on `field`, or None when the field has none."""
    for index in db[collection].index_information().values():
        if [key for key, _ in index["key"]] == [field] and "expireAfterSeconds" in index:
            return index["expireAfterSeconds"]
    return None


def test_retention_follows_configuration_and_money_never_expires():
    app = create_app(
        app_config(OUTBOX_RETENTION_SECONDS="111", WEBHOOK_EVENT_RETENTION_SECONDS="222", AUDIT_RETENTION_SECONDS="333")
    )
    db = app.extensions["wallet_db"]
    assert ttl_seconds(db, "notification_outbox", "sent_at") == 111
    assert ttl_seconds(db, "webhook_events", "received_at") == 222
    assert ttl_seconds(db, "integration_logs", "created_at") == 333
    for collection in ("ledger_entries", "wallets", "payment_orders", "orders"):
        assert not any("expireAfterSeconds" in index for index in db[collection].index_information().values())


def metric_value(text, name):
    """The value of the unlabelled sample `name` in /metrics text, or None when absent."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def test_reconcile_runs_in_the_worker_and_metrics_report_the_stores_state(worker_app):
    client, db = worker_app.test_client(), worker_app.extensions["wallet_db"]
    text = client.get("/metrics").get_data(as_text=True)
    assert metric_value(text, "wallet_store_up") == 1
    assert metric_value(text, "wallet_worker_heartbeat_age_seconds") is None  # no worker yet
    assert metric_value(text, "wallet_reconcile_drift") is None
    assert metric_value(text, "wallet_sweep_waiting_payment_orders") == 0
    assert metric_value(text, "wallet_outbox_failed_messages") == 0
    assert make_worker(worker_app, clock=datetime.datetime.utcnow).run_once()["reconcile"] == 0
    text = client.get("/metrics").get_data(as_text=True)
    assert metric_value(text, "wallet_reconcile_drift") == 0
    assert 0 <= metric_value(text, "wallet_reconcile_age_seconds") < 5
    assert 0 <= metric_value(text, "wallet_worker_heartbeat_age_seconds") < 5
    db["wallets"].insert_one(
        {
            "_id": "cust_x:INR",
            "customer_id": "cust_x",
            "currency": "INR",
            "balance_minor": 100,
            "version": 1,
            "pending": [],
            "totals": {},
        }
    )  # no ledger
    db["notification_outbox"].insert_one({"_id": "txn_dead", "customer_id": "cust_x", "status": "failed"})
    assert make_worker(worker_app, clock=datetime.datetime.utcnow).run_once()["reconcile"] == 1  # w1's lease
    text = client.get("/metrics").get_data(as_text=True)
    assert metric_value(text, "wallet_reconcile_drift") == 1
    assert metric_value(text, "wallet_outbox_failed_messages") == 1


def test_metrics_say_the_store_is_down(worker_app, monkeypatch):
    monkeypatch.setattr("backend.metrics.ping", lambda db: False)
    text = worker_app.test_client().get("/metrics").get_data(as_text=True)
    assert metric_value(text, "wallet_store_up") == 0
    assert metric_value(text, "wallet_sweep_waiting_payment_orders") is None


def test_metrics_count_the_entries_not_followed_up_five_minutes_after_they_were_made(worker_app):
    integration, db = worker_app.extensions["integration"], worker_app.extensions["wallet_db"]
    six_minutes_ago = utcnow() - datetime.timedelta(seconds=FOLLOW_UP_OVERDUE_SECONDS + 60)
    for number in range(4):
        integration.wallet.credit(
            "cust_m", "INR", 100, "topup", f"topup:m{number}", {"payment_order_id": f"po{number}"}
        )
    made = [e["_id"] for e in db["ledger_entries"].find({}, sort=[("sequence", 1)])]
    db["ledger_entries"].update_many({"_id": {"$in": made[:3]}}, {"$set": {"created_at": six_minutes_ago}})
    db["ledger_entries"].update_one({"_id": made[0]}, {"$set": {"finalized": True}})
    text = worker_app.test_client().get("/metrics").get_data(as_text=True)
    assert metric_value(text, "wallet_follow_ups_overdue") == 2  # old and unfinished; not the new one nor the finished


def test_one_outbox_tick_finishes_more_than_one_batch_of_movements(worker_app):
    integration, db = worker_app.extensions["integration"], worker_app.extensions["wallet_db"]
    for number in range(FINISH_BATCH_MAX + 20):
        integration.wallet.credit(
            "cust_many", "INR", 100, "topup", f"topup:many_{number}", {"payment_order_id": f"order_many_{number}"}
        )
    make_worker(worker_app, clock=datetime.datetime.utcnow)._drain_outbox()
    assert db["ledger_entries"].count_documents({"finalized": False}) == 0
    assert db["notification_outbox"].count_documents({"customer_id": "cust_many"}) == FINISH_BATCH_MAX + 20


# --- /health's backlog read from the newest heartbeat (backend/backlog.py): a stale count never hides
# a growing backlog for longer than BACKLOG_FRESH_SECONDS (plus the clocks' allowed skew), whatever the
# worker's clock; 503 when the store fails. Written by a red-team pass.


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
    make_worker(
        worker_app, clock=ahead, store_clock=lambda: None
    ).run_once()  # the store does not tell its time: no skew check
    grow_backlog(db)
    response = health_at(worker_app, monkeypatch, 30)  # the worker died; 30 s on
    assert response.get_json()["features"]["sweep"] == {"waiting": 1}


def test_a_worker_ahead_within_the_skew_bound_shows_its_count_at_most_fresh_plus_skew(worker_app, monkeypatch):
    """Clocks may differ by WORKER_CLOCK_SKEW_MAX_SECONDS (5 s): a count is shown at most that much
    longer than BACKLOG_FRESH_SECONDS (docs/api.md, §9)."""
    db = worker_app.extensions["wallet_db"]
    ahead = lambda: utcnow() + datetime.timedelta(seconds=5)  # noqa: E731
    make_worker(
        worker_app, clock=ahead, store_clock=utcnow
    ).run_once()  # within WORKER_CLOCK_SKEW_MAX_SECONDS=5: it runs
    grow_backlog(db)
    assert health_at(worker_app, monkeypatch, 0).get_json()["features"]["sweep"] == {"waiting": 1}  # from the future
    assert health_at(worker_app, monkeypatch, 10).get_json()["features"]["sweep"] == {"waiting": 0}
    assert health_at(worker_app, monkeypatch, 16).get_json()["features"]["sweep"] == {"waiting": 1}


def test_503_when_the_heartbeat_read_fails_with_a_fresh_heartbeat(worker_app, monkeypatch):
    make_worker(worker_app, clock=utcnow, store_clock=utcnow).run_once()
    from backend import worker as worker_module

    def broken(db, now=None):
        raise PyMongoError("boom")

    monkeypatch.setattr(routes_integration, "last_heartbeat", broken, raising=False)
    response = worker_app.test_client().get("/api/integration/health")
    assert response.status_code == 503, response.get_json()
    assert worker_module


def test_503_when_the_live_count_fails_after_a_stale_heartbeat(worker_app, monkeypatch):
    make_worker(worker_app, clock=utcnow, store_clock=utcnow).run_once()
    from backend import backlog as backlog_module

    def broken(*args, **kwargs):
        raise PyMongoError("boom")

    monkeypatch.setattr(backlog_module, "count_backlog", broken)
    response = health_at(worker_app, monkeypatch, 30)
    assert response.status_code == 503, response.get_json()
    assert "boom" not in response.get_data(as_text=True)


# --- found by a red-team pass of the worker -------------------------------------------------------
class RecordingSender:
    def __init__(self):
        self.sent, self.lock = [], threading.Lock()

    def send(self, phone, text):
        with self.lock:
            self.sent.append((phone, text))


def test_one_outbox_tick_sends_a_backlog_batch_after_batch(worker_app):
    """It sent one batch (50) a tick: a backlog of 500 took 10 ticks, 25 messages a second at most."""
    db, integration = worker_app.extensions["wallet_db"], worker_app.extensions["integration"]
    integration.outbox.sender = sender = RecordingSender()
    db["customers"].insert_one({"customer_id": "cust_bl", "phone": "+919800000001"})
    for number in range(500):
        integration.wallet.credit(
            "cust_bl", "INR", 100, "topup", f"topup:bl{number}", {"payment_order_id": f"po{number}"}
        )
    make_worker(worker_app).run_once()
    assert len(sender.sent) == 500


def follow_ups_failing(worker_app, monkeypatch, error, failing=1):
    """`failing` top-ups of cust_bad, then three of cust_ok, unfinished, the first ones' follow-ups
    raising `error`; (the sender of confirmations, the failing entries)."""
    db, integration = worker_app.extensions["wallet_db"], worker_app.extensions["integration"]
    integration.outbox.sender = sender = RecordingSender()
    db["customers"].insert_many([{"customer_id": c, "phone": "+919800000002"} for c in ("cust_bad", "cust_ok")])
    bad = [
        integration.wallet.credit("cust_bad", "INR", 100, "topup", f"topup:bad{n}", {"payment_order_id": f"po_bad{n}"})[
            0
        ]
        for n in range(failing)
    ]
    for number in range(3):
        integration.wallet.credit(
            "cust_ok", "INR", 100, "topup", f"topup:ok{number}", {"payment_order_id": f"po{number}"}
        )
    mark_paid, bad_ids = integration.followups.topups.mark_paid, {e["_id"] for e in bad}

    def fails_for_bad(entry, event_id=None):
        if entry["_id"] in bad_ids:
            raise error
        return mark_paid(entry, event_id)

    monkeypatch.setattr(integration.followups.topups, "mark_paid", fails_for_bad)
    return sender, bad


def one_of_four_follow_ups_fails(worker_app, monkeypatch, error):
    """cust_bad's top-up and cust_ok's three, the first's follow-up raising `error`; (sender, failing entry)."""
    sender, bad = follow_ups_failing(worker_app, monkeypatch, error)
    return sender, bad[0]


def test_one_entry_whose_follow_up_fails_holds_up_no_other(worker_app, monkeypatch):
    """Its exception stopped every batch of follow-ups, so no other confirmation went out."""
    sender, bad = one_of_four_follow_ups_fails(worker_app, monkeypatch, TypeError("a document no code expects"))
    make_worker(worker_app).run_once()
    assert len(sender.sent) == 3
    entry = worker_app.extensions["wallet_db"]["ledger_entries"].find_one({"_id": bad["_id"]})
    assert entry["finalized"] is False  # tried again next run


def test_one_entry_refused_by_its_follow_up_holds_up_no_other(worker_app, monkeypatch):
    """Found by a review: any IntegrationError (a refusal such as AmountMismatch, not only the store
    or a gateway being down) still stopped the whole run."""
    from backend.errors import AmountMismatch

    sender, _bad = one_of_four_follow_ups_fails(worker_app, monkeypatch, AmountMismatch())
    make_worker(worker_app).run_once()
    assert len(sender.sent) == 3


@pytest.mark.parametrize("refund_seq", [None, "1"])
def test_a_refund_whose_order_the_shop_rewrote_holds_up_no_other_follow_up_send_or_expiry(worker_app, refund_seq):
    """Found by a red-team pass: the batch read every refund's order outside each entry's guard, so an
    order whose `refund_seq` the shop set to null or text stopped the follow-ups, the outbox and the
    rest of recovery (hold expiry) for everyone, at every run."""
    db, integration = worker_app.extensions["wallet_db"], worker_app.extensions["integration"]
    api = Api(worker_app.test_client(), db)
    integration.outbox.sender = sender = RecordingSender()
    db["customers"].insert_many([{"customer_id": c, "phone": "+919800000002"} for c in ("cust_q", "cust_ok")])
    queued = {"_id": "txn_queued", "customer_id": "cust_q", "currency": "INR", "kind": "topup", "reference": {}}
    integration.outbox.enqueue_many([dict(queued, amount_minor=100, balance_after_minor=100)])  # queued before
    customer_id, order_id = paid_order(integration, api)
    integration.recover(grace_seconds=0)
    with mock.patch.object(integration.wallet, "roll", lambda entry: None):  # the refund's request dies here
        with mock.patch.object(integration.orders, "roll_refund", lambda entry: None):
            integration.process_refund_to_wallet(order_id, customer_id, 500, "damaged", refund_id="rf_dies")
    db["orders"].update_one({"order_id": order_id}, {"$set": {"refund_seq": refund_seq}})  # the shop's write
    held_order = api.add_order("cust_ok", 2000)
    integration.wallet.credit("cust_ok", "INR", 5000, "topup", "topup:ok", {"payment_order_id": "po_ok"})
    integration.followups.recover(grace_seconds=0)
    integration.order_holds.authorize(held_order, "cust_ok", 2000)
    db["orders"].update_one(
        {"order_id": held_order}, {"$set": {"authorization.expires_at": datetime.datetime(2000, 1, 1)}}
    )
    integration.wallet.credit("cust_ok", "INR", 100, "topup", "topup:later", {"payment_order_id": "po_later"})
    make_worker(worker_app).run_once()
    assert db["ledger_entries"].find_one({"idempotency_key": "topup:later"})["finalized"] is True
    assert db["notification_outbox"].find_one({"_id": "txn_queued"})["status"] == "sent" and sender.sent
    assert db["orders"].find_one({"order_id": held_order})["payment_status"] == "pending"  # its hold expired


def test_entries_whose_follow_ups_keep_failing_are_put_off_and_hold_up_no_later_entry(worker_app, monkeypatch):
    """Found by a review: a failing entry was read again first at every run, so FINISH_BATCH_MAX of
    them filled every batch and no entry after them was ever followed up (nor confirmed)."""
    sender, bad = follow_ups_failing(worker_app, monkeypatch, TypeError("a document no code expects"), FINISH_BATCH_MAX)
    clock, entries = (
        Clock(datetime.datetime.utcnow().replace(microsecond=0)),
        worker_app.extensions["wallet_db"]["ledger_entries"],
    )
    worker = make_worker(worker_app, clock)
    worker.run_once()
    clock.advance(3)
    worker.run_once()
    assert len(sender.sent) == 3
    put_off = entries.find_one({"_id": bad[0]["_id"]})
    assert put_off["finalized"] is False and put_off["follow_up_failures"] == 1  # not tried again at the second run
    wait = put_off["follow_up_retry_at"] - datetime.datetime.utcnow()
    assert datetime.timedelta(seconds=50) < wait <= datetime.timedelta(seconds=FOLLOW_UP_RETRY_FIRST_SECONDS)

    monkeypatch.undo()  # the trouble mended; once due, they are followed up
    entries.update_many(
        {"follow_up_retry_at": {"$exists": True}}, {"$set": {"follow_up_retry_at": datetime.datetime(2020, 1, 1)}}
    )
    clock.advance(3)
    worker.run_once()
    assert entries.count_documents({"finalized": False}) == 0


def test_recovery_beyond_the_follow_ups_runs_in_one_worker_at_a_time(worker_app, monkeypatch):
    """The outbox job, run by every worker, called the whole recovery (hold expiry, withdrawals, our
    refunds) past the `recovery` job's lease."""
    integration, inside, most, lock = worker_app.extensions["integration"], [0], [0], threading.Lock()
    expire = integration.order_holds.expire

    def slow_expire(*args, **kwargs):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.2)
        try:
            return expire(*args, **kwargs)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(integration.order_holds, "expire", slow_expire)
    workers = [make_worker(worker_app, worker_id=f"w{i}") for i in range(3)]
    threads = [threading.Thread(target=w.run_once) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert most[0] == 1
