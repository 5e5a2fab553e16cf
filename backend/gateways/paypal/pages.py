"""PayPal's browser pages: where PayPal sends the buyer back (live), and the simulator's approval page.

Live: PayPal appends `?token=<order id>&PayerID=…` to the order's return/cancel URLs; the web
page reads `?token=` as its sign-in token, so these routes pass the order on as `paypal_order_id`
to the configured return URL instead. Simulator: Pay approves the simulated order and sends the
buyer back; the service's capture at verify completes it.
"""

from flask import Blueprint, abort, request

from ...errors import PaymentOrderNotFound
from ..checkout import NO_SUCH_CHECKOUT, back_to_shop, back_url, simulator_page
from .api import PAYPAL_ID_PATTERN

RETURN_PATH = "/checkout/paypal/return"
CANCEL_PATH = "/checkout/paypal/cancel"
SIMULATOR_APPROVE_PATH = "/simulator/paypal/checkout"


def _back(config, order_id, **extra):
    return back_to_shop(config, {"paypal_order_id": order_id, "payment_method": "paypal", **extra})


def live_pages(context):
    pages = Blueprint("paypal_checkout", __name__)

    def back(**extra):
        order_id = request.args.get("token", "")
        if not PAYPAL_ID_PATTERN.match(order_id):
            abort(404)
        return _back(context.config, order_id, **extra)

    @pages.get(RETURN_PATH)
    def approved():
        """The buyer approved: the web page calls verify, which captures."""
        return back()

    @pages.get(CANCEL_PATH)
    def cancelled():
        return back(payment_error="cancelled")

    return pages


def simulator_pages(context):
    pages = Blueprint("paypal_simulator", __name__, url_prefix=SIMULATOR_APPROVE_PATH)

    def simulated_order(order_id):
        order = context.gateway.api.find_order(order_id) if context.gateway else None
        if order is None:
            raise PaymentOrderNotFound(NO_SUCH_CHECKOUT)
        return order

    @pages.get("/<order_id>")
    def checkout_page(order_id):
        amount = simulated_order(order_id)["purchase_units"][0]["amount"]
        return simulator_page(
            "PayPal simulator",
            "Simulated approval",
            order_id,
            amount["value"],
            amount["currency_code"],
            "background:#ffc439",
            back=back_url(context.config, {"paypal_order_id": order_id, "payment_method": "paypal"}),
        )

    @pages.post("/<order_id>/pay")
    def pay(order_id):
        """The buyer approves: PayPal moves the order to APPROVED and sends the buyer back."""
        simulated_order(order_id)
        context.gateway.api.approve(order_id)
        return _back(context.config, order_id)

    @pages.post("/<order_id>/fail")
    def fail(order_id):
        simulated_order(order_id)
        return _back(context.config, order_id, payment_error="payment_failed")

    return pages
