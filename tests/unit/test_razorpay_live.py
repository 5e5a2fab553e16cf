"""Razorpay in live mode through the real `razorpay` SDK, its HTTP answered by `responses`.

The response bodies have the shape of Razorpay's documented answers (orders, payments, errors).
Every test here runs inside a `responses` mock, so an unexpected request fails instead of going
to the internet.
"""

import base64
import hashlib
import hmac
import json

import pytest
import requests
import responses

from backend import create_app
from backend.errors import GatewayUnavailable, InvalidSignature
from backend.gateways.base import CREDIT_WALLET
from backend.gateways.razorpay.adapter import RazorpayGateway
from backend.gateways.razorpay.api import RazorpayApi
from backend.gateways.razorpay.simulator import (
    DEV_RAZORPAY_KEY_SECRET,
    DEV_RAZORPAY_WEBHOOK_SECRET,
    SimulatedRazorpayApi,
)
from tests.conftest import app_config
from tests.helpers import BASE, WEBHOOK_PATH, bearer, checkout_signature, razorpay_event, signed_webhook, snapshot

KEY_ID = "rzp_test_LiveKey000001"
KEY_SECRET = "live_key_secret_for_tests"
WEBHOOK_SECRET = "live_webhook_secret_for_tests"
ORDERS_URL = "https://api.razorpay.com/v1/orders"
PAYMENTS_URL = "https://api.razorpay.com/v1/payments/"
TIMEOUT = 7.5


def order_response(order_id="order_LiveA1", amount_minor=50000, receipt="wtp_x", notes=None):
    return {
        "id": order_id,
        "entity": "order",
        "amount": amount_minor,
        "amount_paid": 0,
        "amount_due": amount_minor,
        "currency": "INR",
        "receipt": receipt,
        "offer_id": None,
        "status": "created",
        "attempts": 0,
        "notes": notes or [],
        "created_at": 1700000000,
    }


def payment_response(
    payment_id="pay_LiveA1", order_id="order_LiveA1", amount_minor=50000, currency="INR", status="captured"
):
    return {
        "id": payment_id,
        "entity": "payment",
        "amount": amount_minor,
        "currency": currency,
        "status": status,
        "order_id": order_id,
        "invoice_id": None,
        "international": False,
        "method": "upi",
        "amount_refunded": 0,
        "refund_status": None,
        "captured": status == "captured",
        "description": "Wallet top-up",
        "card_id": None,
        "bank": None,
        "wallet": None,
        "vpa": "customer@okbank",
        "email": "customer@example.com",
        "contact": "+919876543210",
        "notes": {"customer_id": "cust_a", "purpose": "wallet_topup"},
        "fee": 1180,
        "tax": 180,
        "error_code": None,
        "error_description": None,
        "created_at": 1700000100,
    }


def razorpay_error(code, description, status):
    return {
        "json": {
            "error": {
                "code": code,
                "description": description,
                "source": "business",
                "step": "payment_initiation",
                "reason": "input_validation_failed",
                "metadata": {},
                "field": "amount",
            }
        },
        "status": status,
    }


FAILURES = {
    "400 bad request": razorpay_error("BAD_REQUEST_ERROR", "The amount must be atleast INR 1.00", 400),
    "401 authentication failed": razorpay_error("BAD_REQUEST_ERROR", "Authentication failed", 401),
    "500 server error": razorpay_error("SERVER_ERROR", "The server encountered an error.", 500),
    "502 gateway error": razorpay_error("GATEWAY_ERROR", "Payment processing failed at the bank", 502),
    "503 html page": {
        "body": "<html><body>Service Unavailable</body></html>",
        "status": 503,
        "content_type": "text/html",
    },
    "200 not json": {"body": "<html>maintenance</html>", "status": 200, "content_type": "text/html"},
    "connection error": {"body": requests.ConnectionError("connection refused")},
    "timeout": {"body": requests.Timeout("read timed out")},
}
# Error answers whose JSON is not Razorpay's error object: the SDK itself fails reading them
# (`TypeError` on `'error' in None`, `None['description']`, ...).
GARBAGE_ERRORS = {
    f"{status} {body}": {"body": body, "status": status, "content_type": "application/json"}
    for status, body in [
        (400, "null"),
        (500, "5"),
        (502, '"error"'),
        (400, '{"error": null}'),
        (400, '{"error": "description"}'),
        (500, '{"error": 5}'),
        (400, "[]"),
        (503, '{"error": {"code": ["SERVER_ERROR"]}}'),
    ]
}
FAILURES.update(GARBAGE_ERRORS)


@pytest.fixture
def gateway(http):
    return RazorpayGateway(
        RazorpayApi(KEY_ID, KEY_SECRET, timeout_seconds=TIMEOUT),
        KEY_ID,
        KEY_SECRET,
        WEBHOOK_SECRET,
        checkout_url="http://localhost/checkout/razorpay",
    )


def basic_auth(key_id, key_secret):
    return "Basic " + base64.b64encode(f"{key_id}:{key_secret}".encode()).decode()


# --- orders ------------------------------------------------------------------------------------
def test_create_order_returns_checkout(http, gateway):
    http.add(responses.POST, ORDERS_URL, json=order_response("order_LiveA1"))
    checkout = gateway.create_order("wtp_abc", 50000, "INR", "cust_a")
    assert checkout.gateway_order_id == "order_LiveA1"
    assert checkout.redirect_url == "http://localhost/checkout/razorpay/order_LiveA1"


def test_create_order_request_body(http, gateway):
    http.add(responses.POST, ORDERS_URL, json=order_response())
    gateway.create_order("wtp_abc", 50000, "INR", "cust_a")
    assert len(http.calls) == 1
    sent = json.loads(http.calls[0].request.body)
    assert sent["amount"] == 50000 and type(sent["amount"]) is int
    assert sent["currency"] == "INR"
    assert sent["receipt"] == "wtp_abc"
    assert sent["notes"] == {"customer_id": "cust_a", "purpose": "wallet_topup"}


