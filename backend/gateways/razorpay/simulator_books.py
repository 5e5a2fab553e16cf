"""The Razorpay simulator's books (SPEC §11): what it captured and refunded, settled T+2, served as
Razorpay's settlement recon report (`GET /v1/settlements/recon/combined`).

Its books are the captured payments in `simulator_razorpay_payments` (those its checkout page made,
those a test booked, and those the service credited under the simulator's secrets that it never
made — a checkout signature or webhook signed by hand, SPEC §6 — booked as captured when they were
credited, the first time a report of their day is asked for: a simulator treats every payment the
service credited as its own, §9) and the processed refunds in `simulator_razorpay_refunds` (ours, the
dashboard's, and those a test booked). Each is settled on the UTC date of its `created_at` plus
`lag_days` (SETTLEMENT_LAG_DAYS, T+2, unless RAZORPAY_SETTLEMENT_LAG_DAYS sets the cycle it plays).
A payment's fee is FEE_RATE of its amount and the tax GST_RATE of that fee, each rounded half up to
whole paise (Razorpay documents no rounding; e.g. ₹700.00 → fee ₹14.00, tax ₹2.52, as in Razorpay's
documented payment). As Razorpay reports them, `fee` includes `tax`
(`credit = amount - fee`); a refund carries no fee. The books answer any day asked, past or not.
Tests make the report disagree with the ledger: `book_payment` (a capture the ledger never saw, or
another amount), `book_refund` (a refund the service never heard of).
"""

import datetime
import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal

from ...errors import GatewayUnavailable
from .events import is_amount_minor, is_currency, is_id
from .settlement import PAGE_SIZE_MAX

SETTLEMENT_LAG_DAYS = 2  # Razorpay's default settlement cycle for domestic payments: T+2
ADOPTED_MAX = 10_000  # credited payments it never made, booked per day at most
FEE_RATE = Decimal("0.02")
GST_RATE = Decimal("0.18")
ORDER = [("created_at", 1), ("_id", 1)]
# The index both collections need for a day's books (`entry.py` declares it).
BOOKS_INDEX = [("status", 1), *ORDER]


def fee_and_tax(amount_minor):
    """(fee including tax, tax) of a payment of `amount_minor`, in minor units, as the report gives them."""
    whole = Decimal(1)
    fee = (Decimal(amount_minor) * FEE_RATE).quantize(whole, rounding=ROUND_HALF_UP)
    tax = (fee * GST_RATE).quantize(whole, rounding=ROUND_HALF_UP)
    return int(fee + tax), int(tax)


def unix_seconds(moment):
    """A `datetime` (naive: UTC) as Razorpay's whole Unix seconds."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return int(moment.timestamp())


def settlement_ids(day):
    """(settlement id, UTR) of the simulator's one settlement of `day`, the same every time."""
    digest = hashlib.sha256(f"razorpay-simulator-settlement:{day.isoformat()}".encode()).hexdigest()
    return "setl_" + digest[:14], digest[14:30]


