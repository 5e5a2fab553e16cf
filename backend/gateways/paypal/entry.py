"""PayPal's registry entry: how it is built for live and simulator mode, its pages and simulator
dashboard, settings, the simulator's collection, and what the web page reads on the way back from
checkout."""

from .. import simulator_seed
from ..entry import CheckoutReturn, GatewayEntry
from . import pages
from .adapter import PayPalGateway
from .api import PayPalApi
from .simulator import (
    COLLECTION,
    DEV_PAYPAL_CLIENT_ID,
    DEV_PAYPAL_CLIENT_SECRET,
    DEV_PAYPAL_WEBHOOK_ID,
    SimulatedPayPalApi,
)
from .simulator_books import ORDERS_INDEX, REFUNDS_INDEX
from .simulator_cases import REFUNDS_COLLECTION
from .simulator_dashboard import PayPalDashboard


def _gateway(config, api):
    base_url = config["PUBLIC_BASE_URL"]
    return PayPalGateway(
        api,
        config["PAYPAL_WEBHOOK_ID"],
        config["PAYPAL_CLIENT_ID"],
        return_url=base_url + pages.RETURN_PATH,
        cancel_url=base_url + pages.CANCEL_PATH,
    )


def build_live(env):
    """PayPal, offered only once its client id, secret and webhook id are all set."""
    config = env.config
    if not (config["PAYPAL_CLIENT_ID"] and config["PAYPAL_CLIENT_SECRET"] and config["PAYPAL_WEBHOOK_ID"]):
        return None
    return _gateway(
        config,
        PayPalApi(
            config["PAYPAL_API_BASE"],
            config["PAYPAL_CLIENT_ID"],
            config["PAYPAL_CLIENT_SECRET"],
            config["GATEWAY_TIMEOUT_SECONDS"],
        ),
    )


def build_simulator(env):
    config = env.config
    approve_url = config["PUBLIC_BASE_URL"] + pages.SIMULATOR_APPROVE_PATH
    return _gateway(
        config,
        SimulatedPayPalApi(
            env.db, approve_url, config["PAYPAL_WEBHOOK_ID"], env.deliver_webhook, seed=config["SIMULATOR_SEED"]
        ),
    )


GATEWAY = GatewayEntry(
    name="paypal",
    label="PayPal",
    webhook_slug="paypal",
    build_live=build_live,
    build_simulator=build_simulator,
    # Its return pages pass the approved order on as `paypal_order_id`; verify captures it (once:
    # a second Pay on a credited top-up captures nothing).
    checkout_return=CheckoutReturn(order_id="paypal_order_id", match=("paypal_order_id",)),
    live_pages=pages.live_pages,
    simulator_pages=pages.simulator_pages,
    simulator_dashboard=PayPalDashboard,
    # The simulator finds the order a repeated PayPal-Request-Id made, a capture's order and a day's
    # captures; the refund a PayPal-Request-Id made (one each), a capture's refunds, the refunds left
    # PENDING and a day's COMPLETED refunds (both by status first).
    simulator_collections={
        COLLECTION: [([("request_id", 1)], {}), ([("capture.id", 1)], {}), (ORDERS_INDEX, {})],
        REFUNDS_COLLECTION: [([("request_id", 1)], {"unique": True}), ([("capture_id", 1)], {}), (REFUNDS_INDEX, {})],
    },
    settings={
        "PAYPAL_CLIENT_ID": "",
        "PAYPAL_CLIENT_SECRET": "",
        "PAYPAL_WEBHOOK_ID": "",
        "PAYPAL_API_BASE": "https://api-m.sandbox.paypal.com",
        **simulator_seed.SETTING,
    },
    simulator_settings={
        "PAYPAL_CLIENT_ID": DEV_PAYPAL_CLIENT_ID,
        "PAYPAL_CLIENT_SECRET": DEV_PAYPAL_CLIENT_SECRET,
        "PAYPAL_WEBHOOK_ID": DEV_PAYPAL_WEBHOOK_ID,
        **simulator_seed.DEV_SETTING,
    },
)
