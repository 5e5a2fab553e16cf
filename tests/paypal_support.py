"""PayPal's live API as recorded answers (OAuth, Orders v2, signed webhooks) and the live-mode keys the tests use."""

import json

import responses

from backend.gateways.paypal.simulator import signed_headers

API = "https://api-m.sandbox.paypal.com"
TOKEN_URL = API + "/v1/oauth2/token"
ORDERS_URL = API + "/v2/checkout/orders"
CLIENT_ID, CLIENT_SECRET = "AbCdLiveClientId", "live-client-secret"
WEBHOOK_ID = "8PT597110X687430LKGECATA"
CERT_URL = "https://api-m.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"
ORDER_ID, CAPTURE_ID = "5O190127TN364715T", "3C679366HH908993F"
CAPTURE_READ_URL = f"{API}/v2/payments/captures/{CAPTURE_ID}"


def token_answer(http, token="A21AAFakeToken", expires_in=32400):
    http.add(
        responses.POST,
        TOKEN_URL,
        json={
            "scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": expires_in,
            "nonce": "2024-01-01T00:00:00Zabc",
        },
    )


def created_order(order_id=ORDER_ID, rel="payer-action"):
    return {
        "id": order_id,
        "status": "PAYER_ACTION_REQUIRED",
        "payment_source": {"paypal": {}},
        "links": [
            {"href": f"{API}/v2/checkout/orders/{order_id}", "rel": "self", "method": "GET"},
            {"href": f"https://www.sandbox.paypal.com/checkoutnow?token={order_id}", "rel": rel, "method": "GET"},
        ],
    }


def capture_resource(value="10.50", currency="USD", order_id=ORDER_ID, custom_id="wtp_ref1", status="COMPLETED"):
    """A capture as PayPal's webhooks carry it and GET /v2/payments/captures/{id} answers it."""
    resource = {
        "id": CAPTURE_ID,
        "status": status,
        "amount": {"currency_code": currency, "value": value},
        "final_capture": True,
        "custom_id": custom_id,
        "create_time": "2024-01-01T00:00:00Z",
    }
    if order_id:
        resource["supplementary_data"] = {"related_ids": {"order_id": order_id}}
    return resource


def capture_answer(http, **capture):
    """PayPal answering GET /v2/payments/captures/{id} (live mode reads a webhook's capture back)."""
    http.add(responses.GET, CAPTURE_READ_URL, json=capture_resource(**capture))


# --- webhook signatures ------------------------------------------------------------------------
def capture_event(event_type="PAYMENT.CAPTURE.COMPLETED", value="10.50", order_id=ORDER_ID):
    resource = capture_resource(value=value, order_id=order_id)
    return json.dumps(
        {
            "id": "WH-58D329510W468432D-8HN650336L201105X",
            "event_version": "1.0",
            "create_time": "2024-01-01T00:00:01Z",
            "resource_type": "capture",
            "resource_version": "2.0",
            "event_type": event_type,
            "summary": "Payment completed",
            "resource": resource,
            "links": [],
        }
    ).encode()


def signed(paypal_key, body, webhook_id=WEBHOOK_ID, cert_url=CERT_URL, sent_at=None):
    return signed_headers(body, webhook_id, paypal_key[0], cert_url, sent_at)


def fresh_cert_url(number):
    return f"https://api-m.paypal.com/v1/notifications/certs/CERT-fresh-{number:04d}"
