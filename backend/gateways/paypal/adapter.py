"""PayPal Orders v2: create an order, send the buyer to approve it, capture it at verify.

The adapter reads PayPal-shaped JSON from an API object: `PayPalApi` (live, over HTTPS) or the
simulator's `SimulatedPayPalApi`. Webhooks are verified by the same `verify_webhook` in both modes,
with the certificate the API object hands out.
"""

import datetime
import json
import re
from decimal import Decimal

from ...errors import GatewayUnavailable, InvalidRequest, PaymentNotCaptured
from ...money import currency_decimals, exact_minor, format_major
from ...validation import exact_number
from ..base import (
    CAPTURED,
    CREDIT_WALLET,
    FAILED,
    IGNORE,
    PENDING,
    RECORD_FAILURE,
    CheckoutOrder,
    ConfirmedPayment,
    Lookup,
    WebhookEvent,
)
from .api import PAYPAL_ID_PATTERN, OrderAlreadyCaptured
from .webhook import verify_webhook

APPROVE_RELS = ("approve", "payer-action")
FAILED_EVENTS = ("PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED")
FAILED_CAPTURES = ("DECLINED", "FAILED")
EVENT_ID_LENGTH_MAX = 128
VALUE_TEXT = re.compile(r"[0-9]{1,32}(\.[0-9]{1,32})?")  # PayPal's amount `value`, e.g. "10.50"


def utcnow_aware():
    return datetime.datetime.now(datetime.UTC)


class PayPalGateway:
    name = "paypal"

    def __init__(self, api, webhook_id, key_id=None, return_url="", cancel_url="", clock=utcnow_aware):
        """`return_url` / `cancel_url`: where PayPal sends the buyer after the approval page."""
        self.api = api
        self.webhook_id = webhook_id
        self.key_id = key_id or None
        self.return_url = return_url
        self.cancel_url = cancel_url
        self.clock = clock

    def create_order(self, reference, amount_minor, currency, customer_id):
        """A PayPal order (intent CAPTURE, `custom_id` = our reference); `PayPal-Request-Id` = reference."""
        experience = {
            "return_url": self.return_url,
            "cancel_url": self.cancel_url,
            "user_action": "PAY_NOW",
            "shipping_preference": "NO_SHIPPING",
        }
        body = {
            "intent": "CAPTURE",
            "purchase_units": [
                {
                    "reference_id": reference,
                    "custom_id": reference,
                    "description": "Wallet top-up",
                    "amount": {"currency_code": currency, "value": format_major(amount_minor, currency)},
                }
            ],
            "payment_source": {"paypal": {"experience_context": experience}},
        }
        order = self.api.create_order(body, reference)
        order_id = order.get("id")
        links = order.get("links") if isinstance(order.get("links"), list) else []
        approve = [link.get("href") for link in links if isinstance(link, dict) and link.get("rel") in APPROVE_RELS]
        if not isinstance(order_id, str) or not PAYPAL_ID_PATTERN.match(order_id):
            raise GatewayUnavailable("PayPal answered without a usable order id; nothing was charged.")
        if not approve or not isinstance(approve[0], str) or not approve[0].startswith(("https://", "http://")):
            raise GatewayUnavailable("PayPal answered without an approve link; nothing was charged.")
        return CheckoutOrder(order_id, approve[0])

    def confirm_checkout(self, payment_order, fields):
        """Capture the approved order; a payment only when its capture is COMPLETED."""
        if payment_order.is_paid and payment_order.gateway_payment_id:
            return ConfirmedPayment(payment_order.gateway_payment_id, earlier=True)  # credited: never capture again
        completed = _completed_capture(self._capture(payment_order))
        if completed is None:
            raise PaymentNotCaptured()
        return ConfirmedPayment(*completed)

    def look_up(self, payment_order):
        """GET the order; capture it if APPROVED (with verify's `PayPal-Request-Id`, so the two
        never capture twice). A COMPLETED capture is CAPTURED; a capture PayPal refuses (422), a
        declined or failed capture and a VOIDED order are FAILED; an order PayPal no longer knows,
        one not yet approved or a PENDING capture are PENDING."""
        order = self.api.look_up_order(payment_order.id)
        if order is None:
            return Lookup(PENDING, detail="not_found")
        if order.get("status") == "APPROVED":
            try:
                order = self._capture(payment_order)
            except PaymentNotCaptured:
                return Lookup(FAILED, detail="capture_refused")
        completed = _completed_capture(order)
        if completed is not None:
            capture_id, amount_minor, currency = completed
            return Lookup(CAPTURED, capture_id, amount_minor, currency, detail="COMPLETED")
        captures = _captures(order)
        if captures and all(c.get("status") in FAILED_CAPTURES for c in captures):
            return Lookup(FAILED, detail=f"capture_{str(captures[0].get('status')).lower()}")
        if order.get("status") == "VOIDED":
            return Lookup(FAILED, detail="VOIDED")
        if captures:
            return Lookup(PENDING, detail=f"capture_{str(captures[0].get('status')).lower()}"[:64])
        return Lookup(PENDING, detail=str(order.get("status"))[:64])

    def _capture(self, payment_order):
        """Capture the approved order (once: `PayPal-Request-Id` from our reference); the order after."""
        try:
            return self.api.capture_order(payment_order.id, f"{payment_order.reference}-capture")
        except OrderAlreadyCaptured:
            return self.api.get_order(payment_order.id)

    def parse_webhook(self, raw_body, headers):
        """Verify PayPal's signature over the raw body, then read the event."""
        verify_webhook(raw_body, headers, self.webhook_id, self.api.certificate, self.clock())
        try:
            event = json.loads(raw_body.decode("utf-8"), parse_float=exact_number)
            event_id, event_type = event["id"], event["event_type"]
            if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise InvalidRequest("The webhook body is not a PayPal event.") from None
        event_id, event_type = event_id[:EVENT_ID_LENGTH_MAX], event_type[:64]
        if event_type != "PAYMENT.CAPTURE.COMPLETED" and event_type not in FAILED_EVENTS:
            return WebhookEvent(event_id, event_type, IGNORE)
        try:
            return _capture_event(event_id, event_type, event["resource"])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InvalidRequest("The webhook event lacks a readable capture.") from None


