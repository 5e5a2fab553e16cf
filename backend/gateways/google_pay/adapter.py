"""Google Pay: the checkout page posts the payment token; the service checks it and charges it.

Google sends no payment webhooks. `/webhook/google-pay` receives `{payment_order_id, paymentData}`
from the checkout page (the simulator's, or ours in live mode) and the ECv2 token inside is
verified and decrypted (`token.py`). The token carries no amount: the processor charges,
and the ledger credits, the amount recorded at initiate; its `messageId` is the event id, so a
token is used once, for one payment order. The decrypted card data is handed to the processor
only: it is never logged or stored. The processor keys each charge by the payment order id, so the
sweep looks a payment order up as the processor's charge under that key (`find_charge`), which
heals a charge whose credit was lost (the service stopped between the two). Money goes back
through the processor's refunds (`refund`, `find_refund`); Google Pay has no refund or dispute
webhooks of its own.
"""

import base64
import binascii
import json
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ...clock import new_id
from ...errors import ConfigError, InvalidRequest, InvalidSignature, OrderAlreadyPaid
from ...validation import check_field_names, check_id, parse_json_object
from ..base import (
    CAPTURED,
    CREDIT_WALLET,
    FAILED,
    PENDING,
    REFUND_DONE,
    REFUND_PENDING,
    REFUND_REFUSED,
    CheckoutOrder,
    GatewayRefund,
    Lookup,
    WebhookEvent,
)
from .token import PROTOCOL_VERSION, public_key, verify_and_decrypt

MESSAGE_ID_LENGTH_MAX = 512
REFUND_STATUSES = {"succeeded": REFUND_DONE, "failed": REFUND_REFUSED}  # a processor refund's; else pending
ROOT_KEYS_MAX = 16


@dataclass(frozen=True)
class GooglePayEvent(WebhookEvent):
    """A verified token, to be charged; `payment_method_details` (card data) is for the processor only."""

    payment_method_details: dict | None = field(default=None, repr=False, compare=False)
    charge_required: bool = True


