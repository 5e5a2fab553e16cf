"""Live mode with both gateways configured, every call answered by `responses` (the `http` fixture)."""

import json

import responses

from backend import create_app
from tests.conftest import app_config
from tests.helpers import BASE, bearer
from tests.paypal_support import API, CLIENT_ID, CLIENT_SECRET, ORDERS_URL, WEBHOOK_ID, token_answer
from tests.razorpay_support import KEY_ID, KEY_SECRET, WEBHOOK_SECRET

PAYPAL_KEYS = {"PAYPAL_CLIENT_ID": CLIENT_ID, "PAYPAL_CLIENT_SECRET": CLIENT_SECRET, "PAYPAL_WEBHOOK_ID": WEBHOOK_ID}
RAZORPAY_KEYS = {
    "RAZORPAY_KEY_ID": KEY_ID,
    "RAZORPAY_KEY_SECRET": KEY_SECRET,
    "RAZORPAY_WEBHOOK_SECRET": WEBHOOK_SECRET,
}
CAPTURES_URL = API + "/v2/payments/captures/"


def live_app(**settings):
    return create_app(
        app_config(GATEWAY_MODE="live", GATEWAY_TIMEOUT_SECONDS="4", **RAZORPAY_KEYS, **PAYPAL_KEYS, **settings)
    )


def paypal_created(order_id):
    return {
        "id": order_id,
        "status": "PAYER_ACTION_REQUIRED",
        "links": [
            {"href": f"{API}/v2/checkout/orders/{order_id}", "rel": "self", "method": "GET"},
            {"href": f"https://www.sandbox.paypal.com/checkoutnow?token={order_id}", "rel": "payer-action"},
        ],
    }


def paypal_initiate(client, http, order_id, customer="cust_a", amount="10.50", currency="USD"):
    """Initiate a PayPal top-up whose PayPal order is `order_id`; our reference (custom_id)."""
    if not any(c.request.url.endswith("/v1/oauth2/token") for c in http.calls):
        token_answer(http)
    http.add(responses.POST, ORDERS_URL, json=paypal_created(order_id), status=201)
    response = client.post(
        f"{BASE}/wallet/topup/initiate",
        json={"customer_id": customer, "amount": amount, "payment_method": "paypal", "currency": currency},
        headers=bearer(customer),
    )
    assert response.status_code == 200, response.get_json()
    create = [c for c in http.calls if c.request.url == ORDERS_URL][-1]
    return json.loads(create.request.body)["purchase_units"][0]["custom_id"]


def paypal_captured(order_id, reference, capture_id, value="10.50", currency="USD", status="COMPLETED"):
    return {
        "id": order_id,
        "status": "COMPLETED",
        "purchase_units": [
            {
                "reference_id": reference,
                "payments": {
                    "captures": [
                        {
                            "id": capture_id,
                            "status": status,
                            "amount": {"currency_code": currency, "value": value},
                            "final_capture": True,
                            "custom_id": reference,
                            "links": [
                                {"href": f"{CAPTURES_URL}{capture_id}", "rel": "self", "method": "GET"},
                                {"href": f"{API}/v2/checkout/orders/{order_id}", "rel": "up", "method": "GET"},
                            ],
                        }
                    ]
                },
            }
        ],
    }


def paypal_verify(client, order_id, customer="cust_a"):
    return client.post(
        f"{BASE}/wallet/topup/verify",
        json={"order_id": order_id, "payment_method": "paypal"},
        headers=bearer(customer),
    )


def balance(client, customer="cust_a", currency="USD"):
    response = client.get(f"{BASE}/status/{customer}?currency={currency}", headers=bearer(customer))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["wallet"]["balance"]
