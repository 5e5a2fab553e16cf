"""Live mode: where PayPal sends the buyer after the approval page (the order's return/cancel URLs).

PayPal appends `?token=<order id>&PayerID=…`; the web page reads `?token=` as its sign-in token,
so these routes pass the order on as `paypal_order_id` to the configured return URL instead.
"""
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, redirect, request

from .paypal_api import PAYPAL_ID_PATTERN

paypal_checkout_bp = Blueprint("paypal_checkout", __name__, url_prefix="/checkout/paypal")


def _back(**extra):
    order_id = request.args.get("token", "")
    if not PAYPAL_ID_PATTERN.match(order_id):
        abort(404)
    query = {"paypal_order_id": order_id, "payment_method": "paypal", **extra}
    return redirect(current_app.config["CHECKOUT_RETURN_URL"] + "?" + urlencode(query), code=303)


@paypal_checkout_bp.get("/return")
def approved():
    """The buyer approved: the web page calls verify, which captures."""
    return _back()


@paypal_checkout_bp.get("/cancel")
def cancelled():
    return _back(payment_error="cancelled")
