"""HTTP API under /api/integration: each view validates input, calls the integration, answers JSON.
The history and support views (`routes_history`) are on the same blueprint."""

from flask import Blueprint, current_app, jsonify, request
from pymongo.errors import PyMongoError

from . import db as store
from . import history
from .auth import authorize_customer, require_admin, require_auth
from .backlog import backlog
from .clock import iso, utcnow
from .currencies import check_gateway_takes
from .errors import InvalidRequest, StoreUnavailable, error_body
from .gateways.registry import gateway_registry
from .http_context import (
    idempotent,
    integration_service,
    json_body,
    keyed,
    order_amount,
    reads,
    topup_currency,
    wallet_currency,
)
from .money import parse_amount_minor, to_major
from .validation import check_id, optional_reason, payment_method, require_id
from .wallet_figures import balance_once_repaid
from .worker import last_heartbeat

integration_bp = Blueprint("integration", __name__, url_prefix="/api/integration")
SERVICE_NAME = "wallet-payment-integration"

__all__ = ["integration_bp", "require_auth", "_get_integration_service"]


def _get_integration_service():
    """The `WalletPaymentIntegration` wired by `create_app`."""
    return integration_service()


@integration_bp.post("/wallet/topup/initiate")
@require_auth
def initiate_wallet_topup():
    body = json_body()
    customer_id = require_id(body, "customer_id")
    authorize_customer(customer_id)
    registry = gateway_registry(current_app.config)
    method = payment_method(body, registry.names())
    service = _get_integration_service()
    currency = topup_currency(body.get("currency"))
    amount_minor = parse_amount_minor(body.get("amount"), currency)
    reads().payments.gateway(method)  # a gateway not offered here is refused before anything is kept
    check_gateway_takes(method, registry.get(method).takes(current_app.config), currency)

    def action(operation_id):
        result = service.initiate_wallet_topup_payment(customer_id, amount_minor, method, currency, operation_id)
        result["amount"] = to_major(result.pop("amount_minor"), result["currency"])
        return dict(success=True, **result), 200

    return idempotent(body, action)


@integration_bp.post("/wallet/topup/verify")
@require_auth
def verify_wallet_topup():
    body = json_body()
    method = payment_method(body, gateway_registry(current_app.config).names())
    order_id = require_id(body, "order_id")
    fields = gateway_registry(current_app.config).get(method).checkout_return_fields(body)
    service = _get_integration_service()
    payment_order = service.find_payment_order(order_id)
    authorize_customer(payment_order.customer_id)
    if payment_order.gateway != method:
        raise InvalidRequest("`payment_method` does not match the payment order's gateway.")
    wallet, credited_by_this_payment, second_payment = service.verify_wallet_topup(payment_order, fields)
    message = "Payment verified; wallet credited."
    if second_payment is not None:
        message = (
            "This top-up was already credited by an earlier payment, so nothing more was added; "
            "this second payment is being refunded to you."
        )
    elif not credited_by_this_payment:
        message = "Payment verified; this top-up was already credited earlier, so nothing more was added."
    # Added fields (the first four are the contract's): which top-up, its amount, and whether its
    # credit came earlier (from another payment, or before this return): this one added nothing;
    # a second payment's refund status when this return was one.
    extra = {} if second_payment is None else {"second_payment_refund": second_payment}
    return jsonify(
        success=True,
        message=message,
        wallet_balance=to_major(wallet["balance_minor"], wallet["currency"]),
        currency=wallet["currency"],
        payment_order_id=payment_order.id,
        topup_status=history.CREDITED,
        amount=to_major(payment_order.amount_minor, payment_order.currency),
        already_credited=not credited_by_this_payment,
        **extra,
    )


@integration_bp.get("/wallet/topup/<payment_order_id>/status")
@require_auth
def topup_status(payment_order_id):
    """What happened to a top-up: credited (from the ledger), pending, failed or expired."""
    check_id(payment_order_id, "payment_order_id")
    service = _get_integration_service()
    payment_order = service.find_payment_order(payment_order_id)
    authorize_customer(payment_order.customer_id)
    return jsonify(success=True, **history.topup_view(reads(), payment_order))


