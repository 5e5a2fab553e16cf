"""RAZORPAY_SETTLEMENT_LAG_DAYS: an account's own settlement cycle. Razorpay settles T+2 *working* days,
so a Friday's captures are in Tuesday's report; with the default of 2 calendar days every such credit
was an open `credited_not_captured` (and an alert) from Sunday until Tuesday. Set to 4 here, a credit
is looked for four days after it."""

import datetime

import pytest

from backend import create_app
from backend.errors import ConfigError
from tests.conftest import app_config, app_with
from tests.integration.settlement.support import DAY, capture_row


@pytest.fixture
def app():
    yield from app_with(RAZORPAY_SETTLEMENT_LAG_DAYS="4")


def a_credit_paid_days_before(api, db, days):
    order = db["payment_orders"].find_one({"_id": api.topup("cust_a", "10.00")})
    paid_at = datetime.datetime.combine(DAY, datetime.time(12)) - datetime.timedelta(days=days)
    db["payment_orders"].update_one({"_id": order["_id"]}, {"$set": {"paid_at": paid_at}})
    return order


def test_a_credit_is_looked_for_in_the_report_of_its_day_plus_the_configured_lag(api, db, integration):
    adapter = integration.payments.gateway("razorpay")
    assert adapter.settlement_lag == datetime.timedelta(days=4)
    a_credit_paid_days_before(api, db, 2)  # a Friday's, on Sunday: not settled yet, not missing
    four_days_old = a_credit_paid_days_before(api, db, 4)
    adapter.settlement_report = lambda day: iter([])
    _document, exceptions = integration.settle("razorpay", DAY)
    assert [(e["kind"], e["status"], e["payment_id"]) for e in exceptions] == [
        ("credited_not_captured", "open", four_days_old["gateway_payment_id"])
    ]
    adapter.settlement_report = lambda day: iter([capture_row(four_days_old)])
    integration.settle("razorpay", DAY + datetime.timedelta(days=1))
    assert [e["status"] for e in integration.settlement.books.of_day("razorpay", DAY)] == ["resolved"]


@pytest.mark.parametrize("setting", ["0", "31", "two", "4.5", "", "²"])
def test_a_lag_that_is_not_a_whole_number_of_days_from_1_to_30_refuses_to_start(setting):
    with pytest.raises(ConfigError, match="RAZORPAY_SETTLEMENT_LAG_DAYS"):
        create_app(app_config(RAZORPAY_SETTLEMENT_LAG_DAYS=setting))


def test_the_simulator_settles_on_the_cycle_it_is_told_so_its_reports_find_every_credit(api, db, integration):
    """Found by a review: its books settled T+2 whatever the setting, so a shorter cycle opened false
    `credited_not_captured` exceptions and a longer one listed captures a day the service did not look."""
    order = db["payment_orders"].find_one({"_id": api.topup("cust_a", "10.00")})
    today = datetime.datetime.utcnow().date()
    for ahead in range(1, 4):  # nothing of today's is settled before its fourth day
        assert integration.settle("razorpay", today + datetime.timedelta(days=ahead))[0]["payments"] == 0
    document, exceptions = integration.settle("razorpay", today + datetime.timedelta(days=4))
    assert (document["payments"], document["matched"], exceptions) == (1, 1, [])
    assert db["payment_orders"].find_one({"_id": order["_id"]})["settled_on"] is not None
