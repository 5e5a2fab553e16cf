"""POST /order/refund-to-wallet: its success shape and every error it can answer (SPEC §5)."""

import pytest

from tests.helpers import snapshot
from tests.integration.support import assert_error, assert_money, paid_order


# --- 4. POST /order/refund-to-wallet -----------------------------------------------------------
def test_refund_success_shape(api, db):
    order_id = paid_order(api, "cust_a", 10000)
    response = api.refund(order_id, "cust_a", "40.10", reason="damaged")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"success", "transaction_id", "new_balance", "currency"}
    assert body["success"] is True
    assert_money(body["new_balance"], 40.10)
    assert body["currency"] == "INR"
    entry = db["ledger_entries"].find_one({"_id": body["transaction_id"]})
    assert (entry["type"], entry["kind"], entry["amount_minor"]) == ("credit", "refund", 4010)
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "partially_refunded"


def test_refund_in_full_then_order_refunded(api, db):
    order_id = paid_order(api, "cust_a", 10000)
    assert api.refund(order_id, "cust_a", 60).status_code == 200
    response = api.refund(order_id, "cust_a", 40)
    assert response.status_code == 200, response.get_json()
    assert_money(response.get_json()["new_balance"], 100)
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "refunded"


@pytest.mark.parametrize("amount", ["100.01", 101, 1000])
def test_refund_exceeds_paid(api, db, amount):
    order_id = paid_order(api, "cust_a", 10000)
    before = snapshot(db)
    assert_error(api.refund(order_id, "cust_a", amount), 409, "refund_exceeds_paid")
    assert snapshot(db) == before


def test_refunds_together_exceed_paid(api, db):
    order_id = paid_order(api, "cust_a", 10000)
    assert api.refund(order_id, "cust_a", 70).status_code == 200
    before = snapshot(db)
    assert_error(api.refund(order_id, "cust_a", "30.01"), 409, "refund_exceeds_paid")
    assert snapshot(db) == before


def test_refund_of_fully_refunded_order(api, db):
    order_id = paid_order(api, "cust_a", 10000)
    assert api.refund(order_id, "cust_a", 100).status_code == 200
    before = snapshot(db)
    assert_error(api.refund(order_id, "cust_a", "0.01"), 409, "refund_exceeds_paid")
    assert snapshot(db) == before


def test_refund_of_pending_order(api, db):
    api.topup("cust_a", 100)
    order_id = api.add_order("cust_a", 500)
    before = snapshot(db)
    assert_error(api.refund(order_id, "cust_a", 5), 409, "order_not_refundable")
    assert snapshot(db) == before


def test_refund_of_an_order_paid_at_the_shops_checkout_goes_to_the_wallet_up_to_its_amount(api, db):
    order_id = api.add_order("cust_a", 500)
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "paid"}})  # card, UPI
    before = snapshot(db)
    assert_error(api.refund(order_id, "cust_a", "5.01"), 409, "refund_exceeds_paid")
    assert snapshot(db) == before
    assert api.refund(order_id, "cust_a", 3).get_json()["new_balance"] == 3
    before = snapshot(db)
    assert_error(api.refund(order_id, "cust_a", "2.01"), 409, "refund_exceeds_paid")
    assert snapshot(db) == before
    assert api.refund(order_id, "cust_a", 2).get_json()["new_balance"] == 5
    order = db["orders"].find_one({"order_id": order_id})
    assert (order["payment_status"], order["refunded_minor"]) == ("refunded", 500)


def test_refund_of_an_order_not_paid(api, db):
    order_id = api.add_order("cust_a", 500)
    before = snapshot(db)
    assert_error(api.refund(order_id, "cust_a", 5), 409, "order_not_refundable")
    assert snapshot(db) == before


def test_refund_unknown_order(api, db):
    before = snapshot(db)
    assert_error(api.refund("ord_nope", "cust_a", 5), 404, "order_not_found")
    assert snapshot(db) == before


def test_refund_with_other_customer_id(api, db):
    order_id = paid_order(api, "cust_a", 10000)
    before = snapshot(db)
    assert_error(api.refund(order_id, "cust_b", 5), 404, "order_not_found")
    assert snapshot(db) == before
