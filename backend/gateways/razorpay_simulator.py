"""Simulator mode: a local stand-in for Razorpay.

It plays the gateway: `SimulatedRazorpayApi` issues Razorpay-shaped order ids without a network
call and reports no payments, so a checkout signature or webhook that verifies under the
configured secrets is the confirmation (tests and developers can sign their own). Its checkout
page (`backend/checkout_pages/razorpay.py`) signs with the same secrets, through the same
verification code as live traffic.
"""
import hashlib
import hmac
import json
import time

from ..clock import new_id

# Fixed, documented development values so a developer can sign simulator webhooks by hand.
DEV_RAZORPAY_KEY_ID = "rzp_test_simulator"
DEV_RAZORPAY_KEY_SECRET = "simulator_key_secret"
DEV_RAZORPAY_WEBHOOK_SECRET = "simulator_webhook_secret"


class SimulatedRazorpayApi:
    """Razorpay's Orders and Payments API as the adapter sees it, answered locally."""

    def create_order(self, data):
        return {"id": new_id("order"), "entity": "order", "amount": data["amount"],
                "currency": data["currency"], "receipt": data["receipt"], "status": "created"}

    def fetch_payment(self, payment_id):
        return None  # the simulator keeps no payments: the signatures are the confirmation


def hmac_hex(secret, message):
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def checkout_signature(key_secret, order_id, payment_id):
    """Razorpay Checkout's signature of a payment of an order."""
    return hmac_hex(key_secret, f"{order_id}|{payment_id}")


def payment_event(event_type, payment_order, payment_id, status):
    """A Razorpay-shaped webhook envelope for one payment of `payment_order`."""
    entity = {
        "id": payment_id, "entity": "payment", "amount": payment_order.amount_minor,
        "currency": payment_order.currency, "status": status, "order_id": payment_order.id,
        "method": "upi", "captured": status == "captured", "notes": [],
    }
    if status == "failed":
        entity.update(error_code="BAD_REQUEST_ERROR", error_description="Payment failed (simulated)")
    return {"entity": "event", "account_id": "acc_simulator", "event": event_type,
            "contains": ["payment"], "payload": {"payment": {"entity": entity}},
            "created_at": int(time.time())}


def signed_event(event, webhook_secret):
    """(raw body, headers) of a Razorpay event signed with `webhook_secret`."""
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Razorpay-Signature": hmac_hex(webhook_secret, body.decode()),
        "X-Razorpay-Event-Id": new_id("evt"),
    }
    return body, headers
