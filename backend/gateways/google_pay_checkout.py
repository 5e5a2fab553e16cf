"""Live mode: the page at a Google Pay top-up's `redirect_url`, which opens Google Pay's sheet.

Google's pay.js hands the page a PaymentData (DIRECT tokenization, ECv2, our merchant public key);
the page posts `{payment_order_id, paymentData}` to /webhook/google-pay and returns the customer to
the configured return URL. Served only while the Google Pay gateway is offered.
"""
import json
from html import escape

from flask import Blueprint, abort, current_app

from ..money import format_major
from .pages import payment_order_or_404

google_pay_checkout_bp = Blueprint("google_pay_checkout", __name__, url_prefix="/checkout/google-pay")
TEST_MERCHANT_ID = "12345678901234567890"  # Google's TEST environment merchant

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


@google_pay_checkout_bp.get("/<order_id>")
def google_pay_checkout(order_id):
    gateway = current_app.extensions["integration"].payments.gateways.get("google_pay")
    if gateway is None:
        abort(404)
    payment_order = payment_order_or_404(order_id, "google_pay")
    amount = format_major(payment_order["amount_minor"], payment_order["currency"])
    config = current_app.config
    options = {
        "payment_order_id": order_id,
        "merchant_id": gateway.key_id,
        "environment": "TEST" if gateway.key_id == TEST_MERCHANT_ID else "PRODUCTION",
        "public_key": gateway.merchant_public_key_text(),
        "amount": amount,
        "currency": payment_order["currency"],
        "webhook_url": config["PUBLIC_BASE_URL"] + "/api/integration/webhook/google-pay",
        "return_url": config["CHECKOUT_RETURN_URL"],
    }
    return PAGE.format(order_id=escape(order_id), amount=amount, currency=escape(payment_order["currency"]),
                       options=json.dumps(options).replace("</", "<\\/"))