def test_create_order_receipt_at_most_40_characters(http, gateway):
    http.add(responses.POST, ORDERS_URL, json=order_response())
    reference = "wtp_" + "x" * 60
    gateway.create_order(reference, 100, "INR", "cust_a")
    receipt = json.loads(http.calls[0].request.body)["receipt"]
    assert len(receipt) <= 40
    assert receipt == reference[:40]


def test_create_order_authenticates_with_keys(http, gateway):
    http.add(responses.POST, ORDERS_URL, json=order_response())
    gateway.create_order("wtp_abc", 100, "INR", "cust_a")
    request = http.calls[0].request
    assert request.headers["Authorization"] == basic_auth(KEY_ID, KEY_SECRET)
    assert request.headers["Content-type"] == "application/json"


def test_create_order_passes_a_timeout(http, gateway):
    http.add(responses.POST, ORDERS_URL, json=order_response())
    gateway.create_order("wtp_abc", 100, "INR", "cust_a")
    assert http.calls[0].request.req_kwargs["timeout"] == TIMEOUT


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_create_order_failure_is_gateway_unavailable(http, gateway, failure):
    http.add(responses.POST, ORDERS_URL, **failure)
    with pytest.raises(GatewayUnavailable):
        gateway.create_order("wtp_abc", 100, "INR", "cust_a")


@pytest.mark.parametrize(
    "answer", [{}, {"id": None}, {"id": 123}, {"id": ""}, {"id": "order/../x"}, {"id": "o" * 65}], ids=repr
)
def test_create_order_answer_without_usable_id_is_gateway_unavailable(http, gateway, answer):
    http.add(responses.POST, ORDERS_URL, json=answer)
    with pytest.raises(GatewayUnavailable):
        gateway.create_order("wtp_abc", 100, "INR", "cust_a")


# --- payments ----------------------------------------------------------------------------------
def test_fetch_payment(http, gateway):
    http.add(responses.GET, PAYMENTS_URL + "pay_LiveA1", json=payment_response())
    payment = gateway.fetch_captured_payment("pay_LiveA1")
    assert (payment["status"], payment["amount"], payment["currency"], payment["order_id"]) == (
        "captured",
        50000,
        "INR",
        "order_LiveA1",
    )
    request = http.calls[0].request
    assert request.method == "GET"
    assert request.headers["Authorization"] == basic_auth(KEY_ID, KEY_SECRET)
    assert request.req_kwargs["timeout"] == TIMEOUT


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_fetch_payment_failure_is_gateway_unavailable(http, gateway, failure):
    http.add(responses.GET, PAYMENTS_URL + "pay_LiveA1", **failure)
    with pytest.raises(GatewayUnavailable):
        gateway.fetch_captured_payment("pay_LiveA1")


@pytest.mark.parametrize("answer", [[], "captured", 1], ids=repr)
def test_fetch_payment_answer_not_an_object_is_gateway_unavailable(http, gateway, answer):
    http.add(responses.GET, PAYMENTS_URL + "pay_LiveA1", json=answer)
    with pytest.raises(GatewayUnavailable):
        gateway.fetch_captured_payment("pay_LiveA1")


# --- signatures (no HTTP) ----------------------------------------------------------------------
def test_checkout_signature_with_key_secret(http, gateway):
    gateway.verify_checkout("order_LiveA1", "pay_LiveA1", checkout_signature("order_LiveA1", "pay_LiveA1", KEY_SECRET))
    assert len(http.calls) == 0


@pytest.mark.parametrize("secret", [DEV_RAZORPAY_KEY_SECRET, WEBHOOK_SECRET, KEY_ID])
def test_checkout_signature_with_other_secret_rejected(http, gateway, secret):
    with pytest.raises(InvalidSignature):
        gateway.verify_checkout("order_LiveA1", "pay_LiveA1", checkout_signature("order_LiveA1", "pay_LiveA1", secret))


def test_webhook_signed_with_live_secret(http, gateway):
    body, headers = signed_webhook(
        razorpay_event("payment.captured", "order_LiveA1", "pay_LiveA1", 50000), secret=WEBHOOK_SECRET
    )
    event = gateway.parse_webhook(body, headers)
    assert (event.action, event.payment_order_id, event.amount_minor) == (CREDIT_WALLET, "order_LiveA1", 50000)


@pytest.mark.parametrize("secret", [DEV_RAZORPAY_WEBHOOK_SECRET, KEY_SECRET])
def test_webhook_signed_with_other_secret_rejected(http, gateway, secret):
    body, headers = signed_webhook(
        razorpay_event("payment.captured", "order_LiveA1", "pay_LiveA1", 50000), secret=secret
    )
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(body, headers)


def test_simulator_mode_makes_no_http_calls(http):
    gateway = RazorpayGateway(
        SimulatedRazorpayApi(),
        KEY_ID,
        KEY_SECRET,
        WEBHOOK_SECRET,
        checkout_url="http://localhost/simulator/razorpay/checkout",
    )
    checkout = gateway.create_order("wtp_abc", 100, "INR", "cust_a")
    assert checkout.gateway_order_id.startswith("order_")
    assert gateway.fetch_captured_payment("pay_x") is None
    assert len(http.calls) == 0


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


def test_webhook_signature_helper_matches_razorpay_scheme():
    """The test helper signs like Razorpay: hex HMAC-SHA256 of the raw body with the webhook secret."""
    body, headers = signed_webhook({"event": "x"}, secret=WEBHOOK_SECRET)
    expected = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Razorpay-Signature"] == expected
