"""Gateway access: the adapters offered in this mode, by payment method, built from the registry."""

from .errors import UnsupportedPaymentMethod
from .gateway_refunds import GatewayRefunds
from .gateways.entry import GatewayEnv
from .gateways.registry import gateway_registry
from .payment_order_lookups import SettlementLookups
from .payment_orders import COLLECTION as PAYMENT_ORDERS
from .payment_orders import PaymentOrders


class PaymentService:
    """Holds one adapter per gateway name (`razorpay`, ...)."""

    def __init__(self, gateways):
        self.gateways = dict(gateways)

    def gateway(self, name):
        adapter = self.gateways.get(name)
        if adapter is None:
            raise UnsupportedPaymentMethod(f"Payment method `{name}` is not offered here.")
        return adapter

    @classmethod
    def from_config(cls, config, db=None, delivery=None):
        """Every gateway of `config` (GATEWAY_PACKAGES) that its mode offers and that takes one of
        SUPPORTED_CURRENCIES; `delivery` (a `gateways.delivery.Delivery`) posts the simulators' webhooks
        to this service."""
        gateways = {}
        lookups = SettlementLookups(db[PAYMENT_ORDERS]) if db is not None else None
        credited = lookups.credited_in if lookups is not None else None
        paid = paid_for(db) if db is not None else None
        for entry in gateway_registry(config):
            if not entry.takes(config):
                continue
            deliver_webhook = delivery.to(entry) if delivery is not None else None
            env = GatewayEnv(config, db, deliver_webhook, credited, paid)
            adapter = entry.build(env, config["GATEWAY_MODE"])
            if adapter is not None:
                gateways[entry.name] = adapter
        return cls(gateways)


def paid_for(db):
    """(gateway, payment id) -> the PaymentOrder the payment paid for, or None: the top-up it credited,
    else the one a refund of ours of it names (a second payment of a top-up, a payment after it
    lapsed: paid for that top-up, given back). A simulator refunds such a payment it never made
    (signed by hand) as that top-up's, in its currency (`GatewayEnv.paid_for`)."""
    payment_orders, our_refunds = PaymentOrders(db), GatewayRefunds(db)

    def find(gateway, payment_id):
        credited = payment_orders.credited_by(gateway, payment_id)
        if credited is not None:
            return credited
        named = our_refunds.named_or_of((gateway,), (), [payment_id])
        return payment_orders.get(named[0]["payment_order_id"], gateway) if named else None

    return find
