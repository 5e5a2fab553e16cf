"""GET /status/<customer_id>: the wallet, its figures and newest entries (SPEC §5)."""

import datetime

import pytest

from tests.helpers import BASE, bearer, snapshot
from tests.integration.support import assert_error, assert_money

ADMIN = bearer("admin_1", "admin")


# --- 8. GET /status/<customer_id> --------------------------------------------------------------
STATISTICS_KEYS = {
    "transaction_count",
    "total_topups",
    "topup_count",
    "total_payments",
    "payment_count",
    "total_refunds",
    "refund_count",
    "total_captures",  # orders authorised, then captured (SPEC §10)
    "capture_count",
}
TRANSACTION_KEYS = {"transaction_id", "type", "kind", "amount", "currency", "balance_after", "reference", "created_at"}


def test_status_of_customer_who_never_topped_up(api, db):
    before = snapshot(db)
    response = api.status("cust_new")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"success", "wallet", "statistics", "recent_transactions"}
    assert body["success"] is True
    assert set(body["wallet"]) == {"customer_id", "balance", "held", "available", "debt", "currency"}
    assert_money(body["wallet"]["balance"], 0)
    assert body["wallet"]["currency"] == "INR"
    assert set(body["statistics"]) == STATISTICS_KEYS
    assert all(type(v) in (int, float) and v == 0 for v in body["statistics"].values()), body["statistics"]
    assert body["recent_transactions"] == []
    assert snapshot(db) == before


def test_status_success_shape_after_flow(api):
    api.topup("cust_a", "1000.50")
    order_id = api.add_order("cust_a", 25000)
    assert api.pay(order_id, "cust_a", 250).status_code == 200
    assert api.refund(order_id, "cust_a", "100.25").status_code == 200
    body = api.status("cust_a").get_json()
    assert body["wallet"] == {
        "customer_id": "cust_a",
        "balance": 850.75,
        "held": 0,
        "available": 850.75,
        "debt": 0,
        "currency": "INR",
    }
    assert_money(body["wallet"]["balance"], 850.75)
    statistics = body["statistics"]
    assert_money(statistics["total_topups"], 1000.50)
    assert_money(statistics["total_payments"], 250)
    assert_money(statistics["total_refunds"], 100.25)
    assert (
        statistics["topup_count"],
        statistics["payment_count"],
        statistics["refund_count"],
        statistics["transaction_count"],
    ) == (1, 1, 1, 3)
    transactions = body["recent_transactions"]
    assert [t["kind"] for t in transactions] == ["refund", "payment", "topup"]
    for transaction in transactions:
        assert set(transaction) == TRANSACTION_KEYS
        assert transaction["currency"] == "INR"
        assert type(transaction["amount"]) in (int, float) and type(transaction["balance_after"]) in (int, float)
        assert transaction["created_at"].endswith("Z")
        datetime.datetime.fromisoformat(transaction["created_at"][:-1])
    assert [(t["type"], t["amount"], t["balance_after"]) for t in transactions] == [
        ("credit", 100.25, 850.75),
        ("debit", 250, 750.50),
        ("credit", 1000.50, 1000.50),
    ]


def test_status_lists_at_most_20_newest_first(api):
    for amount in range(1, 23):
        api.topup("cust_a", amount)
    body = api.status("cust_a").get_json()
    amounts = [t["amount"] for t in body["recent_transactions"]]
    assert amounts == list(range(22, 2, -1))
    assert_money(body["wallet"]["balance"], sum(range(1, 23)))
    assert body["statistics"]["topup_count"] == 22


@pytest.mark.parametrize("currency", ["XYZ", "inr", ""])
def test_status_unknown_currency(api, currency):
    response = api.client.get(f"{BASE}/status/cust_a?currency={currency}", headers=bearer("cust_a"))
    assert_error(response, 400, "invalid_request")


def test_status_admin_for_any_customer(api):
    api.topup("cust_b", 5)
    response = api.status("cust_b", headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    assert_money(response.get_json()["wallet"]["balance"], 5)
