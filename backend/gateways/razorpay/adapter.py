"""Razorpay: orders, refunds and the settlement report through an API object (`api.RazorpayApi`, or
the simulator's stand-in); webhooks read by `events.py`, the report by `settlement.py`.

Signature checks are the same in both modes: the SDK's HMAC-SHA256 helpers, which compare in
constant time, over the stored order id (checkout) or the raw request body (webhooks).
"""

import datetime
import hashlib
import json
import time

import razorpay
from razorpay.errors import SignatureVerificationError

from ...errors import GatewayUnavailable, InvalidRequest, InvalidSignature, PaymentNotCaptured
from ...validation import ID_PATTERN, unique_fields
from ..base import (
    CAPTURED,
    FAILED,
    PENDING,
    REFUND_DONE,
    REFUND_PENDING,
    REFUND_REFUSED,
    CheckoutOrder,
    ConfirmedPayment,
    GatewayRefund,
    Lookup,
)
from .api import RefundRefused
from .events import is_amount_minor, is_currency, is_id, least_amount_minor, read_event, read_refund, refund_reference
from .settlement import SettlementReport

# A payment of an order: `created`/`authorized` may still become `captured` (orders are created
# with auto-capture); `failed` never will, nor will `refunded` (the money went back).
PAYMENT_IN_PROGRESS = ("created", "authorized")
PAYMENT_ENDED = ("failed", "refunded")
RECEIPT_LENGTH_MAX = 40


