"""The support view's reads at the HTTP edge: whether the service knows a customer, and pages of a
customer's audit entries and gateway outcomes (amounts in major units)."""

import datetime
import re

from .clock import iso
from .errors import InvalidRequest
from .money import to_major

AUDIT_SCAN_MAX = 100  # audit entries read for one page of the support view's lists, at most
SUPPORT_LIST_MAX = 20
# An audit page's cursor: `<created_at in ms since the epoch>-<entries of that millisecond listed>`.
_AUDIT_CURSOR = re.compile(r"([0-9]{1,15})-([0-9]{1,4})\Z")
_EPOCH = datetime.datetime(1970, 1, 1)
_MILLISECOND = datetime.timedelta(milliseconds=1)


def audit_cursor(args):
    """`before`: the cursor of a page of audit entries, as (created_at, entries of that millisecond
    listed already), or None."""
    value = args.get("before")
    match = None if value is None else _AUDIT_CURSOR.match(value)
    if value is None:
        return None
    try:
        if match is None or int(match[2]) < 1:
            raise ValueError(value)
        return _EPOCH + int(match[1]) * _MILLISECOND, int(match[2])
    except (ValueError, OverflowError):  # (past year 9999 a datetime overflows)
        raise InvalidRequest(
            "`before` must be the `next_before` of a previous page (such as 1767225600000-1)."
        ) from None


# --- audit (the support view) --------------------------------------------------------------------
WEBHOOK_EVENTS = ("webhook.received", "webhook.rejected")
# Credits and refusals a gateway's answer caused carry its event type in `reason` (a webhook), or
# `sweep` (the worker looked the top-up up at its gateway); `verify` ones came from the customer's return.
GATEWAY_OUTCOMES = (
    "wallet.credited",
    "topup.second_payment",
    "topup.amount_mismatch",
    # after the credit (SPEC §9): what a gateway's refund, reversal or dispute did, our refunds' ends
    "wallet.topup_reversal",
    "wallet.chargeback",
    "wallet.dispute_hold",
    "wallet.hold_release",
    "gateway_case.recorded",
    "gateway_case.currency_mismatch",
    "gateway_case.mismatch",
    "topup.second_payment_refund",
    "topup.lapsed_payment_refund",
    "gateway_refund.processed",
    "gateway_refund.failed",
)


AUDIT_AMOUNTS = {"amount_minor": "amount", "debt_minor": "debt", "capped_minor": "capped"}


def audit_view(entry, default_currency):
    """An `integration_logs` entry for the support view: its whitelisted fields, amounts in major units
    of its `currency` (`default_currency` for an entry recorded without one, which it then names)."""
    view = {"event": entry["event"], "outcome": entry["outcome"], "created_at": iso(entry["created_at"])}
    for name, value in entry.items():
        if name not in ("_id", "event", "outcome", "created_at", "customer_id", *AUDIT_AMOUNTS):
            view[name] = value
    for name, major_name in AUDIT_AMOUNTS.items():
        if isinstance(entry.get(name), int):
            view.setdefault("currency", default_currency)
            view[major_name] = to_major(entry[name], view["currency"])
    return view


def is_gateway_outcome(entry):
    if entry["event"] in WEBHOOK_EVENTS:
        return True
    return entry["event"] in GATEWAY_OUTCOMES and entry.get("reason") not in (None, "verify")


def audit_page(reads, customer_id, limit, default_currency, before=None, keep=None):
    """`(entries, next_before)`: the customer's audit entries newest first, after the cursor `before`
    (see `audit_cursor`), those `keep` accepts (every one when None), up to `limit`; `next_before`
    is None on the last page. Entries of one millisecond come in the store's order and the cursor
    counts those listed, so no page repeats or skips one. At most AUDIT_SCAN_MAX entries are read
    for a page, so a page of gateway outcomes may be short (even empty) with more after it."""
    until, listed = before or (None, 0)
    rows = reads.audit.for_customer(customer_id, listed + AUDIT_SCAN_MAX + 1, until=until)
    read = 0
    while read < min(listed, len(rows)) and rows[read]["created_at"] == until:
        read += 1  # listed on an earlier page
    position, entries = (until, read), []
    for row in rows[read : read + AUDIT_SCAN_MAX]:
        read += 1
        position = (row["created_at"], position[1] + 1 if row["created_at"] == position[0] else 1)
        if keep is None or keep(row):
            entries.append(audit_view(row, default_currency))
            if len(entries) == limit:
                break
    if read == len(rows):
        return entries, None
    created_at, count = position
    assert created_at is not None  # a row was read past the cursor: its position
    return entries, f"{(created_at - _EPOCH) // _MILLISECOND}-{count}"


def support_audit(reads, customer_id, default_currency):
    """The support look-up's first pages of the customer's gateway outcomes and audit entries."""
    webhooks, webhooks_next_before = audit_page(
        reads, customer_id, SUPPORT_LIST_MAX, default_currency, keep=is_gateway_outcome
    )
    entries, audit_next_before = audit_page(reads, customer_id, SUPPORT_LIST_MAX, default_currency)
    return {
        "webhooks": webhooks,
        "webhooks_next_before": webhooks_next_before,
        "audit": entries,
        "audit_next_before": audit_next_before,
    }


def customer_known(reads, customer_id):
    """Whether the service holds anything of the customer: a wallet (in any currency), an order, a
    payment order or an audit entry; one indexed read each, until one is found."""
    return (
        reads.history.has_customer(customer_id)
        or bool(reads.orders.page_for_customer(customer_id, 1))
        or reads.payment_orders.has_customer(customer_id)
        or bool(reads.audit.for_customer(customer_id, 1))
    )
