"""Settling a gateway's day (SPEC §11): what the gateway's report says it captured and refunded, matched
to payment orders and ledger entries a page of rows at a time (one query per lookup and page: bounded).

- A capture of a top-up credited by that payment matches (its payment order is marked `settled_on`).
  One whose top-up was never credited (a lost webhook, an expired top-up) is `captured_not_credited`:
  credited now through the top-ups' exactly-once path (`Topups.confirm`), then `resolved` (its customer's
  limits lease held: the day is left unrecorded, 503). Another amount is `amount_mismatch`, a payment of
  no top-up of ours `unknown_payment`: both stay `open`.
- A refund we asked for matches (one still pending is finished as made); a refund of the gateway's own
  matches when its case took the money back, else it is `refund_not_applied`: applied now through the
  after-the-credit path (once per case), then `resolved`; `amount_mismatch` (open) when its webhook
  told the case another payment or amount.
- A credit older than the gateway's settlement lag (now, as well as by its report's day) that no
  report listed is `credited_not_captured` (open; resolved if a later report lists it).
Settling a day again finds every row matched or healed already: nothing changes."""

import datetime
import itertools

from ..errors import InvalidRequest, LapsedTopupRefused, StoreUnavailable
from ..gateways.base import SETTLED_PAYMENT, confirmed_by
from ..settlement_books import (
    AMOUNT_MISMATCH,
    CAPTURED_NOT_CREDITED,
    CREDITED_NOT_CAPTURED,
    OPEN,
    RESOLVED,
    UNKNOWN_PAYMENT,
    UNREADABLE_ROWS,
    add_up,
    day_figures,
    exception_key,
)
from .settlement_refunds import RefundRows

FIRST_DAY = datetime.date(2000, 1, 1)  # no gateway of ours reports before it (and day − lag stays a date)
PAGE_ROWS = 500
CREDITS_CHECKED_MAX = 10_000


