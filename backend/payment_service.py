"""Gateway access: picks the adapter for a payment method and builds the configured ones."""
from .errors import UnsupportedPaymentMethod
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
        return cls({"razorpay": razorpay_gateway})