@integration_bp.post("/order/pay-with-wallet")
@require_auth
def pay_order_with_wallet():
    body = json_body()
    order_id = require_id(body, "order_id")
    customer_id = require_id(body, "customer_id")
    authorize_customer(customer_id)
    service = _get_integration_service()
    amount_minor, currency = order_amount(body)

    def action(operation):
        entry = service.link_payment_to_order(order_id, customer_id, amount_minor, operation, currency)
        return {
            "success": True,
            "transaction_id": entry["_id"],
            "remaining_balance": to_major(entry["balance_after_minor"], entry["currency"]),
            "currency": entry["currency"],
        }, 200

    return keyed(body, action)  # the ledger keeps the key: its debit answers a repeat


@integration_bp.post("/order/refund-to-wallet")
@require_auth
def refund_order_to_wallet():
    require_admin()  # before the body: a customer is told 403 whatever it sent
    body = json_body()
    order_id = require_id(body, "order_id")
    customer_id = require_id(body, "customer_id")
    reason = optional_reason(body)
    service = _get_integration_service()
    amount_minor, currency = order_amount(body)

    def action(operation):
        entry = service.process_refund_to_wallet(
            order_id, customer_id, amount_minor, reason, refund_id=operation, currency=currency
        )
        return {
            "success": True,
            "transaction_id": entry["_id"],
            "new_balance": to_major(balance_once_repaid(entry), entry["currency"]),  # a debt is paid first
            "currency": entry["currency"],
        }, 200

    return keyed(body, action)  # the ledger keeps the key: its credit answers a repeat


def gateway_webhook(gateway):
    """A gateway's webhook: no JWT; the gateway's signature is checked over the raw body."""
    _get_integration_service().process_payment_webhook(gateway, request.get_data(cache=True), request.headers)
    return jsonify(success=True)


@integration_bp.record
def _add_webhook_routes(state):
    """POST /webhook/<slug> for each of the app's gateways (GATEWAY_PACKAGES), each its own
    endpoint (`<name>_webhook`)."""
    for entry in gateway_registry(state.app.config):
        state.add_url_rule(
            f"/webhook/{entry.webhook_slug}",
            entry.webhook_endpoint,
            gateway_webhook,
            methods=["POST"],
            defaults={"gateway": entry.name},
        )


@integration_bp.get("/status/<customer_id>")
@require_auth
def integration_status(customer_id):
    check_id(customer_id, "customer_id")
    authorize_customer(customer_id)
    currency = wallet_currency(request.args.get("currency"))
    status = _get_integration_service().get_integration_status(customer_id, currency)
    return jsonify(success=True, **history.status_view(status))


@integration_bp.get("/gateways")
def gateways():
    """No auth: the gateways offered here, in the order to offer them, each with what the web page
    needs to offer it and to read the customer's return from its checkout (its registry entry), and
    in simulator mode what its simulator dashboard offers."""
    adapters, config = reads().payments.gateways, current_app.config
    return jsonify(
        success=True,
        currencies=list(config["SUPPORTED_CURRENCIES"]),  # the default one first
        gateways=[
            dict(entry.describe(config), settlement=hasattr(adapters[entry.name], "settlement_report"))
            for entry in gateway_registry(config)
            if entry.name in adapters
        ],
    )


@integration_bp.get("/health")
def health():
    config = current_app.config
    body = {
        "service": SERVICE_NAME,
        "timestamp": iso(utcnow()),
        "features": {
            "gateways": history.gateway_names(reads()),
            "gateway_mode": config["GATEWAY_MODE"],
            "store": "embedded" if config["EMBEDDED_STORE"] else "mongodb",
            "idempotency_keys": True,
            "webhook_signatures": True,
        },
    }
    database = store.get_db()
    # The reads of what `features` shows are the store's check too (no ping: one round trip fewer):
    # any of them failing is 503. The worker's backlog comes with its heartbeat while it is fresh
    # (backend/backlog.py). Inside `features`: the top level keeps the contract's four keys.
    try:
        heartbeat = last_heartbeat(database)
        left = backlog(database, heartbeat, config["SWEEP_STALE_AFTER_SECONDS"], utcnow())
    except (PyMongoError, OSError):
        error = StoreUnavailable()
        body.update(status="unavailable", **error_body(error.code, error.message))
        return jsonify(body), 503
    body["features"]["worker"] = {"last_heartbeat_age_seconds": heartbeat and heartbeat["age_seconds"]}
    body["features"]["sweep"] = {"waiting": left["sweep_waiting"]}
    body["features"]["holds"] = {"expired": left["holds_expired"]}  # holds the worker has not released yet
    embedded = store.check_embedded_store(database)  # None on MongoDB; a cached count on the embedded store
    if embedded is not None:
        body["features"]["embedded_store"] = embedded
    return jsonify(status="ok", **body)
