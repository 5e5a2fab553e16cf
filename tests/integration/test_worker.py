"""The worker: recovery, the outbox and the gateway sweep on intervals, one worker per job at a time
(leases), and a heartbeat that /health reports."""
import datetime
import time

import pytest

from backend import create_app
from backend.wallet_service import FINISH_BATCH_MAX
from backend.worker import JOB_LEASE_SECONDS, Worker
from tests.conftest import app_config
from tests.helpers import Clock, bearer
from tests.integration.support import balance_minor


@pytest.fixture
def worker_app():
    app = create_app(app_config(RECOVERY_GRACE_SECONDS="0", SWEEP_STALE_AFTER_SECONDS="1"))
    yield app
    database = app.extensions["wallet_db"]
    if getattr(database, "client", None) is not None:
        database.client.drop_database(database.name)


def make_worker(app, clock=None, worker_id="w1"):
    return Worker(app.extensions["integration"], app.extensions["wallet_db"], app.config,
                  clock=clock or Clock(datetime.datetime.utcnow().replace(microsecond=0)), worker_id=worker_id)


def test_one_tick_runs_every_job_and_beats(worker_app):
    client = worker_app.test_client()
    assert client.get("/api/integration/health").get_json()["features"]["worker"] == {"last_heartbeat_age_seconds": None}
    results = make_worker(worker_app, clock=datetime.datetime.utcnow).run_once()
    assert set(results) == {"recovery", "outbox", "sweep", "reconcile"}
    age = client.get("/api/integration/health").get_json()["features"]["worker"]["last_heartbeat_age_seconds"]
    assert isinstance(age, float) and 0 <= age < 5


def test_jobs_run_on_their_intervals(worker_app):
    clock = Clock(datetime.datetime.utcnow().replace(microsecond=0))
    worker = make_worker(worker_app, clock)
    assert set(worker.run_once()) == {"recovery", "outbox", "sweep", "reconcile"}
    clock.advance(3)
    assert set(worker.run_once()) == {"outbox"}  # every 2 s; recovery every 30 s, sweep every 60 s
    clock.advance(30)
    assert set(worker.run_once()) == {"recovery", "outbox"}


def test_the_worker_recovers_an_interrupted_payment_and_sends_its_confirmation(worker_app, monkeypatch):
    integration, db = worker_app.extensions["integration"], worker_app.extensions["wallet_db"]
    api_client = worker_app.test_client()
    payment_order_id = api_client.post("/api/integration/wallet/topup/initiate", headers=bearer("cust_w"),
                                       json={"customer_id": "cust_w", "amount": "50"}).get_json()["payment_order_id"]
    integration.confirm_topup(integration.find_payment_order(payment_order_id), "pay_w", "test")
    order_id = "ord_w1"
    db["orders"].insert_one({"order_id": order_id, "customer_id": "cust_w", "amount_minor": 2000,
                             "currency": "INR", "payment_status": "pending"})
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
    payment_order_id = client.post("/api/integration/wallet/topup/initiate", headers=bearer("cust_sw"),
                                   json={"customer_id": "cust_sw", "amount": "75"}).get_json()["payment_order_id"]
    client.post(f"/simulator/razorpay/checkout/{payment_order_id}/pay")  # paid; the customer never returns
    assert balance_minor(db, "cust_sw") == 0
    time.sleep(1.1)  # SWEEP_STALE_AFTER_SECONDS=1
    assert client.get("/api/integration/health").get_json()["features"]["sweep"] == {"waiting": 1}
    make_worker(worker_app, clock=datetime.datetime.utcnow).run_once()
    assert balance_minor(db, "cust_sw") == 7500
    assert client.get("/api/integration/health").get_json()["features"]["sweep"] == {"waiting": 0}


def test_two_workers_never_run_the_same_leased_job_at_once(worker_app):
    clock = Clock(datetime.datetime.utcnow().replace(microsecond=0))
    first, second = make_worker(worker_app, clock, "w1"), make_worker(worker_app, clock, "w2")
    assert set(first.run_once()) == {"recovery", "outbox", "sweep", "reconcile"}
    assert set(second.run_once()) == {"outbox"}  # recovery, sweep and reconcile are leased to w1
    clock.advance(60)
    assert set(first.run_once()) == {"recovery", "outbox", "sweep"}  # its own lease, renewed
    clock.advance(JOB_LEASE_SECONDS + 1)  # w1 stopped: its leases run out
    assert set(second.run_once()) == {"recovery", "outbox", "sweep"}  # reconcile: an hour after it tried
    db = worker_app.extensions["wallet_db"]
    owners = {lease["_id"]: lease["owner"] for lease in db["worker_leases"].find({})}
    assert owners["recovery"] == owners["sweep"] == "w2"


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
    app = create_app(app_config(OUTBOX_RETENTION_SECONDS="111", WEBHOOK_EVENT_RETENTION_SECONDS="222",
                                AUDIT_RETENTION_SECONDS="333"))
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
    db["wallets"].insert_one({"_id": "cust_x:INR", "customer_id": "cust_x", "currency": "INR",
                              "balance_minor": 100, "version": 1, "pending": [], "totals": {}})  # no ledger
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


def test_one_outbox_tick_finishes_more_than_one_batch_of_movements(worker_app):
    integration, db = worker_app.extensions["integration"], worker_app.extensions["wallet_db"]
    for number in range(FINISH_BATCH_MAX + 20):
        integration.wallet.credit("cust_many", "INR", 100, "topup", f"topup:many_{number}",
                                  {"payment_order_id": f"order_many_{number}"})
    make_worker(worker_app, clock=datetime.datetime.utcnow)._drain_outbox()
    assert db["ledger_entries"].count_documents({"finalized": False}) == 0
    assert db["notification_outbox"].count_documents({"customer_id": "cust_many"}) == FINISH_BATCH_MAX + 20
