"""Wires the HTTP side: blueprints, JSON errors, CORS and the built web page; serves the app."""

import logging
import os
import re

from flask import jsonify, request, send_from_directory
from flask_cors import CORS
from pymongo.errors import PyMongoError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import PathConverter

from . import (
    routes_history,  # noqa: F401 (its views register on integration_bp)
    routes_settlements,  # noqa: F401 (its views register on integration_bp)
    routes_wallet,  # noqa: F401 (its views register on integration_bp)
)
from .errors import IntegrationError, StoreUnavailable, error_body
from .gateways import simulator_dashboard
from .gateways.checkout import PageContext
from .gateways.registry import gateway_registry
from .routes_integration import integration_bp

logger = logging.getLogger("integration")
refusals = logging.getLogger("integration.http")
# A path is the caller's text: a line break in it (`%0A`) would forge a log line of its own.
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
PATH_LOGGED_MAX = 300
WEB_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "frontend", "dist")
HTTP_CODES = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    414: "uri_too_long",
    429: "rate_limited",
    431: "request_headers_too_large",
}
HTTP_MESSAGES = {
    404: "No such endpoint.",
    413: "The request body is larger than 1 MiB.",
    414: "The request target (path and query) is longer than 4 KiB.",
    429: "Too many requests; wait a moment and try again.",
    431: "The request headers are too large: at most 8 KiB per field, 16 KiB in all, 64 fields.",
}
INTERNAL_ERROR_MESSAGE = "Something went wrong on our side. Retrying with the same Idempotency-Key is safe."


class WebPathConverter(PathConverter):
    """A web page path: never under /api/, /simulator/ or /checkout/, which answer 404/405 themselves."""

    regex = r"(?!(?:api|simulator|checkout)(?:/|$))[^/].*?"


def register(app, integration, delivery):
    """Register the blueprints and handlers on `app`; the gateways' pages get `integration`'s
    gateways and payment orders, and `delivery` to post to their webhooks."""
    app.url_map.converters["web_path"] = WebPathConverter
    # A path with `//` is no path of ours: a JSON 404, never Werkzeug's HTML redirect to the merged
    # path (built from the request's Host header). Set before any rule is added: each rule takes it then.
    app.url_map.merge_slashes = False
    app.register_blueprint(integration_bp)
    register_gateway_pages(app, integration, delivery)
    register_cors(app)
    register_error_handlers(app)
    register_web_page(app)


def register_cors(app):
    """flask-cors on /api/*. With origins listed (no wildcard), it answers a request that carries
    no `Origin` header (a gateway's webhook, a server's call, a same-origin GET) with no header at
    all, after matching its path and options: such a request skips it."""
    origins = cors_origins(app.config)
    CORS(
        app,
        resources={r"/api/*": {"origins": origins}},
        expose_headers=["Idempotency-Key"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
    )
    if origins == "*":
        return  # a wildcard is sent whether or not the request says its origin
    cors_after_request = app.after_request_funcs[None].pop()

    @app.after_request
    def cors_when_asked(response):
        return cors_after_request(response) if "Origin" in request.headers else response


def cors_origins(config):
    """CORS_ORIGINS for flask-cors, each matched exactly (any case) and only: flask-cors reads an
    origin with `*`, `?`, `(`... as a regular expression matched at the start, so
    `https://*.shop.example.com` would let `https://xshop.example.com.evil.net` in. Unset (or a
    lone `*`) outside production: any origin; unset in production: none."""
    origins = config["CORS_ORIGINS"]
    if config["APP_ENV"] != "production" and (not origins or origins == ["*"]):
        return "*"
    return [re.compile(re.escape(origin) + r"\Z", re.IGNORECASE) for origin in origins]


def register_gateway_pages(app, integration, delivery):
    """Each of the app's gateways' pages for this mode: live checkout pages or its simulator's; in
    simulator mode, the simulated gateways' dashboards too."""
    mode = app.config["GATEWAY_MODE"]
    registry = gateway_registry(app.config)
    if mode == "simulator":
        boards = simulator_dashboard.dashboards(registry, integration.payments)
        app.register_blueprint(simulator_dashboard.dashboard_pages(boards))
    for entry in registry:
        pages = entry.pages(mode)
        if pages is not None:
            context = PageContext(
                gateway_name=entry.name,
                payments=integration.payments,
                payment_orders=integration.payment_orders,
                config=app.config,
                webhook_path=entry.webhook_path,
                deliver_webhook=delivery.to(entry),
            )
            app.register_blueprint(pages(context))


def error_response(status, code, message):
    """Every error has this one JSON shape."""
    return jsonify(error_body(code, message)), status


def refused(request, status, code, message):
    """One log line per request the service refused or could not serve: why a payment or refund was
    refused is otherwise in no log (an audit entry is kept of what moved money, and of webhooks).
    A gateway or store not answering is a WARNING; a rate limit's 429, which a flood repeats, DEBUG."""
    level = logging.WARNING if status >= 500 else logging.DEBUG if status == 429 else logging.INFO
    path = UNPRINTABLE.sub(lambda found: f"\\x{ord(found.group()):02x}", request.path[:PATH_LOGGED_MAX])
    refusals.log(level, "%s %s refused: %d %s (%s)", request.method, path, status, code, message)


def register_error_handlers(app):
    @app.errorhandler(IntegrationError)
    def integration_error(error):
        refused(request, error.http_status, error.code, error.message)
        response = jsonify(error_body(error.code, error.message, **error.details))
        if error.http_status == 401:  # RFC 6750 §3: the scheme to use, and why a token sent was refused
            response.headers["WWW-Authenticate"] = (
                'Bearer error="invalid_token"' if error.code != "unauthorized" else "Bearer"
            )
        return response, error.http_status

    @app.errorhandler(HTTPException)
    def http_error(error):
        code = HTTP_CODES.get(error.code, "http_error")
        message = HTTP_MESSAGES.get(error.code, error.description)
        refused(request, error.code, code, message)
        response, status = error_response(error.code, code, message)
        allowed = getattr(error, "valid_methods", None)  # a 405 says which methods the path takes
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
        return response, status

    @app.errorhandler(PyMongoError)
    def store_error(error):
        logger.error("store error: %s", type(error).__name__)
        return error_response(503, StoreUnavailable.code, StoreUnavailable().message)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        logger.exception("unexpected error")
        return error_response(500, "internal_error", INTERNAL_ERROR_MESSAGE)


def register_web_page(app):
    """Serve the built React page (frontend/dist) at `/` when it has been built."""

    @app.get("/")
    @app.get("/<web_path:path>")
    def web_page(path="index.html"):
        if not os.path.isdir(WEB_ROOT):
            return error_response(404, "not_found", "The web page is not built; run `make run`.")
        if not os.path.isfile(os.path.join(WEB_ROOT, path)):
            path = "index.html"
        return send_from_directory(WEB_ROOT, path)
