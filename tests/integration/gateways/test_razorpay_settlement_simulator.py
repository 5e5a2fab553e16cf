"""The Razorpay simulator's books (SPEC §11): the payments its checkout page made or a test booked,
and the processed refunds it keeps, settled T+2 (by the UTC date of their `created_at`) with a 2% fee
and 18% GST on it, served as Razorpay's settlement recon report, page by page, and read back by the
adapter. Dates are explicit (booked captures and refunds), or today's for what the checkout page and
the refunds made just now."""

import datetime
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from backend.errors import GatewayUnavailable
from backend.gateways.base import SETTLED_PAYMENT, SETTLED_REFUND
from backend.gateways.razorpay.settlement import SettlementReport
from backend.gateways.razorpay.simulator import PAYMENTS_COLLECTION, REFUNDS_COLLECTION, SimulatedRazorpayApi
from backend.gateways.razorpay.simulator_books import BOOKS_INDEX, fee_and_tax, settlement_ids
from tests.helpers import unique

CAPTURED_ON = datetime.date(2030, 3, 10)
SETTLED_ON = datetime.date(2030, 3, 12)


@pytest.fixture
def razorpay(integration):
    return integration.payments.gateway("razorpay")


def at(day, hour=12, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute))


def recon(razorpay, day, count=1000, skip=0):
    return razorpay.api.settlement_recon(day.year, day.month, day.day, count, skip)


def book(razorpay, amount_minor=50000, captured_at=None, payment_id=None):
    payment_id = payment_id or unique("pay")
    razorpay.api.books.book_payment(payment_id, unique("order"), amount_minor, "INR", captured_at or at(CAPTURED_ON))
    return payment_id


def today():
    return datetime.datetime.now(datetime.UTC).date()


# --- fee and tax ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount_minor", "fee_minor", "tax_minor"),
    [
        (70000, 1652, 252),  # Razorpay's documented payment: ₹700 → fee ₹16.52 including ₹2.52 GST
        (100000, 2360, 360),
        (12345, 291, 44),  # 246.9 → 247 paise, its GST 44.46 → 44
        (25, 1, 0),  # 0.5 paise rounds half up to 1; its GST 0.18 to 0
        (1, 0, 0),
    ],
)
def test_a_payments_fee_is_two_percent_and_its_tax_eighteen_percent_of_that(amount_minor, fee_minor, tax_minor):
    assert fee_and_tax(amount_minor) == (fee_minor, tax_minor)


def test_a_settled_payment_carries_its_fee_tax_and_what_was_credited(razorpay):
    payment_id = book(razorpay, 70000)
    [item] = recon(razorpay, SETTLED_ON)
    assert (item["entity_id"], item["type"], item["amount"], item["currency"]) == (payment_id, "payment", 70000, "INR")
    assert (item["fee"], item["tax"], item["credit"], item["debit"]) == (1652, 252, 68348, 0)
    [row] = razorpay.settlement_report(SETTLED_ON)
    assert (row.fee_minor, row.tax_minor) == (1400, 252)


# --- T+2 -----------------------------------------------------------------------------------------
def test_a_capture_is_settled_two_days_later_by_its_utc_date(razorpay):
    late = book(razorpay, captured_at=at(CAPTURED_ON, 23, 59))
    next_day = book(razorpay, captured_at=at(CAPTURED_ON + datetime.timedelta(days=1), 0, 0))
    assert [item["entity_id"] for item in recon(razorpay, SETTLED_ON)] == [late]
    assert [item["entity_id"] for item in recon(razorpay, SETTLED_ON + datetime.timedelta(days=1))] == [next_day]
    assert recon(razorpay, SETTLED_ON - datetime.timedelta(days=1)) == []


def test_an_aware_capture_time_is_taken_in_utc(razorpay):
    india = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    payment_id = book(razorpay, captured_at=datetime.datetime(2030, 3, 11, 2, 0, tzinfo=india))  # 10 March, UTC
    assert [item["entity_id"] for item in recon(razorpay, SETTLED_ON)] == [payment_id]


def test_every_item_of_a_day_names_the_days_one_settlement(razorpay):
    book(razorpay), book(razorpay)
    settlement_id, utr = settlement_ids(SETTLED_ON)
    assert {(item["settlement_id"], item["settlement_utr"]) for item in recon(razorpay, SETTLED_ON)} == {
        (settlement_id, utr)
    }
    assert settlement_ids(SETTLED_ON + datetime.timedelta(days=1))[0] != settlement_id


# --- what is in the books ------------------------------------------------------------------------
def test_a_payment_made_on_the_checkout_page_is_settled_two_days_on(api, client, razorpay):
    body = api.initiate("cust_a", "10", method="razorpay").get_json()
    paid = client.post(urlsplit(body["redirect_url"]).path + "/pay")
    payment_id = parse_qs(urlsplit(paid.headers["Location"]).query)["razorpay_payment_id"][0]
    settled_on = today() + datetime.timedelta(days=2)
    [row] = list(razorpay.settlement_report(settled_on))
    assert (row.kind, row.gateway_payment_id, row.amount_minor) == (SETTLED_PAYMENT, payment_id, 1000)
    assert row.payment_order_id == body["payment_order_id"]


def test_a_failed_payment_is_not_in_the_books(razorpay):
    razorpay.api.record_payment(
        {"id": unique("pay"), "amount": 500, "currency": "INR", "status": "failed", "created_at": int(time.time())}
    )
    assert list(razorpay.settlement_report(today() + datetime.timedelta(days=2))) == []


