"""PayPal's settlement report (SPEC §11): the transaction search (`GET /v1/reporting/transactions`)
of one UTC day read into `SettlementRow`s.

A day is the window [day 00:00Z, day+1 00:00Z) (PayPal serves at most 31 days a query), asked for
balance-affecting records only (`balance_affecting_records_only=Y`: PayPal can list one transaction
twice, once balance-affecting and once not), 500 a page, every page, each page asked for at most
PAGE_ATTEMPTS_MAX times and at most PAGES_MAX pages in all. A window PayPal finds too large (more
than 10,000 transactions: RESULTSET_TOO_LARGE) is halved, down to WINDOW_MIN. The whole day is read
before any row is handed out: it is read in full or not at all (GatewayUnavailable).

Rows: a payment received (T00nn, e.g. T0006 PayPal Checkout APIs, with a positive amount), completed
(`S`, or `V`: completed, then refunded or reversed in full, which are rows of their own) is a
SETTLED_PAYMENT of its capture (`transaction_id`) naming our payment order's reference
(`custom_field`) and, where PayPal names it (`paypal_reference_id_type` ODR), the PayPal order, which
is our payment order's id. A merchant's refund (T1107, a negative amount), completed, is a
SETTLED_REFUND of the capture it refunds (`paypal_reference_id`), naming our refund reference
(`custom_field`) when it has one. PayPal's fee (`fee_amount`) is signed from the merchant's side,
negative when PayPal keeps it (a payment) and positive when it gives some back (a refund): a row's
`fee_minor` is what PayPal kept, so a fee given back is negative. Everything else (reversals T1106,
chargebacks T1201, holds, pending or denied transactions, payments sent) is passed over; a
transaction listed twice is one row (the one carrying its fee, else the first); a row that cannot be
read is skipped, counted (`skipped`) and logged, never fatal.
PayPal's data can be up to three hours late (SETTLEMENT_LAG): a day that is over but that PayPal has
not caught up with yet (`last_refreshed_datetime` before its end) is not read (GatewayUnavailable).
"""

import datetime
import logging
import re
import time
from decimal import Decimal

from ...errors import GatewayUnavailable
from ...money import currency_decimals
from ...validation import ID_PATTERN
from ..base import SETTLED_PAYMENT, SETTLED_REFUND, ReadRows, SettlementRow
from .api import ResultSetTooLarge

logger = logging.getLogger("integration.settlement")

SETTLEMENT_LAG = datetime.timedelta(hours=3)  # "a maximum of three hours for executed transactions to appear"
PAGE_SIZE_MAX = 500  # PayPal's largest page_size
PAGES_MAX = 100  # pages asked for one day, all its windows together: 50,000 transactions
PAGE_ATTEMPTS_MAX = 3  # a page is asked for at most this many times before the day is given up
RETRY_PAUSE_SECONDS = 0.5  # before the second attempt at a page; doubled before each further one
WINDOW_MIN = datetime.timedelta(minutes=10)  # a window too large is halved while its halves are this long
PAYMENT_GROUP = "T00"  # PayPal account-to-PayPal account payments (T0006: PayPal Checkout APIs)
REFUND_CODES = ("T1107",)  # payment refund, initiated by the merchant
PAYMENT_STATUSES = ("S", "V")  # completed; completed, then refunded or reversed in full
REFUND_STATUSES = ("S",)
CUSTOM_FIELD_LENGTH_MAX = 127
# Up to 10 integer digits: beyond any amount of ours, and a day of rows sums within MongoDB's 64-bit integers.
SIGNED_VALUE = re.compile(r"-?[0-9]{1,10}(\.[0-9]{1,10})?")
CURRENCY = re.compile(r"[A-Z]{3}")


class UnreadableTransaction(ValueError):
    """A transaction of the report whose fields cannot be read."""


