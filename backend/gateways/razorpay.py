"""Razorpay through the official SDK; in simulator mode orders are issued locally instead.

Signature checks are the same in both modes: the SDK's HMAC-SHA256 helpers, which compare in
constant time, over the stored order id (checkout) or the raw request body (webhooks).
"""
import hashlib
import json

import razorpay
import requests
from razorpay.errors import SignatureVerificationError

from ..clock import new_id
from ..errors import GatewayUnavailable, InvalidRequest, InvalidSignature, PaymentNotCaptured
from ..validation import ID_PATTERN
from .base import CREDIT, FAILED, IGNORE, CheckoutOrder, ConfirmedPayment, WebhookEvent

CREDIT_EVENTS = ("payment.captured", "order.paid")
RECEIPT_LENGTH_MAX = 40


class RazorpayGateway:
    name = "razorpay"

    def __init__(self, key_id, key_secret, webhook_secret, simulator, public_base_url,
                 timeout_seconds=10.0, client=None):
        self.key_id = key_id
        self.webhook_secret = webhook_secret
        self.simulator = simulator
        self.public_base_url = public_base_url
        self.timeout_seconds = timeout_seconds
        self.client = client or razorpay.Client(auth=(key_id, key_secret))

    def create_order(self, payment_order_ref, amount_minor, currency, customer_id):
        """Create the gateway order the customer will pay; its id is our payment order id."""
        if self.simulator:
            order_id = new_id("order")
        else:
            data = {
                "amount": amount_minor,
                "currency": currency,
                "receipt": payment_order_ref[:RECEIPT_LENGTH_MAX],
                "notes": {"customer_id": customer_id, "purpose": "wallet_topup"},
                "payment_capture": 1,
            }
            order = self._call(self.client.order.create, data, timeout=self.timeout_seconds)
            order_id = order.get("id") if isinstance(order, dict) else None
            if not isinstance(order_id, str) or not ID_PATTERN.match(order_id):
                raise GatewayUnavailable("Razorpay answered without a usable order id; nothing was charged.")
        return CheckoutOrder(order_id, self.checkout_url(order_id))

    def checkout_url(self, order_id):
        kind = "simulator/razorpay/checkout" if self.simulator else "checkout/razorpay"
        return f"{self.public_base_url}/{kind}/{order_id}"

    def confirm_checkout(self, payment_order, fields):
        """Checkout's return (`payment_id`, `signature`): verified, and in live mode fetched."""
        payment_id = fields["payment_id"]
        self.verify_checkout(payment_order["_id"], payment_id, fields["signature"])
        payment = self.fetch_captured_payment(payment_id)
        if payment is None:
            return ConfirmedPayment(payment_id)
        if payment.get("status") != "captured" or payment.get("order_id") != payment_order["_id"]:
            raise PaymentNotCaptured()
        return ConfirmedPayment(payment_id, payment.get("amount"), payment.get("currency"))

    def capture(self, event, payment_order):
        """Razorpay captures on its side (`payment_capture: 1`); the event names the payment."""
        return event.gateway_payment_id

    def verify_checkout(self, order_id, payment_id, signature):
        """Check Razorpay Checkout's `HMAC_SHA256(order_id|payment_id, key_secret)`."""
        try:
            self.client.utility.verify_payment_signature(
                {"razorpay_order_id": order_id, "razorpay_payment_id": payment_id,
                 "razorpay_signature": signature}
            )
        except SignatureVerificationError:
            raise InvalidSignature("The payment signature does not match.") from None

    def fetch_captured_payment(self, payment_id):
        """Live mode: the payment as Razorpay reports it (`status`, `amount`, `currency`, `order_id`)."""
        if self.simulator:
            return None
        payment = self._call(self.client.payment.fetch, payment_id, timeout=self.timeout_seconds)
        if not isinstance(payment, dict):
            raise GatewayUnavailable("Razorpay answered without a payment; nothing was credited.")
        return payment

    def parse_webhook(self, raw_body, headers):
        """Verify `X-Razorpay-Signature` over the raw body, then read the event."""
        signature = headers.get("X-Razorpay-Signature")
        if not signature:
            raise InvalidSignature("Missing X-Razorpay-Signature header.")
        try:
            text = raw_body.decode("utf-8")
            self.client.utility.verify_webhook_signature(text, signature, self.webhook_secret)
        except (SignatureVerificationError, UnicodeDecodeError, TypeError):
            raise InvalidSignature("The webhook signature does not match.") from None
        try:
            event = json.loads(text)
            event_type = event["event"]
        except (ValueError, KeyError, TypeError):
            raise InvalidRequest("The webhook body is not a Razorpay event.") from None
        event_id = headers.get("X-Razorpay-Event-Id") or hashlib.sha256(raw_body).hexdigest()
        return _read_event(str(event_id)[:128], str(event_type), event)

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except (requests.RequestException, razorpay.errors.GatewayError,
                razorpay.errors.ServerError, razorpay.errors.BadRequestError, ValueError) as error:
            raise GatewayUnavailable(
                "Razorpay did not accept the request; nothing was charged."
            ) from error


def _read_event(event_id, event_type, event):
    if event_type not in CREDIT_EVENTS and event_type != "payment.failed":
        return WebhookEvent(event_id, event_type, IGNORE)
    try:
        payment = event["payload"]["payment"]["entity"]
        amount_minor = payment["amount"]
        if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
            raise TypeError
        fields = dict(
            payment_order_id=str(payment["order_id"]),
            gateway_payment_id=str(payment["id"]),
            amount_minor=amount_minor,
            currency=str(payment["currency"]),
        )
    except (KeyError, TypeError):
        raise InvalidRequest("The webhook event lacks the payment entity.") from None
    if event_type == "payment.failed":
        reason = str(payment.get("error_code") or "payment_failed")[:64]
        return WebhookEvent(event_id, event_type, FAILED, failure_reason=reason, **fields)
    return WebhookEvent(event_id, event_type, CREDIT, **fields)
