"""PayPal's registry entry: how it is built for live and simulator mode, its pages and simulator
dashboard, settings, the simulator's collection, and what the web page reads on the way back from
checkout."""

from .. import simulator_seed
from ..entry import CheckoutReturn, GatewayEntry
from . import pages
from .adapter import PayPalGateway
from .api import PayPalApi
from .certificates import load_trust_store
from .google_pay import google_pay_processor
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
    """PayPal, offered only once its client id, secret and webhook id are all set; `ConfigError` when
    PAYPAL_CERT_TRUST_STORE names no readable PEM bundle."""
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
            trust_store=load_trust_store(config["PAYPAL_CERT_TRUST_STORE"]),
        ),
    )


def build_google_pay_processor(env):
    """PayPal taking Google Pay's tokens (GOOGLE_PAY_PROCESSOR=paypal, live mode): None while PayPal
    itself is not configured."""
    return google_pay_processor(build_live(env), env.config["PAYPAL_API_BASE"])


def build_simulator(env):
    config = env.config
    approve_url = config["PUBLIC_BASE_URL"] + pages.SIMULATOR_APPROVE_PATH
    return _gateway(
        config,
        SimulatedPayPalApi(
            env.db,
            approve_url,
            config["PAYPAL_WEBHOOK_ID"],
            env.deliver_webhook,
            seed=config["SIMULATOR_SEED"],
            credited=env.credited,
        ),
    )


# PayPal's payment currencies (developer.paypal.com, "PayPal supported currencies"; wallets can hold those
# `backend.money` knows), and INR, which PayPal takes only for in-country India accounts and no longer
# for domestic Indian payments (docs/deployment.md, "Currencies").
CURRENCIES = (
    *("AUD", "BRL", "CAD", "CNY", "CZK", "DKK", "EUR", "HKD", "HUF", "ILS", "JPY", "MYR", "MXN", "TWD"),
    *("NZD", "NOK", "PHP", "PLN", "GBP", "SGD", "SEK", "CHF", "THB", "USD", "INR"),
)
# Google Pay through PayPal: PayPal's currencies without INR and those it takes only for in-country
# accounts (BRL, CNY, MYR); PayPal refuses at order creation any its Google Pay does not take.
GOOGLE_PAY_CURRENCIES = tuple(code for code in CURRENCIES if code not in ("INR", "BRL", "CNY", "MYR"))

GATEWAY = GatewayEntry(
    name="paypal",
    label="PayPal",
    currencies=CURRENCIES,
    currencies_setting="PAYPAL_CURRENCIES",  # those the merchant's PayPal account takes, e.g. USD
    webhook_slug="paypal",
    build_live=build_live,
    build_simulator=build_simulator,
    # Its return pages pass the approved order on as `paypal_order_id`; verify captures it (once:
    # a second Pay on a credited top-up captures nothing).
    checkout_return=CheckoutReturn(order_id="paypal_order_id", match=("paypal_order_id",)),
    live_pages=pages.live_pages,
    simulator_pages=pages.simulator_pages,
    simulator_dashboard=PayPalDashboard,
    processes={"google_pay": build_google_pay_processor},  # Google Pay's PAYMENT_GATEWAY tokens
    processes_currencies={"google_pay": GOOGLE_PAY_CURRENCIES},
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
        "PAYPAL_CURRENCIES": "",
        # A PEM bundle webhook certificates must chain to; empty: the bundled DigiCert Global Root G2
        # (certificates.py). Ignored in simulator mode, where the simulator's own root is the trust store.
        "PAYPAL_CERT_TRUST_STORE": "",
        **simulator_seed.SETTING,
    },
    simulator_settings={
        "PAYPAL_CLIENT_ID": DEV_PAYPAL_CLIENT_ID,
        "PAYPAL_CLIENT_SECRET": DEV_PAYPAL_CLIENT_SECRET,
        "PAYPAL_WEBHOOK_ID": DEV_PAYPAL_WEBHOOK_ID,
        **simulator_seed.DEV_SETTING,
    },
)
