"""How the service knows a gateway: one `GatewayEntry` each, listed in `registry.REGISTRY`.

Payment methods, webhook routes, rate-limit endpoints, browser pages, settings and the production
checks are all derived from the entries, so a new gateway is its adapter, its pages and one entry.
"""
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

WEBHOOK_BASE_PATH = "/api/integration/webhook"


@dataclass(frozen=True)
class GatewayEnv:
    """What a gateway is built from."""

    config: Mapping  # the app's configuration (settings filled in, see `GatewayEntry.settings`)
    db: Any  # the store, for simulators that keep state (a simulated gateway's own orders)
    deliver_webhook: Optional[Callable]  # (body, headers, wait=False): post to this gateway's webhook


def no_checkout_fields(body):
    return {}


@dataclass(frozen=True)
class GatewayEntry:
    name: str  # the `payment_method` value and the payment order's `gateway`
    webhook_slug: str  # POST /api/integration/webhook/<webhook_slug>
    build_live: Callable  # (GatewayEnv) -> adapter, or None when not configured (then not offered)
    build_simulator: Callable  # (GatewayEnv) -> adapter playing against the gateway's simulator
    # Verify's gateway-specific fields, read and validated from the request body (`confirm_checkout`).
    checkout_return_fields: Callable = no_checkout_fields
    live_pages: Optional[Callable] = None  # (PageContext) -> Blueprint, registered in live mode
    simulator_pages: Optional[Callable] = None  # (PageContext) -> Blueprint, in simulator mode
    settings: Mapping = field(default_factory=dict)  # configuration keys -> defaults
    simulator_settings: Mapping = field(default_factory=dict)  # development values in simulator mode
    required_in_production: tuple = ()  # settings APP_ENV=production refuses to start without

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
