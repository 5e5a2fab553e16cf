"""The app in Razorpay live mode: initiate, verify and webhooks over HTTP through the real `razorpay` SDK,
its HTTP answered by `responses` (recorded answers in tests/razorpay_support.py)."""

import json

import pytest
import responses

from backend import create_app
from backend.gateways.razorpay.simulator import DEV_RAZORPAY_KEY_SECRET, DEV_RAZORPAY_WEBHOOK_SECRET
from tests.conftest import app_config
from tests.helpers import BASE, WEBHOOK_PATH, bearer, checkout_signature, razorpay_event, signed_webhook, snapshot
from tests.razorpay_support import (
    FAILURES,
    KEY_ID,
    KEY_SECRET,
    ORDERS_URL,
    PAYMENTS_URL,
    WEBHOOK_SECRET,
    order_response,
    payment_response,
)


# --- the app in live mode: initiate and verify over HTTP ---------------------------------------
@pytest.fixture
def live_app(http):
    return create_app(
        app_config(
            GATEWAY_MODE="live",
            RAZORPAY_KEY_ID=KEY_ID,
            RAZORPAY_KEY_SECRET=KEY_SECRET,
            RAZORPAY_WEBHOOK_SECRET=WEBHOOK_SECRET,
            GATEWAY_TIMEOUT_SECONDS="4",
        )
    )


@pytest.fixture
def live_client(live_app):
    return live_app.test_client()


@pytest.fixture
def live_db(live_app):
    return live_app.extensions["wallet_db"]


def live_initiate(client, http, order_id="order_LiveA1", amount="500.00", amount_minor=50000):
    http.add(responses.POST, ORDERS_URL, json=order_response(order_id, amount_minor))
    response = client.post(
        f"{BASE}/wallet/topup/initiate", json={"customer_id": "cust_a", "amount": amount}, headers=bearer("cust_a")
    )
    assert response.status_code == 200, response.get_json()
    return response


def live_verify(client, order_id="order_LiveA1", payment_id="pay_LiveA1", secret=KEY_SECRET):
    return client.post(
        f"{BASE}/wallet/topup/verify",
        json={
            "payment_id": payment_id,
            "order_id": order_id,
            "signature": checkout_signature(order_id, payment_id, secret),
        },
        headers=bearer("cust_a"),
    )


def live_balance(client):
    return client.get(f"{BASE}/status/cust_a", headers=bearer("cust_a")).get_json()["wallet"]["balance"]


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body == {"success": False, "error": code, "message": body["message"]}
    assert body["message"]


def test_live_initiate(live_client, live_db, http):
    body = live_initiate(live_client, http).get_json()
    assert body["payment_order_id"] == "order_LiveA1"
    assert body["key_id"] == KEY_ID
    assert body["redirect_url"] == "http://localhost/checkout/razorpay/order_LiveA1"
    assert (body["amount"], body["currency"]) == (500, "INR")
    sent = json.loads(http.calls[0].request.body)
    assert (sent["amount"], sent["currency"], sent["notes"]) == (
        50000,
        "INR",
        {"customer_id": "cust_a", "purpose": "wallet_topup"},
    )
    assert http.calls[0].request.req_kwargs["timeout"] == 4.0
    stored = live_db["payment_orders"].find_one({"_id": "order_LiveA1"})
    assert (stored["amount_minor"], stored["status"], stored["customer_id"]) == (50000, "created", "cust_a")


def test_live_initiate_below_razorpays_least_amount_is_invalid_amount_without_a_call(live_client, live_db, http):
    before = snapshot(live_db)
    response = live_client.post(
        f"{BASE}/wallet/topup/initiate", json={"customer_id": "cust_a", "amount": "0.99"}, headers=bearer("cust_a")
    )
    assert_error(response, 400, "invalid_amount")
    assert response.get_json()["message"] == "Razorpay takes top-ups of at least INR 1.00."
    assert (len(http.calls), snapshot(live_db)) == (0, before)  # Razorpay would answer 400, not an outage
    assert live_initiate(live_client, http, amount="1.00", amount_minor=100).get_json()["amount"] == 1


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_live_initiate_gateway_failure_502_nothing_written(live_client, live_db, http, failure):
    http.add(responses.POST, ORDERS_URL, **failure)
    before = snapshot(live_db)
    response = live_client.post(
        f"{BASE}/wallet/topup/initiate", json={"customer_id": "cust_a", "amount": 500}, headers=bearer("cust_a")
    )
    assert_error(response, 502, "gateway_unavailable")
    assert snapshot(live_db) == before


def test_live_verify_credits_captured_payment(live_client, live_db, http):
    live_initiate(live_client, http)
    http.add(responses.GET, PAYMENTS_URL + "pay_LiveA1", json=payment_response())
    response = live_verify(live_client)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["wallet_balance"] == 500
    fetches = [c for c in http.calls if c.request.method == "GET"]
    assert [c.request.url for c in fetches] == [PAYMENTS_URL + "pay_LiveA1"]
    assert fetches[0].request.req_kwargs["timeout"] == 4.0
    assert live_balance(live_client) == 500
    assert live_db["payment_orders"].find_one({"_id": "order_LiveA1"})["status"] == "paid"