class RazorpayGateway:
    name = "razorpay"
    # Razorpay settles domestic payments T+2 by default: a capture is in the report two days later
    # (RAZORPAY_SETTLEMENT_LAG_DAYS sets an account's own cycle: `entry.settlement_lag`).
    settlement_lag = datetime.timedelta(days=2)

    def __init__(self, api, key_id, key_secret, webhook_secret, checkout_url):
        """`checkout_url`: where the customer pays an order, its id appended (`…/<order id>`)."""
        self.api = api
        self.key_id = key_id
        self.webhook_secret = webhook_secret
        self.checkout_url = checkout_url.rstrip("/")
        self.signatures = razorpay.Client(auth=(key_id, key_secret)).utility
        self.pause = time.sleep  # between attempts at a page of the settlement report

    def create_order(self, payment_order_ref, amount_minor, currency, customer_id):
        """Create the gateway order the customer will pay; its id is our payment order id."""
        data = {
            "amount": amount_minor,
            "currency": currency,
            "receipt": payment_order_ref[:RECEIPT_LENGTH_MAX],
            "notes": {"customer_id": customer_id, "purpose": "wallet_topup"},
            "payment_capture": 1,
        }
        order = self.api.create_order(data)
        order_id = order.get("id") if isinstance(order, dict) else None
        if not isinstance(order_id, str) or not ID_PATTERN.match(order_id):
            raise GatewayUnavailable("Razorpay answered without a usable order id; nothing was charged.")
        return CheckoutOrder(order_id, f"{self.checkout_url}/{order_id}")

    def confirm_checkout(self, payment_order, fields):
        """Checkout's return (`payment_id`, `signature`): verified, then fetched where the API reports it."""
        payment_id = fields["payment_id"]
        self.verify_checkout(payment_order.id, payment_id, fields["signature"])
        payment = self.fetch_captured_payment(payment_id)
        if payment is None:
            return ConfirmedPayment(payment_id)
        if payment.get("status") != "captured" or payment.get("order_id") != payment_order.id:
            raise PaymentNotCaptured()
        return ConfirmedPayment(payment_id, *_amount_of(payment))

    def verify_checkout(self, order_id, payment_id, signature):
        """Check Razorpay Checkout's `HMAC_SHA256(order_id|payment_id, key_secret)`."""
        try:
            self.signatures.verify_payment_signature(
                {"razorpay_order_id": order_id, "razorpay_payment_id": payment_id, "razorpay_signature": signature}
            )
        except SignatureVerificationError:
            raise InvalidSignature("The payment signature does not match.") from None

    def fetch_captured_payment(self, payment_id):
        """The payment as the API reports it; None where it reports none (the simulator)."""
        return self.api.fetch_payment(payment_id)

    def look_up(self, payment_order):
        """The order's payments at Razorpay: one `captured` payment of this order is CAPTURED; else
        an attempt in progress is PENDING; else attempts that all ended (failed, refunded) are
        FAILED; no attempt at all is PENDING. None where the API keeps no payments."""
        payments = self.api.order_payments(payment_order.id)
        if payments is None:
            return None
        payments = [p for p in payments if isinstance(p, dict) and p.get("order_id") == payment_order.id]
        captured = [p for p in payments if p.get("status") == "captured"]
        if captured:
            payment_id = captured[0].get("id")
            if not isinstance(payment_id, str) or not ID_PATTERN.match(payment_id):
                raise GatewayUnavailable("Razorpay answered with an unreadable payment.")
            amount_minor, currency = _amount_of(captured[0])
            return Lookup(CAPTURED, payment_id, amount_minor, currency, detail="captured")
        in_progress = [p for p in payments if p.get("status") in PAYMENT_IN_PROGRESS]
        if in_progress or not payments:
            return Lookup(PENDING, detail=str(in_progress[0]["status"]) if in_progress else "no_payment")
        if all(p.get("status") in PAYMENT_ENDED for p in payments):
            return Lookup(FAILED, detail=str(payments[0].get("error_code") or payments[0]["status"])[:64])
        return Lookup(PENDING, detail="unknown_status")

    def parse_webhook(self, raw_body, headers):
        """Verify `X-Razorpay-Signature` over the raw body, then read the event."""
        signature = headers.get("X-Razorpay-Signature")
        if not signature:
            raise InvalidSignature("Missing X-Razorpay-Signature header.")
        try:
            text = raw_body.decode("utf-8")
            self.signatures.verify_webhook_signature(text, signature, self.webhook_secret)
        except (SignatureVerificationError, UnicodeDecodeError, TypeError):
            raise InvalidSignature("The webhook signature does not match.") from None
        try:
            event = json.loads(text, object_pairs_hook=unique_fields)  # one reading of a signed body
            event_type = event["event"]
        except (ValueError, KeyError, TypeError):
            raise InvalidRequest("The webhook body is not a Razorpay event.") from None
        event_id = headers.get("X-Razorpay-Event-Id") or hashlib.sha256(raw_body).hexdigest()
        return read_event(str(event_id)[:128], str(event_type), event)

    def refund(self, payment_id, amount_minor, currency, reference):
        """Refund `amount_minor` of a captured payment at normal speed, once per `reference` (its
        idempotency key, and `notes.reference` so the refund's webhooks name it). Razorpay answers
        `pending` (its webhooks tell the rest), or refuses: a GatewayRefund without an id, REFUND_REFUSED,
        unless the payment already has a refund under `reference` (Razorpay refuses a repeated key whose
        body differs), which is then the answer. GatewayUnavailable when the outcome is unknown: ask
        again with the same reference, or `find_refund`."""
        if not is_amount_minor(amount_minor) or not is_id(reference):
            raise ValueError("A refund is a whole positive number of minor units, under one of our ids.")
        data = {"amount": amount_minor, "speed": "normal", "notes": {"reference": reference}}
        try:
            return read_refund(self.api.refund_payment(payment_id, data, reference))
        except RefundRefused:
            return self.find_refund(payment_id, reference) or GatewayRefund("", REFUND_REFUSED, amount_minor, currency)

    least_refund_minor = staticmethod(least_amount_minor)  # the withdrawals' plan asks

    def find_refund(self, payment_id, reference):
        """The payment's refund under `reference` (its `notes.reference`), or None when it has none.
        Should there be several, one that went through (or may still) comes before a failed one."""
        ours = [
            r for r in self.api.fetch_refunds(payment_id) if isinstance(r, dict) and refund_reference(r) == reference
        ]
        refunds = [read_refund(refund) for refund in ours]
        rank = {REFUND_DONE: 0, REFUND_PENDING: 1, REFUND_REFUSED: 2}
        return min(refunds, key=lambda refund: rank[refund.status], default=None)

    def settlement_report(self, day):
        """What Razorpay settled on `day` (its settlement day), as `SettlementRow`s of the captured
        payments and refunds (see `settlement.SettlementReport`: paged, retried, bounded; its
        `skipped` counts the unreadable items passed over)."""
        return SettlementReport(self.api, day, pause=self.pause)


def _amount_of(payment):
    """(amount in minor units, currency) of a payment the API reported, which must state both: one
    without them (null, missing, not whole positive paise) is never taken as a confirmation."""
    amount_minor, currency = payment.get("amount"), payment.get("currency")
    if not (is_amount_minor(amount_minor) and is_currency(currency)):
        raise GatewayUnavailable("Razorpay answered with a payment of no readable amount or currency.")
    return amount_minor, currency
