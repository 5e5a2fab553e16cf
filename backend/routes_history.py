"""HTTP API under /api/integration, the reads: a customer's orders, ledger pages and CSV statement,
and the support view (admin). On `integration_bp`; each view validates input and answers JSON."""

from flask import Response, jsonify, request, stream_with_context

from . import history, support_view
from .auth import authorize_customer, require_admin, require_auth
from .errors import CustomerNotFound
from .http_context import customer_currency, default_currency, integration_service, reads
from .routes_integration import integration_bp
from .validation import check_id


@integration_bp.get("/orders")
@require_auth
def list_orders():
    """A customer's orders (`status` to narrow), a page at a time by order id."""
    args = request.args
    customer_id = check_id(args.get("customer_id"), "customer_id")
    authorize_customer(customer_id)
    limit = history.page_limit(args)
    status = history.order_status(args)
    after = history.after_order_id(args)
    page = history.orders_page(reads(), customer_id, limit, status, after)
    return jsonify(success=True, customer_id=customer_id, **page)


@integration_bp.get("/wallet/<customer_id>/transactions")
@require_auth
def list_transactions(customer_id):
    """The wallet's applied ledger entries, newest first, a page at a time (`before` = `next_before`)."""
    currency = customer_currency(customer_id)
    limit = history.page_limit(request.args)
    before = history.before_sequence(request.args)
    page = history.transactions_page(reads(), customer_id, currency, limit, before)
    return jsonify(success=True, customer_id=customer_id, currency=currency, **page)


@integration_bp.get("/wallet/<customer_id>/statement.csv")
@require_auth
def statement_csv(customer_id):
    """Every applied ledger entry of the wallet as CSV, newest first; money as decimal strings."""
    currency = customer_currency(customer_id)
    rows = history.statement(reads(), customer_id, currency)  # a store error before streaming: JSON 503
    filename = f"statement-{customer_id}-{currency}.csv".replace(":", "_")
    return Response(
        stream_with_context(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@integration_bp.get("/support/customers/<customer_id>")
@require_auth
def support_customer(customer_id):
    """Admin: one customer at a glance: balance, ledger, orders, gateway outcomes, audit entries
    (first pages); 404 `customer_not_found` when the service holds nothing of the customer."""
    require_admin()
    currency = customer_currency(customer_id)
    repositories = reads()
    if not support_view.customer_known(repositories, customer_id):
        raise CustomerNotFound()
    status = history.status_view(integration_service().get_integration_status(customer_id, currency))
    return jsonify(
        success=True,
        customer_id=customer_id,
        wallet=status["wallet"],
        statistics=status["statistics"],
        **history.transactions_page(repositories, customer_id, currency, support_view.SUPPORT_LIST_MAX),
        **history.orders_page(repositories, customer_id, support_view.SUPPORT_LIST_MAX),
        **support_view.support_audit(repositories, customer_id, default_currency()),
    )


def _support_audit_page(customer_id, name, keep=None):
    """Admin: a page of the customer's audit entries (those `keep` accepts) as `{<name>, next_before}`."""
    require_admin()
    check_id(customer_id, "customer_id")
    limit = history.page_limit(request.args, support_view.SUPPORT_LIST_MAX)
    before = support_view.audit_cursor(request.args)
    entries, next_before = support_view.audit_page(reads(), customer_id, limit, default_currency(), before, keep)
    return jsonify({"success": True, "customer_id": customer_id, name: entries, "next_before": next_before})


@integration_bp.get("/support/customers/<customer_id>/webhooks")
@require_auth
def support_webhooks(customer_id):
    """Admin: the customer's gateway outcomes, newest first, a page at a time (`before` = `next_before`)."""
    return _support_audit_page(customer_id, "webhooks", support_view.is_gateway_outcome)


@integration_bp.get("/support/customers/<customer_id>/audit")
@require_auth
def support_audit(customer_id):
    """Admin: the customer's audit entries, newest first, a page at a time (`before` = `next_before`)."""
    return _support_audit_page(customer_id, "audit")


@integration_bp.get("/support/customers/<customer_id>/reconcile")
@require_auth
def support_reconcile(customer_id):
    """Admin: the customer's wallets against their ledger, and their orders' refunds; read only."""
    require_admin()
    check_id(customer_id, "customer_id")
    drift = integration_service().reconcile(customer_id)
    return jsonify(success=True, customer_id=customer_id, clean=not drift, drift=drift)
