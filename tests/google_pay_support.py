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
