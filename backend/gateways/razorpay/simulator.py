"""Simulator mode: a local stand-in for Razorpay.

It plays the gateway: `SimulatedRazorpayApi` issues Razorpay-shaped order ids without a network
call, and a checkout signature or webhook that verifies under the configured secrets is the
confirmation (tests and developers can sign their own; `fetch_payment` reports nothing). Its
checkout page (`pages.py`) signs with the same secrets, through the same
verification code as live traffic, and records each payment it makes (Pay: captured, Fail: failed)
in `simulator_razorpay_payments` (this module is its only user), from which the API answers an
order's payments (`order_payments`, the sweep's look-up) as Razorpay would.
"""

import hashlib
import hmac
import json
import time

from ...clock import new_id

# Fixed, documented development values so a developer can sign simulator webhooks by hand.
DEV_RAZORPAY_KEY_ID = "rzp_test_simulator"
DEV_RAZORPAY_KEY_SECRET = "simulator_key_secret"
DEV_RAZORPAY_WEBHOOK_SECRET = "simulator_webhook_secret"
PAYMENTS_COLLECTION = "simulator_razorpay_payments"


class SimulatedRazorpayApi:
    """Razorpay's Orders and Payments API as the adapter sees it, answered locally.

    `db`: the store keeping the payments its checkout page made; without one (a bare adapter in a
    test) it keeps none and cannot answer an order's payments."""

    def __init__(self, db=None):
        self.payments = db[PAYMENTS_COLLECTION] if db is not None else None

    def create_order(self, data):
        return {
            "id": new_id("order"),
            "entity": "order",
            "amount": data["amount"],
            "currency": data["currency"],
            "receipt": data["receipt"],
            "status": "created",
        }

    def fetch_payment(self, payment_id):
        return None  # the signatures are the confirmation, even of a payment it did not make

    def order_payments(self, order_id):
        """The payments recorded for the order, newest first, as Razorpay lists them; None without a store."""
        if self.payments is None:
            return None
        recorded = self.payments.find({"order_id": order_id}, sort=[("created_at", -1), ("_id", 1)])
        return [{k: v for k, v in payment.items() if k != "_id"} for payment in recorded]

    # --- the buyer's side (the checkout page) --------------------------------------------------
    def record_payment(self, entity):
        """Keep a payment the checkout page made (a `payment_entity`); a repeat of its id is ignored."""
        if self.payments is not None:
            self.payments.update_one({"_id": entity["id"]}, {"$setOnInsert": dict(entity)}, upsert=True)


def hmac_hex(secret, message):
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def checkout_signature(key_secret, order_id, payment_id):
    """Razorpay Checkout's signature of a payment of an order."""
    return hmac_hex(key_secret, f"{order_id}|{payment_id}")


def payment_entity(payment_order, payment_id, status):
    """A Razorpay-shaped payment of `payment_order` (`captured` or `failed`)."""
    entity = {
        "id": payment_id,
        "entity": "payment",
        "amount": payment_order.amount_minor,
        "currency": payment_order.currency,
        "status": status,
        "order_id": payment_order.id,
        "method": "upi",
        "captured": status == "captured",
        "notes": [],
        "created_at": int(time.time()),
    }
    if status == "failed":
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
