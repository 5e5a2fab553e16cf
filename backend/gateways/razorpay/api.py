"""Razorpay's Orders and Payments API through the official SDK (the live API object)."""

import razorpay

from ...errors import GatewayUnavailable


class RazorpayApi:
    """Razorpay's Orders and Payments API through the official SDK, every call with a timeout."""

    def __init__(self, key_id, key_secret, timeout_seconds=10.0, client=None):
        self.client = client or razorpay.Client(auth=(key_id, key_secret))
        self.timeout_seconds = timeout_seconds

    def create_order(self, data):
        return self._call(self.client.order.create, data)

    def fetch_payment(self, payment_id):
        """The payment as Razorpay reports it (`status`, `amount`, `currency`, `order_id`)."""
        payment = self._call(self.client.payment.fetch, payment_id)
        if not isinstance(payment, dict):
            raise GatewayUnavailable("Razorpay answered without a payment; nothing was credited.")
        return payment

    def order_payments(self, order_id):
        """Every payment attempt of the order (`GET /v1/orders/<id>/payments`), as a list."""
        answer = self._call(self.client.order.payments, order_id)
        items = answer.get("items") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise GatewayUnavailable("Razorpay answered without the order's payments.")
        return items

    def _call(self, method, argument):
        """Every failure of an SDK call is `GatewayUnavailable`: the network, Razorpay's error
        answers, and answers the SDK itself cannot read (an error body whose JSON is not an object,
        `null`, `5`, `{"error": null}`, makes it raise `TypeError`)."""
        try:
            return method(argument, timeout=self.timeout_seconds)
        except Exception as error:  # whatever the SDK raises: it was not a usable answer
            raise GatewayUnavailable("Razorpay did not accept the request; nothing was charged.") from error
