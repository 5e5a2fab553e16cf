"""Read views at the HTTP edge: a wallet's status, pages of orders and ledger entries, a CSV
statement, a top-up's outcome (the support view's are in `support_view`). Money leaves minor units
here. Every read goes through the module that owns its collection (`WalletService`, `OrderBook`,
`PaymentOrders`, `AuditLog`), bundled as `Reads` by `create_app`; this module only parses query
parameters and shapes what those return."""

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from .clock import iso
from .errors import InvalidRequest
from .holds_view import authorization_view, held_and_debt_view, wallet_figures_view
from .money import CURRENCY_DECIMALS, format_major, to_major
from .orders import PAID_STATES, is_whole_number, well_formed
from .payment_order_limits import CREDIT, GIVE_BACK
from .payment_orders import EXPIRED, FAILED, REFUSED
from .validation import check_id

PAGE_LIMIT_DEFAULT = 20
PAGE_LIMIT_MAX = 100
STATEMENT_BATCH = 500  # ledger entries read per store round trip while a CSV statement streams
_DIGITS = re.compile(r"[0-9]{1,18}\Z")
_STATUS = re.compile(r"[a-z_]{1,32}\Z")
# Top-up states a page shows (GET /wallet/topup/<id>/status): from the ledger, else the payment order.
CREDITED, PENDING = "credited", "pending"


# --- query parameters ----------------------------------------------------------------------------
def page_limit(args, default=PAGE_LIMIT_DEFAULT):
    """`limit`: a whole number from 1 to PAGE_LIMIT_MAX (`default` when absent)."""
    value = args.get("limit")
    if value is None:
        return default
    if not _DIGITS.match(value) or not 1 <= int(value) <= PAGE_LIMIT_MAX:
        raise InvalidRequest(f"`limit` must be a whole number from 1 to {PAGE_LIMIT_MAX}.")
    return int(value)


def before_sequence(args):
    """`before`: the cursor of a history page (a positive whole number), or None."""
    value = args.get("before")
    if value is None:
        return None
    if not _DIGITS.match(value) or int(value) < 1:
        raise InvalidRequest("`before` must be the `next_before` of a previous page (a positive whole number).")
    return int(value)


def after_order_id(args):
    """`after`: the cursor of an orders page (an order id), or None."""
    value = args.get("after")
    return None if value is None else check_id(value, "after")


def order_status(args):
    """`status`: a `payment_status` value (`pending`, `paid`, ...), or None for every order."""
    value = args.get("status")
    if value is None:
        return None
    if not _STATUS.match(value):
        raise InvalidRequest("`status` must be a payment status such as pending, paid, partially_refunded or refunded.")
    return value


@dataclass(frozen=True)
class Reads:
    """The repositories the read views use, wired by `create_app` (routes hand it to these views)."""

    ledger: Any  # WalletService
    history: Any  # LedgerHistory
    orders: Any  # OrderBook
    payment_orders: Any  # PaymentOrders
    audit: Any  # AuditLog
    payments: Any  # PaymentService
    settlements: Any = None  # SettlementBooks (the settled days, SPEC §11)


# A refund's reason is the admin's text; an order's life is the wallet's bookkeeping (docs/ledger.md).
HIDDEN_REFERENCE_FIELDS = ("reason", "order_life")


# --- the wallet ----------------------------------------------------------------------------------
def status_view(status):
    """`WalletPaymentIntegration.get_integration_status` (minor units) as the API shows it."""
    currency = status["currency"]
    statistics = {"transaction_count": 0}
    for kind, (total_minor, count) in status["totals"].items():
        statistics[f"total_{kind}s"] = to_major(total_minor, currency)
        statistics[f"{kind}_count"] = count
        statistics["transaction_count"] += count
    return {
        "wallet": dict(customer_id=status["customer_id"], **wallet_figures_view(status), currency=currency),
        "statistics": statistics,
        "recent_transactions": [transaction_view(e) for e in status["recent_entries"]],
    }


def transaction_view(entry):
    """A ledger entry as the API shows it."""
    currency = entry["currency"]
    return {
        "transaction_id": entry["_id"],
        "type": entry["type"],
        "kind": entry["kind"],
        "amount": to_major(entry["amount_minor"], currency),
        "currency": currency,
        "balance_after": to_major(entry["balance_after_minor"], currency),
        **held_and_debt_view(entry),
        "reference": {k: v for k, v in entry["reference"].items() if k not in HIDDEN_REFERENCE_FIELDS},
        "created_at": iso(entry["created_at"]),
    }


def gateway_names(reads):
    """The gateways offered here, by name."""
    return sorted(reads.payments.gateways)


def sweep_waiting(reads, stale_after_seconds):
    """How many top-ups wait for the gateway sweep (/health)."""
    return reads.payment_orders.sweep.count_waiting(stale_after_seconds)