def test_live_verify_twice_credits_once(live_client, live_db, http):
    live_initiate(live_client, http)
    http.add(responses.GET, PAYMENTS_URL + "pay_LiveA1", json=payment_response())
    assert live_verify(live_client).status_code == 200
    assert live_verify(live_client).status_code == 200
    assert live_balance(live_client) == 500
    assert len(list(live_db["ledger_entries"].find({}))) == 1


PAYMENT_PROBLEMS = {
    "authorized, not captured": ({"status": "authorized"}, 409, "payment_not_captured"),
    "failed": ({"status": "failed"}, 409, "payment_not_captured"),
    "created": ({"status": "created"}, 409, "payment_not_captured"),
    "refunded": ({"status": "refunded"}, 409, "payment_not_captured"),
    "other order": ({"order_id": "order_Other"}, 409, "payment_not_captured"),
    "amount lower": ({"amount_minor": 49999}, 400, "amount_mismatch"),
    "amount higher": ({"amount_minor": 50001}, 400, "amount_mismatch"),
    "one rupee": ({"amount_minor": 100}, 400, "amount_mismatch"),
    "other currency": ({"currency": "USD"}, 400, "amount_mismatch"),
}


@pytest.mark.parametrize("changes, status, code", PAYMENT_PROBLEMS.values(), ids=PAYMENT_PROBLEMS.keys())
def test_live_verify_credits_only_a_captured_payment_of_the_right_amount(
    live_client, live_db, http, changes, status, code
):
    live_initiate(live_client, http)
    http.add(responses.GET, PAYMENTS_URL + "pay_LiveA1", json=payment_response(**changes))
    before = snapshot(live_db)
    assert_error(live_verify(live_client), status, code)
    assert snapshot(live_db) == before
    assert live_balance(live_client) == 0


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_live_verify_gateway_failure_502_nothing_written(live_client, live_db, http, failure):
    live_initiate(live_client, http)
    http.add(responses.GET, PAYMENTS_URL + "pay_LiveA1", **failure)
    before = snapshot(live_db)
    assert_error(live_verify(live_client), 502, "gateway_unavailable")
    assert snapshot(live_db) == before


@pytest.mark.parametrize("secret", [DEV_RAZORPAY_KEY_SECRET, WEBHOOK_SECRET, "guess"])
def test_live_verify_bad_signature_fetches_nothing(live_client, live_db, http, secret):
    live_initiate(live_client, http)
    before = snapshot(live_db)
    assert_error(live_verify(live_client, secret=secret), 400, "invalid_signature")
    assert snapshot(live_db) == before
    assert [c.request.method for c in http.calls] == ["POST"]


def test_live_webhook_with_live_secret_credits(live_client, live_db, http):
    live_initiate(live_client, http)
    body, headers = signed_webhook(
        razorpay_event("payment.captured", "order_LiveA1", "pay_LiveA1", 50000), secret=WEBHOOK_SECRET
    )
    response = live_client.post(WEBHOOK_PATH, data=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert live_balance(live_client) == 500


def test_live_webhook_with_simulator_secret_rejected(live_client, live_db, http):
    """Live mode does not accept webhooks signed with the documented development secret."""
    live_initiate(live_client, http)
    body, headers = signed_webhook(
        razorpay_event("payment.captured", "order_LiveA1", "pay_LiveA1", 50000), secret=DEV_RAZORPAY_WEBHOOK_SECRET
    )
    before = snapshot(live_db)
    assert_error(live_client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "invalid_signature")
    assert snapshot(live_db) == before


def test_live_mode_serves_no_simulator(live_client, http):
    live_initiate(live_client, http)
    response = live_client.post("/simulator/razorpay/checkout/order_LiveA1/pay")
    assert response.status_code == 404
    assert live_balance(live_client) == 0


def test_live_checkout_page(live_client, http):
    live_initiate(live_client, http)
    response = live_client.get("/checkout/razorpay/order_LiveA1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert KEY_ID in page and "order_LiveA1" in page
    assert KEY_SECRET not in page and WEBHOOK_SECRET not in page


LIVE_KEYS = {"RAZORPAY_KEY_ID": KEY_ID, "RAZORPAY_KEY_SECRET": KEY_SECRET, "RAZORPAY_WEBHOOK_SECRET": WEBHOOK_SECRET}


@pytest.mark.parametrize(
    "setting, value",
    [
        *((key, "") for key in LIVE_KEYS),
        ("RAZORPAY_WEBHOOK_SECRET", DEV_RAZORPAY_WEBHOOK_SECRET),
        ("RAZORPAY_KEY_SECRET", DEV_RAZORPAY_KEY_SECRET),
    ],
)
def test_live_razorpay_needs_its_three_settings_and_no_published_secret(http, setting, value):
    """Found by a red-team pass: live mode outside production, the webhook secret left unset, offered
    Razorpay and checked webhooks under the empty key, so a forged `payment.captured` credited."""
    app = create_app(app_config(GATEWAY_MODE="live", **dict(LIVE_KEYS, **{setting: value})))
    client = app.test_client()
    response = client.post(
        f"{BASE}/wallet/topup/initiate", json={"customer_id": "cust_a", "amount": "500.00"}, headers=bearer("cust_a")
    )
    assert_error(response, 400, "unsupported_payment_method")
    body, headers = signed_webhook(
        razorpay_event("payment.captured", "order_LiveA1", "pay_Forged1", 50000), secret=value or "x"
    )
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "unsupported_payment_method")
    assert app.extensions["wallet_db"]["ledger_entries"].count_documents({}) == 0
    assert len(http.calls) == 0
