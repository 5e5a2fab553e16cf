"""A customer with one credited live top-up (Razorpay 500.00 INR, or PayPal 10.50 USD), ready to withdraw."""

import responses

from tests.helpers import BASE, bearer, checkout_signature
from tests.integration.gateways.live_answers.support import (
    CAPTURES_URL,
    live_app,
    paypal_captured,
    paypal_initiate,
    paypal_verify,
)
from tests.paypal_support import ORDERS_URL as PAYPAL_ORDERS_URL
from tests.razorpay_support import KEY_SECRET, ORDERS_URL, PAYMENTS_URL, order_response, payment_response

RAZORPAY_REFUND_URL = PAYMENTS_URL + "pay_LiveA1/refund"
PAYPAL_CAPTURE = "CAPTUREAAAAAAAAA1"
PAYPAL_REFUND_URL = f"{CAPTURES_URL}{PAYPAL_CAPTURE}/refund"


def razorpay_initiated(http):
    """A live app with a 500.00 INR Razorpay top-up initiated (order_LiveA1); (app, client)."""
    app = live_app()
    client = app.test_client()
    http.add(responses.POST, ORDERS_URL, json=order_response("order_LiveA1", 50000))
    body = {"customer_id": "cust_a", "amount": "500.00"}
    assert client.post(f"{BASE}/wallet/topup/initiate", json=body, headers=bearer("cust_a")).status_code == 200
    return app, client


def razorpay_verify(client, payment_id="pay_LiveA1"):
    signature = checkout_signature("order_LiveA1", payment_id, KEY_SECRET)
    body = {"payment_id": payment_id, "order_id": "order_LiveA1", "signature": signature}
    return client.post(f"{BASE}/wallet/topup/verify", json=body, headers=bearer("cust_a"))


def razorpay_topped_up(http):
    app, client = razorpay_initiated(http)
    http.add(responses.GET, PAYMENTS_URL + "pay_LiveA1", json=payment_response())
    assert razorpay_verify(client).status_code == 200
    return app, client


def razorpay_refund(amount=50000, currency="INR", status="processed"):
    return {
        "id": "rfnd_X1",
        "entity": "refund",
        "amount": amount,
        "currency": currency,
        "payment_id": "pay_LiveA1",
        "notes": [],
        "status": status,
    }


def paypal_topped_up(http):
    app = live_app(SUPPORTED_CURRENCIES="USD", DEFAULT_CURRENCY="USD")
    client = app.test_client()
    reference = paypal_initiate(client, http, "ORDERAAAAAAAAAAA1")
    http.add(
        responses.POST,
        f"{PAYPAL_ORDERS_URL}/ORDERAAAAAAAAAAA1/capture",
        json=paypal_captured("ORDERAAAAAAAAAAA1", reference, PAYPAL_CAPTURE),
        status=201,
    )
    assert paypal_verify(client, "ORDERAAAAAAAAAAA1").status_code == 200
    return app, client


def paypal_refund(value="10.50", currency="USD", status="COMPLETED"):
    return {
        "id": "REFUNDAAAAAAAAAA1",
        "status": status,
        "amount": {"currency_code": currency, "value": value},
        "links": [{"href": f"{CAPTURES_URL}{PAYPAL_CAPTURE}", "rel": "up", "method": "GET"}],
    }


def withdraw(client, amount, currency=None):
    body = {"customer_id": "cust_a", "amount": amount, **({"currency": currency} if currency else {})}
    return client.post(f"{BASE}/wallet/withdraw", json=body, headers=bearer("cust_a"))


def wallet(client, currency="INR"):
    return client.get(f"{BASE}/status/cust_a?currency={currency}", headers=bearer("cust_a")).get_json()["wallet"]
