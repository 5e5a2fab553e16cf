"""The app in PayPal live mode over HTTP: its settings, initiate and return, and webhooks naming fresh
certificate URLs (PayPal's answers recorded in tests/paypal_support.py, served by `responses`)."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from backend import create_app
from backend.gateways.paypal.api import CERT_FETCHES_PER_MINUTE_MAX
from tests.conftest import app_config
from tests.helpers import BASE, bearer
from tests.paypal_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    ORDER_ID,
    ORDERS_URL,
    WEBHOOK_ID,
    capture_event,
    created_order,
    fresh_cert_url,
    signed,
    token_answer,
)


# --- the app in live mode ----------------------------------------------------------------------
def live_app(**paypal):
    return create_app(
        app_config(
            GATEWAY_MODE="live",
            RAZORPAY_KEY_ID="rzp_test_x",
            RAZORPAY_KEY_SECRET="s",
            RAZORPAY_WEBHOOK_SECRET="w",
            GATEWAY_TIMEOUT_SECONDS="4",
            **paypal,
        )
    )


PAYPAL_KEYS = {"PAYPAL_CLIENT_ID": CLIENT_ID, "PAYPAL_CLIENT_SECRET": CLIENT_SECRET, "PAYPAL_WEBHOOK_ID": WEBHOOK_ID}


@pytest.mark.parametrize("missing", PAYPAL_KEYS)
def test_live_paypal_needs_all_three_settings(http, missing):
    client = live_app(**dict(PAYPAL_KEYS, **{missing: ""})).test_client()
    response = client.post(
        f"{BASE}/wallet/topup/initiate",
        json={"customer_id": "cust_a", "amount": 10, "payment_method": "paypal"},
        headers=bearer("cust_a"),
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "unsupported_payment_method"
    assert len(http.calls) == 0


def test_live_initiate_and_return(http):
    client = live_app(**PAYPAL_KEYS).test_client()
    token_answer(http)
    http.add(responses.POST, ORDERS_URL, json=created_order())
    response = client.post(
        f"{BASE}/wallet/topup/initiate",
        json={"customer_id": "cust_a", "amount": "10.50", "payment_method": "paypal"},
        headers=bearer("cust_a"),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["payment_order_id"], body["key_id"]) == (ORDER_ID, CLIENT_ID)
    assert body["redirect_url"] == f"https://www.sandbox.paypal.com/checkoutnow?token={ORDER_ID}"
    back = client.get(f"/checkout/paypal/return?token={ORDER_ID}&PayerID=FSMVU44LF3YUS")
    assert back.status_code == 303
    query = parse_qs(urlsplit(back.headers["Location"]).query)
    assert query == {"paypal_order_id": [ORDER_ID], "payment_method": ["paypal"]}


def test_live_webhooks_naming_fresh_certificate_urls_are_refused_past_the_fetch_limit(http, paypal_key):
    """Unauthenticated webhooks, each naming a new certificate URL on PayPal's host: only the first
    CERT_FETCHES_PER_MINUTE_MAX are fetched (here 404: 502); the rest answer 400 invalid_signature at once."""
    client = live_app(**PAYPAL_KEYS).test_client()
    http.add(responses.GET, re.compile(r"https://api-m\.paypal\.com/v1/notifications/certs/CERT-fresh-.*"), status=404)
    body = capture_event()
    statuses = [
        client.post(
            f"{BASE}/webhook/paypal", data=body, headers=signed(paypal_key, body, cert_url=fresh_cert_url(number))
        ).status_code
        for number in range(CERT_FETCHES_PER_MINUTE_MAX + 5)
    ]
    assert statuses == [502] * CERT_FETCHES_PER_MINUTE_MAX + [400] * 5
    assert len(http.calls) == CERT_FETCHES_PER_MINUTE_MAX
