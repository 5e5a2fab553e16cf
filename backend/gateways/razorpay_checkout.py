"""Live mode: the page at a Razorpay top-up's `redirect_url`, which opens Razorpay Checkout.

Razorpay has no hosted redirect page for orders; its Checkout script runs in the browser and
hands back the three signed values, which this page forwards to the configured return URL.
"""
import json
from html import escape

from flask import Blueprint, current_app

from .pages import payment_order_or_404

razorpay_checkout_bp = Blueprint("razorpay_checkout", __name__, url_prefix="/checkout/razorpay")

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


@razorpay_checkout_bp.get("/<order_id>")
def razorpay_checkout(order_id):
    payment_order = payment_order_or_404(order_id, "razorpay")
    options = {
        "key": current_app.config["RAZORPAY_KEY_ID"],
        "order_id": order_id,
        "amount": payment_order["amount_minor"],
        "currency": payment_order["currency"],
        "name": "Wallet top-up",
        "return_url": current_app.config["CHECKOUT_RETURN_URL"],
    }
    return PAGE.format(order_id=escape(order_id), options=json.dumps(options).replace("</", "<\\/"))
