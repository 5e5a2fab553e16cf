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
from html import escape
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, redirect

from ..clock import new_id
from ..db import get_db
from ..money import to_major
from ..validation import ID_PATTERN
from .delivery import deliver

razorpay_simulator_bp = Blueprint("razorpay_simulator", __name__, url_prefix="/simulator/razorpay")
WEBHOOK_PATH = "/api/integration/webhook/razorpay"

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Razorpay simulator</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}}
button{{font-size:1.1rem;padding:.7rem 1.4rem;margin:.3rem}}#pay{{background:#2563eb;color:#fff;border:0}}</style>
</head><body><h1>Razorpay simulator</h1><p>Simulated checkout: no real money moves.</p>
<p>Order <code>{order_id}</code><br>Amount <strong>{amount} {currency}</strong></p>
<form method="post" action="{order_id}/pay" style="display:inline"><button id="pay" type="submit">Pay</button></form>
<form method="post" action="{order_id}/fail" style="display:inline"><button id="fail" type="submit">Fail</button></form>
</body></html>"""


def hmac_hex(secret, message):
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _payment_order(order_id):
    if not ID_PATTERN.match(order_id):
        abort(404)
    payment_order = get_db()["payment_orders"].find_one({"_id": order_id, "gateway": "razorpay"})
    if payment_order is None:
        abort(404)
    return payment_order


@razorpay_simulator_bp.get("/checkout/<order_id>")
def checkout_page(order_id):
    payment_order = _payment_order(order_id)
    amount = to_major(payment_order["amount_minor"], payment_order["currency"])
    return PAGE.format(order_id=escape(order_id), amount=f"{amount:.2f}", currency=payment_order["currency"])


@razorpay_simulator_bp.post("/checkout/<order_id>/pay")
def pay(order_id):
    payment_order = _payment_order(order_id)
    payment_id = new_id("pay")
    config = current_app.config
    deliver_event(payment_event("payment.captured", payment_order, payment_id, "captured"))
    signature = hmac_hex(config["RAZORPAY_KEY_SECRET"], f"{order_id}|{payment_id}")
    query = {"razorpay_payment_id": payment_id, "razorpay_order_id": order_id, "razorpay_signature": signature}
    return redirect(config["CHECKOUT_RETURN_URL"] + "?" + urlencode(query), code=303)


@razorpay_simulator_bp.post("/checkout/<order_id>/fail")
def fail(order_id):
    payment_order = _payment_order(order_id)
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
