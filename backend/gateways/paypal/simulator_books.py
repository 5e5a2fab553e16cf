"""The PayPal simulator's books (SPEC §11): what it captured and refunded, each on its transaction day
(UTC), served as PayPal's transaction search (`GET /v1/reporting/transactions`) answers it.

Captures are those of its orders (`simulator_paypal_orders`, by the capture's `create_time`; the
captures the service credited under the simulator's secrets that it never made — a webhook signed by
hand, SPEC §6 — are booked as made when they were credited, the first time a window holding them is
searched: a simulator treats every payment the service credited as its own, §9), each a
T0006 transaction naming its order (`paypal_reference_id`, type ODR) and its `custom_id`
(`custom_field`), with PayPal's fee: FEE_PER_MILLE of the amount (rounded half up) plus FEE_FIXED_MINOR,
at most the amount, shown negative as PayPal does. Refunds are those of `simulator_paypal_refunds`
once COMPLETED (by their `create_time`): T1107 (the merchant's refunds, asked or made in the
dashboard) or T1106 (PayPal's reversals), a negative amount naming the capture; no fee comes back.
Asked for every record (`balance_affecting_only=False`), it lists each capture twice, as PayPal can:
first a record that does not affect the balance (pending, no fee), then the one that does. Pages
are 1-based, at most 500 transactions each; a window listing more than PayPal serves (10,000) is
refused as PayPal refuses it (`ResultSetTooLarge`).

Tests make the report disagree with the ledger through `book_capture` (a capture the service never
saw, or another amount or day for one it did) and `book_refund` (a refund whose webhook never came);
`refreshed_at` plays PayPal's late data (None: up to date).
"""

import datetime
import hashlib

from pymongo.errors import DuplicateKeyError

from ...errors import GatewayUnavailable
from ...money import format_major, is_amount_minor
from .api import TRANSACTIONS_RESULT_MAX, ResultSetTooLarge
from .shapes import ID_ALPHABET, new_paypal_id, parse_amount, told_id
from .simulator_cases import DASHBOARD, REFUNDS_COLLECTION, REVERSAL, money

FEE_PER_MILLE = 29  # 2.9 % of the amount
FEE_FIXED_MINOR = 30  # plus 0.30 of a two-decimal currency, per captured payment
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # the simulator's `create_time` (its text order is time order)
PAGE_SIZE_MAX = 500
WINDOW_DAYS_MAX = 31
CAPTURE_ORDER = [("capture.create_time", 1), ("_id", 1)]
REFUND_ORDER = [("create_time", 1), ("_id", 1)]
# The indexes its reads need (declared in the registry entry): captures by day; completed refunds by day.
ORDERS_INDEX = CAPTURE_ORDER
REFUNDS_INDEX = [("status", 1), *REFUND_ORDER]
PAYER_ACCOUNT_ID = "SIMPAYERACCT1"
ADOPTED_MAX = 10_000  # credited captures it never made, booked per search at most


def _captured_order(order_id, capture_id, fields):
    """A COMPLETED order of the simulator's whose capture `capture_id` has `fields` (amount,
    custom_id, create_time)."""
    capture = dict(fields, id=capture_id, status="COMPLETED", final_capture=True)
    capture["supplementary_data"] = {"related_ids": {"order_id": order_id}}
    custom_id = fields["custom_id"]
    unit = {"reference_id": custom_id or order_id, "custom_id": custom_id, "amount": fields["amount"]}
    return {
        "_id": order_id,
        "request_id": f"books-{order_id}",
        "status": "COMPLETED",
        "purchase_units": [unit],
        "capture": capture,
    }


