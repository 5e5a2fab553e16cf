"""POST /wallet/topup/initiate and POST /wallet/topup/verify: their success shapes and every error they
can answer; verify and the webhook credit a top-up once (SPEC §5)."""

import pytest

from backend.gateways.razorpay.simulator import DEV_RAZORPAY_KEY_ID
from tests.helpers import BASE, bearer, checkout_signature, snapshot
from tests.integration.support import assert_error, assert_money, balance_minor, confirm_by_webhook, initiated, ledger

ADMIN = bearer("admin_1", "admin")


def verify(client, order_id, payment_id, signature, headers):
    return client.post(
        f"{BASE}/wallet/topup/verify",
        json={"payment_id": payment_id, "order_id": order_id, "signature": signature},
        headers=headers,
    )


# --- 1. POST /wallet/topup/initiate ------------------------------------------------------------
@pytest.mark.parametrize(
    "amount, expected_major, expected_minor",
    [
        (100, 100, 10000),
        ("100", 100, 10000),
        (99.99, 99.99, 9999),
        ("99.99", 99.99, 9999),
        ("0.01", 0.01, 1),
        ("12.5", 12.5, 1250),
        ("10000000.00", 10000000, 1000000000),
        (10000000, 10000000, 1000000000),
    ],
)
def test_initiate_success_shape(api, db, amount, expected_major, expected_minor):
    response = api.initiate("cust_a", amount)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"success", "payment_order_id", "redirect_url", "key_id", "amount", "currency"}
    assert body["success"] is True
    assert_money(body["amount"], expected_major)
    assert body["currency"] == "INR"
    assert body["key_id"] == DEV_RAZORPAY_KEY_ID
    assert body["payment_order_id"].startswith("order_")
    assert body["redirect_url"] == f"http://localhost/simulator/razorpay/checkout/{body['payment_order_id']}"
    stored = db["payment_orders"].find_one({"_id": body["payment_order_id"]})
    assert stored["amount_minor"] == expected_minor
    assert (stored["customer_id"], stored["gateway"], stored["status"]) == ("cust_a", "razorpay", "created")
    assert ledger(db) == []


@pytest.mark.parametrize(
    "body",
    [
        {"customer_id": "cust_a", "amount": 10},
        {"customer_id": "cust_a", "amount": 10, "payment_method": None},
        {"customer_id": "cust_a", "amount": 10, "payment_method": "razorpay"},
    ],
)
def test_initiate_defaults_to_razorpay(api, db, body):
    response = api.post("/wallet/topup/initiate", body, bearer("cust_a"))
    assert response.status_code == 200, response.get_json()
    assert db["payment_orders"].find_one({"_id": response.get_json()["payment_order_id"]})["gateway"] == "razorpay"


@pytest.mark.parametrize(
    "method", ["bitcoin", "RAZORPAY", "razorpay ", "", 5, True, ["razorpay"], {"$gt": ""}, {"$in": ["razorpay"]}]
)
def test_initiate_unsupported_payment_method(api, db, method):
    before = snapshot(db)
    response = api.initiate("cust_a", 10, method=method)
    assert_error(response, 400, "unsupported_payment_method")
    assert snapshot(db) == before


def test_initiate_admin_for_any_customer(api, db):
    response = api.initiate("cust_b", 10, headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    assert db["payment_orders"].find_one({"_id": response.get_json()["payment_order_id"]})["customer_id"] == "cust_b"


# --- 2. POST /wallet/topup/verify --------------------------------------------------------------
def test_verify_success_shape(api, client, db):
    order_id = initiated(api, "cust_a", "250.50")
    response = verify(client, order_id, "pay_A1", checkout_signature(order_id, "pay_A1"), bearer("cust_a"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    # The contract's four fields, plus what issue 11 added (which top-up, whether already credited).
    assert set(body) == {
        "success",
        "message",
        "wallet_balance",
        "currency",
        "payment_order_id",
        "topup_status",
        "amount",
        "already_credited",
    }
    assert body["success"] is True
    assert isinstance(body["message"], str) and body["message"]
    assert_money(body["wallet_balance"], 250.50)
    assert body["currency"] == "INR"
    assert balance_minor(db, "cust_a") == 25050
    assert db["payment_orders"].find_one({"_id": order_id})["status"] == "paid"


def test_verify_twice_credits_once(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    signature = checkout_signature(order_id, "pay_A1")
    first = verify(client, order_id, "pay_A1", signature, bearer("cust_a"))
    second = verify(client, order_id, "pay_A1", signature, bearer("cust_a"))
    assert (first.status_code, second.status_code) == (200, 200)
    assert_money(second.get_json()["wallet_balance"], 100)
    assert len(ledger(db, "cust_a")) == 1
    assert balance_minor(db, "cust_a") == 10000


def test_verify_then_webhook_credits_once(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    assert (
        verify(client, order_id, "pay_A1", checkout_signature(order_id, "pay_A1"), bearer("cust_a")).status_code == 200
    )
    response = confirm_by_webhook(client, order_id, 10000, payment_id="pay_A1")
    assert response.status_code == 200, response.get_json()
    assert balance_minor(db, "cust_a") == 10000
    assert len(ledger(db, "cust_a")) == 1


def test_webhook_then_verify_credits_once(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    assert confirm_by_webhook(client, order_id, 10000, payment_id="pay_A1").status_code == 200
    response = verify(client, order_id, "pay_A1", checkout_signature(order_id, "pay_A1"), bearer("cust_a"))
    assert response.status_code == 200, response.get_json()
    assert_money(response.get_json()["wallet_balance"], 100)
    assert len(ledger(db, "cust_a")) == 1


@pytest.mark.parametrize(
    "signature",
    [
        "0" * 64,
        "not-a-signature",
        "WRONG",
    ],
)
def test_verify_invalid_signature(api, client, db, signature):
    order_id = initiated(api, "cust_a", 100)
    before = snapshot(db)
    assert_error(verify(client, order_id, "pay_A1", signature, bearer("cust_a")), 400, "invalid_signature")
    assert snapshot(db) == before


def test_verify_signature_of_other_payment_id(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    before = snapshot(db)
    response = verify(client, order_id, "pay_A1", checkout_signature(order_id, "pay_OTHER"), bearer("cust_a"))
    assert_error(response, 400, "invalid_signature")
    assert snapshot(db) == before


def test_verify_signature_of_other_order(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    other_order_id = initiated(api, "cust_a", 1)
    before = snapshot(db)
    response = verify(client, order_id, "pay_A1", checkout_signature(other_order_id, "pay_A1"), bearer("cust_a"))
    assert_error(response, 400, "invalid_signature")
    assert snapshot(db) == before


def test_verify_signature_with_wrong_secret(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    before = snapshot(db)
    signature = checkout_signature(order_id, "pay_A1", secret="not-the-key-secret")
    assert_error(verify(client, order_id, "pay_A1", signature, bearer("cust_a")), 400, "invalid_signature")
    assert snapshot(db) == before


def test_verify_unknown_payment_order(api, client, db):
    before = snapshot(db)
    response = verify(client, "order_nope", "pay_A1", checkout_signature("order_nope", "pay_A1"), bearer("cust_a"))
    assert_error(response, 404, "payment_order_not_found")
    assert snapshot(db) == before