def _capture_event(event_id, event_type, capture):
    amount_minor, currency = parse_amount(capture["amount"])
    related = (capture.get("supplementary_data") or {}).get("related_ids") or {}
    order_id, custom_id = related.get("order_id"), capture.get("custom_id")
    fields = dict(
        payment_order_id=order_id if isinstance(order_id, str) else None,
        payment_order_reference=custom_id if isinstance(custom_id, str) else None,
        gateway_payment_id=str(capture["id"]),
        amount_minor=amount_minor,
        currency=currency,
    )
    if event_type in FAILED_EVENTS:
        return WebhookEvent(event_id, event_type, RECORD_FAILURE, failure_reason=event_type.lower(), **fields)
    return WebhookEvent(event_id, event_type, CREDIT_WALLET, **fields)


def _completed_capture(order):
    """(capture id, amount in minor units, currency) of the order's COMPLETED capture, or None."""
    captures = [c for c in _captures(order) if c.get("status") == "COMPLETED"]
    if not captures:
        return None
    capture_id = captures[0].get("id")
    try:
        amount_minor, currency = parse_amount(captures[0].get("amount"))
        if not isinstance(capture_id, str) or not PAYPAL_ID_PATTERN.match(capture_id):
            raise ValueError("id")
    except ValueError:
        raise GatewayUnavailable("PayPal answered with an unreadable capture.") from None
    return capture_id, amount_minor, currency


def _captures(order):
    try:
        captures = order["purchase_units"][0]["payments"]["captures"]
    except (KeyError, IndexError, TypeError):
        return []
    return [c for c in captures if isinstance(c, dict)] if isinstance(captures, list) else []


def parse_amount(amount):
    """PayPal's `{currency_code, value}` as (integer minor units, currency): ValueError if unreadable
    (not a decimal text with at most the currency's decimals), `InvalidAmount` if zero or over the limit."""
    if not isinstance(amount, dict) or not isinstance(amount.get("value"), str):
        raise ValueError("amount")
    currency, value = amount.get("currency_code"), amount["value"]
    if not isinstance(currency, str) or not VALUE_TEXT.fullmatch(value):
        raise ValueError("amount")
    if len(value.partition(".")[2]) > currency_decimals(currency):
        raise ValueError("amount")
    return exact_minor(Decimal(value), currency), currency
