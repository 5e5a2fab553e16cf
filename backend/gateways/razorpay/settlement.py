"""Razorpay's settlement recon report (`GET /v1/settlements/recon/combined`, SPEC §11) read into
`SettlementRow`s: page by page, each page retried a bounded number of times, the number of pages
bounded.

The report lists what was settled to the merchant on a day: `payment`, `refund`, `transfer` and
`adjustment` items (`entity_id`, `type`, `amount`, `currency`, `fee`, `tax`, `order_id`,
`payment_id`, `settlement_id`, `notes`, ...). Payments and refunds become rows; transfers and
adjustments are not ours and are passed over. Razorpay's `fee` includes its `tax` (the GST on the
fee), so a row's `fee_minor` is `fee - tax`: `fee_minor + tax_minor` is what Razorpay kept. An item
that cannot be read is skipped, counted (`SettlementReport.skipped`) and logged, never fatal.
"""

import json
import logging
import time

from ...errors import GatewayUnavailable
from ..base import SETTLED_PAYMENT, SETTLED_REFUND, SettlementRow
from .events import AMOUNT_MINOR_MAX, is_amount_minor, is_currency, is_id

logger = logging.getLogger("integration.settlement")

PAGE_SIZE_MAX = 1000  # Razorpay's largest `count` for this report
PAGES_MAX = 100  # 100,000 items a day at most; a report that fills every page is refused as too large
PAGE_ATTEMPTS_MAX = 3  # a page is asked for at most this many times before the report is given up
RETRY_PAUSE_SECONDS = 0.5  # before the second attempt at a page; doubled before each further one
RECEIPT_LENGTH_MAX = 40  # Razorpay keeps at most 40 characters of an order's receipt (our reference)
ROW_TYPES = {"payment": SETTLED_PAYMENT, "refund": SETTLED_REFUND}


class UnreadableItem(ValueError):
    """An item of the report whose fields cannot be read."""


class SettlementReport:
    """Razorpay's report of what it settled on `day` (a `datetime.date`), as `SettlementRow`s.

    Iterating asks `api.settlement_recon(year, month, day, count, skip)` (the live `RazorpayApi` or
    the simulator's) for one page at a time and yields its rows before asking for the next, so a
    GatewayUnavailable (a page that kept failing, a report too large) can come after rows were
    yielded: the caller does not record the day (the rows it matched before keep what they healed and
    noted, and are matched again when the day is settled in full). An item listed twice is yielded once. It
    is an iterator, read once: taking rows in batches (`itertools.islice`) continues where the last
    batch stopped."""

    def __init__(
        self,
        api,
        day,
        page_size=PAGE_SIZE_MAX,
        pages_max=PAGES_MAX,
        attempts_max=PAGE_ATTEMPTS_MAX,
        pause=time.sleep,
    ):
        if not 1 <= page_size <= PAGE_SIZE_MAX or pages_max < 1 or attempts_max < 1:
            raise ValueError("A report is read in pages of 1 to 1000 items, at least one page, one attempt each.")
        self.api, self.day, self.page_size, self.pages_max = api, day, page_size, pages_max
        self.attempts_max, self.pause = attempts_max, pause
        self.skipped = 0  # unreadable items passed over so far
        self._rows = self._read()

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._rows)

    def _read(self):
        seen = set()
        for page_number in range(self.pages_max):
            items = self._page(page_number * self.page_size)
            for item in items:
                row = self._row(item)
                if row is None:
                    continue
                key = (row.kind, row.refund_id or row.gateway_payment_id)
                if key not in seen:
                    seen.add(key)
                    yield row
            if len(items) < self.page_size:
                return
        raise GatewayUnavailable(
            f"Razorpay's settlement report for {self.day.isoformat()} has more than "
            f"{self.pages_max * self.page_size} items; it was not read."
        )

    def _page(self, skip):
        """One page of items, asked for up to `attempts_max` times, pausing longer each time."""
        pause_seconds = RETRY_PAUSE_SECONDS
        for attempt in range(1, self.attempts_max + 1):
            try:
                items = self.api.settlement_recon(self.day.year, self.day.month, self.day.day, self.page_size, skip)
            except GatewayUnavailable:
                items = None
            if isinstance(items, list):
                return items
            if attempt < self.attempts_max:
                self.pause(pause_seconds)
                pause_seconds *= 2
        raise GatewayUnavailable(
            f"Razorpay's settlement report for {self.day.isoformat()} could not be had "
            f"(items from {skip}, {self.attempts_max} attempts)."
        )

    def _row(self, item):
        """The item's row; None for an item that is not a payment or refund, or that is unreadable
        (then counted and logged)."""
        try:
            return read_item(item)
        except UnreadableItem as error:
            self.skipped += 1
            entity_id = item.get("entity_id") if isinstance(item, dict) else None
            logger.warning(
                "razorpay settlement report %s: unreadable item %.64r skipped (%s)",
                self.day.isoformat(),
                entity_id,
                error,
            )
            return None


def read_item(item):
    """The `SettlementRow` of one report item; None for a transfer, adjustment or another type that
    is not a payment or refund; UnreadableItem when its fields cannot be read."""
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise UnreadableItem("no type")
    kind = ROW_TYPES.get(item["type"])
    if kind is None:
        return None
    entity_id = _required_id(item, "entity_id")
    amount_minor, currency = item.get("amount"), item.get("currency")
    if not (is_amount_minor(amount_minor) and is_currency(currency)):
        raise UnreadableItem("amount or currency")
    fee_minor, tax_minor = _fee_and_tax(item)
    common = dict(
        amount_minor=amount_minor,
        currency=currency,
        fee_minor=fee_minor,
        tax_minor=tax_minor,
        payment_order_id=_optional_id(item, "order_id"),
        settlement_id=_optional_id(item, "settlement_id"),
    )
    if kind == SETTLED_PAYMENT:
        receipt = item.get("order_receipt")
        reference = receipt if is_id(receipt) and len(str(receipt)) < RECEIPT_LENGTH_MAX else None
        return SettlementRow(kind, entity_id, reference=reference, **common)
    payment_id = _required_id(item, "payment_id")  # the payment refunded
    return SettlementRow(kind, payment_id, refund_id=entity_id, reference=notes_reference(item.get("notes")), **common)


def notes_reference(notes):
    """`notes.reference` when it is one of our ids, else None. The report gives `notes` as an object,
    as JSON text of one (`"{}"`), as free text, or null."""
    if isinstance(notes, str):
        try:
            notes = json.loads(notes)
        except ValueError:
            return None
    reference = notes.get("reference") if isinstance(notes, dict) else None
    return reference if is_id(reference) else None


def _fee_and_tax(item):
    """(fee without tax, tax) in minor units; a missing or null `fee`/`tax` is 0."""
    fee, tax = item.get("fee"), item.get("tax")
    fee, tax = 0 if fee is None else fee, 0 if tax is None else tax
    for value in (fee, tax):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= AMOUNT_MINOR_MAX:
            raise UnreadableItem("fee or tax")
    if tax > fee:
        raise UnreadableItem("a tax larger than the fee that includes it")
    return fee - tax, tax


def _required_id(item: dict, name: str) -> str:
    value = item.get(name)
    if not is_id(value):
        raise UnreadableItem(name)
    return str(value)


def _optional_id(item, name):
    value = item.get(name)
    if value is None:
        return None
    if not is_id(value):
        raise UnreadableItem(name)
    return value
