"""The Razorpay simulator's refunds and disputes, in Razorpay's shapes (its Refunds and Disputes
entities, and the webhook envelopes that carry them), for `simulator.py` to keep and post."""

import time

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
