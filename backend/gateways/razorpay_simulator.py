"""Simulator mode: a local stand-in for Razorpay's hosted checkout.

It plays the gateway: its checkout page has Pay / Fail buttons; Pay redirects back with the three
signed Checkout values and posts a signed `payment.captured` webhook to the service, Fail posts
`payment.failed`. Both are signed with the configured secrets and go through the same
verification code as live traffic.
"""
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

from flask import Blueprint, current_app, redirect

from ..clock import new_id
from ..money import format_major
from .delivery import deliver
from .pages import payment_order_or_404, simulator_page

razorpay_simulator_bp = Blueprint("razorpay_simulator", __name__, url_prefix="/simulator/razorpay")
WEBHOOK_PATH = "/api/integration/webhook/razorpay"

def hmac_hex(secret, message):
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@razorpay_simulator_bp.get("/checkout/<order_id>")
def checkout_page(order_id):
    payment_order = payment_order_or_404(order_id, "razorpay")
    return simulator_page("Razorpay simulator", "Simulated checkout", order_id,
                          format_major(payment_order["amount_minor"], payment_order["currency"]),
                          payment_order["currency"], "background:#2563eb;color:#fff")


@razorpay_simulator_bp.post("/checkout/<order_id>/pay")
def pay(order_id):
    payment_order = payment_order_or_404(order_id, "razorpay")
    payment_id = new_id("pay")
    config = current_app.config
    deliver_event(payment_event("payment.captured", payment_order, payment_id, "captured"))
    signature = hmac_hex(config["RAZORPAY_KEY_SECRET"], f"{order_id}|{payment_id}")
    query = {"razorpay_payment_id": payment_id, "razorpay_order_id": order_id, "razorpay_signature": signature}
    return redirect(config["CHECKOUT_RETURN_URL"] + "?" + urlencode(query), code=303)


@razorpay_simulator_bp.post("/checkout/<order_id>/fail")
def fail(order_id):
    payment_order = payment_order_or_404(order_id, "razorpay")
    deliver_event(payment_event("payment.failed", payment_order, new_id("pay"), "failed"))
    query = {"razorpay_order_id": order_id, "payment_error": "payment_failed"}
    return redirect(current_app.config["CHECKOUT_RETURN_URL"] + "?" + urlencode(query), code=303)


def payment_event(event_type, payment_order, payment_id, status):
    """A Razorpay-shaped webhook envelope for one payment."""
    entity = {
        "id": payment_id, "entity": "payment", "amount": payment_order["amount_minor"],
        "currency": payment_order["currency"], "status": status, "order_id": payment_order["_id"],
        "method": "upi", "captured": status == "captured", "notes": [],
    }
    if status == "failed":
        entity.update(error_code="BAD_REQUEST_ERROR", error_description="Payment failed (simulated)")
    return {"entity": "event", "account_id": "acc_simulator", "event": event_type,
            "contains": ["payment"], "payload": {"payment": {"entity": entity}},
            "created_at": int(time.time())}


def deliver_event(event):
    """Sign a Razorpay event with the webhook secret and deliver it."""
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Razorpay-Signature": hmac_hex(current_app.config["RAZORPAY_WEBHOOK_SECRET"], body.decode()),
        "X-Razorpay-Event-Id": new_id("evt"),
    }
    deliver(WEBHOOK_PATH, body, headers)
