"""Google Pay's browser pages: the live page that opens Google Pay's sheet, and the simulator's.

Live: with DIRECT tokens, Google's pay.js hands the page a PaymentData (ECv2, our merchant public
key); the page posts `{payment_order_id, paymentData}` to /webhook/google-pay and returns the
customer to the configured return URL. With PAYMENT_GATEWAY tokens the processor serves the page
(`GatewayProcessor.checkout_page`: its script takes the token, then the page posts
`{payment_order_id}` there). Served only while the Google Pay gateway is offered.
Simulator: Pay mints a real ECv2 token for a test card, posts it like the live page, waits for the
answer and sends the buyer back (with `payment_error=already_paid` when the top-up was paid before
this token: the service charged nothing).
"""

import json
from html import escape

from flask import Blueprint, abort

from ...money import format_major
from ..checkout import back_to_shop, back_url, simulator_page
from .payment_gateway import PAYMENT_GATEWAY
from .simulator import DEV_GOOGLE_PAY_MERCHANT_ID, payment_data, simulator_token

LIVE_CHECKOUT_PATH = "/checkout/google-pay"
SIMULATOR_CHECKOUT_PATH = "/simulator/google-pay/checkout"

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Pay</title></head>
<body><p>Top-up <code>{order_id}</code>: <strong>{amount} {currency}</strong></p><div id="button"></div>
<script>
const o = {options};
const back = (extra) => window.location.assign(o.return_url + "?" + new URLSearchParams(
  Object.assign({{payment_order_id: o.payment_order_id, payment_method: "google_pay"}}, extra)));
const card = {{type: "CARD", parameters: {{allowedAuthMethods: ["PAN_ONLY", "CRYPTOGRAM_3DS"],
  allowedCardNetworks: ["MASTERCARD", "VISA"]}}, tokenizationSpecification: {{type: "DIRECT",
  parameters: {{protocolVersion: "ECv2", publicKey: o.public_key}}}}}};
const request = {{apiVersion: 2, apiVersionMinor: 0, merchantInfo: {{merchantId: o.merchant_id}},
  allowedPaymentMethods: [card], transactionInfo: {{totalPriceStatus: "FINAL", totalPrice: o.amount,
  currencyCode: o.currency}}}};
function start() {{
  const client = new google.payments.api.PaymentsClient({{environment: o.environment}});
  document.getElementById("button").appendChild(client.createButton({{onClick: () =>
    client.loadPaymentData(request).then((paymentData) => fetch(o.webhook_url, {{method: "POST",
      headers: {{"Content-Type": "application/json"}},
      body: JSON.stringify({{payment_order_id: o.payment_order_id, paymentData}})}}))
      .then((r) => back(r.ok ? {{}} : {{payment_error: "payment_failed"}}))
      .catch(() => back({{payment_error: "cancelled"}}))}}));
}}
</script>
<script async src="https://pay.google.com/gp/p/js/pay.js" onload="start()"></script>
</body></html>"""


def _back(config, order_id, **extra):
    return back_to_shop(config, {"payment_order_id": order_id, "payment_method": "google_pay", **extra})


def live_pages(context):
    pages = Blueprint("google_pay_checkout", __name__, url_prefix=LIVE_CHECKOUT_PATH)
    config = context.config

    @pages.get("/<order_id>")
    def google_pay_checkout(order_id):
        gateway = context.gateway
        if gateway is None:
            abort(404)
        payment_order = context.payment_order_or_404(order_id)
        amount = format_major(payment_order.amount_minor, payment_order.currency)
        if gateway.tokenization == PAYMENT_GATEWAY:
            return gateway.checkout_page(
                {
                    "payment_order_id": order_id,
                    "amount": amount,
                    "currency": payment_order.currency,
                    "capture_url": config["PUBLIC_BASE_URL"] + context.webhook_path,
                    "return_url": config["CHECKOUT_RETURN_URL"],
                }
            )
        options = {
            "payment_order_id": order_id,
            "merchant_id": gateway.key_id,
            "environment": "TEST" if gateway.key_id == DEV_GOOGLE_PAY_MERCHANT_ID else "PRODUCTION",
            "public_key": gateway.merchant_public_key_text(),
            "amount": amount,
            "currency": payment_order.currency,
            "webhook_url": config["PUBLIC_BASE_URL"] + context.webhook_path,
            "return_url": config["CHECKOUT_RETURN_URL"],
        }
        return PAGE.format(
            order_id=escape(order_id),
            amount=amount,
            currency=escape(payment_order.currency),
            options=json.dumps(options).replace("</", "<\\/"),
        )

    return pages


def simulator_pages(context):
    pages = Blueprint("google_pay_simulator", __name__, url_prefix=SIMULATOR_CHECKOUT_PATH)
    config = context.config

    @pages.get("/<order_id>")
    def checkout_page(order_id):
        payment_order = context.payment_order_or_404(order_id)
        return simulator_page(
            "Google Pay simulator",
            "Simulated payment sheet",
            order_id,
            format_major(payment_order.amount_minor, payment_order.currency),
            payment_order.currency,
            "background:#000;color:#fff",
            label="Payment order",
            details="<br>Card Visa •••• 1111 (test)",
            back=back_url(config, {"payment_order_id": order_id, "payment_method": "google_pay"}),
        )

    @pages.post("/<order_id>/pay")
    def pay(order_id):
        paid_before = context.payment_order_or_404(order_id).is_paid
        body = {"payment_order_id": order_id, "paymentData": payment_data(simulator_token(context.gateway))}
        # Like a merchant's checkout page: post the token, wait for the answer, then send the buyer back.
        status = context.deliver_webhook(json.dumps(body).encode(), {"Content-Type": "application/json"}, wait=True)
        if status != 200:
            return _back(config, order_id, payment_error="payment_rejected")
        # Paid before this token (Back, then Pay again): the service did not charge it; say so.
        return _back(config, order_id, **({"payment_error": "already_paid"} if paid_before else {}))

    @pages.post("/<order_id>/fail")
    def fail(order_id):
        context.payment_order_or_404(order_id)
        return _back(config, order_id, payment_error="payment_failed")

    return pages
