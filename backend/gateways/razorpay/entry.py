"""Razorpay's registry entry: how it is built for live and simulator mode, its pages and simulator
dashboard, settings, the simulator's collection, and what the web page reads on the way back from
checkout."""

import datetime
import re

from ...errors import ConfigError
from ...money import CURRENCY_DECIMALS
from ...validation import require_id, signature_text
from ..entry import CheckoutReturn, GatewayEntry
from . import pages
from .adapter import RazorpayGateway
from .api import RazorpayApi
from .simulator import (
    DEV_RAZORPAY_KEY_ID,
    DEV_RAZORPAY_KEY_SECRET,
    DEV_RAZORPAY_WEBHOOK_SECRET,
    PAYMENTS_COLLECTION,
    REFUNDS_COLLECTION,
    SimulatedRazorpayApi,
)
from .simulator_books import BOOKS_INDEX
from .simulator_dashboard import RazorpayDashboard

KEYS = ("RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "RAZORPAY_WEBHOOK_SECRET")
SETTLEMENT_LAG_DAYS_MAX = 30
_LAG_DAYS = re.compile(r"[0-9]{1,2}")


def settlement_lag(config):
    """RAZORPAY_SETTLEMENT_LAG_DAYS: the account's settlement cycle in calendar days (default 2, Razorpay's
    T+2; 5 covers its T+2 working days, by India's date, over a weekend); ConfigError unless 1 to 30."""
    text = str(config["RAZORPAY_SETTLEMENT_LAG_DAYS"]).strip()
    if not _LAG_DAYS.fullmatch(text) or not 1 <= int(text) <= SETTLEMENT_LAG_DAYS_MAX:
        raise ConfigError(f"RAZORPAY_SETTLEMENT_LAG_DAYS must be a whole number from 1 to {SETTLEMENT_LAG_DAYS_MAX}.")
    return datetime.timedelta(days=int(text))


def _gateway(config, api, checkout_path, lag):
    gateway = RazorpayGateway(
        api,
        config["RAZORPAY_KEY_ID"],
        config["RAZORPAY_KEY_SECRET"],
        config["RAZORPAY_WEBHOOK_SECRET"],
        config["PUBLIC_BASE_URL"] + checkout_path,
    )
    gateway.settlement_lag = lag
    return gateway


def build_live(env):
    """Razorpay, offered only once its key id, key secret and webhook secret are all set, and neither
    secret is the simulator's published value: under an empty or published webhook secret anyone
    could sign a `payment.captured`."""
    config = env.config
    secrets = (config["RAZORPAY_KEY_SECRET"], config["RAZORPAY_WEBHOOK_SECRET"])
    if not all(config[key] for key in KEYS) or {DEV_RAZORPAY_KEY_SECRET, DEV_RAZORPAY_WEBHOOK_SECRET} & set(secrets):
        return None
    api = RazorpayApi(config["RAZORPAY_KEY_ID"], config["RAZORPAY_KEY_SECRET"], config["GATEWAY_TIMEOUT_SECONDS"])
    return _gateway(config, api, pages.LIVE_CHECKOUT_PATH, settlement_lag(config))


def build_simulator(env):
    config = env.config
    lag = settlement_lag(config)
    api = SimulatedRazorpayApi(
        env.db,
        config["RAZORPAY_WEBHOOK_SECRET"],
        env.deliver_webhook,
        currency=config["DEFAULT_CURRENCY"],
        credited=env.credited,
        paid_for=env.paid_for,
        lag_days=lag.days,  # it plays an account on that cycle
    )
    return _gateway(config, api, pages.SIMULATOR_CHECKOUT_PATH, lag)


def checkout_return_fields(body):
    return {"payment_id": require_id(body, "payment_id"), "signature": signature_text(body, "signature")}


GATEWAY = GatewayEntry(
    name="razorpay",
    label="Razorpay",
    # Rupees; RAZORPAY_CURRENCIES lists others once the account has international payments enabled.
    currencies=("INR",),
    currencies_setting="RAZORPAY_CURRENCIES",
    currencies_allowed=tuple(CURRENCY_DECIMALS),
    webhook_slug="razorpay",
    build_live=build_live,
    build_simulator=build_simulator,
    checkout_return_fields=checkout_return_fields,
    # Razorpay Checkout hands back its three signed values (no `payment_method`); a second Pay on
    # a credited top-up is a payment of its own, which adds nothing.
    checkout_return=CheckoutReturn(
        order_id="razorpay_order_id",
        match=("razorpay_order_id", "razorpay_payment_id"),
        verify_fields={"payment_id": "razorpay_payment_id", "signature": "razorpay_signature"},
        pay_again_charges=True,
    ),
    live_pages=pages.live_pages,
    simulator_pages=pages.simulator_pages,
    simulator_dashboard=RazorpayDashboard,
    # The simulator lists an order's payments, and a payment's refunds, newest first, as Razorpay
    # does (the sweep's look-up; find_refund). A refund's idempotency key is its document's `_id`.
    # Its settlement report reads a day's captured payments and processed refunds (BOOKS_INDEX).
    simulator_collections={
        PAYMENTS_COLLECTION: [([("order_id", 1), ("created_at", -1), ("_id", 1)], {}), (BOOKS_INDEX, {})],
        REFUNDS_COLLECTION: [([("payment_id", 1), ("created_at", -1), ("_id", 1)], {}), (BOOKS_INDEX, {})],
    },
    settings={**dict.fromkeys(KEYS, ""), "RAZORPAY_CURRENCIES": "", "RAZORPAY_SETTLEMENT_LAG_DAYS": "2"},
    simulator_settings=dict(
        zip(KEYS, (DEV_RAZORPAY_KEY_ID, DEV_RAZORPAY_KEY_SECRET, DEV_RAZORPAY_WEBHOOK_SECRET), strict=True)
    ),
    required_in_production=KEYS,
)
