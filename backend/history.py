"""Read views for the customer's history and the support view: pages of orders and ledger entries,
a CSV statement, a top-up's outcome, pages of audit entries. Every read goes through the module
that owns its collection (`WalletService`, `OrderBook`, `PaymentOrders`, `AuditLog`); this module
only parses query parameters and shapes what those return."""
import csv
import datetime
import io
import re

from .clock import iso
from .errors import InvalidRequest
from .money import format_major, to_major
from .orders import PAID_STATES
from .payment_orders import EXPIRED, FAILED
from .validation import check_id
from .wallet_payment_integration import transaction_view

PAGE_LIMIT_DEFAULT = 20
PAGE_LIMIT_MAX = 100
CURRENCIES = ("INR", "USD", "EUR")
STATEMENT_BATCH = 500  # ledger entries read per store round trip while a CSV statement streams
AUDIT_SCAN_MAX = 100  # audit entries read for one page of the support view's lists, at most
SUPPORT_LIST_MAX = 20
_DIGITS = re.compile(r"[0-9]{1,18}\Z")
# An audit page's cursor: `<created_at in ms since the epoch>-<entries of that millisecond listed>`.
_AUDIT_CURSOR = re.compile(r"([0-9]{1,15})-([0-9]{1,4})\Z")
_EPOCH = datetime.datetime(1970, 1, 1)
_MILLISECOND = datetime.timedelta(milliseconds=1)
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


def audit_cursor(args):
    """`before`: the cursor of a page of audit entries, as (created_at, entries of that millisecond
    listed already), or None."""
    value = args.get("before")
    match = None if value is None else _AUDIT_CURSOR.match(value)
    if value is None:
        return None
    if match is None or int(match[2]) < 1:
        raise InvalidRequest("`before` must be the `next_before` of a previous page (such as 1767225600000-1).")
    return _EPOCH + int(match[1]) * _MILLISECOND, int(match[2])


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
        raise InvalidRequest("`status` must be a payment status such as pending, paid, partially_refunded "
                             "or refunded.")
    return value


def currency(args, default):
    value = args.get("currency")
    if value is None:
        return default
    if value not in CURRENCIES:
        raise InvalidRequest("`currency` must be INR, USD or EUR.")
    return value


# --- orders --------------------------------------------------------------------------------------
def order_view(order):
    """A shop order as the API shows it: amounts in major units, what is refunded and refundable."""
    currency_ = order.get("currency") if order.get("currency") in CURRENCIES else None
    amount_minor = order.get("amount_minor", 0)
    status = order.get("payment_status")
    refunded_minor = order.get("refunded_minor", 0)
    if currency_ is None:  # neither payable nor refundable until the shop sets one (shown with 2 decimals)
        refundable_minor = 0
    elif "refundable_minor" in order:
        refundable_minor = order["refundable_minor"]
    elif status in PAID_STATES:
        refundable_minor = order.get("paid_minor", amount_minor) - refunded_minor
    else:
        refundable_minor = 0
    return {
        "order_id": order["order_id"],
        "customer_id": order.get("customer_id"),
        "amount": to_major(amount_minor, currency_ or "INR"),
        "currency": currency_,
        "payment_status": status,
        "paid_via": order.get("paid_via"),
        "refunded_amount": to_major(refunded_minor, currency_ or "INR"),
        "refundable_amount": to_major(max(refundable_minor, 0), currency_ or "INR"),
    }


def orders_page(order_book, customer_id, limit, status=None, after=None):
    """`{orders, next_after}`: one page by order id; `next_after` is null on the last page."""
    rows = order_book.page_for_customer(customer_id, limit + 1, status=status, after_order_id=after)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"orders": [order_view(o) for o in rows], "next_after": rows[-1]["order_id"] if more else None}


# --- ledger --------------------------------------------------------------------------------------
def transactions_page(wallet, customer_id, currency_, limit, before=None):
    """`{transactions, next_before}`: applied entries newest first; `next_before` is null on the last page."""
    rows = wallet.entries_page(customer_id, currency_, limit + 1, before_sequence=before)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"transactions": [transaction_view(e) for e in rows],
            "next_before": rows[-1]["sequence"] if more else None}


STATEMENT_COLUMNS = ("date", "transaction_id", "type", "kind", "amount", "currency", "balance_after",
                     "order_id", "payment_order_id", "gateway")