class SettlementReport:
    """PayPal's transactions of `day` (a `datetime.date`, UTC) as `SettlementRow`s, read from `api`
    (`PayPalApi` or the simulator's) by `rows()`. `now`: an aware datetime (is the day over?);
    `pause(seconds)`: waits between attempts at a page. `skipped` counts the unreadable rows."""

    def __init__(
        self,
        api,
        day,
        now,
        pause=time.sleep,
        page_size=PAGE_SIZE_MAX,
        pages_max=PAGES_MAX,
        attempts_max=PAGE_ATTEMPTS_MAX,
    ):
        if not 1 <= page_size <= PAGE_SIZE_MAX or pages_max < 1 or attempts_max < 1:
            raise ValueError("A report is read in pages of 1 to 500, at least one page, one attempt each.")
        self.api, self.day, self.now, self.pause = api, day, now, pause
        self.page_size, self.pages_max, self.attempts_max = page_size, pages_max, attempts_max
        self.start = datetime.datetime.combine(day, datetime.time(), datetime.UTC)
        self.end = self.start + datetime.timedelta(days=1)
        self.skipped = 0
        self.pages_read = 0

    def read(self):
        """`rows()`, kept with how many rows could not be read (`ReadRows`)."""
        return ReadRows(self.rows(), self.skipped)

    def rows(self):
        """Every row of the day, each transaction once, in PayPal's order; GatewayUnavailable when
        the day cannot be read in full."""
        kept: dict[str, tuple[bool, SettlementRow]] = {}  # transaction_id -> (has a fee, its row)
        windows = [(self.start, self.end)]
        while windows:
            start, end = windows.pop(0)
            try:
                infos = self._window(start, end)
            except ResultSetTooLarge:
                half = (end - start) / 2
                if half < WINDOW_MIN:
                    raise GatewayUnavailable(
                        f"PayPal lists too many transactions for {self.day.isoformat()} to read them."
                    ) from None
                windows[:0] = [(start, start + half), (start + half, end)]
                continue
            for info in infos:
                self._keep(info, kept)
        return [row for _, row in kept.values()]

    def _window(self, start, end):
        """The `transaction_info`s of every page of one window."""
        infos, page, pages_total = [], 1, 1
        while page <= pages_total:
            if self.pages_read >= self.pages_max:
                raise GatewayUnavailable(
                    f"PayPal's report for {self.day.isoformat()} has more than {self.pages_max} pages; it was not read."
                )
            details, pages_total, refreshed = self._page(start, end, page)
            self.pages_read += 1
            if refreshed is not None and self.end <= self.now and refreshed < self.end:
                raise GatewayUnavailable(
                    f"PayPal's report for {self.day.isoformat()} is not complete yet (its data is as of "
                    f"{refreshed.isoformat()}); ask again later."
                )
            infos += [d.get("transaction_info") if isinstance(d, dict) else None for d in details]
            page += 1
        return infos

    def _page(self, start, end, page):
        """(transaction_details, total_pages, last refreshed or None) of one page, asked for up to
        `attempts_max` times, pausing longer each time. ResultSetTooLarge is not retried."""
        pause_seconds = RETRY_PAUSE_SECONDS
        for attempt in range(1, self.attempts_max + 1):
            try:
                answer = self.api.transactions(start, end, page, self.page_size)
                return _read_page(answer)
            except (GatewayUnavailable, UnreadableTransaction):
                if attempt < self.attempts_max:
                    self.pause(pause_seconds)
                    pause_seconds *= 2
        raise GatewayUnavailable(
            f"PayPal's report for {self.day.isoformat()} could not be had (page {page}, {self.attempts_max} attempts)."
        )

    def _keep(self, info, kept):
        try:
            row = read_transaction(info)
        except UnreadableTransaction as error:
            self.skipped += 1
            transaction_id = info.get("transaction_id") if isinstance(info, dict) else None
            logger.warning(
                "paypal settlement report %s: unreadable transaction %.64r skipped (%s)",
                self.day.isoformat(),
                transaction_id,
                error,
            )
            return
        if row is None or not _in_window(info, self.start, self.end):
            return
        key = row.refund_id or row.gateway_payment_id
        has_fee = info.get("fee_amount") is not None
        if key not in kept or (has_fee and not kept[key][0]):
            kept[key] = (has_fee, row)


