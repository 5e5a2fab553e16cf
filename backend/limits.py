"""Rate limits per client address (429 `rate_limited`), off when TESTING unless asked for.

Counters live in `RATE_LIMIT_STORAGE_URI` (`memory://` is per process; use `redis://...` to
share them between the workers of a production deployment).
"""

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from .gateways.registry import gateway_registry

MONEY_ENDPOINTS = {
    "integration.initiate_wallet_topup",
    "integration.verify_wallet_topup",
    "integration.pay_order_with_wallet",
    "integration.refund_order_to_wallet",
    "integration.withdraw",
    "integration.authorize_order",
    "integration.capture_order",
    "integration.void_order",
}
MONEY_LIMIT = "30 per minute"
WEBHOOK_LIMIT = "600 per minute"
DEFAULT_LIMIT = "300 per minute"


def webhook_endpoints(config):
    """Every webhook endpoint of `config`'s gateways."""
    return {f"integration.{entry.webhook_endpoint}" for entry in gateway_registry(config)}


def init_limits(app):
    """Bind a limiter to `app`; each endpoint counts separately per client address."""
    webhooks = webhook_endpoints(app.config)

    def limit_for_endpoint():
        if request.endpoint in MONEY_ENDPOINTS:
            return MONEY_LIMIT
        if request.endpoint in webhooks:
            return WEBHOOK_LIMIT
        return DEFAULT_LIMIT

    return Limiter(
        get_remote_address,
        app=app,
        default_limits=[limit_for_endpoint],
        storage_uri=app.config["RATE_LIMIT_STORAGE_URI"],
        enabled=app.config["RATE_LIMITS_ENABLED"],
        headers_enabled=True,
    )
