"""Razorpay's browser pages: the live page that opens Razorpay Checkout, and the simulator's.

Live: Razorpay has no hosted redirect page for orders; its Checkout script runs in the browser
and hands back the three signed values, which the page forwards to the configured return URL.
Simulator: Pay redirects back with the three signed Checkout values and posts a signed
`payment.captured` webhook; Fail posts `payment.failed`. Both are signed with the configured
secrets and go through the same verification code as live traffic. Each first records its payment
with the simulated API (`record_payment`), so a look-up of the order's payments (the sweep's)
finds it even when the webhook and the customer's return never arrive.
"""

import json
from html import escape

from flask import Blueprint

from ...clock import new_id
from ...money import format_major
from ..checkout import back_to_shop, back_url, simulator_page
from .simulator_events import checkout_signature, payment_entity, payment_event, signed_event

LIVE_CHECKOUT_PATH = "/checkout/razorpay"
SIMULATOR_CHECKOUT_PATH = "/simulator/razorpay/checkout"

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Pay</title></head>
<body><p>Opening Razorpay Checkout for order <code>{order_id}</code>…</p>
<script src="https://checkout.razorpay.com/v1/checkout.js"></script>
<script>
const options = {options};
const back = (query) => {{ window.location.assign(options.return_url + "?" + new URLSearchParams(query)); }};
options.handler = (r) => back(r);
options.modal = {{ ondismiss: () => back({{razorpay_order_id: options.order_id, payment_error: "cancelled"}}) }};
new Razorpay(options).open();
</script></body></html>"""


def live_pages(context):
    pages = Blueprint("razorpay_checkout", __name__, url_prefix=LIVE_CHECKOUT_PATH)
    config = context.config

    @pages.get("/<order_id>")
    def razorpay_checkout(order_id):
        payment_order = context.payment_order_or_404(order_id)
        options = {
            "key": config["RAZORPAY_KEY_ID"],
            "order_id": order_id,
            "amount": payment_order.amount_minor,
            "currency": payment_order.currency,
            "name": "Wallet top-up",
            "return_url": config["CHECKOUT_RETURN_URL"],
        }
        return PAGE.format(order_id=escape(order_id), options=json.dumps(options).replace("</", "<\\/"))

    return pages


def simulator_pages(context):
    pages = Blueprint("razorpay_simulator", __name__, url_prefix=SIMULATOR_CHECKOUT_PATH)
    config = context.config

    def deliver(event):
        context.deliver_webhook(*signed_event(event, config["RAZORPAY_WEBHOOK_SECRET"]))

    def make_payment(event_type, payment_order, status):
        """Record a payment of the order with the simulated gateway, then post its webhook; its id."""
        entity = payment_entity(payment_order, new_id("pay"), status)
        context.gateway.api.record_payment(entity)
        deliver(payment_event(event_type, payment_order, entity["id"], status, entity=entity))
        return entity["id"]

    @pages.get("/<order_id>")
    def checkout_page(order_id):
        payment_order = context.payment_order_or_404(order_id)
        return simulator_page(
            "Razorpay simulator",
            "Simulated checkout",
            order_id,
            format_major(payment_order.amount_minor, payment_order.currency),
            payment_order.currency,
            "background:#2563eb;color:#fff",
            back=back_url(config, {"razorpay_order_id": order_id}),
        )

    @pages.post("/<order_id>/pay")
    def pay(order_id):
        payment_order = context.payment_order_or_404(order_id)
        payment_id = make_payment("payment.captured", payment_order, "captured")
        return back_to_shop(
            config,
            {
                "razorpay_payment_id": payment_id,
                "razorpay_order_id": order_id,
                "razorpay_signature": checkout_signature(config["RAZORPAY_KEY_SECRET"], order_id, payment_id),
            },
        )

    @pages.post("/<order_id>/fail")
    def fail(order_id):
        payment_order = context.payment_order_or_404(order_id)
        make_payment("payment.failed", payment_order, "failed")
        return back_to_shop(config, {"razorpay_order_id": order_id, "payment_error": "payment_failed"})

    return pages
