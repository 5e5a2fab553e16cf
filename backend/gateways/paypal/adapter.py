"""PayPal Orders v2: create an order, send the buyer to approve it, capture it at verify.

The adapter reads PayPal-shaped JSON from an API object: `PayPalApi` (live, over HTTPS) or the
simulator's `SimulatedPayPalApi`. Webhooks are verified by the same `verify_webhook` in both modes,
with the certificate the API object hands out, trusted only if it chains to the API object's
`trust_store`. After the credit (SPEC §9) it refunds captures and reads refund, reversal and
dispute webhooks (`after_credit.py`); PayPal's transaction search is its settlement report
(SPEC §11, `settlement.py`).
"""

import datetime
import json
import re
import time

from ...errors import GatewayUnavailable, InvalidAmount, InvalidRequest, PaymentNotCaptured
from ...money import format_major
from ...validation import ID_PATTERN, exact_number, unique_fields
from ..base import (
    CAPTURED,
    CREDIT_WALLET,
    FAILED,
    IGNORE,
    PENDING,
    RECORD_FAILURE,
    REFUND_REFUSED,
    CheckoutOrder,
    ConfirmedPayment,
    GatewayRefund,
    Lookup,
    WebhookEvent,
)
from .after_credit import AFTER_CREDIT_EVENTS, after_credit_event, gateway_refund
from .api import OrderAlreadyCaptured, RefundRefused
from .read_back import completed_capture, read_back
from .settlement import SETTLEMENT_LAG, SettlementReport
from .shapes import PAYPAL_ID_PATTERN, created_order_id, parse_amount, told_id, top_up_order
from .webhook import transmission_id, verify_webhook

APPROVE_RELS = ("approve", "payer-action")
FAILED_EVENTS = ("PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED")
FAILED_CAPTURES = ("DECLINED", "FAILED")
EVENT_ID_LENGTH_MAX = 128
# A refund's `reference`: its `custom_id` (PayPal's pattern and length), and its PayPal-Request-Id.
REFUND_REFERENCE = re.compile(r"[A-Za-z0-9_.,-]{1,127}")
REFUND_NOTE_TO_PAYER = "Wallet refund"


def utcnow_aware():
    return datetime.datetime.now(datetime.UTC)


