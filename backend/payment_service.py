"""Gateway access: picks the adapter for a payment method and builds the configured ones."""
from .errors import UnsupportedPaymentMethod
from .gateways.google_pay import GooglePayGateway
from .gateways.paypal import PayPalGateway
from .gateways.razorpay import RazorpayGateway


class PaymentService:
    """Holds one adapter per gateway name (`razorpay`, ...)."""

    def __init__(self, gateways):
        self.gateways = dict(gateways)

    def gateway(self, name):
        adapter = self.gateways.get(name)
        if adapter is None:
            raise UnsupportedPaymentMethod(f"Payment method `{name}` is not available yet.")
        return adapter

    @classmethod
    def from_config(cls, config):
        simulator = config["GATEWAY_MODE"] == "simulator"
        razorpay_gateway = RazorpayGateway(
            key_id=config["RAZORPAY_KEY_ID"],
            key_secret=config["RAZORPAY_KEY_SECRET"],
            webhook_secret=config["RAZORPAY_WEBHOOK_SECRET"],
            simulator=simulator,
            public_base_url=config["PUBLIC_BASE_URL"],
            timeout_seconds=config["GATEWAY_TIMEOUT_SECONDS"],
        )
        gateways = {"razorpay": razorpay_gateway}
        google_pay_gateway = GooglePayGateway.from_config(config)  # None: not offered
        if google_pay_gateway is not None:
            gateways["google_pay"] = google_pay_gateway
        paypal_gateway = PayPalGateway.from_config(config)  # None: live mode without PayPal keys
        if paypal_gateway is not None:
            gateways["paypal"] = paypal_gateway
        return cls(gateways)
