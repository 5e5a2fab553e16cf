"""What a view needs of the app it runs in: the integration, the read views' repositories, the
default currency, and a customer's currency for a history read (authorised)."""

from flask import current_app, request

from . import history
from .auth import authorize_customer
from .validation import check_id


def integration_service():
    """The `WalletPaymentIntegration` wired by `create_app`."""
    return current_app.extensions["integration"]


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