def test_a_booked_payment_booked_again_is_listed_once_with_its_new_amount(razorpay):
    payment_id = book(razorpay, 50000)
    book(razorpay, 51000, payment_id=payment_id)
    assert [(item["entity_id"], item["amount"]) for item in recon(razorpay, SETTLED_ON)] == [(payment_id, 51000)]


def test_a_dashboard_refund_is_settled_as_a_refund_of_its_payment(razorpay):
    payment_id = book(razorpay, 50000, captured_at=datetime.datetime.now(datetime.UTC))
    refund_id = razorpay.api.dashboard_refund(payment_id, 2000, "INR")
    rows = list(razorpay.settlement_report(today() + datetime.timedelta(days=2)))
    assert [row.kind for row in rows] == [SETTLED_PAYMENT, SETTLED_REFUND]
    refund = rows[1]
    assert (refund.refund_id, refund.gateway_payment_id, refund.amount_minor) == (refund_id, payment_id, 2000)
    assert refund.payment_order_id == rows[0].payment_order_id
    assert (refund.reference, refund.fee_minor, refund.tax_minor) == (None, 0, 0)


def test_our_refund_is_settled_with_our_reference(razorpay):
    payment_id, reference = unique("pay"), unique("wdr")
    razorpay.refund(payment_id, 2500, "INR", reference)
    [row] = list(razorpay.settlement_report(today() + datetime.timedelta(days=2)))
    assert (row.kind, row.gateway_payment_id, row.reference, row.payment_order_id) == (
        SETTLED_REFUND,
        payment_id,
        reference,
        None,  # a payment the simulator never recorded: its order is not known
    )


def test_a_failed_refund_is_not_settled(razorpay):
    razorpay.api.fail_refunds(True)
    razorpay.refund(unique("pay"), 2500, "INR", unique("wdr"))
    assert list(razorpay.settlement_report(today() + datetime.timedelta(days=2))) == []


def test_a_booked_refund_is_settled_two_days_after_it_was_made(razorpay):
    payment_id, refund_id, reference = book(razorpay), unique("rfnd"), unique("wdr")
    razorpay.api.books.book_refund(refund_id, payment_id, 700, "INR", at(CAPTURED_ON, 18), reference=reference)
    refund = list(razorpay.settlement_report(SETTLED_ON))[1]
    assert (refund.refund_id, refund.gateway_payment_id, refund.amount_minor, refund.reference) == (
        refund_id,
        payment_id,
        700,
        reference,
    )


@pytest.mark.parametrize(
    "booking",
    [
        ("pay", "order", 0, "INR"),
        ("pay", "order", 100, "rupees"),
        ("pay id", "order", 100, "INR"),
        ("pay", None, 100, "INR"),
    ],
    ids=["zero amount", "not a currency", "not an id", "no order"],
)
def test_a_booking_that_razorpay_could_not_have_made_is_refused(razorpay, booking):
    with pytest.raises(ValueError):
        razorpay.api.books.book_payment(*booking, at(CAPTURED_ON))


# --- pages -----------------------------------------------------------------------------------------
def test_the_days_report_is_paged_payments_first_then_refunds(razorpay):
    payments = [book(razorpay, captured_at=at(CAPTURED_ON, 8, minute)) for minute in range(5)]
    refunds = [unique("rfnd"), unique("rfnd")]
    for hour, refund_id in enumerate(refunds):
        razorpay.api.books.book_refund(refund_id, payments[0], 100, "INR", at(CAPTURED_ON, 20 + hour))
    pages = [[item["entity_id"] for item in recon(razorpay, SETTLED_ON, count=3, skip=skip)] for skip in (0, 3, 6)]
    assert pages == [payments[:3], payments[3:] + refunds[:1], refunds[1:]]
    rows = list(SettlementReport(razorpay.api, SETTLED_ON, page_size=3))
    assert [row.refund_id or row.gateway_payment_id for row in rows] == payments + refunds


@pytest.mark.parametrize(
    ("date", "count", "skip"),
    [((2030, 2, 30), 10, 0), ((2030, 3, 12), 1001, 0), ((2030, 3, 12), 0, 0), ((2030, 3, 12), 10, -1)],
    ids=["not a date", "count above 1000", "count 0", "negative skip"],
)
def test_a_request_razorpay_would_refuse_is_gateway_unavailable(razorpay, date, count, skip):
    with pytest.raises(GatewayUnavailable):
        razorpay.api.settlement_recon(*date, count, skip)


def test_a_day_without_activity_has_an_empty_report(razorpay):
    assert list(razorpay.settlement_report(SETTLED_ON)) == []


def test_without_a_store_the_simulator_keeps_no_books():
    api = SimulatedRazorpayApi()
    assert api.settlement_recon(2030, 3, 12, 1000, 0) == []
    with pytest.raises(RuntimeError):
        api.books.book_payment("pay_A", "order_A", 100, "INR", at(CAPTURED_ON))


@pytest.mark.parametrize("collection", [PAYMENTS_COLLECTION, REFUNDS_COLLECTION])
def test_the_books_are_read_by_their_index(db, collection):
    keys = [
        [(field, int(direction)) for field, direction in spec["key"]]
        for spec in db[collection].index_information().values()
    ]
    assert BOOKS_INDEX in keys
