"""Wallet <-> payment gateway integration service: `create_app(test_config=None)` builds the app."""

import logging

from flask import Flask, request
from pymongo.errors import ConnectionFailure
from werkzeug.middleware.proxy_fix import ProxyFix

from . import db as store
from . import http_headers, http_limits
from .audit import AuditLog
from .auth import current_actor
from .config import DEV_JWT_SECRET, load_config
from .demo import seed_demo_data
from .gateways.delivery import Delivery
from .history import Reads
from .http_json import JSONProvider
from .idempotency import IdempotencyStore
from .limits import init_limits
from .logging_setup import configure_logging
from .metrics import Metrics
from .notifications import Outbox, sender_from_config
from .payment_service import PaymentService
from .server import register
from .wallet_accounts import WalletAccounts
from .wallet_limits import limits_from_config
from .wallet_payment_integration import WalletPaymentIntegration
from .wallet_service import WalletService

BODY_SIZE_MAX_BYTES = 1024 * 1024
STORE_FREE_ENDPOINTS = ("integration.health", "metrics")  # they answer a store that is down themselves
STORE_RETRY_SECONDS = 5
logger = logging.getLogger("integration")


def create_app(test_config=None):
    """Build the app from the environment, overridden by the `test_config` mapping. It only wires:
    nothing is written but the indexes (`prepare_store` seeds and recovers)."""
    config = load_config(test_config)
    configure_logging(config["LOG_FILE"], config["LOG_FORMAT"])
    app = Flask(__name__, static_folder=None)
    app.config.update(config)
    app.config["MAX_CONTENT_LENGTH"] = BODY_SIZE_MAX_BYTES
    http_headers.init_app(app)  # first: its after-request hook runs last
    http_limits.init_app(app)
    proxies = int(config["TRUSTED_PROXY_COUNT"])
    if proxies:  # behind a reverse proxy: take the client address from X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    app.json = JSONProvider(app)
    store.init_app(app)
    database = app.extensions["wallet_db"]
    open_store(app, database, config)
    metrics = app.extensions["metrics"] = Metrics()
    delivery = Delivery(app)
    integration = build_integration(app.config, database, metrics, delivery)
    app.extensions["integration"] = integration
    app.extensions["accounts"] = WalletAccounts(integration)
    app.extensions["idempotency"] = IdempotencyStore(database, config["RECOVERY_GRACE_SECONDS"])
    app.extensions["reads"] = Reads(
        integration.wallet,
        integration.history,
        integration.orders,
        integration.payment_orders,
        integration.audit,
        integration.payments,
        integration.settlement.books,
    )
    register(app, integration, delivery)
    metrics.init_app(app)
    init_limits(app)
    return app


def open_store(app, database, config):
    """Create the indexes (the money rules depend on their unique keys). A store that does not answer
    now leaves them to `store_ready`: the first request that needs the store makes them, answering
    503 `store_unavailable` until it can, so the process starts and /health says `unavailable`
    instead of the process dying."""
    try:
        store.ensure_indexes(database, config)
    except ConnectionFailure as error:  # unreachable; any other refusal (an index conflict) stops the start
        logger.error("the store did not answer at start-up (%s): indexes are made when it does", type(error).__name__)
        app.extensions["indexes_pending"] = True
        app.before_request(lambda: None if request.endpoint in STORE_FREE_ENDPOINTS else store_ready(app))


def store_ready(app):
    """Make the indexes start-up could not make; a PyMongoError (the app's 503 `store_unavailable`)
    while the store still does not answer. The worker and the commands call it before their work."""
    if app.extensions.get("indexes_pending"):
        store.ensure_indexes(app.extensions["wallet_db"], app.config)
        app.extensions["indexes_pending"] = False


def prepare_store(app):
    """What `python -m backend` (serve) and its worker do once before they start, and a web process
    under gunicorn never does (create_app only wires): seed the demo data when configured, run
    recovery when RECOVER_ON_START, and check the embedded store's size (README)."""
    store_ready(app)
    config, database = app.config, app.extensions["wallet_db"]
    if config["SEED_DEMO_DATA"]:
        seed_demo_data(database, config["DEFAULT_CURRENCY"])
    if config["RECOVER_ON_START"]:
        report = app.extensions["integration"].recover(config["RECOVERY_GRACE_SECONDS"])
        if report["interrupted"]:
            logger.warning("recovery at start-up finished interrupted operations: %s", report)
    store.check_embedded_store(database, starting=True)


def prepare_store_when_up(app, stop=None, retry_seconds=STORE_RETRY_SECONDS):
    """`prepare_store`, tried again every `retry_seconds` while the store does not answer: True once
    done; False when `stop` (a threading.Event) is set first, or at once without one. A worker starts
    so, as a web process starts while the store is down (`open_store`)."""
    while True:
        try:
            prepare_store(app)
            return True
        except ConnectionFailure as error:
            logger.error(
                "the store does not answer (%s): the worker's start-up work (indexes, seeding, recovery) "
                "waits until it does, tried every %g s",
                type(error).__name__,
                retry_seconds,
            )
        if stop is None or stop.wait(retry_seconds):
            return False


def warn_about_setup(config):
    """Log (WARNING) what makes this instance unfit for real customers, whichever server runs it:
    `python -m backend` (serve) and gunicorn's backend/wsgi.py both call this. Never logs the secret itself."""
    if config["EMBEDDED_STORE"]:
        logger.warning(
            "EMBEDDED STORE (mongomock): data lives in this process only and is LOST when it "
            "stops. Set MONGODB_URI=mongodb://... for a real database."
        )
    if config["JWT_SECRET"] == DEV_JWT_SECRET:
        logger.warning(
            "JWT_SECRET is the development default: anyone can sign tokens for this instance; "
            "never use it in production. Set JWT_SECRET to a random string of 32+ characters."
        )


def build_integration(config, database, metrics, delivery):
    """Wire the real collaborators."""
    return WalletPaymentIntegration(
        WalletService(database),
        PaymentService.from_config(config, database, delivery),
        database,
        currency=config["DEFAULT_CURRENCY"],
        outbox=Outbox(database, sender_from_config(config)),
        audit=AuditLog(
            database, on_record=metrics.audit_event, request_id=http_headers.current_request_id, actor=current_actor
        ),
        withdraw_days=config["WITHDRAW_WINDOW_DAYS"],
        limits_minor=limits_from_config(config),
        hold_ttl_seconds=config["HOLD_TTL_SECONDS"],
        open_top_up_seconds=config["SWEEP_EXPIRE_AFTER_SECONDS"],
    )
