"""PayPal after the credit (SPEC §9): its refund, reversal and dispute webhooks, and its refunds as
`GatewayRefund`s.

Shapes as PayPal documents them: a PAYMENT.CAPTURE.REFUNDED or .REVERSED resource is a refund
(`resource_type: refund`: its `id`, `amount`, `status`, our `custom_id`, and an `up` link to
/v2/payments/captures/<capture id>); a CUSTOMER.DISPUTE.* resource is the dispute (`dispute_id`,
`disputed_transactions[].seller_transaction_id` = the capture id, `dispute_amount`, and once
resolved `dispute_outcome: {outcome_code, amount_refunded}`). Unreadable fields raise ValueError,
LookupError or TypeError, which the adapter answers as 400 (PayPal delivers again; nothing moved).
"""

from ...errors import InvalidAmount
from ..base import (
    DISPUTE_LOST,
    DISPUTE_OPENED,
    DISPUTE_RECORDED,
    DISPUTE_RELEASED,
    REFUND_DONE,
    REFUND_FAILED,
    REFUND_PENDING,
    REFUND_PROCESSED,
    REFUND_RECORDED,
    REFUND_REFUSED,
    REVERSED,
    GatewayRefund,
    WebhookEvent,
)
from .shapes import CAPTURES_PATH, checked_id, is_zero_amount, linked_id, parse_amount, told_id

REFUNDED = "PAYMENT.CAPTURE.REFUNDED"
CAPTURE_REVERSED = "PAYMENT.CAPTURE.REVERSED"
DISPUTE_CREATED = "CUSTOMER.DISPUTE.CREATED"
DISPUTE_RESOLVED = "CUSTOMER.DISPUTE.RESOLVED"
DISPUTE_UPDATED = "CUSTOMER.DISPUTE.UPDATED"
AFTER_CREDIT_EVENTS = (REFUNDED, CAPTURE_REVERSED, DISPUTE_CREATED, DISPUTE_RESOLVED, DISPUTE_UPDATED)
LOST_OUTCOMES = ("RESOLVED_BUYER_FAVOUR", "ACCEPTED")  # every other outcome_code releases the hold
CUSTOM_ID_LENGTH_MAX = 127
# A refund's `status`, as a PAYMENT.CAPTURE.REFUNDED event's action. Its documented sample is
# COMPLETED; should PayPal announce a refund that is not (yet) done, it moves nothing yet.
REFUNDED_ACTIONS = {
    None: REFUND_PROCESSED,
    "COMPLETED": REFUND_PROCESSED,
    "PENDING": REFUND_RECORDED,
    "FAILED": REFUND_FAILED,
    "CANCELLED": REFUND_FAILED,
}
# A refund's `status` as ours: any other (unknown) status is not final yet.
REFUND_STATUSES = {"COMPLETED": REFUND_DONE, "FAILED": REFUND_REFUSED, "CANCELLED": REFUND_REFUSED}


def after_credit_event(event_id, event_type, event):
    """The `WebhookEvent` of a verified PayPal event of AFTER_CREDIT_EVENTS."""
    resource = event["resource"]
    if not isinstance(resource, dict):
        raise TypeError("resource")
    if event_type in (REFUNDED, CAPTURE_REVERSED):
        return _refund_event(event_id, event_type, event, resource)
    if event_type == DISPUTE_UPDATED:
        return _dispute_update(event_id, event_type, resource)
    fields = _dispute_fields(resource)
    if event_type == DISPUTE_CREATED:
        return WebhookEvent(event_id, event_type, DISPUTE_OPENED, **fields)
    outcome = resource["dispute_outcome"]
    code = outcome["outcome_code"] if isinstance(outcome, dict) else None
    if not isinstance(code, str):
        raise TypeError("dispute_outcome")
    refunded = outcome.get("amount_refunded")
    if code not in LOST_OUTCOMES or is_zero_amount(refunded):  # a loss that took nothing releases
        return WebhookEvent(event_id, event_type, DISPUTE_RELEASED, **fields)
    if refunded is not None:
        refunded_minor, refunded_currency = parse_amount(refunded)
        if refunded_currency == fields["currency"]:  # in another, it cannot be weighed: the disputed amount is lost
            fields["amount_minor"] = refunded_minor
    return WebhookEvent(event_id, event_type, DISPUTE_LOST, **fields)


def _refund_event(event_id, event_type, event, refund):
    """A refund (ours by its `custom_id`, or PayPal's own) or a reversal of a capture."""
    case_id = told_id(refund["id"])
    capture_id = linked_id(refund, "up", CAPTURES_PATH)
    if capture_id is None and event_type == CAPTURE_REVERSED and event.get("resource_type") == "capture":
        capture_id = case_id  # the capture itself, reversed: it names no other
    if capture_id is None:
        raise ValueError("up link")
    amount_minor, currency = parse_amount(refund["amount"])
    custom_id = refund.get("custom_id")
    fields = dict(
        gateway_payment_id=capture_id,
        amount_minor=amount_minor,
        currency=currency,
        case_id=case_id,
        refund_reference=custom_id[:CUSTOM_ID_LENGTH_MAX] if isinstance(custom_id, str) and custom_id else None,
    )
    if event_type == CAPTURE_REVERSED:
        return WebhookEvent(event_id, event_type, REVERSED, **fields)
    status = refund.get("status")
    action = REFUNDED_ACTIONS.get(status, REFUND_RECORDED) if status is None or isinstance(status, str) else None
    if action is None:
        raise TypeError("status")
    failure_reason = status.lower()[:64] if action == REFUND_FAILED else None
    return WebhookEvent(event_id, event_type, action, failure_reason=failure_reason, **fields)


def _dispute_fields(dispute):
    amount_minor, currency = parse_amount(dispute["dispute_amount"])
    return dict(
        case_id=told_id(dispute["dispute_id"]),
        gateway_payment_id=told_id(dispute["disputed_transactions"][0]["seller_transaction_id"]),
        amount_minor=amount_minor,
        currency=currency,
    )


def _dispute_update(event_id, event_type, dispute):
    """Recorded only: its dispute id is all it needs; the capture and amount when readable."""
    case_id = told_id(dispute["dispute_id"])
    try:
        fields = _dispute_fields(dispute)
    except (LookupError, TypeError, ValueError, InvalidAmount):
        fields = dict(case_id=case_id)
    return WebhookEvent(event_id, event_type, DISPUTE_RECORDED, **fields)


def gateway_refund(refund):
    """PayPal's refund JSON as a `GatewayRefund`; ValueError, LookupError or TypeError if unreadable."""
    amount_minor, currency = parse_amount(refund["amount"])
    status = refund["status"]
    if not isinstance(status, str):
        raise TypeError("status")
    return GatewayRefund(checked_id(refund["id"]), REFUND_STATUSES.get(status, REFUND_PENDING), amount_minor, currency)