class SimulatorBooks:
    """The simulator's captures and refunds, kept in its collections (None: it keeps none);
    `credited`: the service's credited top-ups (`GatewayEnv.credited`), or None."""

    def __init__(self, payments, refunds, credited=None, lag_days=SETTLEMENT_LAG_DAYS):
        """`lag_days`: the account's settlement cycle it plays (RAZORPAY_SETTLEMENT_LAG_DAYS)."""
        self.payments, self.refunds, self.credited = payments, refunds, credited
        self.lag_days = lag_days

    def settlement_recon(self, year, month, day, count, skip):
        """The items Razorpay's recon report lists for the settlement day, `count` after the first
        `skip`: the day's payments (oldest first), then its refunds. GatewayUnavailable for a request
        Razorpay would refuse (BAD_REQUEST_ERROR), as the live API object answers one."""
        try:
            settled_on = datetime.date(year, month, day)
        except (TypeError, ValueError):
            raise GatewayUnavailable("The settlement report's date is not a date.") from None
        if not 1 <= count <= PAGE_SIZE_MAX or skip < 0:
            raise GatewayUnavailable(f"The report's count is 1 to {PAGE_SIZE_MAX}, its skip at least 0.")
        if self.payments is None or self.refunds is None:
            return []
        captured_on = datetime.datetime.combine(settled_on, datetime.time()) - datetime.timedelta(days=self.lag_days)
        captured_before = captured_on + datetime.timedelta(days=1)
        if skip == 0:
            self._book_credited(captured_on, captured_before)
        window = {"$gte": unix_seconds(captured_on), "$lt": unix_seconds(captured_before)}
        payments_filter = {"status": "captured", "created_at": window}
        refunds_filter = {"status": "processed", "created_at": window}
        context = (settled_on, *settlement_ids(settled_on))
        payments_count = self.payments.count_documents(payments_filter)
        items = []
        if skip < payments_count:
            found = self.payments.find(payments_filter, sort=ORDER).skip(skip).limit(count)
            items = [payment_item(payment, *context) for payment in found]
        if len(items) < count:
            found = self.refunds.find(refunds_filter, sort=ORDER).skip(max(0, skip - payments_count))
            refunds = list(found.limit(count - len(items)))
            orders = self._orders_of([refund["payment_id"] for refund in refunds])
            items += [refund_item(refund, orders.get(refund["payment_id"]), *context) for refund in refunds]
        return items

    def _book_credited(self, start, end):
        """Book the payments the service credited in [start, end) that these books do not hold, each
        captured when it was credited (one booked already, or recorded failed, is left as it is)."""
        if self.credited is None:
            return
        credited = self.credited("razorpay", start, end, ADOPTED_MAX)
        ids = [po.gateway_payment_id for po, _paid_at in credited]
        held = {p["_id"] for p in self.payments.find({"_id": {"$in": ids}}, projection={"_id": 1})}
        for po, paid_at in credited:
            if po.gateway_payment_id not in held:
                entity = captured_payment(po.gateway_payment_id, po.id, po.amount_minor, po.currency, paid_at)
                self.payments.update_one({"_id": entity["id"]}, {"$setOnInsert": entity}, upsert=True)

    def book_payment(self, payment_id, order_id, amount_minor, currency, captured_at):
        """Book a captured payment of `order_id` (a `datetime`, naive UTC, or aware) as the checkout
        page would have recorded it; one booked again under its id is replaced (another amount)."""
        if not (is_id(payment_id) and is_id(order_id) and is_amount_minor(amount_minor) and is_currency(currency)):
            raise ValueError("A payment has ids, a whole positive amount of minor units and a currency.")
        entity = captured_payment(payment_id, order_id, amount_minor, currency, captured_at)
        self._kept(self.payments).replace_one({"_id": payment_id}, entity, upsert=True)

    def book_refund(self, refund_id, payment_id, amount_minor, currency, refunded_at, reference=None):
        """Book a processed refund of `payment_id` made at `refunded_at` that no webhook announced
        (with `reference` in its notes, as one of ours, or without: the dashboard's)."""
        if not (is_id(refund_id) and is_id(payment_id) and is_amount_minor(amount_minor) and is_currency(currency)):
            raise ValueError("A refund has ids, a whole positive amount of minor units and a currency.")
        if reference is not None and not is_id(reference):
            raise ValueError("A refund's reference is one of our ids.")
        entity = {
            "id": refund_id,
            "entity": "refund",
            "amount": amount_minor,
            "currency": currency,
            "payment_id": payment_id,
            "notes": {"reference": reference} if reference else [],
            "created_at": unix_seconds(refunded_at),
            "status": "processed",
            "speed_processed": "normal",
            "speed_requested": "normal",
        }
        self._kept(self.refunds).replace_one({"_id": refund_id}, dict(entity, request=None), upsert=True)

    def _orders_of(self, payment_ids):
        """payment id -> its order id, for the payments these books keep (one query)."""
        found = self.payments.find({"_id": {"$in": sorted(set(payment_ids))}}, projection={"order_id": 1})
        return {payment["_id"]: payment.get("order_id") for payment in found}

    @staticmethod
    def _kept(collection):
        if collection is None:
            raise RuntimeError("The simulator keeps no books without a store.")
        return collection


def captured_payment(payment_id, order_id, amount_minor, currency, captured_at):
    """A captured payment of `order_id` as the checkout page records one."""
    return {
        "id": payment_id,
        "entity": "payment",
        "amount": amount_minor,
        "currency": currency,
        "status": "captured",
        "order_id": order_id,
        "method": "upi",
        "captured": True,
        "notes": [],
        "created_at": unix_seconds(captured_at),
    }


def payment_item(payment, settled_on, settlement_id, utr):
    """A captured payment as the recon report lists it."""
    fee, tax = fee_and_tax(payment["amount"])
    item = _item(payment, "payment", settled_on, settlement_id, utr)
    item.update(debit=0, credit=payment["amount"] - fee, fee=fee, tax=tax, order_id=payment.get("order_id"))
    item.update(method=payment.get("method"), description=payment.get("description"))
    return item


def refund_item(refund, order_id, settled_on, settlement_id, utr):
    """A processed refund as the recon report lists it (`order_id`: its payment's, when known)."""
    item = _item(refund, "refund", settled_on, settlement_id, utr)
    item.update(debit=refund["amount"], credit=0, fee=0, tax=0, payment_id=refund["payment_id"], order_id=order_id)
    return item


def _item(entity, item_type, settled_on, settlement_id, utr):
    notes = entity.get("notes")
    return {
        "entity_id": entity["id"],
        "type": item_type,
        "debit": 0,
        "credit": 0,
        "amount": entity["amount"],
        "currency": entity["currency"],
        "fee": 0,
        "tax": 0,
        "on_hold": False,
        "settled": True,
        "created_at": entity["created_at"],
        "settled_at": unix_seconds(datetime.datetime.combine(settled_on, datetime.time())),
        "settlement_id": settlement_id,
        "posted_at": None,
        "credit_type": "default",
        "description": None,
        "notes": json.dumps(notes if isinstance(notes, dict) else {}),  # the report gives notes as JSON text
        "payment_id": None,
        "settlement_utr": utr,
        "order_id": None,
        "order_receipt": None,
        "method": None,
        "card_network": None,
        "card_issuer": None,
        "card_type": None,
        "dispute_id": None,
    }
