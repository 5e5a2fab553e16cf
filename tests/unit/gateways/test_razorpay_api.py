"""The Razorpay adapter in live mode through the real `razorpay` SDK, its HTTP answered by `responses`.

The response bodies have the shape of Razorpay's documented answers (orders, payments, errors; in
tests/razorpay_support.py). Every test here runs inside a `responses` mock, so an unexpected request
fails instead of going to the internet. The app in live mode:
tests/integration/gateways/test_razorpay_live_mode.py.
"""

import base64
import hashlib
import hmac
import json

import pytest
import responses

from backend.errors import GatewayUnavailable, InvalidSignature
from backend.gateways.base import CREDIT_WALLET
from backend.gateways.razorpay.adapter import RazorpayGateway
from backend.gateways.razorpay.api import RazorpayApi
from backend.gateways.razorpay.simulator import (
    DEV_RAZORPAY_KEY_SECRET,
    DEV_RAZORPAY_WEBHOOK_SECRET,
    SimulatedRazorpayApi,
)
from tests.helpers import checkout_signature, razorpay_event, signed_webhook
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

TIMEOUT = 7.5


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


@pytest.mark.parametrize("failure", ["connection error", "timeout"])
def test_what_the_sdk_prints_of_a_network_failure_is_logged_not_printed(http, gateway, failure, capsys, caplog):
    http.add(responses.POST, ORDERS_URL, **FAILURES[failure])
    with pytest.raises(GatewayUnavailable):
        gateway.create_order("wtp_abc", 100, "INR", "cust_a")
    assert capsys.readouterr().out == ""  # `settle` prints JSON lines there; the server its log lines
    (said,) = [r.getMessage() for r in caplog.records if r.name == "integration.gateways"]
    assert said in ("razorpay SDK: Connection failed.", "razorpay SDK: Request timed out.")


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


def test_webhook_signature_helper_matches_razorpay_scheme():
    """The test helper signs like Razorpay: hex HMAC-SHA256 of the raw body with the webhook secret."""
    body, headers = signed_webhook({"event": "x"}, secret=WEBHOOK_SECRET)
    expected = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Razorpay-Signature"] == expected
