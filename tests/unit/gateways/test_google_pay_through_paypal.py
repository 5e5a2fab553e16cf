"""Google Pay with PAYMENT_GATEWAY tokens through PayPal (GOOGLE_PAY_PROCESSOR=paypal): the order, the
checkout page's post, the capture, the page itself and refunds, against PayPal's recorded answers
(tests/google_pay_support.py, in the shapes of PayPal's Orders v2 and Payments v2 references). The
app over HTTP: tests/integration/topups/test_google_pay_through_paypal.py."""

import json
import re

import pytest
import responses

from backend.config import load_config
from backend.errors import GatewayUnavailable, InvalidRequest, OrderAlreadyPaid, PaymentNotCaptured
from backend.gateways.base import CREDIT_WALLET, REFUND_DONE, ConfirmedPayment
from backend.gateways.entry import GatewayEnv
from backend.gateways.google_pay.entry import GATEWAY
from backend.payment_orders import PAID, PaymentOrder
from tests.google_pay_support import (
    GOOGLE_PAY_CAPTURE_ID,
    GOOGLE_PAY_ORDER_ID,
    PAYPAL_API,
    PAYPAL_KEYS,
    paypal_order_captured,
    paypal_order_created,
    paypal_order_not_approved,
)
from tests.paypal_support import token_answer

ORDERS_URL = f"{PAYPAL_API}/v2/checkout/orders"
CAPTURE_URL = f"{ORDERS_URL}/{GOOGLE_PAY_ORDER_ID}/capture"
REFERENCE = "wtp_gp1"


@pytest.fixture
def gateway(http):
    settings = load_config(
        {"GATEWAY_MODE": "live", "PUBLIC_BASE_URL": "https://pay.example.com", "GOOGLE_PAY_PROCESSOR": "paypal"}
        | PAYPAL_KEYS
    )
    return GATEWAY.build(GatewayEnv(settings, None, None), "live")


def payment_order(status="created", amount_minor=1050, currency="USD"):
    return PaymentOrder(GOOGLE_PAY_ORDER_ID, REFERENCE, "google_pay", "cust_a", amount_minor, currency, status)


def sent(call):
    return json.loads(call.request.body)


# --- initiate --------------------------------------------------------------------------------------
def test_initiate_creates_a_paypal_order_for_google_pay_and_sends_the_buyer_to_our_page(http, gateway):
    token_answer(http)
    http.add(responses.POST, ORDERS_URL, json=paypal_order_created(), status=201)
    order = gateway.create_order(REFERENCE, 1050, "USD", "cust_a")
    assert order.gateway_order_id == GOOGLE_PAY_ORDER_ID
    assert order.redirect_url == f"https://pay.example.com/checkout/google-pay/{GOOGLE_PAY_ORDER_ID}"
    call = http.calls[-1]
    assert call.request.headers["PayPal-Request-Id"] == REFERENCE
    assert sent(call) == {
        "intent": "CAPTURE",
        "purchase_units": [
            {
                "reference_id": REFERENCE,
                "custom_id": REFERENCE,
                "description": "Wallet top-up",
                "amount": {"currency_code": "USD", "value": "10.50"},
            }
        ],
    }  # no payment_source: the buyer's Google Pay card becomes it when the page confirms the order


@pytest.mark.parametrize("answer", [{"status": "CREATED"}, {"id": "../../v1/x"}, {"id": 12}])
def test_an_order_without_a_usable_id_is_gateway_unavailable(http, gateway, answer):
    token_answer(http)
    http.add(responses.POST, ORDERS_URL, json=answer, status=201)
    with pytest.raises(GatewayUnavailable):
        gateway.create_order(REFERENCE, 1050, "USD", "cust_a")


# --- the checkout page's post ------------------------------------------------------------------------
def test_the_pages_post_is_an_event_to_capture_once_per_payment_order(gateway):
    event = gateway.parse_webhook(json.dumps({"payment_order_id": GOOGLE_PAY_ORDER_ID}).encode(), {})
    assert (event.event_id, event.action, event.payment_order_id, event.charge_required) == (
        f"{GOOGLE_PAY_ORDER_ID}:approved",
        CREDIT_WALLET,
        GOOGLE_PAY_ORDER_ID,
        True,
    )
    assert event.amount_minor is None  # the post says nothing of money: PayPal's capture does


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({}).encode(),
        json.dumps({"payment_order_id": "a b"}).encode(),
        json.dumps({"payment_order_id": {"$gt": ""}}).encode(),
        json.dumps({"payment_order_id": GOOGLE_PAY_ORDER_ID, "amount": 1}).encode(),
    ],
)
def test_any_other_post_is_refused(gateway, body):
    with pytest.raises(InvalidRequest):
        gateway.parse_webhook(body, {})


