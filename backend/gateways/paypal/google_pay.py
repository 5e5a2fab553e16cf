"""PayPal as Google Pay's processor (PAYMENT_GATEWAY tokenization, Google Pay gateway `paypal`): what
Google Pay's gateway asks of PayPal (backend/gateways/google_pay/processor.py, `GatewayProcessor`)
and the live checkout page, built as PayPal documents Google Pay on the web ("Integrate Google Pay
with JS SDK for direct merchants", developer.paypal.com):

- the server creates an Orders v2 order (intent CAPTURE, our reference as `custom_id`, no
  `payment_source`: the buyer's Google Pay card becomes it);
- the page loads PayPal's JavaScript SDK with `components=googlepay` and Google's pay.js, asks
  `paypal.Googlepay().config()` for the `allowedPaymentMethods` (PAYMENT_GATEWAY, gateway `paypal`)
  and `merchantInfo` Google's PaymentsClient needs, and shows Google's button;
- on the buyer's payment data it confirms the order with it (`paypal.Googlepay().confirmOrder`,
  which gives the order its `payment_source.google_pay`; on PAYER_ACTION_REQUIRED
  `initiatePayerAction` runs 3-D Secure) and posts `{payment_order_id}` to this service, which
  captures (POST /v2/checkout/orders/{id}/capture) and credits. Google's token goes from the browser
  to PayPal only (Orders v2 `confirm-payment-source` takes `google_pay` card data as a
  `decrypted_token`, i.e. DIRECT: not this path).
The capture's PAYMENT.CAPTURE.COMPLETED webhook comes to PayPal's webhook route, verified there like
every PayPal webhook. Captures, look-ups and refunds are the PayPal adapter's own (`PayPalGateway`).
"""

import json
from html import escape
from urllib.parse import urlencode

from .shapes import created_order_id, top_up_order

SDK_URL = "https://www.paypal.com/sdk/js"  # the same for sandbox and live: the client id decides
GOOGLE_PAY_JS_URL = "https://pay.google.com/gp/p/js/pay.js"
SANDBOX_HOST_PART = "sandbox.paypal.com"

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Pay</title></head>
<body><p>Top-up <code>{order_id}</code>: <strong>{amount} {currency}</strong></p>
<div id="button"></div><p id="status" role="status"></p>
<script>
const o = {options};
const back = (extra) => window.location.assign(o.return_url + "?" + new URLSearchParams(
  Object.assign({{payment_order_id: o.payment_order_id, payment_method: "google_pay"}}, extra)));
const say = (text) => {{ document.getElementById("status").textContent = text; }};
const declined = (message) => ({{transactionState: "ERROR",
  error: {{intent: "PAYMENT_AUTHORIZATION", message, reason: "PAYMENT_DATA_INVALID"}}}});
let outcome = {{payment_error: "payment_failed"}};
async function authorize(paymentData) {{
  try {{
    const googlepay = paypal.Googlepay();
    const confirmed = await googlepay.confirmOrder({{orderId: o.payment_order_id,
      paymentMethodData: paymentData.paymentMethodData}});
    if (confirmed.status === "PAYER_ACTION_REQUIRED") {{
      await googlepay.initiatePayerAction({{orderId: o.payment_order_id}});
    }} else if (confirmed.status !== "APPROVED") {{
      return declined("PayPal did not approve the payment.");
    }}
    const captured = await fetch(o.capture_url, {{method: "POST", headers: {{"Content-Type": "application/json"}},
      body: JSON.stringify({{payment_order_id: o.payment_order_id}})}});
    if (!captured.ok) return declined("The payment could not be taken.");
    outcome = {{}};
    return {{transactionState: "SUCCESS"}};
  }} catch (error) {{
    return declined("The payment could not be completed.");
  }}
}}
async function start() {{
  try {{
    const config = await paypal.Googlepay().config();
    const client = new google.payments.api.PaymentsClient({{environment: o.environment,
      paymentDataCallbacks: {{onPaymentAuthorized: authorize}}}});
    const base = {{apiVersion: config.apiVersion, apiVersionMinor: config.apiVersionMinor,
      allowedPaymentMethods: config.allowedPaymentMethods}};
    if (!(await client.isReadyToPay(base)).result) {{ say("Google Pay is not available here."); return; }}
    const request = Object.assign({{merchantInfo: config.merchantInfo, callbackIntents: ["PAYMENT_AUTHORIZATION"],
      transactionInfo: {{countryCode: config.countryCode, currencyCode: o.currency, totalPriceStatus: "FINAL",
        totalPrice: o.amount}}}}, base);
    document.getElementById("button").appendChild(client.createButton({{onClick: () =>
      client.loadPaymentData(request).then(() => back(outcome)).catch(() => back({{payment_error: "cancelled"}}))}}));
  }} catch (error) {{
    say("Google Pay is not available here.");
  }}
}}
let loaded = 0;
const scriptLoaded = () => {{ loaded += 1; if (loaded === 2) start(); }};
</script>
<script async src="{paypal_sdk}" onload="scriptLoaded()"></script>
<script async src="{google_pay_js}" onload="scriptLoaded()"></script>
</body></html>"""


class PayPalGooglePay:
    """PayPal taking Google Pay's tokens: orders, captures, look-ups and refunds through `gateway` (a
    live `PayPalGateway`), and the page its JS SDK drives. `sandbox`: PayPal's sandbox, so Google's
    TEST environment."""

    name = "paypal"  # PayPal's webhooks confirm these payments

    def __init__(self, gateway, sandbox):
        self.gateway = gateway
        self.client_id = gateway.key_id
        self.sandbox = sandbox

    def create_order(self, reference, amount_minor, currency):
        """POST /v2/checkout/orders: intent CAPTURE, `custom_id` = our reference (PayPal-Request-Id
        too), no payment_source; the order id. GatewayUnavailable without a usable id."""
        return created_order_id(
            self.gateway.api.create_order(top_up_order(reference, amount_minor, currency), reference)
        )

    def capture(self, payment_order):
        """Capture the order the buyer approved through Google Pay, as verify captures a PayPal order:
        once (PayPal-Request-Id from our reference), a credited one never again."""
        return self.gateway.confirm_checkout(payment_order, {})

    def look_up(self, payment_order):
        return self.gateway.look_up(payment_order)

    def refund(self, payment_id, amount_minor, currency, reference):
        return self.gateway.refund(payment_id, amount_minor, currency, reference)

    def find_refund(self, payment_id, reference):
        return self.gateway.find_refund(payment_id, reference)

    def checkout_page(self, options):
        """The page taking Google Pay through PayPal for `options` (see `GatewayProcessor.checkout_page`)."""
        sdk_query = {
            "client-id": self.client_id,
            "components": "googlepay",
            "currency": options["currency"],
            "intent": "capture",
        }
        script_options = dict(options, environment="TEST" if self.sandbox else "PRODUCTION")
        return PAGE.format(
            order_id=escape(options["payment_order_id"]),
            amount=escape(options["amount"]),
            currency=escape(options["currency"]),
            options=json.dumps(script_options).replace("</", "<\\/"),
            paypal_sdk=escape(f"{SDK_URL}?{urlencode(sdk_query)}"),
            google_pay_js=GOOGLE_PAY_JS_URL,
        )


def google_pay_processor(gateway, api_base):
    """PayPal as Google Pay's processor over `gateway` (a live `PayPalGateway`, or None: not configured)."""
    if gateway is None:
        return None
    return PayPalGooglePay(gateway, sandbox=SANDBOX_HOST_PART in api_base)