class PayPalGateway:
    name = "paypal"
    settlement_lag = SETTLEMENT_LAG  # PayPal's data can be up to three hours late

    def __init__(self, api, webhook_id, key_id=None, return_url="", cancel_url="", clock=utcnow_aware):
        """`return_url` / `cancel_url`: where PayPal sends the buyer after the approval page."""
        self.api = api
        self.webhook_id = webhook_id
        self.key_id = key_id or None
        self.return_url = return_url
        self.cancel_url = cancel_url
        self.clock = clock
        self.pause = time.sleep  # between attempts at a page of the settlement report

    def create_order(self, reference, amount_minor, currency, customer_id):
        """A PayPal order (intent CAPTURE, `custom_id` = our reference); `PayPal-Request-Id` = reference."""
        experience = {
            "return_url": self.return_url,
            "cancel_url": self.cancel_url,
            "user_action": "PAY_NOW",
            "shipping_preference": "NO_SHIPPING",
        }
        body = top_up_order(
            reference, amount_minor, currency, payment_source={"paypal": {"experience_context": experience}}
        )
        order = self.api.create_order(body, reference)
        order_id = created_order_id(order)
        links = order.get("links") if isinstance(order.get("links"), list) else []
        approve = [link.get("href") for link in links if isinstance(link, dict) and link.get("rel") in APPROVE_RELS]
        if not approve or not isinstance(approve[0], str) or not approve[0].startswith(("https://", "http://")):
            raise GatewayUnavailable("PayPal answered without an approve link; nothing was charged.")
        return CheckoutOrder(order_id, approve[0])

    def confirm_checkout(self, payment_order, fields):
        """Capture the approved order; a payment only when its capture is COMPLETED."""
        if payment_order.is_paid and payment_order.gateway_payment_id:
            return ConfirmedPayment(payment_order.gateway_payment_id, earlier=True)  # credited: never capture again
        completed = _completed_capture(self._capture(payment_order), payment_order)
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
        if order.get("id") != payment_order.id:
            raise GatewayUnavailable(ANOTHER_ORDER)
        if order.get("status") == "APPROVED":
            try:
                order = self._capture(payment_order)
            except PaymentNotCaptured:
                return Lookup(FAILED, detail="capture_refused")
        completed = _completed_capture(order, payment_order)
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
        verify_webhook(raw_body, headers, self.webhook_id, self.api.certificate, self.clock(), self.api.trust_store)
        try:
            event = json.loads(raw_body.decode("utf-8"), parse_float=exact_number, object_pairs_hook=unique_fields)
            event_id, event_type = event["id"], event["event_type"]
            if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise InvalidRequest("The webhook body is not a PayPal event.") from None
        event_id, event_type = event_id[:EVENT_ID_LENGTH_MAX], event_type[:64]
        if event_type in AFTER_CREDIT_EVENTS:
            if self.api.reads_back_webhooks:
                event = dict(event, resource=read_back(self.api, event_type, event))
            try:
                return after_credit_event(event_id, event_type, event)
            except (LookupError, TypeError, ValueError, AttributeError):
                raise InvalidRequest(f"The {event_type} event lacks a readable refund or dispute.") from None
        if event_type != "PAYMENT.CAPTURE.COMPLETED" and event_type not in FAILED_EVENTS:
            return WebhookEvent(event_id, event_type, IGNORE)
        try:
            told = _capture_event(event_id, event_type, event["resource"])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InvalidRequest("The webhook event lacks a readable capture.") from None
        if told.action != CREDIT_WALLET or not self.api.reads_back_webhooks:
            return told
        capture = completed_capture(self.api, told.gateway_payment_id)
        try:
            return _capture_event(event_id, event_type, capture)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise GatewayUnavailable("PayPal answered with an unreadable capture.") from None

    @staticmethod
    def delivery_id(headers):
        """The id PayPal's signature binds to one body: its transmission id. The signature covers the
        body only by its CRC-32, which another body can be made to match, so the webhook intake keeps
        each transmission's body digest and refuses another body under it (`WebhookEvents.delivered`)."""
        return transmission_id(headers)

    def refund(self, payment_id, amount_minor, currency, reference):
        """Refund `amount_minor` of the capture `payment_id`, once per `reference`: POST
        /v2/payments/captures/{id}/refund with `custom_id` = reference (its webhooks name it) and
        PayPal-Request-Id = reference + "-refund" (a repeat answers the refund made under it; the
        suffix keeps it apart from the order's own request ids). COMPLETED is REFUND_DONE, FAILED or
        CANCELLED and PayPal's refusal (e.g. CAPTURE_FULLY_REFUNDED, REFUND_AMOUNT_EXCEEDED; then
        `refund_id` is "") are REFUND_REFUSED, PENDING (or another status) is REFUND_PENDING.
        `GatewayUnavailable` when PayPal gave no usable answer: the refund may exist (`find_refund`)."""
        _check_reference(reference)
        if not isinstance(payment_id, str) or not ID_PATTERN.match(payment_id):
            return GatewayRefund("", REFUND_REFUSED, amount_minor, currency)  # no capture has that id
        body = {
            "amount": {"currency_code": currency, "value": format_major(amount_minor, currency)},
            "custom_id": reference,
            "note_to_payer": REFUND_NOTE_TO_PAYER,
        }
        try:
            answer = self.api.refund_capture(payment_id, body, f"{reference}-refund")
        except RefundRefused:
            return GatewayRefund("", REFUND_REFUSED, amount_minor, currency)
        return _read_refund(answer)

    def find_refund(self, payment_id, reference):
        """The refund made under `reference` (its `custom_id`) for the capture `payment_id`, or None
        when PayPal lists none. It only looks (the capture's order lists its refunds): it never
        makes one, unlike repeating the refund's POST, which would refund again once PayPal forgets
        its request id (45 days). A refund PayPal refused was never made: None. Only this look-up
        sees a refund turn FAILED (PayPal posts no webhook for it)."""
        _check_reference(reference)
        if not isinstance(payment_id, str) or not ID_PATTERN.match(payment_id):
            return None
        mine = [r for r in self.api.refunds_of_capture(payment_id) if r.get("custom_id") == reference]
        return _read_refund(mine[0]) if mine else None

    def settlement_report(self, day):
        """PayPal's transactions of `day` (a UTC day: PayPal's transaction day) as an iterator of
        `SettlementRow`s: completed captures and merchant refunds, each once (see
        `settlement.SettlementReport`: every page read, retried and bounded, before the first row).
        GatewayUnavailable when the day cannot be read in full, or is over but PayPal's data has not
        caught up with it yet; its `skipped` counts the unreadable rows passed over."""
        return SettlementReport(self.api, day, self.clock(), pause=self.pause).read()


ANOTHER_ORDER = "PayPal answered about another order than this top-up's; nothing was taken from it."


def _capture_event(event_id, event_type, capture):
    amount_minor, currency = parse_amount(capture["amount"])
    related = (capture.get("supplementary_data") or {}).get("related_ids") or {}
    order_id, custom_id = related.get("order_id"), capture.get("custom_id")
    fields = dict(
        payment_order_id=order_id if isinstance(order_id, str) else None,
        payment_order_reference=custom_id if isinstance(custom_id, str) else None,
        gateway_payment_id=told_id(capture["id"]),
        amount_minor=amount_minor,
        currency=currency,
    )
    if event_type in FAILED_EVENTS:
        return WebhookEvent(event_id, event_type, RECORD_FAILURE, failure_reason=event_type.lower(), **fields)
    return WebhookEvent(event_id, event_type, CREDIT_WALLET, **fields)


def _completed_capture(order, payment_order):
    """(capture id, amount in minor units, currency) of the order's COMPLETED capture, or None.
    GatewayUnavailable for an answer about another order (another order id, or a capture naming
    another reference than `payment_order`'s): whatever it says was captured is never this one's."""
    captures = [c for c in _captures(order) if c.get("status") == "COMPLETED"]
    if not captures:
        return None
    capture_id, custom_id = captures[0].get("id"), captures[0].get("custom_id")
    if order.get("id") != payment_order.id or custom_id not in (None, payment_order.reference):
        raise GatewayUnavailable(ANOTHER_ORDER)
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


def _check_reference(reference):
    if not isinstance(reference, str) or not REFUND_REFERENCE.fullmatch(reference):
        raise ValueError("A PayPal refund reference is 1-127 of A-Z a-z 0-9 _ . , - (its custom_id).")


def _read_refund(answer):
    try:
        return gateway_refund(answer)
    except (LookupError, TypeError, ValueError, AttributeError, InvalidAmount):
        raise GatewayUnavailable("PayPal answered with an unreadable refund.") from None
