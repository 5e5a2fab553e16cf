"""HTTP API under /api/integration, the wallet's own money: withdrawals to the customer's top-ups
(SPEC §9), the limits that apply to top-ups, and orders authorised now and captured later (SPEC §10).
On `integration_bp`; each view validates input, calls one method of the wallet accounts
(`WalletAccounts`) and answers JSON."""

from flask import g, jsonify, request

from .auth import authorize_customer, require_admin, require_auth
from .clock import iso
from .errors import InvalidRequest
from .http_context import accounts_service, default_currency, idempotent, json_body, order_amount, wallet_currency
from .money import parse_amount_minor, to_major
from .routes_integration import integration_bp
from .validation import check_id, require_id
from .wallet_limits import KYC_LEVELS


@integration_bp.post("/wallet/withdraw")
@require_auth
def withdraw():
    """Refund money to the payment methods of the customer's own top-ups (SPEC §9): 202."""
    body = json_body()
    customer_id = require_id(body, "customer_id")
    authorize_customer(customer_id)
    service = accounts_service()
    currency = wallet_currency(body.get("currency"))
    amount_minor = parse_amount_minor(body.get("amount"), currency)

    def action(operation_id):
        withdrawal_id = f"wdr_{operation_id[:24]}" if operation_id else None
        withdrawal = service.withdraw(customer_id, amount_minor, withdrawal_id, currency)
        return dict(success=True, **_withdrawal_view(withdrawal)), 202

    return idempotent(body, action)


@integration_bp.get("/wallet/<customer_id>/withdrawable")
@require_auth
def withdrawable(customer_id):
    """What a withdrawal can take now: available money, what the top-ups can refund, the least of them."""
    check_id(customer_id, "customer_id")
    authorize_customer(customer_id)
    currency = wallet_currency(request.args.get("currency"))
    quote = accounts_service().withdrawable(customer_id, currency)
    return jsonify(
        success=True,
        customer_id=customer_id,
        currency=currency,
        **{name.removesuffix("_minor"): to_major(amount, currency) for name, amount in quote.items()},
    )


@integration_bp.get("/wallet/<customer_id>/limits")
@require_auth
def wallet_limits(customer_id):
    """The customer's level and the limits that apply, each with how much more can be topped up."""
    check_id(customer_id, "customer_id")
    authorize_customer(customer_id)
    level, rows = accounts_service().wallet_limits(customer_id)
    currency = default_currency()
    limits = [
        {
            "limit": row["limit"],
            "max": to_major(row["max_minor"], currency),
            "used": to_major(row["used_minor"], currency),
            "headroom": to_major(row["headroom_minor"], currency),
        }
        for row in rows
    ]
    return jsonify(success=True, customer_id=customer_id, currency=currency, kyc_level=level, limits=limits)


@integration_bp.put("/customers/<customer_id>/kyc-level")
@require_auth
def set_kyc_level(customer_id):
    """Admin: the customer's level (`minimum` | `full`), which picks the limits that apply."""
    require_admin()
    check_id(customer_id, "customer_id")
    level = json_body().get("kyc_level")
    if level not in KYC_LEVELS:
        raise InvalidRequest("`kyc_level` must be one of: minimum, full.")
    accounts_service().set_kyc_level(customer_id, level)
    return jsonify(success=True, customer_id=customer_id, kyc_level=level)


@integration_bp.get("/wallet/withdrawals/<withdrawal_id>")
@require_auth
def get_withdrawal(withdrawal_id):
    """A withdrawal and each of its refunds (the customer's own; an admin's any)."""
    check_id(withdrawal_id, "withdrawal_id")
    withdrawal = accounts_service().find_withdrawal(withdrawal_id)
    authorize_customer(withdrawal["customer_id"])
    return jsonify(success=True, **_withdrawal_view(withdrawal))


def _withdrawal_view(withdrawal):
    """A withdrawal (`Withdrawals.view`, minor units) as the API shows it."""
    currency = withdrawal["currency"]
    return {
        "withdrawal_id": withdrawal["withdrawal_id"],
        "customer_id": withdrawal["customer_id"],
        "status": withdrawal["status"],
        "amount": to_major(withdrawal["amount_minor"], currency),
        "currency": currency,
        "refunds": [
            {
                "gateway": part["gateway"],
                "payment_id": part["gateway_payment_id"],
                "payment_order_id": part["payment_order_id"],
                "amount": to_major(part["amount_minor"], currency),
                "status": part["status"],
            }
            for part in withdrawal["refunds"]
        ],
    }


# --- holds: authorise now, take later (SPEC §10) -----------------------------------------------
def _acting_customer():
    """None for an admin (any order), else the signed-in customer (their own orders only)."""
    return None if g.principal.role == "admin" else g.principal.sub


@integration_bp.post("/order/authorize")
@require_auth
def authorize_order():
    """Hold a pending order's amount in the wallet; the order becomes `authorized`."""
    body = json_body()
    order_id = require_id(body, "order_id")
    customer_id = require_id(body, "customer_id")
    authorize_customer(customer_id)
    amount_minor, currency = order_amount(body)
    service = accounts_service()

    def action(operation_id):
        held = service.authorize_order(order_id, customer_id, amount_minor, operation_id, currency)
        entry = held["entry"]
        available_minor = entry["balance_after_minor"] - entry["held_after_minor"]
        return {
            "success": True,
            "order_id": order_id,
            "hold_id": held["hold_id"],
            "amount": to_major(amount_minor, entry["currency"]),
            "available_balance": to_major(available_minor, entry["currency"]),
            "currency": entry["currency"],
            "expires_at": iso(held["expires_at"]),
        }, 200

    return idempotent(body, action)


@integration_bp.post("/order/capture")
@require_auth
def capture_order():
    """Take at most the held amount; the rest is released and the order is `paid` for what was taken."""
    body = json_body()
    order_id = require_id(body, "order_id")
    amount_minor, named_currency = order_amount(body)
    service = accounts_service()

    def action(operation_id):
        entry, released_minor = service.capture_order(
            order_id, amount_minor, _acting_customer(), named_currency, operation_id
        )
        currency = entry["currency"]
        return {
            "success": True,
            "order_id": order_id,
            "transaction_id": entry["_id"],
            "captured": to_major(entry["amount_minor"], currency),
            "released": to_major(released_minor, currency),
            "remaining_balance": to_major(entry["balance_after_minor"], currency),
            "currency": currency,
        }, 200

    return idempotent(body, action)


@integration_bp.post("/order/void")
@require_auth
def void_order():
    """Release the order's hold; the order is `pending` again."""
    body = json_body()
    order_id = require_id(body, "order_id")
    service = accounts_service()

    def action(operation_id):
        entry = service.void_order(order_id, _acting_customer(), operation_id)
        currency = entry["currency"]
        return {
            "success": True,
            "order_id": order_id,
            "payment_status": "pending",
            "released": to_major(entry["amount_minor"], currency),
            "available_balance": to_major(entry["balance_after_minor"] - entry["held_after_minor"], currency),
            "currency": currency,
        }, 200

    return idempotent(body, action)
