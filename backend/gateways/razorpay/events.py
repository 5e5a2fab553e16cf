"""Razorpay's shapes read into the integration's: a verified webhook's event (`read_event`) and a
refund entity the API answered (`read_refund`).

A refund's or dispute's fields are checked before anything uses them (ids by ID_PATTERN, amounts
whole positive paise, a three-letter currency): an unreadable webhook is InvalidRequest (400, and
Razorpay retries it), an unreadable API answer GatewayUnavailable.
"""

import re
from typing import Any

from ...errors import GatewayUnavailable, InvalidRequest
from ...money import currency_decimals
from ...validation import ID_PATTERN
from ..base import (
    CREDIT_WALLET,
    DISPUTE_LOST,
    DISPUTE_OPENED,
    DISPUTE_RECORDED,
    DISPUTE_RELEASED,
    IGNORE,
    RECORD_FAILURE,
    REFUND_DONE,
    REFUND_FAILED,
    REFUND_PENDING,
    REFUND_PROCESSED,
    REFUND_RECORDED,
    REFUND_REFUSED,
    GatewayRefund,
    WebhookEvent,
)

CREDIT_EVENTS = ("payment.captured", "order.paid")
REFUND_EVENTS = {
    "refund.created": REFUND_RECORDED,
    "refund.processed": REFUND_PROCESSED,
    "refund.failed": REFUND_FAILED,
}  # `refund.speed_changed` (instant → normal) changes nothing of ours: ignored
DISPUTE_EVENT_PREFIX = "payment.dispute."
DISPUTE_EVENTS = {
    "payment.dispute.created": DISPUTE_OPENED,
    "payment.dispute.won": DISPUTE_RELEASED,
    "payment.dispute.closed": DISPUTE_RELEASED,
    "payment.dispute.lost": DISPUTE_LOST,
}  # any other `payment.dispute.*` (under_review, action_required) is DISPUTE_RECORDED
# A refund's `status` at Razorpay; one it may add later is taken as not final yet.
REFUND_STATUSES = {"pending": REFUND_PENDING, "processed": REFUND_DONE, "failed": REFUND_REFUSED}
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}\Z")


def read_event(event_id, event_type, event):
    """The `WebhookEvent` of a verified Razorpay event (`event`: its parsed body)."""
    if event_type in CREDIT_EVENTS or event_type == "payment.failed":
        return _payment_event(event_id, event_type, event)
    if event_type in REFUND_EVENTS:
        return _case_event(event_id, event_type, event, "refund", REFUND_EVENTS[event_type])
    if event_type.startswith(DISPUTE_EVENT_PREFIX):
        return _case_event(event_id, event_type, event, "dispute", DISPUTE_EVENTS.get(event_type, DISPUTE_RECORDED))
    return WebhookEvent(event_id, event_type, IGNORE)


def read_refund(entity):
    """The `GatewayRefund` of a refund entity Razorpay answered; GatewayUnavailable when unreadable."""
    try:
        refund_id, _, amount_minor, currency = case_fields(entity)
    except (KeyError, TypeError, ValueError):
        raise GatewayUnavailable("Razorpay answered with an unreadable refund.") from None
    status = entity.get("status")
    ended = REFUND_STATUSES.get(status, REFUND_PENDING) if isinstance(status, str) else REFUND_PENDING
    return GatewayRefund(refund_id, ended, amount_minor, currency)


def refund_reference(entity):
    """The `reference` we gave a refund (its `notes.reference`), or None: Razorpay's own refunds
    (dashboard, automatic) carry none, and a note that is not one of our ids is not ours."""
    notes = entity.get("notes")
    reference = notes.get("reference") if isinstance(notes, dict) else None
    return reference if is_id(reference) else None


def case_fields(entity):
    """(id, payment_id, amount_minor, currency) of a refund or dispute entity; KeyError, TypeError
    or ValueError when one is missing or unreadable."""
    case_id, payment_id, amount_minor, currency = (entity[name] for name in ("id", "payment_id", "amount", "currency"))
    if not (is_id(case_id) and is_id(payment_id) and is_amount_minor(amount_minor) and is_currency(currency)):
        raise ValueError("unreadable entity")
    return case_id, payment_id, amount_minor, currency


def is_id(value):
    return isinstance(value, str) and ID_PATTERN.match(value) is not None


# Far beyond any amount of ours (10,000,000.00 is 10**9 paise), and far within MongoDB's 64-bit
# integers, even summed over a day of report rows: an integer beyond it is garbage, not money.
AMOUNT_MINOR_MAX = 10**12


def least_amount_minor(currency):
    """Razorpay takes orders and refunds of at least 1.00 of the currency ("The amount must be at
    least INR 1.00"; an order of 99 paise: "Order amount less than minimum amount allowed")."""
    return 10 ** currency_decimals(currency)


def is_amount_minor(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= AMOUNT_MINOR_MAX


def is_currency(value):
    return isinstance(value, str) and CURRENCY_PATTERN.match(value) is not None


def _case_event(event_id, event_type, event, entity_name, action):
    """A refund's or dispute's event (`payload.<entity_name>.entity`)."""
    try:
        entity = event["payload"][entity_name]["entity"]
        case_id, payment_id, amount_minor, currency = case_fields(entity)
    except (KeyError, TypeError, ValueError):
        raise InvalidRequest(f"The webhook event lacks a readable {entity_name} entity.") from None
    return WebhookEvent(
        event_id,
        event_type,
        action,
        gateway_payment_id=payment_id,
        amount_minor=amount_minor,
        currency=currency,
        case_id=case_id,
        refund_reference=refund_reference(entity) if entity_name == "refund" else None,
    )


def _payment_event(event_id, event_type, event):
    try:
        payment = event["payload"]["payment"]["entity"]
        amount_minor = payment["amount"]
        if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
            raise TypeError
        if not isinstance(payment["id"], str) or not ID_PATTERN.match(payment["id"]):
            raise TypeError  # a payment id we could not keep, or refund, as the id it is
        fields: dict[str, Any] = dict(
            payment_order_id=str(payment["order_id"]),
            gateway_payment_id=payment["id"],
            amount_minor=amount_minor,
            currency=str(payment["currency"]),
        )
    except (KeyError, TypeError):
        raise InvalidRequest("The webhook event lacks the payment entity.") from None
    if event_type == "payment.failed":
        reason = str(payment.get("error_code") or "payment_failed")[:64]
        return WebhookEvent(event_id, event_type, RECORD_FAILURE, failure_reason=reason, **fields)
    return WebhookEvent(event_id, event_type, CREDIT_WALLET, **fields)
