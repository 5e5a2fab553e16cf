"""Every endpoint's success shape and every error code it can answer (SPEC §5)."""

import datetime

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from backend import create_app
from backend.gateways.razorpay.simulator import DEV_RAZORPAY_KEY_ID
from tests.conftest import app_config, drop_store
from tests.helpers import (
    BASE,
    WEBHOOK_PATH,
    bearer,
    checkout_signature,
    razorpay_event,
    signed_webhook,
    snapshot,
    unique,
)
from tests.integration.support import (
    assert_error,
    assert_money,
    assert_no_stack_trace,
    balance_minor,
    confirm_by_webhook,
    initiated,
    ledger,
    paid_order,
)

ADMIN = bearer("admin_1", "admin")
MIB = 1024 * 1024


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


# --- 5. POST /webhook/razorpay -----------------------------------------------------------------
def test_webhook_success_shape(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    response = confirm_by_webhook(client, order_id, 10000)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["success"] is True
    assert set(body) <= {"success", "outcome"}
    assert balance_minor(db, "cust_a") == 10000


def test_webhook_order_paid_event_credits(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    body, headers = signed_webhook(razorpay_event("order.paid", order_id, "pay_A1", 10000))
    response = client.post(WEBHOOK_PATH, data=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["success"] is True
    assert balance_minor(db, "cust_a") == 10000


def test_webhook_same_event_twice_credits_once(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, "pay_A1", 10000))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    again = client.post(WEBHOOK_PATH, data=body, headers=headers)
    assert again.status_code == 200
    assert again.get_json()["success"] is True
    assert balance_minor(db, "cust_a") == 10000
    assert len(ledger(db)) == 1


def test_webhook_new_event_id_for_same_payment_credits_once(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    assert confirm_by_webhook(client, order_id, 10000, payment_id="pay_A1").status_code == 200
    assert confirm_by_webhook(client, order_id, 10000, payment_id="pay_A1").status_code == 200
    assert confirm_by_webhook(client, order_id, 10000, payment_id="pay_A2").status_code == 200
    assert balance_minor(db, "cust_a") == 10000
    assert len(ledger(db)) == 1


def test_webhook_ignored_event_answers_2xx(client, db):
    body, headers = signed_webhook({"entity": "event", "event": "refund.created", "payload": {}})
    response = client.post(WEBHOOK_PATH, data=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["success"] is True
    assert ledger(db) == []


def test_webhook_for_unknown_payment_order_credits_nothing(client, db):
    response = confirm_by_webhook(client, "order_unknown", 10000)
    assert response.status_code == 200, response.get_json()
    assert ledger(db) == [] and list(db["wallets"].find({})) == []


def test_webhook_failure_then_capture_still_credits(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    body, headers = signed_webhook(razorpay_event("payment.failed", order_id, "pay_F1", 10000, status="failed"))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    assert balance_minor(db, "cust_a") == 0
    assert confirm_by_webhook(client, order_id, 10000, payment_id="pay_A1").status_code == 200
    assert balance_minor(db, "cust_a") == 10000


@pytest.mark.parametrize("amount_minor, currency", [(9999, "INR"), (10001, "INR"), (1, "INR"), (10000, "USD")])
def test_webhook_amount_mismatch_credits_nothing(api, client, db, amount_minor, currency):
    order_id = initiated(api, "cust_a", 100)
    wallets, entries, orders = list(db["wallets"].find({})), ledger(db), list(db["payment_orders"].find({}))
    event = razorpay_event("payment.captured", order_id, "pay_A1", amount_minor, currency=currency)
    body, headers = signed_webhook(event)
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "amount_mismatch")
    assert (list(db["wallets"].find({})), ledger(db), list(db["payment_orders"].find({}))) == (wallets, entries, orders)
    logged = list(db["integration_logs"].find({"event": "topup.amount_mismatch", "payment_order_id": order_id}))
    assert len(logged) == 1


def test_webhook_amount_mismatch_writes_nothing(api, client, db):
    """SPEC §8.4: the rejected webhook changes nothing (it is only logged in integration_logs)."""
    order_id = initiated(api, "cust_a", 100)
    before = snapshot(db)
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, "pay_A1", 9999))
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "amount_mismatch")
    assert snapshot(db) == before


def test_webhook_amount_mismatch_replayed_is_still_rejected(api, client, db):
    """The same rejected event delivered again is not turned into a 2xx 'duplicate'."""
    order_id = initiated(api, "cust_a", 100)
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, "pay_A1", 9999))
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "amount_mismatch")
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "amount_mismatch")
    assert balance_minor(db, "cust_a") == 0


