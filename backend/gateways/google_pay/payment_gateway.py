"""Google Pay with PAYMENT_GATEWAY tokenization: the token goes to a gateway that decrypts it itself
(`processor.GatewayProcessor`, e.g. PayPal), never to this service.

initiate creates the processor's order (its id is our payment order's id; our reference its custom
id) and sends the buyer to the processor's checkout page (`checkout_page`, served by pages.py). There
the processor's script takes Google Pay's token and approves the order; the page then posts
`{payment_order_id}` to /webhook/google-pay, and the service captures the approved order
(`charge`), checks that the capture is the initiated amount and currency, and credits once. Nothing
in that post is trusted but the id: what was paid is the processor's answer to our own authenticated
capture call. The capture's own webhook (PayPal's PAYMENT.CAPTURE.COMPLETED, custom_id = our
reference) comes to the processor's webhook route, verified there, and credits the same payment
order once (`processed_by`: the webhook intake looks for Google Pay's payment orders there too).
verify captures as well (`confirm_checkout`), and the sweep asks the processor (`look_up`).
"""

from ...errors import AmountMismatch, InvalidRequest, OrderAlreadyPaid
from ...validation import check_id, parse_json_object
from ..base import CREDIT_WALLET, CheckoutOrder, WebhookEvent

PAYMENT_GATEWAY = "PAYMENT_GATEWAY"
APPROVED_EVENT = "google_pay.approved"


class PaymentGatewayGooglePay:
    name = "google_pay"
    tokenization = PAYMENT_GATEWAY

    def __init__(self, processor, checkout_url):
        """`processor`: a `processor.GatewayProcessor`; `checkout_url`: the page taking Google Pay
        through it (pages.LIVE_CHECKOUT_PATH under PUBLIC_BASE_URL), the payment order id appended."""
        self.processor = processor
        self.key_id = processor.client_id
        self.processed_by = processor.name  # whose webhooks confirm these payments
        self.checkout_url = checkout_url.rstrip("/")

    def create_order(self, reference, amount_minor, currency, customer_id):
        order_id = self.processor.create_order(reference, amount_minor, currency)
        return CheckoutOrder(order_id, f"{self.checkout_url}/{order_id}")

    def confirm_checkout(self, payment_order, fields):
        """verify: capture the approved order (a credited one is never captured again)."""
        return self.processor.capture(payment_order)

    def parse_webhook(self, raw_body, headers):
        """The checkout page's `{payment_order_id}` once the processor approved the buyer's payment:
        an event to charge (capture), once per payment order."""
        body = parse_json_object(raw_body)
        if set(body) != {"payment_order_id"}:
            raise InvalidRequest("Post exactly {payment_order_id} once the payment is approved.")
        payment_order_id = check_id(body["payment_order_id"], "payment_order_id")
        return WebhookEvent(
            f"{payment_order_id}:approved",
            APPROVED_EVENT,
            CREDIT_WALLET,
            payment_order_id=payment_order_id,
            charge_required=True,
        )

    def charge(self, event, payment_order):
        """Capture the approved order; the `ConfirmedPayment` (the intake checks its amount and
        currency against the initiated ones before the credit). `PaymentNotCaptured` while it is not
        approved; AmountMismatch when the processor reports no amount."""
        if payment_order.is_paid:
            raise OrderAlreadyPaid("This top-up is already paid; nothing was captured.")
        captured = self.processor.capture(payment_order)
        if captured.amount_minor is None or captured.currency is None:
            raise AmountMismatch("The processor reported no amount for the capture; nothing was credited.")
        return captured

    def look_up(self, payment_order):
        return self.processor.look_up(payment_order)

    def refund(self, payment_id, amount_minor, currency, reference):
        return self.processor.refund(payment_id, amount_minor, currency, reference)

    def find_refund(self, payment_id, reference):
        return self.processor.find_refund(payment_id, reference)

    def checkout_page(self, options):
        return self.processor.checkout_page(options)
