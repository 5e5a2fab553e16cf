"""Store round trips per operation, counted on the database `backend/db.py` hands the app (mongomock,
or the MongoDB server of MONGODB_URI: the same count, since each call is one command).

The bounds are issue 9's targets (docs/benchmarks.md has the counts before and after the ledger's
protocol changed, docs/ledger.md the writes). The test fails above a bound, so it also catches any new
round trip."""

import math

import pytest

import backend.db as store
from backend import create_app
from backend.notifications import BATCH_SIZE_MAX
from backend.worker import Worker
from tests.conftest import app_config
from tests.helpers import WEBHOOK_PATH, Api, FakeSender, bearer, razorpay_event, signed_webhook, unique

STORE_CALLS = {
    "find",
    "find_one",
    "insert_one",
    "update_one",
    "delete_one",
    "count_documents",
    "aggregate",
    "find_one_and_update",
    "insert_many",
    "update_many",
    "delete_many",
    "replace_one",
}
# operation: the most store round trips it may take (issue 21's counts). An order or payment order
# is read with its customer's wallets by one command (with a credit's payment's gateway cases, a
# payment's or refund's Idempotency-Key: the entries it made and its record), so the ledger's append
# reads nothing more; a webhook event's id is kept by the write that marks its payment order paid. A
# key adds its claim and stored answer to initiate, but none to paying and refunding, whose keys the
# ledger keeps: their entries answer a repeat (backend/idempotency.py). A payment records its outcome on its debit,
# `settled`, so that no later life of the order meets an undecided debit: one write more than a refund.
BOUNDS = {
    "status": 1,
    "initiate": 1,
    "initiate with a key": 3,
    "webhook credit": 5,
    "duplicate webhook": 2,
    "pay": 6,
    "pay with a key": 6,
    "pay, repeated key": 1,
    "refund": 5,
    "refund with a key": 5,
    "refund, repeated key": 1,
    "health": 3,  # the newest heartbeat, and the worker's backlog counted here (none beats)
    "health, a worker beating": 1,  # its heartbeat carries the backlog (backend/backlog.py)
}


class CountingCollection:
    def __init__(self, collection, calls):
        self._collection, self._calls = collection, calls

    def __getattr__(self, name):
        attribute = getattr(self._collection, name)
        if name not in STORE_CALLS:
            return attribute

        def call(*args, **kwargs):
            self._calls.append(name)
            return attribute(*args, **kwargs)

        return call


class CountingDatabase:
    def __init__(self, database):
        self._database, self.calls = database, []
        self.name = database.name

    def __getitem__(self, name):
        return CountingCollection(self._database[name], self.calls)

    def __getattr__(self, name):
        return getattr(self._database, name)


@pytest.fixture
def counted(monkeypatch):
    connect = store.connect
    monkeypatch.setattr(store, "connect", lambda uri, name: CountingDatabase(connect(uri, name)))
    app = create_app(app_config())
    database = app.extensions["wallet_db"]
    yield app, database
    client = getattr(database._database, "client", None)
    if client is not None:
        client.drop_database(database.name)


def round_trips(database, operation):
    database.calls.clear()
    response = operation()
    assert response.status_code == 200, response.get_json()
    return len(database.calls)


def test_round_trips_per_operation_stay_within_their_bounds(counted):
    app, database = counted
    client = app.test_client()
    api = Api(client, database)
    api.topup("cust_rt", "1000")
    admin = bearer("admin_1", "admin")
    counts = {"status": round_trips(database, lambda: api.status("cust_rt"))}
    initiated = []
    counts["initiate"] = round_trips(database, lambda: initiated.append(api.initiate("cust_rt", "10")) or initiated[-1])
    counts["initiate with a key"] = round_trips(
        database,
        lambda: api.initiate("cust_rt", "10", headers=dict(bearer("cust_rt"), **{"Idempotency-Key": unique("k")})),
    )
    body, headers = signed_webhook(
        razorpay_event("payment.captured", initiated[0].get_json()["payment_order_id"], "pay_rt", 1000)
    )
    counts["webhook credit"] = round_trips(database, lambda: client.post(WEBHOOK_PATH, data=body, headers=headers))
    counts["duplicate webhook"] = round_trips(database, lambda: client.post(WEBHOOK_PATH, data=body, headers=headers))
    paid, keyed = api.add_order("cust_rt", 500), api.add_order("cust_rt", 500)
    counts["pay"] = round_trips(database, lambda: api.pay(paid, "cust_rt", 5))
    pay_key = dict(bearer("cust_rt"), **{"Idempotency-Key": unique("k")})
    counts["pay with a key"] = round_trips(database, lambda: api.pay(keyed, "cust_rt", 5, headers=pay_key))
    counts["pay, repeated key"] = round_trips(database, lambda: api.pay(keyed, "cust_rt", 5, headers=pay_key))
    counts["refund"] = round_trips(database, lambda: api.refund(paid, "cust_rt", 1))
    refund_key = dict(admin, **{"Idempotency-Key": unique("k")})
    counts["refund with a key"] = round_trips(database, lambda: api.refund(paid, "cust_rt", 1, headers=refund_key))
    counts["refund, repeated key"] = round_trips(database, lambda: api.refund(paid, "cust_rt", 1, headers=refund_key))
    counts["health"] = round_trips(database, lambda: client.get("/api/integration/health"))
    Worker(app.extensions["integration"], database, app.config).run_once()
    counts["health, a worker beating"] = round_trips(database, lambda: client.get("/api/integration/health"))
    over = {name: (count, BOUNDS[name]) for name, count in counts.items() if count > BOUNDS[name]}
    assert over == {}, f"round trips above their bound (count, bound): {over}; all: {counts}"


def test_the_outbox_sends_n_messages_in_round_trips_per_batch_not_per_message(counted):
    app, database = counted
    outbox = app.extensions["integration"].outbox
    outbox.sender = FakeSender()
    customers = [unique("cust_ob") for _ in range(7)]
    database["customers"].insert_many(
        [{"customer_id": c, "phone": f"+9198000000{i:02d}"} for i, c in enumerate(customers)]
    )
    messages = 100
    outbox.enqueue_many(
        {
            "_id": unique("txn_ob"),
            "customer_id": customers[i % len(customers)],
            "currency": "INR",
            "kind": "topup",
            "amount_minor": 100 + i,
            "balance_after_minor": 1000 + i,
            "reference": {},
        }
        for i in range(messages)
    )
    database.calls.clear()
    handled = []
    while count := outbox.drain():
        handled.append(count)
    calls = list(database.calls)
    assert handled == [BATCH_SIZE_MAX, BATCH_SIZE_MAX] and len(outbox.sender.sent) == messages
    assert database["notification_outbox"].count_documents({"status": "sent"}) == messages
    # a batch: find what is due, claim it, the customers' numbers, record it sent; then one look finding none
    bound = 4 * math.ceil(messages / BATCH_SIZE_MAX) + 1
    assert len(calls) <= bound, " ".join(calls)  # one message at a time took 3 each: 300