class Settlement:
    def __init__(self, stores, books):
        """`stores`: the integration (its payments, payment orders, top-ups, after-the-credit flow, our
        refunds, currency and clock); `books`: `SettlementBooks`."""
        self.payments, self.lookups, self.topups = stores.payments, stores.payment_orders.settlement, stores.topups
        self.after_credit, self.our_refunds, self.currency = stores.after_credit, stores.our_refunds, stores.currency
        self.clock, self.books = stores.clock, books
        self.refunds = RefundRows(stores.payments, stores.after_credit, stores.our_refunds, books)

    def settle(self, gateway_name, day):
        """Settle `gateway_name`'s report `day`; the day's document (figures) and its exceptions. The
        figures are the default currency's rows; rows in other currencies are summed apart
        (`other_currencies`), since amounts of two currencies never add up. InvalidRequest, nothing
        asked or written, for a day before FIRST_DAY or after the latest a report can list today's
        captures on (today, UTC, plus the gateway's settlement lag: Razorpay's T+2)."""
        adapter = self.payments.gateway(gateway_name)
        latest = self.clock().date() + datetime.timedelta(days=adapter.settlement_lag.days)
        if not FIRST_DAY <= day <= latest:
            raise InvalidRequest(
                f"The day must be from {FIRST_DAY} to {latest}: no report of {gateway_name} for a later day "
                "can list anything yet (a report lists a day's captures on the day they settle)."
            )
        totals: dict[str, dict] = {}
        counts: dict[str, int] = {"matched": 0}
        put_off: list = []  # captures that could not be healed now
        report = adapter.settlement_report(day)
        rows = iter(report)  # read once, a page at a time
        while page := list(itertools.islice(rows, PAGE_ROWS)):
            add_up(page, totals)
            captures = [r for r in page if r.kind == SETTLED_PAYMENT]
            counts["matched"] += self._captures(gateway_name, day, captures, put_off)
            counts["matched"] += self.refunds.match(gateway_name, day, [r for r in page if r.kind != SETTLED_PAYMENT])
        self._unreadable(gateway_name, day, getattr(report, "skipped", 0))
        self._credits_not_captured(gateway_name, day, adapter.settlement_lag)
        self.refunds.applied_since(gateway_name)
        if put_off:  # the day is not recorded: the worker settles it again (`settlement_days.days_due`)
            raise StoreUnavailable(f"{len(put_off)} capture(s) could not be settled now; settle the day again.")
        own = totals.pop(self.currency, None) or day_figures()
        others = [dict(figures, currency=currency) for currency, figures in sorted(totals.items())]
        document = self.books.record_day(
            gateway_name, day, dict(own, **counts, currency=self.currency, other_currencies=others)
        )
        return document, self.books.of_day(gateway_name, day)

    # --- captures --------------------------------------------------------------------------------
    def _captures(self, gateway, day, rows, put_off):
        """How many matched; the rest noted, healed where they heal (else put off)."""
        owners = confirmed_by(self.payments.gateways, gateway)  # its own, and those it processes (Google Pay)
        credited = self.lookups.by_payment_ids(owners, [r.gateway_payment_id for r in rows])
        by_id = self.lookups.by_ids(owners, [r.payment_order_id for r in rows])
        by_reference = self.lookups.by_references(owners, [r.reference for r in rows])
        matched, settled = 0, []
        for row in rows:
            payment_order = credited.get(row.gateway_payment_id)
            if payment_order is None:
                payment_order = by_id.get(row.payment_order_id) or by_reference.get(row.reference)
                if self._capture_exception(gateway, day, row, payment_order, put_off):
                    settled.append(payment_order.id)  # healed: the report lists it
                continue
            settled.append(payment_order.id)  # listed: a credit the report does not miss
            if (row.amount_minor, row.currency) != (payment_order.amount_minor, payment_order.currency):
                self.books.note_row(gateway, day, AMOUNT_MISMATCH, row, OPEN, payment_order)
                continue
            matched += 1
        self.lookups.mark_settled(settled, day)
        self.books.resolve_for_payment(gateway, [r.gateway_payment_id for r in rows], CREDITED_NOT_CAPTURED)
        return matched

    def _capture_exception(self, gateway, day, row, payment_order, put_off):
        """Note a capture no credit of this payment matched; True when it was healed."""
        if payment_order is None:
            self.books.note_row(gateway, day, UNKNOWN_PAYMENT, row, OPEN)
        elif (row.amount_minor, row.currency) != (payment_order.amount_minor, payment_order.currency):
            self.books.note_row(gateway, day, AMOUNT_MISMATCH, row, OPEN, payment_order)
        else:  # captured, never credited by this payment: credit it once (or give a second or lapsed one back)
            try:
                entry, _ = self.topups.confirm(payment_order, row.gateway_payment_id, source="settlement")
            except LapsedTopupRefused:
                entry = None  # over a limit, given back: its refund comes in a later report
            except StoreUnavailable:  # its customer's limits lease is held (a slow initiate): settle again later
                self.books.note_row(gateway, day, CAPTURED_NOT_CREDITED, row, OPEN, payment_order)
                put_off.append(row)
                return False
            self.books.note_row(gateway, day, CAPTURED_NOT_CREDITED, row, RESOLVED, payment_order)
            # a second payment, refunded, says nothing of the payment that credited: a report must list that one
            return entry is not None and entry["reference"].get("gateway_payment_id") == row.gateway_payment_id
        return False

    def _unreadable(self, gateway, day, skipped):
        """Rows the report reader could not read (skipped and logged by the adapter) are rows matched to
        nothing: one open `unreadable_rows` exception for the day, saying how many; resolved by a
        settling of the day that reads every row."""
        if skipped:
            self.books.note_again(
                gateway,
                day,
                UNREADABLE_ROWS,
                "report",
                payment_id=None,
                payment_order_id=None,
                gateway_amount_minor=None,
                ledger_amount_minor=None,
                rows=skipped,
            )
        else:
            self.books.resolve([exception_key(gateway, day, UNREADABLE_ROWS, "report")])

    # --- credits no report listed ----------------------------------------------------------------
    def _credits_not_captured(self, gateway, day, lag):
        """Credits of the day whose captures this report should list (`day` − the lag, whole days) that
        no report listed: open exceptions; only those older than the lag (a report asked for before
        its day leaves the newer ones for a later settling)."""
        start = datetime.datetime.combine(day, datetime.time()) - datetime.timedelta(days=lag.days)
        end = min(start + datetime.timedelta(days=1), self.clock() - lag)
        owners = confirmed_by(self.payments.gateways, gateway)
        for payment_order in self.lookups.credited_between(owners, start, end, CREDITS_CHECKED_MAX):
            self.books.note(
                gateway,
                day,
                CREDITED_NOT_CAPTURED,
                payment_order.gateway_payment_id,
                OPEN,
                payment_id=payment_order.gateway_payment_id,
                payment_order_id=payment_order.id,
                gateway_amount_minor=None,
                ledger_amount_minor=payment_order.amount_minor,
                currency=payment_order.currency,
                ledger_currency=payment_order.currency,
            )
