"""POST /order/pay-with-wallet: its success shape and every error it can answer (SPEC §5)."""

import pytest

from tests.helpers import snapshot
from tests.integration.support import assert_error, assert_money, balance_minor, ledger


# --- 3. POST /order/pay-with-wallet ------------------------------------------------------------
def test_pay_success_shape(api, db):
    api.topup("cust_a", "1000.50")
    order_id = api.add_order("cust_a", 25025)
    response = api.pay(order_id, "cust_a", "250.25")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"success", "transaction_id", "remaining_balance", "currency"}
    assert body["success"] is True
    assert_money(body["remaining_balance"], 750.25)
    assert body["currency"] == "INR"
    entry = db["ledger_entries"].find_one({"_id": body["transaction_id"]})
    assert (entry["type"], entry["kind"], entry["amount_minor"]) == ("debit", "payment", 25025)
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "paid"
    assert balance_minor(db, "cust_a") == 75025


def test_pay_whole_balance(api, db):
    api.topup("cust_a", 40)
    order_id = api.add_order("cust_a", 4000)
    response = api.pay(order_id, "cust_a", 40)
    assert response.status_code == 200, response.get_json()
    assert_money(response.get_json()["remaining_balance"], 0)
    assert balance_minor(db, "cust_a") == 0


@pytest.mark.parametrize("amount", ["4.99", 5.01, 1, "50.00", 500])
def test_pay_amount_differs_from_order(api, db, amount):
    api.topup("cust_a", 1000)
    order_id = api.add_order("cust_a", 500)
    before = snapshot(db)
    assert_error(api.pay(order_id, "cust_a", amount), 400, "order_amount_mismatch")
    assert snapshot(db) == before


def test_pay_unknown_order(api, db):
    api.topup("cust_a", 100)
    before = snapshot(db)
    assert_error(api.pay("ord_nope", "cust_a", 5), 404, "order_not_found")
    assert snapshot(db) == before


def test_pay_other_customers_order_in_own_name(api, db):
    api.topup("cust_a", 100)
    order_id = api.add_order("cust_b", 500)
    before = snapshot(db)
    assert_error(api.pay(order_id, "cust_a", 5), 404, "order_not_found")
    assert snapshot(db) == before


def test_pay_order_already_paid(api, db):
    api.topup("cust_a", 100)
    order_id = api.add_order("cust_a", 500)
    assert api.pay(order_id, "cust_a", 5).status_code == 200
    before = snapshot(db)
    assert_error(api.pay(order_id, "cust_a", 5), 409, "order_already_paid")
    assert snapshot(db) == before
    assert balance_minor(db, "cust_a") == 9500


@pytest.mark.parametrize("payment_status", ["paid", "partially_refunded", "refunded"])
def test_pay_order_in_paid_state(api, db, payment_status):
    api.topup("cust_a", 100)
    order_id = api.add_order("cust_a", 500)
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": payment_status}})
    before = snapshot(db)
    assert_error(api.pay(order_id, "cust_a", 5), 409, "order_already_paid")
    assert snapshot(db) == before


@pytest.mark.parametrize("payment_status", ["cancelled", "failed"])
def test_pay_order_not_payable(api, db, payment_status):
    api.topup("cust_a", 100)
    order_id = api.add_order("cust_a", 500)
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": payment_status}})
    before = snapshot(db)
    assert_error(api.pay(order_id, "cust_a", 5), 409, "order_not_payable")
    assert snapshot(db) == before


def test_pay_insufficient_funds_moves_no_money(api, db):
    api.topup("cust_a", 10)
    order_id = api.add_order("cust_a", 1001)
    ledger_before, order_before = ledger(db), db["orders"].find_one({"order_id": order_id})
    assert_error(api.pay(order_id, "cust_a", "10.01"), 402, "insufficient_funds")
    assert ledger(db) == ledger_before
    assert db["orders"].find_one({"order_id": order_id}) == order_before
    assert balance_minor(db, "cust_a") == 1000


def test_pay_insufficient_funds_writes_nothing(api, db):
    """SPEC §8.4: a rejected request changes nothing (the wallet document included)."""
    api.topup("cust_a", 10)
    order_id = api.add_order("cust_a", 1001)
    before = snapshot(db)
    assert_error(api.pay(order_id, "cust_a", "10.01"), 402, "insufficient_funds")
    assert snapshot(db) == before


def test_pay_without_wallet_writes_nothing(api, db):
    """A customer who never topped up: 402, and no wallet is created by the rejection."""
    order_id = api.add_order("cust_a", 100)
    before = snapshot(db)
    assert_error(api.pay(order_id, "cust_a", 1), 402, "insufficient_funds")
    assert snapshot(db) == before
