"""The Google Pay adapter: which mode offers it, its configured keys, and what a charge charges."""

import base64
import json

import pytest

from backend.config import load_config
from backend.db import connect
from backend.errors import ConfigError, InvalidRequest, OrderAlreadyPaid
from backend.gateways.base import CREDIT_WALLET
from backend.gateways.google_pay.adapter import GooglePayEvent
from backend.gateways.google_pay.entry import google_pay_gateway
from backend.gateways.google_pay.simulator import payment_data, simulator_token
from backend.payment_orders import PaymentOrder
from backend.payment_service import PaymentService
from tests.google_pay_support import LIVE_KEYS, MERCHANT_DER, MERCHANT_PEM, FakeProcessor


def config(**overrides):
    return load_config({"GATEWAY_MODE": "simulator", "PUBLIC_BASE_URL": "https://pay.example.com", **overrides})


def test_live_mode_without_processor_does_not_offer_google_pay():
    assert "google_pay" not in PaymentService.from_config(config(GATEWAY_MODE="live", **LIVE_KEYS)).gateways


def test_simulator_mode_offers_google_pay():
    assert "google_pay" in PaymentService.from_config(config(), connect("mongomock://localhost", "t")).gateways


def test_live_mode_with_processor_redirects_to_our_checkout_page():
    gateway = google_pay_gateway(config(GATEWAY_MODE="live", **LIVE_KEYS), FakeProcessor())
    order = gateway.create_order("wtp_1", 500, "INR", "cust_a")
    assert order.redirect_url == f"https://pay.example.com/checkout/google-pay/{order.gateway_order_id}"
    assert (gateway.key_id, gateway.recipient_id) == ("BCR2DN4T000000", "merchant:BCR2DN4T000000")


@pytest.mark.parametrize("missing", sorted(LIVE_KEYS))
def test_live_mode_needs_every_key(missing):
    keys = dict(LIVE_KEYS, **{missing: ""})
    with pytest.raises(ConfigError, match=missing):
        google_pay_gateway(config(GATEWAY_MODE="live", **keys), FakeProcessor())


@pytest.mark.parametrize(
    "key, value",
    [
        ("GOOGLE_PAY_ROOT_SIGNING_KEYS", "not json"),
        ("GOOGLE_PAY_ROOT_SIGNING_KEYS", json.dumps({"keys": []})),
        ("GOOGLE_PAY_ROOT_SIGNING_KEYS", json.dumps({"keys": [{"keyValue": "AAAA", "protocolVersion": "ECv2"}]})),
        ("GOOGLE_PAY_PRIVATE_KEY", "not a key"),
        ("GOOGLE_PAY_PRIVATE_KEY", base64.b64encode(b"\x30\x03\x02\x01\x00").decode()),
    ],
)
def test_malformed_keys_refuse_to_start(key, value):
    with pytest.raises(ConfigError, match=key):
        google_pay_gateway(config(**{key: value}))


@pytest.mark.parametrize("private_key", [MERCHANT_DER, MERCHANT_PEM])
def test_configured_merchant_key_opens_tokens_for_it(private_key):
    gateway = google_pay_gateway(config(GOOGLE_PAY_PRIVATE_KEY=private_key))
    body = json.dumps({"payment_order_id": "gpay_1", "paymentData": payment_data(simulator_token(gateway))})
    event = gateway.parse_webhook(body.encode(), {})
    assert (event.action, event.payment_order_id, event.amount_minor) == (CREDIT_WALLET, "gpay_1", None)
    assert "4111" not in repr(event)


def test_capture_charges_the_initiated_amount_keyed_by_the_payment_order():
    processor = FakeProcessor()
    gateway = google_pay_gateway(config(), processor)
    event = GooglePayEvent("msg_1", "google_pay.token", CREDIT_WALLET, payment_order_id="gpay_1")
    payment_order = PaymentOrder("gpay_1", "wtp_1", "google_pay", "cust_a", 12345, "INR", status="created")
    assert gateway.charge(event, payment_order) == "ch_gpay_1"
    assert processor.charges == [("gpay_1", 12345, "INR")]


def test_capture_never_charges_a_paid_payment_order():
    processor = FakeProcessor()
    gateway = google_pay_gateway(config(), processor)
    event = GooglePayEvent("msg_2", "google_pay.token", CREDIT_WALLET, payment_order_id="gpay_1")
    with pytest.raises(OrderAlreadyPaid):
        gateway.charge(event, PaymentOrder("gpay_1", "wtp_1", "google_pay", "cust_a", 1, "INR", status="paid"))
    assert processor.charges == []


def test_confirm_checkout_does_not_apply():
    with pytest.raises(InvalidRequest, match="/webhook/google-pay"):
        google_pay_gateway(config()).confirm_checkout(
            PaymentOrder("gpay_1", "wtp_1", "google_pay", "cust_a", 1, "INR"), {}
        )
