"""The Razorpay simulator's payments, refunds and disputes in Razorpay's shapes (its entities, the
webhook envelopes that carry them, signed as Razorpay signs), for `simulator.py` and its checkout
page (`pages.py`) to keep and post."""

import datetime
import hashlib
import hmac
import json
import time

from ...clock import new_id
from .simulator_books import captured_payment

# A dispute's outcome -> its webhook event and the dispute's status.
DISPUTE_OUTCOMES = {"won": "payment.dispute.won", "lost": "payment.dispute.lost", "closed": "payment.dispute.closed"}


def refund_entity(refund_id, payment_id, amount_minor, currency, notes, status):
    """A Razorpay refund entity (`status`: pending, processed or failed)."""
    return {
        "id": refund_id,
        "entity": "refund",
        "amount": amount_minor,
        "currency": currency,
        "payment_id": payment_id,
        "notes": dict(notes) if notes else [],  # Razorpay answers an empty `notes` as `[]`
        "receipt": None,
        "acquirer_data": {"arn": None},
        "created_at": int(time.time()),
        "batch_id": None,
        "status": status,
        "speed_processed": "normal",
        "speed_requested": "normal",
    }


def dispute_entity(dispute_id, payment_id, amount_minor, currency, status):
    """A Razorpay dispute entity (`status`: open, won, lost or closed); a lost one deducted its amount."""
    now = int(time.time())
    return {
        "id": dispute_id,
        "entity": "dispute",
        "payment_id": payment_id,
        "amount": amount_minor,
        "currency": currency,
        "amount_deducted": amount_minor if status == "lost" else 0,
        "reason_code": "chargeback",
        "reason_description": "The cardholder disputes the payment (simulated).",
        "respond_by": now + 7 * 24 * 3600,
        "status": status,
        "phase": "chargeback",
        "created_at": now,
    }


def case_event(event_type, name, entity, payment=None):
    """A Razorpay webhook envelope carrying `entity` as `payload.<name>.entity` (`refund` or
    `dispute`), and the payment's entity when the simulator knows it."""
    payload = {name: {"entity": entity}}
    if payment is not None:
        payload["payment"] = {"entity": {key: value for key, value in payment.items() if key != "_id"}}
    return {
        "entity": "event",
        "account_id": "acc_simulator",
        "event": event_type,
        "contains": list(payload),
        "payload": payload,
        "created_at": int(time.time()),
    }


def hmac_hex(secret, message):
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def checkout_signature(key_secret, order_id, payment_id):
    """Razorpay Checkout's signature of a payment of an order."""
    return hmac_hex(key_secret, f"{order_id}|{payment_id}")


def payment_entity(payment_order, payment_id, status):
    """A Razorpay-shaped payment of `payment_order` (`captured` or `failed`), made now."""
    now = datetime.datetime.now(datetime.UTC)
    entity = captured_payment(payment_id, payment_order.id, payment_order.amount_minor, payment_order.currency, now)
    if status == "failed":
        entity.update(status="failed", captured=False)
        entity.update(error_code="BAD_REQUEST_ERROR", error_description="Payment failed (simulated)")
    return entity


def payment_event(event_type, payment_order, payment_id, status, entity=None):
    """A Razorpay-shaped webhook envelope for one payment of `payment_order` (`entity`, if made already)."""
    entity = entity or payment_entity(payment_order, payment_id, status)
    return {
        "entity": "event",
        "account_id": "acc_simulator",
        "event": event_type,
        "contains": ["payment"],
        "payload": {"payment": {"entity": entity}},
        "created_at": int(time.time()),
    }


def signed_event(event, webhook_secret):
    """(raw body, headers) of a Razorpay event signed with `webhook_secret`."""
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Razorpay-Signature": hmac_hex(webhook_secret, body.decode()),
        "X-Razorpay-Event-Id": new_id("evt"),
    }
    return body, headers
