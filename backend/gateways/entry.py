"""How the service knows a gateway: one `GatewayEntry`, the `GATEWAY` of its package's `entry` module.

A gateway is one package (`backend/gateways/<name>/`, or any importable package GATEWAY_PACKAGES
names): adapter, API client, simulator, pages and entry. Payment methods, webhook routes, rate-limit
endpoints, pages, settings, production checks, the simulator's collections and indexes, and what
the web page is told (GET /api/integration/gateways) all come from the entries (`registry.py`).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError

WEBHOOK_BASE_PATH = "/api/integration/webhook"
# How the web page finishes a return from checkout (`CheckoutReturn.confirm`).
VERIFY = "verify"  # it calls verify with the return's fields
AWAIT_CREDIT = "await_credit"  # the checkout page sent the payment itself: it waits for the credit


@dataclass(frozen=True)
class GatewayEnv:
    """What a gateway is built from."""

    config: Mapping  # the app's configuration (settings filled in, see `GatewayEntry.settings`)
    db: Any  # the store, for simulators that keep state (a simulated gateway's own orders)
    deliver_webhook: Callable | None  # (body, headers, wait=False): post to this gateway's webhook
    # (gateway name, start, end, limit) -> [(PaymentOrder, paid_at)]: the top-ups the service credited
    # through that gateway in [start, end) (naive UTC). A simulator's books hold each as its own (SPEC §9).
    credited: Callable | None = None
    # (gateway name, payment id) -> the PaymentOrder that payment credited (or, given back, paid for:
    # `payment_service.paid_for`), or None: a simulator refunds and disputes a payment it never made
    # (signed by hand) as that top-up's (SPEC §9).
    paid_for: Callable | None = None


def no_checkout_fields(body):
    return {}


@dataclass(frozen=True)
class CheckoutReturn:
    """What the gateway's checkout appends to the web page's return URL (CHECKOUT_RETURN_URL), and
    how the page finishes it. A return is this gateway's when its `payment_method` is the gateway's
    name or, without one, when any of `match` is there; `payment_error` says it failed."""

    order_id: str = "payment_order_id"  # the parameter naming the payment order
    match: tuple = ()  # parameters that make it this gateway's return without `payment_method`
    verify_fields: Mapping = field(default_factory=dict)  # verify's body field -> the parameter holding it
    confirm: str = VERIFY  # VERIFY or AWAIT_CREDIT
    # Pay again on a credited top-up's checkout makes another payment (which adds nothing).
    pay_again_charges: bool = False

    def describe(self):
        """As GET /api/integration/gateways gives it to the web page."""
        return {
            "order_id": self.order_id,
            "match": list(self.match),
            "verify_fields": dict(self.verify_fields),
            "confirm": self.confirm,
            "pay_again_charges": self.pay_again_charges,
        }


@dataclass(frozen=True)
class GatewayEntry:
    name: str  # the `payment_method` value and the payment order's `gateway`
    webhook_slug: str  # POST /api/integration/webhook/<webhook_slug>
    build_live: Callable  # (GatewayEnv) -> adapter, or None when not configured (then not offered)
    build_simulator: Callable  # (GatewayEnv) -> adapter playing against the gateway's simulator
    label: str = ""  # how the web page names it (the name when empty)
    # The top-up currencies it takes (ISO codes), or a function of the configuration giving them (one
    # whose processor decides); offered only when it takes one of SUPPORTED_CURRENCIES.
    currencies: tuple | Callable = ()
    # A setting that, when set, lists the currencies it takes instead (a comma list, each one of
    # `currencies_allowed`: the account's own, e.g. PAYPAL_CURRENCIES=USD), and what it may list
    # (empty: only `currencies`).
    currencies_setting: str = ""
    currencies_allowed: tuple = ()
    # Verify's gateway-specific fields, read and validated from the request body (`confirm_checkout`).
    checkout_return_fields: Callable = no_checkout_fields
    checkout_return: CheckoutReturn = CheckoutReturn()  # what the web page reads on the way back
    live_pages: Callable | None = None  # (PageContext) -> Blueprint, registered in live mode
    simulator_pages: Callable | None = None  # (PageContext) -> Blueprint, in simulator mode
    # Its own side after the credit, played by hand in simulator mode: a class taking the simulator
    # mode adapter, with refund/open_dispute/resolve_dispute and `reverse` if it reverses payments
    # (`simulator_dashboard.py`); None: no dashboard.
    simulator_dashboard: Callable | None = None
    # What its simulator keeps in the store: collection -> [(index keys, options)], created in
    # simulator mode (`backend.db.ensure_indexes`), left unsharded (`backend.sharding`).
    simulator_collections: Mapping = field(default_factory=dict)
    settings: Mapping = field(default_factory=dict)  # configuration keys -> defaults
    simulator_settings: Mapping = field(default_factory=dict)  # development values in simulator mode
    required_in_production: tuple = ()  # settings APP_ENV=production refuses to start without
    # What it processes for other gateways: {their name: (GatewayEnv) -> a processor, or None when it
    # is not configured}; e.g. PayPal takes Google Pay's tokens (`GatewayRegistry.processor`).
    processes: Mapping = field(default_factory=dict)
    # The currencies it takes for each gateway it processes ({their name: (ISO codes)}).
    processes_currencies: Mapping = field(default_factory=dict)

    @property
    def webhook_path(self):
        return f"{WEBHOOK_BASE_PATH}/{self.webhook_slug}"

    @property
    def webhook_endpoint(self):
        """The Flask endpoint of its webhook route (rate limits and metrics key on it)."""
        return f"{self.name}_webhook"

    def build(self, env, mode):
        """The adapter for `mode` (`live` or `simulator`), or None when not offered."""
        return (self.build_simulator if mode == "simulator" else self.build_live)(env)

    def pages(self, mode):
        return self.simulator_pages if mode == "simulator" else self.live_pages

    def takes(self, config):
        """The currencies of SUPPORTED_CURRENCIES it takes under `config`, in that order; ConfigError
        when its currencies setting lists one it cannot take."""
        own = self.currencies(config) if callable(self.currencies) else self.currencies
        listed = [code.strip() for code in str(config.get(self.currencies_setting) or "").split(",") if code.strip()]
        if listed:
            allowed = self.currencies_allowed or own
            wrong = [code for code in listed if code not in allowed]
            if wrong:
                raise ConfigError(
                    f"{self.currencies_setting} lists {wrong[0][:12]!r}, which {self.label or self.name} does not "
                    f"take here: list some of {', '.join(allowed)}."
                )
            own = tuple(listed)
        return tuple(code for code in config["SUPPORTED_CURRENCIES"] if code in own)

    def describe(self, config):
        """What the web page is told of it (GET /api/integration/gateways) under `config`: the
        currencies it takes here; in simulator mode, what its dashboard offers when it has one."""
        mode = config["GATEWAY_MODE"]
        description = {
            "name": self.name,
            "label": self.label or self.name,
            "currencies": list(self.takes(config)),
            "checkout_return": self.checkout_return.describe(),
        }
        if mode == "simulator" and self.simulator_dashboard is not None:
            description["simulator_dashboard"] = {
                "refund": True,
                "reverse": callable(getattr(self.simulator_dashboard, "reverse", None)),
                "dispute": True,
            }
        return description