# --- the capture ------------------------------------------------------------------------------------
def test_charge_captures_the_approved_order_once_and_reports_what_paypal_took(http, gateway):
    token_answer(http)
    http.add(responses.POST, CAPTURE_URL, json=paypal_order_captured(REFERENCE, "10.50", "USD"), status=201)
    event = gateway.parse_webhook(json.dumps({"payment_order_id": GOOGLE_PAY_ORDER_ID}).encode(), {})
    assert gateway.charge(event, payment_order()) == ConfirmedPayment(GOOGLE_PAY_CAPTURE_ID, 1050, "USD")
    assert http.calls[-1].request.headers["PayPal-Request-Id"] == f"{REFERENCE}-capture"


def test_verify_captures_the_same_way(http, gateway):
    token_answer(http)
    http.add(responses.POST, CAPTURE_URL, json=paypal_order_captured(REFERENCE, "10.50", "USD"), status=201)
    assert gateway.confirm_checkout(payment_order(), {}) == ConfirmedPayment(GOOGLE_PAY_CAPTURE_ID, 1050, "USD")


def test_an_order_the_buyer_has_not_approved_is_not_captured(http, gateway):
    token_answer(http)
    http.add(responses.POST, CAPTURE_URL, json=paypal_order_not_approved(), status=422)
    with pytest.raises(PaymentNotCaptured):
        gateway.charge(None, payment_order())


def test_a_pending_capture_is_not_a_payment_yet(http, gateway):
    token_answer(http)
    answer = paypal_order_captured(REFERENCE, "10.50", "USD", status="PENDING")
    http.add(responses.POST, CAPTURE_URL, json=answer, status=201)
    with pytest.raises(PaymentNotCaptured):
        gateway.charge(None, payment_order())


def test_a_credited_top_up_is_never_captured_again(http, gateway):
    with pytest.raises(OrderAlreadyPaid):
        gateway.charge(None, payment_order(status=PAID))
    assert len(http.calls) == 0


def test_refunds_go_back_through_paypal(http, gateway):
    token_answer(http)
    refund_url = f"{PAYPAL_API}/v2/payments/captures/{GOOGLE_PAY_CAPTURE_ID}/refund"
    answer = {"id": "1JU08902781691411", "status": "COMPLETED", "amount": {"currency_code": "USD", "value": "4.00"}}
    http.add(responses.POST, refund_url, json=answer, status=201)
    refund = gateway.refund(GOOGLE_PAY_CAPTURE_ID, 400, "USD", "wdr_ref1")
    assert (refund.refund_id, refund.status, refund.amount_minor) == ("1JU08902781691411", REFUND_DONE, 400)
    assert sent(http.calls[-1])["custom_id"] == "wdr_ref1"


# --- the checkout page ----------------------------------------------------------------------------
def page(gateway, **options):
    return gateway.checkout_page(
        {
            "payment_order_id": GOOGLE_PAY_ORDER_ID,
            "amount": "10.50",
            "currency": "USD",
            "capture_url": "https://pay.example.com/api/integration/webhook/google-pay",
            "return_url": "https://shop.example.com/",
            **options,
        }
    )


def test_the_page_loads_paypals_google_pay_component_and_googles_pay_js(gateway):
    html = page(gateway)
    sdk = re.search(r'<script async src="(https://www\.paypal\.com/sdk/js\?[^"]+)"', html).group(1)
    assert sdk.replace("&amp;", "&") == (
        "https://www.paypal.com/sdk/js?client-id=AbCdLiveClientId&components=googlepay&currency=USD&intent=capture"
    )
    assert '<script async src="https://pay.google.com/gp/p/js/pay.js"' in html
    for step in ("paypal.Googlepay().config()", "confirmOrder(", "initiatePayerAction(", "onPaymentAuthorized"):
        assert step in html
    options = json.loads(re.search(r"const o = (\{.*?\});", html).group(1))
    assert options == {
        "payment_order_id": GOOGLE_PAY_ORDER_ID,
        "amount": "10.50",
        "currency": "USD",
        "capture_url": "https://pay.example.com/api/integration/webhook/google-pay",
        "return_url": "https://shop.example.com/",
        "environment": "TEST",  # PayPal's sandbox: Google's TEST environment
    }


def test_the_pages_options_cannot_close_its_script(gateway):
    html = page(gateway, return_url="https://shop.example.com/</script><script>alert(1)</script>")
    assert "</script><script>alert(1)" not in html
