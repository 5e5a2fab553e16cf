"""Google Pay test keys (a root signing key and a merchant key of our own) and a fake processor."""

import base64
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from backend.gateways.google_pay.token import public_key_text

ROOT = ec.generate_private_key(ec.SECP256R1())
MERCHANT = ec.generate_private_key(ec.SECP256R1())
KEYS_JSON = json.dumps(
    {
        "keys": [
            {
                "keyValue": public_key_text(ROOT.public_key()),
                "protocolVersion": "ECv2",
                "keyExpiration": "9999999999999",
            }
        ]
    }
)
MERCHANT_DER = base64.b64encode(
    MERCHANT.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
).decode()
MERCHANT_PEM = MERCHANT.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
LIVE_KEYS = {
    "GOOGLE_PAY_MERCHANT_ID": "BCR2DN4T000000",
    "GOOGLE_PAY_ROOT_SIGNING_KEYS": KEYS_JSON,
    "GOOGLE_PAY_PRIVATE_KEY": MERCHANT_DER,
}


class FakeProcessor:
    """Records charges; the charge id is derived from the messageId."""

    def __init__(self):
        self.charges = []

    def charge(self, idempotency_key, payment_method_details, amount_minor, currency):
        self.charges.append((idempotency_key, amount_minor, currency))
        return f"ch_{idempotency_key}"


# --- Google Pay through PayPal (GOOGLE_PAY_PROCESSOR=paypal): PayPal's Orders v2 answers -----------
PAYPAL_API = "https://api-m.sandbox.paypal.com"
PAYPAL_KEYS = {
    "PAYPAL_CLIENT_ID": "AbCdLiveClientId",
    "PAYPAL_CLIENT_SECRET": "live-client-secret",
    "PAYPAL_WEBHOOK_ID": "8PT597110X687430LKGECATA",
}
GOOGLE_PAY_ORDER_ID, GOOGLE_PAY_CAPTURE_ID = "8VX12345AB678901C", "7HK98765ZY432109D"


def paypal_order_created(order_id=GOOGLE_PAY_ORDER_ID):
    """POST /v2/checkout/orders without a payment_source: CREATED, the buyer's Google Pay card to come."""
    return {
        "id": order_id,
        "status": "CREATED",
        "links": [
            {"href": f"{PAYPAL_API}/v2/checkout/orders/{order_id}", "rel": "self", "method": "GET"},
            {"href": f"https://www.sandbox.paypal.com/checkoutnow?token={order_id}", "rel": "approve", "method": "GET"},
            {"href": f"{PAYPAL_API}/v2/checkout/orders/{order_id}", "rel": "update", "method": "PATCH"},
            {"href": f"{PAYPAL_API}/v2/checkout/orders/{order_id}/capture", "rel": "capture", "method": "POST"},
        ],
    }


def paypal_order_captured(reference, value, currency, status="COMPLETED", order_id=GOOGLE_PAY_ORDER_ID):
    """POST /v2/checkout/orders/{id}/capture of an order confirmed with Google Pay (Prefer:
    return=representation): its payment_source.google_pay and the capture (`status`)."""
    return {
        "id": order_id,
        "status": "COMPLETED",
        "payment_source": {
            "google_pay": {"name": "John Doe", "card": {"last_digits": "1111", "type": "CREDIT", "brand": "VISA"}}
        },
        "purchase_units": [
            {
                "reference_id": reference,
                "payments": {
                    "captures": [
                        {
                            "id": GOOGLE_PAY_CAPTURE_ID,
                            "status": status,
                            "amount": {"currency_code": currency, "value": value},
                            "final_capture": True,
                            "seller_protection": {"status": "NOT_ELIGIBLE"},
                            "custom_id": reference,
                            "create_time": "2024-01-01T00:00:00Z",
                            "update_time": "2024-01-01T00:00:00Z",
                            "links": [
                                {
                                    "href": f"{PAYPAL_API}/v2/payments/captures/{GOOGLE_PAY_CAPTURE_ID}",
                                    "rel": "self",
                                    "method": "GET",
                                },
                                {"href": f"{PAYPAL_API}/v2/checkout/orders/{order_id}", "rel": "up", "method": "GET"},
                            ],
                        }
                    ]
                },
            }
        ],
        "links": [{"href": f"{PAYPAL_API}/v2/checkout/orders/{order_id}", "rel": "self", "method": "GET"}],
    }


def paypal_order_not_approved():
    """PayPal's 422 to a capture of an order the buyer has not approved (yet)."""
    return {
        "name": "UNPROCESSABLE_ENTITY",
        "details": [
            {"issue": "ORDER_NOT_APPROVED", "description": "Payer has not yet approved the Order for payment."}
        ],
        "message": "The requested action could not be performed, semantically incorrect, or failed business "
        "validation.",
        "debug_id": "f1c4b0a7e1a2b",
    }


def fake_direct_processor(config):
    """GOOGLE_PAY_DIRECT_PROCESSOR's factory in the tests (`tests.google_pay_support:fake_direct_processor`)."""
    return FakeProcessor()
