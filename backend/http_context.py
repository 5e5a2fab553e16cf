"""What a view needs of the app it runs in: the integration, the wallet accounts, the read views' repositories, the
default currency, a customer's currency for a history read (authorised), the request's JSON body,
and running a money POST once per `Idempotency-Key`."""

from flask import current_app, g, jsonify, request

from .auth import authorize_customer
from .currencies import requested_currency
from .money import CURRENCY_DECIMALS, parse_amount_minor
from .validation import check_field_names, check_id, parse_json_object


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


def topup_currency(value):
    """A top-up's `currency`: one of SUPPORTED_CURRENCIES, the default one when None; InvalidRequest
    otherwise."""
    return requested_currency(value, current_app.config["SUPPORTED_CURRENCIES"], default_currency())


def order_amount(body):
    """(amount in minor units, the currency it was read in or None): a request about an order reads
    its `amount` in its `currency` when named (any a wallet can hold), else in the default one."""
    named = body.get("currency")
    if named is not None:
        named = wallet_currency(named)
    return parse_amount_minor(body.get("amount"), named or default_currency()), named


def wallet_currency(value):
    """The currency of a wallet read (`?currency=`): any currency a wallet can hold, since a wallet
    outlives its currency's removal from SUPPORTED_CURRENCIES; the default one when None."""
    return requested_currency(value, tuple(CURRENCY_DECIMALS), default_currency())


def customer_currency(customer_id):
    """The currency of a read of `customer_id`'s history (`?currency=`, else the default), once the
    id is valid and the caller may read it."""
    check_id(customer_id, "customer_id")
    authorize_customer(customer_id)
    return wallet_currency(request.args.get("currency"))


def json_body():
    """The request's body as a JSON object with no `$` field names (InvalidRequest otherwise)."""
    body = parse_json_object(request.get_data(cache=True))
    check_field_names(body)
    return body


def key_scope():
    """An Idempotency-Key's scope: the caller's subject and the endpoint."""
    return f"{g.principal.sub}\n{request.path}"


def fingerprinted(body):
    """What a key's request fingerprint is made of: a customer's body; an admin's body with the role, so
    that a customer whose subject equals an admin's never matches the admin's key (409
    `idempotency_key_reused`, never the admin's stored answer), while every key kept from before
    still matches its own caller's repeat, or refuses it (an admin's): never a second movement."""
    return body if g.principal.role == "customer" else {"role": g.principal.role, "body": body}


def idempotent(body, action):
    """Run a money POST once per `Idempotency-Key` (when the client sends one), its answer stored
    (`backend.idempotency`)."""
    idempotency = current_app.extensions["idempotency"]
    scope = key_scope()
    key = request.headers.get("Idempotency-Key")
    payload, status_code = idempotency.run(scope, key, fingerprinted(body), action)
    return jsonify(payload), status_code


def keyed(body, action):
    """Run a money POST whose `Idempotency-Key` the ledger keeps (`IdempotencyStore.run_keyed`):
    `action` gets its `KeyedOperation`, or None without a key."""
    idempotency = current_app.extensions["idempotency"]
    scope = key_scope()
    key = request.headers.get("Idempotency-Key")
    payload, status_code = idempotency.run_keyed(scope, key, fingerprinted(body), action)
    return jsonify(payload), status_code