@pytest.mark.parametrize(
    "event",
    [
        {"event": "payment.captured"},
        {"event": "payment.captured", "payload": {}},
        {"event": "payment.captured", "payload": {"payment": {"entity": {"id": "pay_1", "order_id": "order_1"}}}},
        {
            "event": "payment.captured",
            "payload": {
                "payment": {"entity": {"id": "pay_1", "order_id": "order_1", "amount": "100.00", "currency": "INR"}}
            },
        },
        {
            "event": "payment.captured",
            "payload": {
                "payment": {"entity": {"id": "pay_1", "order_id": "order_1", "amount": 100.5, "currency": "INR"}}
            },
        },
        {
            "event": "payment.captured",
            "payload": {
                "payment": {"entity": {"id": "pay_1", "order_id": "order_1", "amount": True, "currency": "INR"}}
            },
        },
        {"no_event": True},
        ["payment.captured"],
    ],
)
def test_webhook_signed_but_malformed(client, db, event):
    before = snapshot(db)
    body, headers = signed_webhook(event)
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "invalid_request")
    assert snapshot(db) == before


# --- 8. GET /status/<customer_id> --------------------------------------------------------------
STATISTICS_KEYS = {
    "transaction_count",
    "total_topups",
    "topup_count",
    "total_payments",
    "payment_count",
    "total_refunds",
    "refund_count",
}
TRANSACTION_KEYS = {"transaction_id", "type", "kind", "amount", "currency", "balance_after", "reference", "created_at"}


def test_status_of_customer_who_never_topped_up(api, db):
    before = snapshot(db)
    response = api.status("cust_new")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"success", "wallet", "statistics", "recent_transactions"}
    assert body["success"] is True
    assert set(body["wallet"]) == {"customer_id", "balance", "currency"}
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
    assert body["wallet"] == {"customer_id": "cust_a", "balance": 850.75, "currency": "INR"}
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


# --- 9. GET /health ----------------------------------------------------------------------------
def test_health_success_shape(client):
    response = client.get(f"{BASE}/health")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"status", "service", "timestamp", "features"}
    assert body["status"] == "ok"
    assert isinstance(body["service"], str) and body["service"]
    assert body["timestamp"].endswith("Z")
    datetime.datetime.fromisoformat(body["timestamp"][:-1])
    assert isinstance(body["features"], dict)


def test_health_needs_no_token(client):
    assert client.get(f"{BASE}/health", headers={"Authorization": "Bearer forged"}).status_code == 200


def test_health_503_when_ping_fails(client, monkeypatch):
    monkeypatch.setattr("backend.db.ping", lambda database: False)
    response = client.get(f"{BASE}/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert (body["success"], body["error"]) == (False, "store_unavailable")
    assert isinstance(body["message"], str) and body["message"]


def test_health_503_when_store_command_raises(client, db, monkeypatch):
    def down(*args, **kwargs):
        raise ServerSelectionTimeoutError("db-secret-host:27017: connection refused")

    monkeypatch.setattr(db, "command", down)
    response = client.get(f"{BASE}/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert (body["success"], body["error"]) == (False, "store_unavailable")
    assert "db-secret-host" not in response.get_data(as_text=True)


# --- 10. errors for anything else --------------------------------------------------------------
@pytest.mark.parametrize(
    "method, path",
    [
        ("get", f"{BASE}/nope"),
        ("post", f"{BASE}/nope"),
        ("post", f"{BASE}/wallet/topup"),
        ("get", f"{BASE}/status"),
        ("get", f"{BASE}/status/"),
        ("post", f"{BASE}/webhook/stripe"),
        ("get", "/api"),
        ("post", "/api/integration"),
    ],
)
def test_unknown_route_404(client, db, method, path):
    before = snapshot(db)
    response = getattr(client, method)(path, headers=bearer("cust_a"))
    assert_error(response, 404, "not_found")
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/wallet/topup/initiate"),
        ("get", "/wallet/topup/verify"),
        ("get", "/order/pay-with-wallet"),
        ("get", "/order/refund-to-wallet"),
        ("get", "/webhook/razorpay"),
        ("put", "/wallet/topup/initiate"),
        ("delete", "/order/refund-to-wallet"),
        ("patch", "/order/pay-with-wallet"),
        ("post", "/status/cust_a"),
        ("delete", "/status/cust_a"),
        ("post", "/health"),
    ],
)
def test_wrong_method_405(client, db, method, path):
    before = snapshot(db)
    response = getattr(client, method)(BASE + path, headers=bearer("cust_a"))
    assert_error(response, 405, "method_not_allowed")
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/wallet/topup/initiate", bearer("cust_a")),
        ("/wallet/topup/verify", bearer("cust_a")),
        ("/order/pay-with-wallet", bearer("cust_a")),
        ("/order/refund-to-wallet", ADMIN),
        ("/webhook/razorpay", {}),
    ],
)
def test_body_over_1_mib_413(client, db, path, headers):
    before = snapshot(db)
    raw = b'{"customer_id":"cust_a","amount":10,"pad":"' + b"x" * MIB + b'"}'
    response = client.post(BASE + path, data=raw, headers=headers, content_type="application/json")
    assert_error(response, 413, "payload_too_large")
    assert snapshot(db) == before


