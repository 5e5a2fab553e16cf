"""The PayPal simulator's books (SPEC §11): what it captured and refunded, each on its transaction day
(UTC), with its fee, served as PayPal's transaction search (paginated, each capture listed twice when
every record is asked for, a window too large refused) and read by the adapter as live PayPal is; what
tests call to make the report disagree with the ledger (`book_capture`, `book_refund`) and PayPal's
late data (`refreshed_at`). On the embedded store."""

import datetime

import pytest

from backend.db import connect
from backend.errors import GatewayUnavailable
from backend.gateways.base import SETTLED_PAYMENT, SETTLED_REFUND, SettlementRow
from backend.gateways.paypal.adapter import PayPalGateway
from backend.gateways.paypal.api import ResultSetTooLarge
from backend.gateways.paypal.entry import GATEWAY
from backend.gateways.paypal.settlement import SettlementReport
from backend.gateways.paypal.simulator import COLLECTION, DEV_PAYPAL_WEBHOOK_ID, SimulatedPayPalApi, paypal_id
from backend.gateways.paypal.simulator_books import fee_minor
from tests.helpers import unique

DAY = datetime.date(2024, 3, 5)
MIDNIGHT = datetime.datetime(2024, 3, 5, tzinfo=datetime.UTC)


class Posted(list):
    """The simulator's `deliver_webhook`: keeps each (body, headers) and answers 200."""

    def __call__(self, body, headers, wait=False):
        self.append((body, headers))
        return 200


class EveryRecord:
    """The simulator's API asked for every record, balance-affecting or not (as with `=N`)."""

    def __init__(self, simulator):
        self.simulator = simulator

    def transactions(self, start_date, end_date, page, page_size, balance_affecting_only=True):
        return self.simulator.transactions(start_date, end_date, page, page_size, balance_affecting_only=False)


@pytest.fixture
def store():
    database = connect("mongomock://localhost", unique("t"))
    for collection, indexes in GATEWAY.simulator_collections.items():
        for keys, options in indexes:
            database[collection].create_index(keys, **options)
    return database


@pytest.fixture
def posted():
    return Posted()


@pytest.fixture
def simulator(store, posted):
    return SimulatedPayPalApi(store, "http://localhost/simulator/paypal/checkout", DEV_PAYPAL_WEBHOOK_ID, posted)


@pytest.fixture
def gateway(simulator):
    gateway = PayPalGateway(simulator, DEV_PAYPAL_WEBHOOK_ID)
    gateway.pause = lambda seconds: None
    return gateway


def captured(simulator, value="10.50", custom_id="wtp_ref1"):
    """A capture the simulator made now (an approved order, captured): (capture id, order id, its UTC day)."""
    amount = {"currency_code": "USD", "value": value}
    order = simulator.create_order({"purchase_units": [{"custom_id": custom_id, "amount": amount}]}, unique("req"))
    simulator.approve(order["id"])
    capture = simulator.capture_order(order["id"], unique("cap"))["purchase_units"][0]["payments"]["captures"][0]
    return capture["id"], order["id"], datetime.date.fromisoformat(capture["create_time"][:10])


def at(hours, minutes=0, seconds=0):
    return MIDNIGHT + datetime.timedelta(hours=hours, minutes=minutes, seconds=seconds)


def page(simulator, number=1, size=500, day=DAY, every_record=False):
    start = datetime.datetime.combine(day, datetime.time(), datetime.UTC)
    return simulator.transactions(start, start + datetime.timedelta(days=1), number, size, not every_record)


def infos(answer):
    return [detail["transaction_info"] for detail in answer["transaction_details"]]


# --- the fee -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("amount_minor", "fee"), [(1050, 60), (10_000, 320), (100_017, 2930), (20, 20)])
def test_fee_is_2_9_percent_half_up_plus_30_at_most_the_amount(amount_minor, fee):
    assert fee_minor(amount_minor) == fee


# --- captures and refunds, each on its day -------------------------------------------------------
def test_a_capture_it_made_is_in_its_days_report_with_its_fee(gateway, simulator):
    capture_id, order_id, day = captured(simulator)
    assert list(gateway.settlement_report(day)) == [
        SettlementRow(
            SETTLED_PAYMENT, capture_id, 1050, "USD", fee_minor=60, payment_order_id=order_id, reference="wtp_ref1"
        )
    ]
    assert list(gateway.settlement_report(day - datetime.timedelta(days=1))) == []


