"""Held money, debt and holds as the API shows them (major units): a wallet's figures, what a ledger
entry did to held money and debt, an authorised order's hold (SPEC §9, §10)."""

from .clock import iso
from .money import to_major
from .order_authorizations import is_wallet_authorization
from .orders import is_whole_number


def wallet_figures_view(status):
    """`balance`, `held`, `available` (= balance − held) and `debt` in major units (SPEC §9)."""
    currency = status["currency"]
    balance_minor, held_minor = status["balance_minor"], status.get("held_minor", 0)
    return {
        "balance": to_major(balance_minor, currency),
        "held": to_major(held_minor, currency),
        "available": to_major(balance_minor - held_minor, currency),
        "debt": to_major(status.get("debt_minor", 0), currency),
    }


def held_and_debt_view(entry):
    """What an entry did to held money and debt, when it did (major units)."""
    currency, view = entry["currency"], {}
    if entry.get("held_delta_minor"):
        view["held_change"] = to_major(entry["held_delta_minor"], currency)
    if entry.get("debt_delta_minor"):
        view["debt_change"] = to_major(entry["debt_delta_minor"], currency)
    return view


def authorization_view(order, currency):
    """An order authorised from the wallet: `{authorization: {hold_id, amount, expires_at}}` (SPEC §10),
    else nothing (the shop's own checkout may authorise an order with an `authorization` of its own)."""
    held = order.get("authorization") if order.get("payment_status") == "authorized" else None
    if not is_wallet_authorization(held) or not is_whole_number(held.get("amount_minor")):
        return {}
    return {
        "authorization": {
            "hold_id": held.get("hold_id"),
            "amount": to_major(held["amount_minor"], currency),
            "expires_at": iso(held["expires_at"]) if held.get("expires_at") else None,
        }
    }