def test_body_just_under_1_mib_accepted(client, db):
    head, tail = b'{"customer_id":"cust_a","amount":10,"pad":"', b'"}'
    raw = head + b"x" * (MIB - len(head) - len(tail)) + tail
    assert len(raw) == MIB
    response = client.post(
        f"{BASE}/wallet/topup/initiate", data=raw, headers=bearer("cust_a"), content_type="application/json"
    )
    assert response.status_code == 200, response.get_json()


def test_unexpected_error_500_without_stack_trace(api, db, integration, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom: mongodb://admin:hunter2@db-secret-host")

    monkeypatch.setattr(integration, "initiate_wallet_topup_payment", broken)
    before = snapshot(db)
    response = api.initiate("cust_a", 10)
    assert_error(response, 500, "internal_error")
    assert_no_stack_trace(response)
    text = response.get_data(as_text=True)
    assert "hunter2" not in text and "db-secret-host" not in text and "boom" not in text
    assert snapshot(db) == before


def test_failing_route_500_json(app, client):
    def failing():
        raise KeyError("internal detail")

    app.add_url_rule("/api/integration/_test_failure", "test_failure", failing)
    response = client.get("/api/integration/_test_failure")
    assert_error(response, 500, "internal_error")
    assert_no_stack_trace(response)
    assert "internal detail" not in response.get_data(as_text=True)


def test_store_error_on_route_503_without_driver_text(api, integration, monkeypatch):
    def down(*args, **kwargs):
        raise ServerSelectionTimeoutError("db-secret-host:27017: [Errno 111] Connection refused")

    monkeypatch.setattr(integration, "get_integration_status", down)
    response = api.status("cust_a")
    assert_error(response, 503, "store_unavailable")
    assert "db-secret-host" not in response.get_data(as_text=True)


def test_idempotency_key_released_after_500(api, db, integration, monkeypatch):
    key = {"Idempotency-Key": unique("idk")}
    headers = {**bearer("cust_a"), **key}

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    with monkeypatch.context() as patch:
        patch.setattr(integration, "initiate_wallet_topup_payment", broken)
        assert_error(api.initiate("cust_a", 10, headers=headers), 500, "internal_error")
    retry = api.initiate("cust_a", 10, headers=headers)
    assert retry.status_code == 200, retry.get_json()
    assert len(list(db["payment_orders"].find({}))) == 1


# --- Idempotency-Key on POSTs 1, 3 and 4 -------------------------------------------------------
def with_key(headers, key):
    return {**headers, "Idempotency-Key": key}


def test_initiate_same_key_same_body_once(api, db):
    headers = with_key(bearer("cust_a"), "key-1")
    first = api.initiate("cust_a", 10, headers=headers)
    second = api.initiate("cust_a", 10, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_json() == first.get_json()
    assert len(list(db["payment_orders"].find({}))) == 1


def test_initiate_without_key_twice_is_two_topups(api, db):
    first = api.initiate("cust_a", 10)
    second = api.initiate("cust_a", 10)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.get_json()["payment_order_id"] != second.get_json()["payment_order_id"]
    assert len(list(db["payment_orders"].find({}))) == 2


def test_initiate_different_keys_are_two_topups(api, db):
    first = api.initiate("cust_a", 10, headers=with_key(bearer("cust_a"), "key-1"))
    second = api.initiate("cust_a", 10, headers=with_key(bearer("cust_a"), "key-2"))
    assert first.get_json()["payment_order_id"] != second.get_json()["payment_order_id"]
    assert len(list(db["payment_orders"].find({}))) == 2


def test_same_key_two_customers_are_independent(api, db):
    first = api.initiate("cust_a", 10, headers=with_key(bearer("cust_a"), "key-1"))
    second = api.initiate("cust_b", 10, headers=with_key(bearer("cust_b"), "key-1"))
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.get_json()["payment_order_id"] != second.get_json()["payment_order_id"]


def test_pay_same_key_same_body_moves_money_once(api, db):
    api.topup("cust_a", 100)
    order_id = api.add_order("cust_a", 3000)
    headers = with_key(bearer("cust_a"), "key-pay")
    first = api.pay(order_id, "cust_a", 30, headers=headers)
    second = api.pay(order_id, "cust_a", 30, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_json() == first.get_json()
    assert balance_minor(db, "cust_a") == 7000
    assert len(list(db["ledger_entries"].find({"kind": "payment"}))) == 1


def test_refund_same_key_same_body_moves_money_once(api, db):
    order_id = paid_order(api, "cust_a", 10000)
    headers = with_key(bearer("admin_1", "admin"), "key-refund")
    first = api.refund(order_id, "cust_a", 30, headers=headers)
    second = api.refund(order_id, "cust_a", 30, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_json() == first.get_json()
    assert balance_minor(db, "cust_a") == 3000
    assert len(list(db["ledger_entries"].find({"kind": "refund"}))) == 1
    assert db["orders"].find_one({"order_id": order_id})["refunded_minor"] == 3000


def test_refund_different_keys_are_two_refunds(api, db):
    order_id = paid_order(api, "cust_a", 10000)
    assert api.refund(order_id, "cust_a", 30, headers=with_key(ADMIN, "r-1")).status_code == 200
    assert api.refund(order_id, "cust_a", 30, headers=with_key(ADMIN, "r-2")).status_code == 200
    assert balance_minor(db, "cust_a") == 6000


def test_initiate_same_key_other_body_409(api, db):
    headers = with_key(bearer("cust_a"), "key-1")
    assert api.initiate("cust_a", 10, headers=headers).status_code == 200
    before = snapshot(db)
    assert_error(api.initiate("cust_a", 11, headers=headers), 409, "idempotency_key_reused")
    assert snapshot(db) == before


def test_pay_same_key_other_body_409(api, db):
    api.topup("cust_a", 100)
    order_id = api.add_order("cust_a", 3000)
    other_order_id = api.add_order("cust_a", 3000)
    headers = with_key(bearer("cust_a"), "key-pay")
    assert api.pay(order_id, "cust_a", 30, headers=headers).status_code == 200
    before = snapshot(db)
    assert_error(api.pay(other_order_id, "cust_a", 30, headers=headers), 409, "idempotency_key_reused")
    assert snapshot(db) == before


def test_refund_same_key_other_body_409(api, db):
    order_id = paid_order(api, "cust_a", 10000)
    headers = with_key(ADMIN, "key-refund")
    assert api.refund(order_id, "cust_a", 30, headers=headers).status_code == 200
    before = snapshot(db)
    assert_error(api.refund(order_id, "cust_a", 31, headers=headers), 409, "idempotency_key_reused")
    assert snapshot(db) == before


@pytest.mark.parametrize("key", ["k" * 256, "key\twith-tab", "clé"])
def test_invalid_idempotency_key_400(api, db, key):
    before = snapshot(db)
    response = api.client.post(
        f"{BASE}/wallet/topup/initiate",
        json={"customer_id": "cust_a", "amount": 10},
        headers={**bearer("cust_a"), "Idempotency-Key": key},
    )
    assert_error(response, 400, "invalid_request")
    assert snapshot(db) == before


# --- 11. GET /gateways -------------------------------------------------------------------------
BUILT_IN_GATEWAYS = [
    {
        "name": "razorpay",
        "label": "Razorpay",
        "currencies": ["INR", "USD", "EUR"],
        "checkout_return": {
            "order_id": "razorpay_order_id",
            "match": ["razorpay_order_id", "razorpay_payment_id"],
            "verify_fields": {"payment_id": "razorpay_payment_id", "signature": "razorpay_signature"},
            "confirm": "verify",
            "pay_again_charges": True,
        },
    },
    {
        "name": "paypal",
        "label": "PayPal",
        "currencies": ["INR", "USD", "EUR"],
        "checkout_return": {
            "order_id": "paypal_order_id",
            "match": ["paypal_order_id"],
            "verify_fields": {},
            "confirm": "verify",
            "pay_again_charges": False,
        },
    },
    {
        "name": "google_pay",
        "label": "Google Pay",
        "currencies": ["INR", "USD", "EUR"],
        "checkout_return": {
            "order_id": "payment_order_id",
            "match": [],
            "verify_fields": {},
            "confirm": "await_credit",
            "pay_again_charges": False,
        },
    },
]


def test_gateways_describes_the_offered_gateways_in_order_without_auth(client):
    response = client.get(f"{BASE}/gateways")
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "gateways": BUILT_IN_GATEWAYS}


def test_gateways_lists_only_what_live_mode_offers():
    app = create_app(app_config(GATEWAY_MODE="live"))  # PayPal without its keys, Google Pay without a processor
    assert app.test_client().get(f"{BASE}/gateways").get_json()["gateways"] == BUILT_IN_GATEWAYS[:1]
    drop_store(app)