def test_transactions_are_listed_in_paypals_shape(simulator):
    simulator.books.book_capture("1AA00000000000001", "wtp_ref1", 1050, "USD", at(10, 15))
    answer = page(simulator)
    [info] = infos(answer)
    assert info["transaction_event_code"] == "T0006"
    assert info["transaction_initiation_date"] == "2024-03-05T10:15:00+0000"
    assert info["transaction_amount"] == {"currency_code": "USD", "value": "10.50"}
    assert info["fee_amount"] == {"currency_code": "USD", "value": "-0.60"}
    assert (info["transaction_status"], info["custom_field"], info["paypal_reference_id_type"]) == (
        "S",
        "wtp_ref1",
        "ODR",
    )
    assert (answer["page"], answer["total_items"], answer["total_pages"]) == (1, 1, 1)


def test_a_day_runs_from_midnight_to_midnight_utc(gateway, simulator):
    simulator.books.book_capture("1AA00000000000001", None, 100, "USD", at(0) - datetime.timedelta(seconds=1))
    simulator.books.book_capture("1AA00000000000002", None, 200, "USD", at(0))
    simulator.books.book_capture("1AA00000000000003", None, 300, "USD", at(23, 59, 59))
    simulator.books.book_capture("1AA00000000000004", None, 400, "USD", at(24))
    assert [row.amount_minor for row in gateway.settlement_report(DAY)] == [200, 300]


def test_a_refund_asked_is_in_the_report_naming_its_reference(gateway, simulator):
    capture_id, _, _ = captured(simulator)
    refund = gateway.refund(capture_id, 500, "USD", "rfd_ref1")
    day = datetime.datetime.now(datetime.UTC).date()
    rows = [row for row in gateway.settlement_report(day) if row.kind == SETTLED_REFUND]
    assert rows == [
        SettlementRow(SETTLED_REFUND, capture_id, 500, "USD", refund_id=refund.refund_id, reference="rfd_ref1")
    ]


def test_a_refund_is_listed_only_once_completed(gateway, simulator):
    simulator.cases.hold_refunds = True
    capture_id, _, day = captured(simulator)
    gateway.refund(capture_id, 500, "USD", "rfd_ref1")
    assert [row.kind for row in gateway.settlement_report(day)] == [SETTLED_PAYMENT]
    simulator.cases.settle_refunds()
    assert [row.kind for row in gateway.settlement_report(day)] == [SETTLED_PAYMENT, SETTLED_REFUND]


def test_a_dashboard_refund_names_no_reference_and_a_reversal_is_t1106(gateway, simulator):
    capture_id, _, day = captured(simulator)
    refund_id = simulator.cases.dashboard_refund(capture_id, 300, "USD")
    simulator.cases.reverse_capture(capture_id, 750, "USD")
    codes = [info["transaction_event_code"] for info in infos(page(simulator, day=day))]
    assert sorted(codes) == ["T0006", "T1106", "T1107"]  # in one second: by id
    [row] = [row for row in gateway.settlement_report(day) if row.kind == SETTLED_REFUND]
    assert (row.refund_id, row.amount_minor, row.reference) == (refund_id, 300, None)


# --- making the report disagree ------------------------------------------------------------------
def test_booked_capture_the_ledger_never_saw_is_listed(gateway, simulator, posted):
    order_id = simulator.books.book_capture("1AA00000000000009", "wtp_lost", 2500, "USD", at(9))
    assert list(gateway.settlement_report(DAY)) == [
        # fee: 72.5 half up to 73, plus 30
        SettlementRow(
            SETTLED_PAYMENT,
            "1AA00000000000009",
            2500,
            "USD",
            fee_minor=103,
            payment_order_id=order_id,
            reference="wtp_lost",
        )
    ]
    assert posted == []


def test_booking_a_capture_it_made_changes_its_amount(gateway, simulator, store):
    capture_id, order_id, _ = captured(simulator)
    assert simulator.books.book_capture(capture_id, "wtp_ref1", 999, "USD", at(11)) == order_id
    [row] = gateway.settlement_report(DAY)
    assert (row.gateway_payment_id, row.amount_minor, row.payment_order_id) == (capture_id, 999, order_id)
    assert store[COLLECTION].count_documents({}) == 1