# --- orders --------------------------------------------------------------------------------------
def order_view(order):
    """A shop order as the API shows it: amounts in major units, what is refunded and refundable."""
    currency_ = order.get("currency") if order.get("currency") in CURRENCY_DECIMALS else None
    amount_minor = order.get("amount_minor")
    status = order.get("payment_status")
    refunded_minor = order.get("refunded_minor", 0)
    if not well_formed(order):  # neither payable nor refundable until the shop corrects it
        refundable_minor = refunded_minor = 0
    elif "refundable_minor" in order:
        refundable_minor = order["refundable_minor"]
    elif status in PAID_STATES:
        refundable_minor = order.get("paid_minor", amount_minor) - refunded_minor
    else:
        refundable_minor = 0
    return {
        "order_id": order["order_id"],
        "customer_id": order.get("customer_id"),
        "amount": to_major(amount_minor, currency_ or "INR") if is_whole_number(amount_minor) else None,
        "currency": currency_,
        "payment_status": status,
        "paid_via": order.get("paid_via"),
        "refunded_amount": to_major(refunded_minor, currency_ or "INR"),
        "refundable_amount": to_major(max(refundable_minor, 0), currency_ or "INR"),
        **authorization_view(order, currency_ or "INR"),
    }


def orders_page(reads, customer_id, limit, status=None, after=None):
    """`{orders, next_after}`: one page by order id; `next_after` is null on the last page."""
    rows = reads.orders.page_for_customer(customer_id, limit + 1, status=status, after_order_id=after)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"orders": [order_view(o) for o in rows], "next_after": rows[-1]["order_id"] if more else None}


# --- ledger --------------------------------------------------------------------------------------
def transactions_page(reads, customer_id, currency_, limit, before=None):
    """`{transactions, next_before}`: applied entries newest first; `next_before` is null on the last page."""
    rows = reads.history.entries_page(customer_id, currency_, limit + 1, before_sequence=before)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"transactions": [transaction_view(e) for e in rows], "next_before": rows[-1]["sequence"] if more else None}


STATEMENT_COLUMNS = (
    "date",
    "transaction_id",
    "type",
    "kind",
    "amount",
    "currency",
    "balance_after",
    "order_id",
    "payment_order_id",
    "gateway",
)


def spreadsheet_cell(text):
    """A text cell a spreadsheet will not run as a formula."""
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def statement(reads, customer_id, currency_):
    """CSV text, a line at a time (see `statement_rows`); the first batch is read here, so that a store
    error is answered before streaming starts."""
    first = reads.history.entries_page(customer_id, currency_, STATEMENT_BATCH)
    return statement_rows(reads, customer_id, currency_, first_batch=first)


def statement_rows(reads, customer_id, currency_, first_batch=None):
    """CSV text, a line at a time: the header, then every applied entry of the wallet, newest first.
    Money as exact decimal strings (`250.00`), never floats. `first_batch`: the first
    STATEMENT_BATCH entries, read already (so a store error there is answered before streaming)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(row):
        writer.writerow(row)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(STATEMENT_COLUMNS)
    batch = (
        first_batch if first_batch is not None else reads.history.entries_page(customer_id, currency_, STATEMENT_BATCH)
    )
    while batch:
        for entry in batch:
            reference = entry.get("reference") or {}
            yield line(
                [
                    iso(entry.get("applied_at") or entry["created_at"]),
                    entry["_id"],
                    entry["type"],
                    entry["kind"],
                    format_major(entry["amount_minor"], entry["currency"]),
                    entry["currency"],
                    format_major(entry["balance_after_minor"], entry["currency"]),
                    spreadsheet_cell(reference.get("order_id")),
                    spreadsheet_cell(reference.get("payment_order_id")),
                    spreadsheet_cell(reference.get("gateway")),
                ]
            )
        if len(batch) < STATEMENT_BATCH:
            return
        batch = reads.history.entries_page(
            customer_id, currency_, STATEMENT_BATCH, before_sequence=batch[-1]["sequence"]
        )


# --- top-ups -------------------------------------------------------------------------------------
def topup_state(reads, payment_order):
    """What happened to a top-up: `credited` when the ledger holds its applied credit (the entry
    keyed `topup:<payment_order_id>`), else `refused` once decided so (`decision`, with wallet limits
    set: backend/payment_order_limits.py), `pending` while a credit decided is not made, `failed` /
    `expired` / `refused` from the payment order, else `pending`. With the credit's transaction id and
    time when credited."""
    entry = reads.ledger.entry_for_key(payment_order.customer_id, payment_order.currency, f"topup:{payment_order.id}")
    if entry is not None and entry.get("status") == "applied":
        return CREDITED, entry
    if entry is None and payment_order.decision == GIVE_BACK:
        return REFUSED, None
    if entry is None and payment_order.decision != CREDIT and payment_order.status in (FAILED, EXPIRED, REFUSED):
        return payment_order.status, None
    return PENDING, None


def topup_view(reads, payment_order):
    state, entry = topup_state(reads, payment_order)
    return {
        "payment_order_id": payment_order.id,
        "gateway": payment_order.gateway,
        "status": state,
        "amount": to_major(payment_order.amount_minor, payment_order.currency),
        "currency": payment_order.currency,
        "created_at": iso(payment_order.created_at) if payment_order.created_at else None,
        "transaction_id": entry["_id"] if entry else None,
        "credited_at": iso(entry.get("applied_at") or entry["created_at"]) if entry else None,
    }
