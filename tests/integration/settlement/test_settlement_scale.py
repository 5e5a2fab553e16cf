"""A day of 10,000 captures settles in bounded round trips and memory (SPEC §11, issue 19): the
report is read a page of PAGE_ROWS rows at a time and each page is matched with a fixed number of
queries, never one per row. Memory: the report is a stream, and the flow never pulls more than one
page of it before it has matched that page (so what it holds is bounded by PAGE_ROWS, whatever the
day's size)."""

import datetime
import os

import pytest

from backend import create_app
from backend import db as store
from backend.flows.settlement import PAGE_ROWS
from tests.conftest import app_config
from tests.integration.settlement.support import DAY, capture_row
from tests.integration.store.test_round_trips import CountingDatabase

CAPTURES = 10_000
QUERIES_PER_PAGE = 5  # captures by payment id, by order id, by reference; mark settled; resolve old exceptions
FIXED_QUERIES = 4  # credits no report listed; the day's document; its exceptions; slack


@pytest.mark.skipif(
    os.environ.get("MONGODB_URI", "").startswith("mongodb"),
    reason="counts the app's round trips and what it holds, the same on any store; run on the embedded one",
)
def test_ten_thousand_captures_settle_in_bounded_round_trips_and_memory(monkeypatch):
    connect = store.connect
    monkeypatch.setattr(store, "connect", lambda uri, name: CountingDatabase(connect(uri, name)))
    app = create_app(app_config())
    database, integration = app.extensions["wallet_db"], app.extensions["integration"]
    paid_at = datetime.datetime.combine(DAY, datetime.time(6))
    orders = [
        {
            "_id": f"order_{i:06d}",
            "reference": f"wtp_{i:06d}",
            "gateway": "razorpay",
            "customer_id": f"cust_{i % 100}",
            "amount_minor": 1000 + i,
            "currency": "INR",
            "status": "paid",
            "gateway_payment_id": f"pay_{i:06d}",
            "created_at": paid_at,
            "paid_at": paid_at,
        }
        for i in range(CAPTURES)
    ]
    database["payment_orders"].insert_many(orders)
    pulled_since_a_query = []  # rows pulled from the report between two store calls

    def report(day):
        calls_seen, run = len(database.calls), 0
        for order in orders:
            if len(database.calls) != calls_seen:
                pulled_since_a_query.append(run)
                calls_seen, run = len(database.calls), 0
            run += 1
            yield capture_row(order)
        pulled_since_a_query.append(run)

    adapter = integration.payments.gateway("razorpay")
    adapter.settlement_report = report
    adapter.settlement_lag = datetime.timedelta(days=2)
    database.calls.clear()
    document, exceptions = integration.settle("razorpay", DAY)
    bound = -(-CAPTURES // PAGE_ROWS) * QUERIES_PER_PAGE + FIXED_QUERIES
    print(f"\n10,000 captures: {len(database.calls)} round trips (bound {bound})")
    assert (document["matched"], exceptions) == (CAPTURES, [])
    assert len(database.calls) <= bound, len(database.calls)
    assert max(pulled_since_a_query) <= PAGE_ROWS  # never more than a page held unmatched