def _cell(text):
    """A text cell a spreadsheet will not run as a formula."""
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def statement_rows(wallet, customer_id, currency_, first_batch=None):
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
    batch = first_batch if first_batch is not None else wallet.entries_page(customer_id, currency_, STATEMENT_BATCH)
    while batch:
        for entry in batch:
            reference = entry.get("reference") or {}
            yield line([
                iso(entry.get("applied_at") or entry["created_at"]), entry["_id"], entry["type"], entry["kind"],
                format_major(entry["amount_minor"], entry["currency"]), entry["currency"],
                format_major(entry["balance_after_minor"], entry["currency"]),
                _cell(reference.get("order_id")), _cell(reference.get("payment_order_id")),
                _cell(reference.get("gateway")),
            ])
        if len(batch) < STATEMENT_BATCH:
            return
        batch = wallet.entries_page(customer_id, currency_, STATEMENT_BATCH, before_sequence=batch[-1]["sequence"])


# --- top-ups -------------------------------------------------------------------------------------
def topup_state(wallet, payment_order):
    """What happened to a top-up: `credited` when the ledger holds its applied credit (the entry
    keyed `topup:<payment_order_id>`), else `failed` / `expired` from the payment order, else
    `pending`. With the credit's transaction id and time when credited."""
    entry = wallet.entry_for_key(payment_order.customer_id, payment_order.currency, f"topup:{payment_order.id}")
    if entry is not None and entry.get("status") == "applied":
        return CREDITED, entry
    if entry is None and payment_order.status in (FAILED, EXPIRED):
        return payment_order.status, None
    return PENDING, None


def topup_view(wallet, payment_order):
    state, entry = topup_state(wallet, payment_order)
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


# --- audit (the support view) --------------------------------------------------------------------
WEBHOOK_EVENTS = ("webhook.received", "webhook.rejected")
# Credits and refusals a gateway's answer caused carry its event type in `reason` (a webhook), or
# `sweep` (the worker looked the top-up up at its gateway); `verify` ones came from the customer's return.
GATEWAY_OUTCOMES = ("wallet.credited", "topup.second_payment", "topup.amount_mismatch")


def audit_view(entry):
    """An `integration_logs` entry for the support view (its whitelisted fields; amounts in major units)."""
    view = {"event": entry["event"], "outcome": entry["outcome"], "created_at": iso(entry["created_at"])}
    for name, value in entry.items():
        if name in ("_id", "event", "outcome", "created_at", "customer_id", "amount_minor"):
            continue
        view[name] = value
    if entry.get("amount_minor") is not None:
        view["amount"] = to_major(entry["amount_minor"], entry.get("currency", "INR"))
    return view


def is_gateway_outcome(entry):
    if entry["event"] in WEBHOOK_EVENTS:
        return True
    return entry["event"] in GATEWAY_OUTCOMES and entry.get("reason") not in (None, "verify")


def audit_page(audit, customer_id, limit, before=None, keep=None):
    """`(entries, next_before)`: the customer's audit entries newest first, after the cursor `before`
    (see `audit_cursor`), those `keep` accepts (every one when None), up to `limit`; `next_before`
    is None on the last page. Entries of one millisecond come in the store's order and the cursor
    counts those listed, so no page repeats or skips one. At most AUDIT_SCAN_MAX entries are read
    for a page, so a page of gateway outcomes may be short (even empty) with more after it."""
    until, listed = before or (None, 0)
    rows = audit.for_customer(customer_id, listed + AUDIT_SCAN_MAX + 1, until=until)
    read = 0
    while read < min(listed, len(rows)) and rows[read]["created_at"] == until:
        read += 1  # listed on an earlier page
    position, entries = (until, read), []
    for row in rows[read:read + AUDIT_SCAN_MAX]:
        read += 1
        position = (row["created_at"], position[1] + 1 if row["created_at"] == position[0] else 1)
        if keep is None or keep(row):
            entries.append(audit_view(row))
            if len(entries) == limit:
                break
    if read == len(rows):
        return entries, None
    created_at, count = position
    return entries, f"{(created_at - _EPOCH) // _MILLISECOND}-{count}"


def support_audit(audit, customer_id):
    """The support look-up's first pages of the customer's gateway outcomes and audit entries."""
    webhooks, webhooks_next_before = audit_page(audit, customer_id, SUPPORT_LIST_MAX, keep=is_gateway_outcome)
    entries, audit_next_before = audit_page(audit, customer_id, SUPPORT_LIST_MAX)
    return {"webhooks": webhooks, "webhooks_next_before": webhooks_next_before,
            "audit": entries, "audit_next_before": audit_next_before}


def customer_known(service, customer_id):
    """Whether the service holds anything of the customer: a wallet (in any currency), an order, a
    payment order or an audit entry; one indexed read each, until one is found."""
    query, only_id = {"customer_id": customer_id}, {"_id": 1}
    return (service.wallet.wallets.find_one(query, only_id) is not None
            or bool(service.orders.page_for_customer(customer_id, 1))
            or service.payment_orders.collection.find_one(query, only_id) is not None
            or bool(service.audit.for_customer(customer_id, 1)))