def test_booked_refund_is_listed_without_a_webhook(gateway, simulator, posted):
    capture_id = paypal_id()
    refund_id = simulator.books.book_refund(capture_id, 400, "USD", at(15))
    assert list(gateway.settlement_report(DAY)) == [
        SettlementRow(SETTLED_REFUND, capture_id, 400, "USD", refund_id=refund_id)
    ]
    assert posted == []


def test_late_data_keeps_a_day_over_from_being_read(gateway, simulator):
    simulator.books.book_capture("1AA00000000000001", None, 100, "USD", at(12))
    simulator.books.refreshed_at = at(21)
    with pytest.raises(GatewayUnavailable, match="not complete yet"):
        gateway.settlement_report(DAY)
    simulator.books.refreshed_at = at(27)
    assert len(list(gateway.settlement_report(DAY))) == 1


# --- pages, duplicates, too many -----------------------------------------------------------------
def booked(simulator, count, refunds=0):
    """`count` captures through the day (and `refunds` refunds of the first ones): their ids, in time order."""
    ids = [f"1AA{n:014d}" for n in range(count)]
    for n, capture_id in enumerate(ids):
        simulator.books.book_capture(capture_id, f"wtp_{n}", 1000 + n, "USD", at(0, 10 * n + 1))
    for n in range(refunds):
        simulator.books.book_refund(ids[n], 100, "USD", at(23, n))
    return ids


def test_pages_hold_page_size_transactions_in_time_order(simulator):
    ids = booked(simulator, 5, refunds=2)
    pages = [page(simulator, number, size=3) for number in (1, 2, 3)]
    assert [len(p["transaction_details"]) for p in pages] == [3, 3, 1]
    assert {(p["total_items"], p["total_pages"]) for p in pages} == {(7, 3)}
    listed = [info["transaction_id"] for p in pages for info in infos(p)]
    assert listed[:5] == ids
    assert [info["paypal_reference_id"] for p in pages[1:] for info in infos(p)][-2:] == ids[:2]
    assert infos(page(simulator, 4, size=3)) == []


def test_the_adapter_reads_every_page(simulator):
    ids = booked(simulator, 7, refunds=2)
    rows = SettlementReport(simulator, DAY, at(30), page_size=2).rows()
    assert [row.gateway_payment_id for row in rows] == ids + ids[:2]


def test_every_record_lists_each_capture_twice_the_first_not_affecting_the_balance(simulator):
    booked(simulator, 2, refunds=1)
    listed = infos(page(simulator, every_record=True))
    assert [(info["transaction_event_code"], info["transaction_status"], "fee_amount" in info) for info in listed] == [
        ("T0006", "P", False),
        ("T0006", "S", True),
        ("T0006", "P", False),
        ("T0006", "S", True),
        ("T1107", "S", False),
    ]
    assert len(infos(page(simulator))) == 3


def test_every_record_read_in_odd_pages_is_still_one_row_per_transaction(simulator):
    ids = booked(simulator, 3, refunds=1)
    every_record = SettlementReport(EveryRecord(simulator), DAY, at(30), page_size=3).rows()
    assert every_record == SettlementReport(simulator, DAY, at(30)).rows()
    assert [row.gateway_payment_id for row in every_record] == ids + ids[:1]
    assert all(row.fee_minor == fee_minor(row.amount_minor) for row in every_record if row.kind == SETTLED_PAYMENT)


def test_a_window_listing_more_than_paypal_serves_is_refused(simulator):
    simulator.books.result_set_max = 3
    booked(simulator, 4)
    with pytest.raises(ResultSetTooLarge):
        page(simulator)


def test_the_adapter_reads_a_day_too_large_for_one_window_in_smaller_ones(gateway, simulator):
    simulator.books.result_set_max = 3
    ids = [f"1AA{n:014d}" for n in range(8)]
    for n, capture_id in enumerate(ids):
        simulator.books.book_capture(capture_id, None, 100, "USD", at(3 * n + 1))
    assert [row.gateway_payment_id for row in gateway.settlement_report(DAY)] == ids


def test_a_window_longer_than_31_days_is_refused(simulator):
    with pytest.raises(GatewayUnavailable):
        simulator.transactions(MIDNIGHT, MIDNIGHT + datetime.timedelta(days=32), 1, 500)