def fee_minor(amount_minor):
    """PayPal's fee on a capture of `amount_minor`, in the simulator: 2.9 % (half up) + 30, at most the amount."""
    return min(amount_minor, (amount_minor * FEE_PER_MILLE + 500) // 1000 + FEE_FIXED_MINOR)


def _text(moment):
    """An aware datetime as the simulator's `create_time` text (UTC, whole seconds)."""
    if not isinstance(moment, datetime.datetime) or moment.tzinfo is None:
        raise ValueError("A moment in the simulator's books is an aware datetime.")
    return moment.astimezone(datetime.UTC).strftime(TIME_FORMAT)


def _paypal_time(create_time):
    """The simulator's `create_time` as the transaction search writes its dates: 2024-01-31T10:00:00+0000."""
    return create_time.removesuffix("Z") + "+0000"


def _negative(amount_minor, currency):
    return {"currency_code": currency, "value": "-" + format_major(amount_minor, currency)}


class PayPalBooks:
    """The simulator's books, for `api` (the `SimulatedPayPalApi` whose orders hold its captures)."""

    def __init__(self, api, db, credited=None):
        """`credited`: the service's credited top-ups (`GatewayEnv.credited`), or None."""
        self.orders, self.credited = api.orders, credited
        self.refunds = db[REFUNDS_COLLECTION]
        self.refreshed_at = None  # an aware datetime: PayPal's data is as of then (late); None: now
        self.result_set_max = TRANSACTIONS_RESULT_MAX

    def transactions(self, start_date, end_date, page, page_size, balance_affecting_only=True):
        """As `PayPalApi.transactions`: one page of the transactions of [start_date, end_date)."""
        if not (isinstance(page, int) and page >= 1 and isinstance(page_size, int) and 1 <= page_size <= PAGE_SIZE_MAX):
            raise GatewayUnavailable("The PayPal simulator refused the transaction search (INVALID_REQUEST: page).")
        start, end = _text(start_date), _text(end_date)
        if not datetime.timedelta(0) < end_date - start_date <= datetime.timedelta(days=WINDOW_DAYS_MAX):
            raise GatewayUnavailable("The PayPal simulator refused the transaction search (INVALID_REQUEST: dates).")
        if page == 1:
            self._book_credited(start_date, end_date)
        captured = {"capture.create_time": {"$gte": start, "$lt": end}}
        refunded = {"status": "COMPLETED", "create_time": {"$gte": start, "$lt": end}}
        per_capture = 1 if balance_affecting_only else 2
        capture_rows = self.orders.count_documents(captured) * per_capture
        total = capture_rows + self.refunds.count_documents(refunded)
        if total > self.result_set_max:
            raise ResultSetTooLarge()
        first, last = (page - 1) * page_size, min(page * page_size, total)
        details = []
        if first < min(last, capture_rows):
            low, high = first // per_capture, -(-min(last, capture_rows) // per_capture)
            rows = []
            for order in self.orders.find(captured).sort(CAPTURE_ORDER).skip(low).limit(high - low):
                rows += ([_capture_info(order, balance_affecting=False)] if per_capture == 2 else []) + [
                    _capture_info(order)
                ]
            details += rows[first - low * per_capture : min(last, capture_rows) - low * per_capture]
        if last > capture_rows:
            low, high = max(first - capture_rows, 0), last - capture_rows
            refunds = self.refunds.find(refunded).sort(REFUND_ORDER).skip(low).limit(high - low)
            details += [_refund_info(refund) for refund in refunds]
        refreshed = self.refreshed_at or datetime.datetime.now(datetime.UTC)
        return {
            "transaction_details": [{"transaction_info": info} for info in details],
            "account_number": "SIMULATORMERCH",
            "start_date": _paypal_time(start),
            "end_date": _paypal_time(end),
            "last_refreshed_datetime": _paypal_time(_text(refreshed)),
            "page": page,
            "total_items": total,
            "total_pages": -(-total // page_size),
            "links": [],
        }

    def _book_credited(self, start_date, end_date):
        """Book the captures the service credited in [start_date, end_date) that these books do not
        hold, each made when it was credited, under an order id of its own capture's (two searches at
        once book it once), hand-signed capture ids PayPal would not make (`CAP_hand_1`) too: the simulator
        treats every payment credited under its secrets as its own (SPEC §9)."""
        if self.credited is None:
            return
        utc = [moment.astimezone(datetime.UTC).replace(tzinfo=None) for moment in (start_date, end_date)]
        credited = self.credited("paypal", *utc, ADOPTED_MAX)
        ids = [po.gateway_payment_id for po, _paid_at in credited]
        held = {
            o["capture"]["id"] for o in self.orders.find({"capture.id": {"$in": ids}}, projection={"capture.id": 1})
        }
        for po, paid_at in credited:
            capture_id = po.gateway_payment_id
            if capture_id in held:
                continue
            digest = hashlib.sha256(f"booked:{capture_id}".encode()).digest()
            order_id = "".join(ID_ALPHABET[byte % len(ID_ALPHABET)] for byte in digest[:17])
            fields = {"amount": money(po.amount_minor, po.currency), "custom_id": po.reference}
            fields["create_time"] = _text(paid_at.replace(tzinfo=datetime.UTC))
            try:
                self.orders.insert_one(_captured_order(order_id, capture_id, fields))
            except DuplicateKeyError:
                pass  # another search booked it

    def book_capture(self, capture_id, custom_id, amount_minor, currency, at):
        """PayPal's books say it captured `amount_minor` (in `currency`) as `capture_id` at `at` (an
        aware datetime), naming `custom_id` (our payment order's reference, or None): a capture the
        simulator made is changed so (another amount or day), any other is a new COMPLETED order of
        its own. Nothing is announced (no webhook). The order's id."""
        told_id(capture_id)
        if not is_amount_minor(amount_minor, currency):
            raise ValueError("A booked capture has a positive amount in minor units.")
        fields = {"amount": money(amount_minor, currency), "custom_id": custom_id, "create_time": _text(at)}
        existing = self.orders.find_one({"capture.id": capture_id})
        if existing is not None:
            self.orders.update_one({"_id": existing["_id"]}, {"$set": {f"capture.{k}": v for k, v in fields.items()}})
            return existing["_id"]
        order_id = new_paypal_id()
        self.orders.insert_one(_captured_order(order_id, capture_id, fields))
        return order_id

    def book_refund(self, capture_id, amount_minor, currency, at, custom_id=None):
        """PayPal's books say it refunded `amount_minor` of `capture_id` at `at` (a refund made in the
        dashboard when `custom_id` is None, else one naming our refund reference), and no webhook
        told of it. The refund's id."""
        told_id(capture_id)
        if not is_amount_minor(amount_minor, currency):
            raise ValueError("A booked refund has a positive amount in minor units.")
        refund_id = new_paypal_id()
        self.refunds.insert_one(
            {
                "_id": refund_id,
                "kind": DASHBOARD,
                "capture_id": capture_id,
                "request_id": f"books-{refund_id}",
                "amount_minor": amount_minor,
                "currency": currency,
                "status": "COMPLETED",
                "create_time": _text(at),
                "custom_id": custom_id,
            }
        )
        return refund_id


def _capture_info(order, balance_affecting=True):
    """A capture as the transaction search lists it (the record that affects the balance, or not)."""
    capture = order["capture"]
    amount_minor, currency = parse_amount(capture["amount"])
    info = {
        "paypal_account_id": PAYER_ACCOUNT_ID,
        "transaction_id": capture["id"],
        "paypal_reference_id": order["_id"],
        "paypal_reference_id_type": "ODR",
        "transaction_event_code": "T0006",
        "transaction_initiation_date": _paypal_time(capture["create_time"]),
        "transaction_updated_date": _paypal_time(capture["create_time"]),
        "transaction_amount": capture["amount"],
        "transaction_status": "S" if balance_affecting else "P",
        "protection_eligibility": "01",
    }
    if balance_affecting:
        info["fee_amount"] = _negative(fee_minor(amount_minor), currency)
    if capture.get("custom_id"):
        info["custom_field"] = capture["custom_id"]
    return info


def _refund_info(refund):
    """A completed refund (T1107) or reversal (T1106) as the transaction search lists it."""
    info = {
        "paypal_account_id": PAYER_ACCOUNT_ID,
        "transaction_id": refund["_id"],
        "paypal_reference_id": refund["capture_id"],
        "paypal_reference_id_type": "TXN",
        "transaction_event_code": "T1106" if refund["kind"] == REVERSAL else "T1107",
        "transaction_initiation_date": _paypal_time(refund["create_time"]),
        "transaction_updated_date": _paypal_time(refund["create_time"]),
        "transaction_amount": _negative(refund["amount_minor"], refund["currency"]),
        "transaction_status": "S",
    }
    if refund.get("custom_id"):
        info["custom_field"] = refund["custom_id"]
    return info