class GooglePayGateway:
    name = "google_pay"
    tokenization = "DIRECT"  # the token is encrypted for us (payment_gateway.py: for a processor)

    def __init__(self, merchant_id, recipient_id, root_keys, private_key, processor, checkout_url):
        """`processor` charges tokens (a card processor, or the simulator's `SimulatorProcessor`):
        `charge(idempotency_key, payment_method_details, amount_minor, currency)` -> charge id, and
        optionally `find_charge(idempotency_key)`, `refund(charge_id, amount_minor, currency,
        idempotency_key)` and `find_refund(idempotency_key)` (-> `{id, charge_id, status:
        succeeded|pending|failed, amount_minor, currency}`, or None). `checkout_url`: the page that
        opens Google Pay's sheet, the payment order id appended."""
        self.key_id = merchant_id
        self.recipient_id = recipient_id
        self.root_keys = root_keys
        self.private_key = private_key
        self.processor = processor
        self.checkout_url = checkout_url.rstrip("/")

    def create_order(self, payment_order_ref, amount_minor, currency, customer_id):
        """A local payment order id; Google Pay has no order of its own."""
        order_id = new_id("gpay")
        return CheckoutOrder(order_id, f"{self.checkout_url}/{order_id}")

    def confirm_checkout(self, payment_order, fields):
        raise InvalidRequest("Google Pay is confirmed by posting its token to /webhook/google-pay.")

    def parse_webhook(self, raw_body, headers):
        """Check the posted token (signatures, expiry, decryption) and read its messageId."""
        body = parse_json_object(raw_body)
        check_field_names(body)
        payment_order_id = check_id(body.get("payment_order_id"), "payment_order_id")
        message = verify_and_decrypt(
            _token_text(body.get("paymentData")),
            self.recipient_id,
            self.root_keys,
            self.private_key,
            int(time.time() * 1000),
        )
        message_id = message.get("messageId")
        if not isinstance(message_id, str) or not 0 < len(message_id) <= MESSAGE_ID_LENGTH_MAX:
            raise InvalidSignature("The token's message has no usable messageId.")
        if message.get("paymentMethod") != "CARD" or not isinstance(message.get("paymentMethodDetails"), dict):
            raise InvalidRequest("Only CARD Google Pay tokens are accepted.")
        return GooglePayEvent(
            message_id,
            "google_pay.token",
            CREDIT_WALLET,
            payment_order_id=payment_order_id,
            payment_method_details=message["paymentMethodDetails"],
        )

    def charge(self, event, payment_order):
        """Charge the token for the initiated amount; returns the processor's charge id.

        The payment order id is the processor's idempotency key, so two tokens posted at once for
        one top-up are charged once (and credited once, by the ledger's key)."""
        if payment_order.is_paid:
            raise OrderAlreadyPaid("This top-up is already paid; the token was not charged.")
        return self.processor.charge(
            payment_order.id, event.payment_method_details, payment_order.amount_minor, payment_order.currency
        )

    def look_up(self, payment_order):
        """The processor's charge under the payment order id: `succeeded` is CAPTURED, `failed` is
        FAILED, none (no token charged yet) or another state is PENDING. None when the processor
        cannot be asked (it has no `find_charge`): then the sweep leaves the payment order alone."""
        find_charge = getattr(self.processor, "find_charge", None)
        if find_charge is None:
            return None
        charge = find_charge(payment_order.id)
        if charge is None:
            return Lookup(PENDING, detail="no_charge")
        status = charge.get("status")
        if status == "succeeded":
            return Lookup(
                CAPTURED, str(charge.get("id")), charge.get("amount_minor"), charge.get("currency"), detail="succeeded"
            )
        return Lookup(FAILED if status == "failed" else PENDING, detail=str(status)[:64])

    def refund(self, payment_id, amount_minor, currency, reference):
        """Refund `amount_minor` of the processor's charge `payment_id`, once per `reference` (the
        processor's idempotency key): `succeeded` is REFUND_DONE, `failed` REFUND_REFUSED, another
        status REFUND_PENDING. A processor that cannot refund refuses (REFUND_REFUSED, no refund id)."""
        refund = getattr(self.processor, "refund", None)
        if refund is None:
            return GatewayRefund("", REFUND_REFUSED, amount_minor, currency)
        return _gateway_refund(refund(payment_id, amount_minor, currency, reference))

    def find_refund(self, payment_id, reference):
        """The processor's refund of `payment_id` under `reference`, or None (none, or a processor
        that cannot say)."""
        find_refund = getattr(self.processor, "find_refund", None)
        found = find_refund(reference) if find_refund is not None else None
        if found is None or found.get("charge_id") != payment_id:
            return None
        return _gateway_refund(found)

    def merchant_public_key_text(self):
        """The merchant key as Google Pay's DIRECT tokenization wants it: base64 uncompressed point."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return base64.b64encode(point).decode("ascii")


def _gateway_refund(refund):
    status = REFUND_STATUSES.get(refund.get("status"), REFUND_PENDING)
    return GatewayRefund(str(refund.get("id") or ""), status, refund["amount_minor"], refund["currency"])


def _token_text(payment_data):
    """paymentData.paymentMethodData.tokenizationData.token of a DIRECT tokenization."""
    tokenization = payment_data
    for key in ("paymentMethodData", "tokenizationData"):
        tokenization = tokenization.get(key) if isinstance(tokenization, dict) else None
    if (
        not isinstance(tokenization, dict)
        or tokenization.get("type") != "DIRECT"
        or not isinstance(tokenization.get("token"), str)
    ):
        raise InvalidRequest(
            "`paymentData.paymentMethodData.tokenizationData` must be a DIRECT tokenization with its token."
        )
    return tokenization["token"]


def load_root_keys(text):
    """Google's keys.json text (`{"keys": [{keyValue, protocolVersion, keyExpiration}, ...]}`), checked."""
    try:
        keys = json.loads(text)["keys"]
        if not isinstance(keys, list) or not 1 <= len(keys) <= ROOT_KEYS_MAX:
            raise ValueError
        for key in keys:
            if key.get("protocolVersion") == PROTOCOL_VERSION:
                public_key(key["keyValue"])
    except (ValueError, TypeError, KeyError, AttributeError, InvalidSignature):
        raise ConfigError(
            f"GOOGLE_PAY_ROOT_SIGNING_KEYS must be keys.json text with 1-{ROOT_KEYS_MAX} "
            "keys, each ECv2 keyValue a base64 DER P-256 public key."
        ) from None
    return keys


def load_private_key(text):
    """The merchant's P-256 private key from PEM or base64 PKCS#8 DER text."""
    try:
        if text.lstrip().startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = serialization.load_der_private_key(base64.b64decode(text, validate=True), password=None)
    except (ValueError, TypeError, binascii.Error):
        key = None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ConfigError("GOOGLE_PAY_PRIVATE_KEY must be a P-256 private key (PEM or base64 PKCS#8 DER).")
    return key
