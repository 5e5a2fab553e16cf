"""What a view needs of the app it runs in: the integration, the wallet accounts, the read views' repositories, the
default currency, a customer's currency for a history read (authorised), the request's JSON body,
and running a money POST once per `Idempotency-Key`."""

from flask import current_app, g, jsonify, request

from . import db as store
from . import history
from .auth import authorize_customer
from .idempotency import IdempotencyStore
from .validation import check_id, parse_json_object


def integration_service():
    """The `WalletPaymentIntegration` wired by `create_app`."""
    return current_app.extensions["integration"]


def accounts_service():
    """The `WalletAccounts` (holds, withdrawals, limits) wired by `create_app`."""
    return current_app.extensions["accounts"]


def reads():
    """The read views' repositories (`history.Reads`), wired by `create_app`."""
    return current_app.extensions["reads"]


def default_currency():
    return current_app.config["DEFAULT_CURRENCY"]


def customer_currency(customer_id):
    """The currency of a read of `customer_id`'s history (`?currency=`, else the default), once the
    id is valid and the caller may read it."""
    check_id(customer_id, "customer_id")
    authorize_customer(customer_id)
    return history.currency(request.args, default_currency())


def json_body():
    """The request's body as a JSON object (InvalidRequest otherwise)."""
    return parse_json_object(request.get_data(cache=True))


def idempotent(body, action):
    """Run a money POST once per `Idempotency-Key` (when the client sends one)."""
    idempotency = IdempotencyStore(store.get_db(), current_app.config["RECOVERY_GRACE_SECONDS"])
    scope = f"{g.principal.sub}\n{request.path}"
    payload, status_code = idempotency.run(scope, request.headers.get("Idempotency-Key"), body, action)
    return jsonify(payload), status_code