def read_transaction(info):
    """The `SettlementRow` of one `transaction_info`; None for a transaction that is not a completed
    payment received or merchant refund; UnreadableTransaction when its fields cannot be read."""
    if not isinstance(info, dict):
        raise UnreadableTransaction("no transaction_info")
    transaction_id = _id(info.get("transaction_id"), "transaction_id")
    code, status = info.get("transaction_event_code"), info.get("transaction_status")
    if not (isinstance(code, str) and isinstance(status, str)):
        raise UnreadableTransaction("transaction_event_code or transaction_status")
    is_payment = code.startswith(PAYMENT_GROUP)
    if not (is_payment or code in REFUND_CODES):
        return None
    if status not in (PAYMENT_STATUSES if is_payment else REFUND_STATUSES):
        return None
    amount_minor, currency = signed_minor(info.get("transaction_amount"))
    fee = info.get("fee_amount")
    fee_minor = -signed_minor(fee, currency)[0] if fee is not None else 0  # kept: negative; given back: positive
    custom = info.get("custom_field")
    reference = custom if isinstance(custom, str) and 0 < len(custom) <= CUSTOM_FIELD_LENGTH_MAX else None
    if is_payment:
        if amount_minor <= 0:
            return None  # a payment sent, not received
        linked = info.get("paypal_reference_id")
        order_id = linked if info.get("paypal_reference_id_type") == "ODR" and _is_id(linked) else None
        return SettlementRow(
            SETTLED_PAYMENT,
            transaction_id,
            amount_minor,
            currency,
            fee_minor,
            payment_order_id=order_id,
            reference=reference,
        )
    if amount_minor >= 0:
        return None  # a refund received, not made
    capture_id = _id(info.get("paypal_reference_id"), "a refund's capture (paypal_reference_id)")
    return SettlementRow(
        SETTLED_REFUND, capture_id, -amount_minor, currency, fee_minor, refund_id=transaction_id, reference=reference
    )


def signed_minor(money, currency=None):
    """PayPal's `{currency_code, value}` (a signed decimal text) as (signed minor units, currency);
    UnreadableTransaction when it is not one, has more decimals than its currency, or is not in
    `currency` (when given)."""
    if not isinstance(money, dict):
        raise UnreadableTransaction("an amount")
    value, code = money.get("value"), money.get("currency_code")
    if not isinstance(value, str) or not SIGNED_VALUE.fullmatch(value) or not isinstance(code, str):
        raise UnreadableTransaction("an amount's value")
    if not CURRENCY.fullmatch(code) or (currency is not None and code != currency):
        raise UnreadableTransaction("an amount's currency")
    minor = Decimal(value).scaleb(currency_decimals(code))
    if minor != minor.to_integral_value():
        raise UnreadableTransaction("an amount with more decimals than its currency has")
    return int(minor), code


def _read_page(answer):
    details, pages_total = answer.get("transaction_details", []), answer.get("total_pages")
    if not isinstance(details, list) or type(pages_total) is not int or pages_total < 0:
        raise UnreadableTransaction("a page without transaction_details or total_pages")
    return details, pages_total, _moment(answer.get("last_refreshed_datetime"))


def _in_window(info, start, end):
    """False only for a transaction PayPal dates outside [start, end) (its end date may be inclusive)."""
    initiated = _moment(info.get("transaction_initiation_date"))
    return initiated is None or start <= initiated < end


def _moment(text):
    """An aware datetime from PayPal's date-time text (2024-01-31T10:00:00+0000), else None."""
    try:
        moment = datetime.datetime.fromisoformat(text) if isinstance(text, str) and len(text) <= 64 else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _is_id(value):
    """An id as the API's ids are (PayPal's are such; the simulator's books hold hand-signed ones too)."""
    return isinstance(value, str) and ID_PATTERN.match(value) is not None


def _id(value, what):
    if not _is_id(value):
        raise UnreadableTransaction(what)
    return value
