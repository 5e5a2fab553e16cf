"""PayPal's settlement report in live mode (SPEC §11): the transaction search
(`GET /v1/reporting/transactions`) of one UTC day, answered by `responses` with bodies in PayPal's
documented shape (`transaction_details[].transaction_info`, `page`, `total_pages`,
`last_refreshed_datetime`), read into `SettlementRow`s: the day's window, every page, a transaction
listed twice, rows passed over or unreadable, a failing page retried, too many transactions, late data.
"""

import datetime
import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from backend.errors import GatewayUnavailable
from backend.gateways.base import SETTLED_PAYMENT, SETTLED_REFUND, SettlementRow
from backend.gateways.paypal.adapter import PayPalGateway
from backend.gateways.paypal.api import PayPalApi
from backend.gateways.paypal.settlement import PAGE_ATTEMPTS_MAX, SettlementReport
from tests.paypal_support import API, CAPTURE_ID, CLIENT_ID, CLIENT_SECRET, ORDER_ID, WEBHOOK_ID, token_answer

TIMEOUT = 7.5
SEARCH_URL = API + "/v1/reporting/transactions"
DAY = datetime.date(2024, 3, 5)
AFTER_THE_DAY = datetime.datetime(2024, 3, 6, 6, 0, tzinfo=datetime.UTC)  # the day is over, PayPal caught up
REFUND_ID = "1JU08902781691411"


def transaction(
    transaction_id=CAPTURE_ID,
    code="T0006",
    value="10.50",
    fee="-0.60",
    status="S",
    custom="wtp_ref1",
    reference_id=ORDER_ID,
    reference_type="ODR",
    at="2024-03-05T10:15:00+0000",
):
    """A `transaction_info` as the transaction search lists it (fields omitted when None)."""
    info = {
        "paypal_account_id": "6STWC2LSUYYYE",
        "transaction_id": transaction_id,
        "paypal_reference_id": reference_id,
        "paypal_reference_id_type": reference_type,
        "transaction_event_code": code,
        "transaction_initiation_date": at,
        "transaction_updated_date": at,
        "transaction_amount": {"currency_code": "USD", "value": value},
        "fee_amount": {"currency_code": "USD", "value": fee} if fee is not None else None,
        "transaction_status": status,
        "custom_field": custom,
        "protection_eligibility": "01",
    }
    return {name: field for name, field in info.items() if field is not None}


def refund(value="-5.00", custom="rfd_ref1", **fields):
    return transaction(REFUND_ID, "T1107", value, None, "S", custom, CAPTURE_ID, "TXN", **fields)


def search_page(infos, page=1, total_pages=1, refreshed="2024-03-06T02:59:59+0000"):
    """A transaction search answer in PayPal's documented shape."""
    return {
        "transaction_details": [{"transaction_info": info} for info in infos],
        "account_number": "XZXSPECYZZ3UA",
        "start_date": "2024-03-05T00:00:00+0000",
        "end_date": "2024-03-06T00:00:00+0000",
        "last_refreshed_datetime": refreshed,
        "page": page,
        "total_items": len(infos),
        "total_pages": total_pages,
        "links": [{"href": SEARCH_URL + f"?page={page}", "rel": "self", "method": "GET"}],
    }


def too_large():
    return {
        "name": "RESULTSET_TOO_LARGE",
        "message": "Result set size is greater than the maximum limit. Change the filter criteria and try again.",
        "debug_id": "4f2c9d8e1a3b",
        "total_items": 12000,
        "maximum_items": 10000,
    }


@pytest.fixture
def now():
    return [AFTER_THE_DAY]


@pytest.fixture
def pauses():
    return []


@pytest.fixture
def api():
    return PayPalApi(API, CLIENT_ID, CLIENT_SECRET, TIMEOUT)


@pytest.fixture
def gateway(http, api, now, pauses):
    token_answer(http)
    gateway = PayPalGateway(api, WEBHOOK_ID, CLIENT_ID, clock=lambda: now[0])
    gateway.pause = pauses.append
    return gateway


def searches(http):
    """The query of each transaction search made, in order."""
    return [
        {name: values[0] for name, values in parse_qs(urlsplit(c.request.url).query).items()}
        for c in http.calls
        if c.request.url.split("?")[0] == SEARCH_URL
    ]


def report(gateway, day=DAY):
    return list(gateway.settlement_report(day))


# --- the request ---------------------------------------------------------------------------------
def test_the_day_is_asked_as_one_utc_window_of_balance_affecting_records(http, gateway):
    http.add(responses.GET, SEARCH_URL, json=search_page([]))
    assert report(gateway) == []
    assert searches(http) == [
        {
            "start_date": "2024-03-05T00:00:00Z",
            "end_date": "2024-03-06T00:00:00Z",
            "fields": "transaction_info",
            "balance_affecting_records_only": "Y",
            "page_size": "500",
            "page": "1",
        }
    ]
    [call] = [c for c in http.calls if c.request.url.startswith(SEARCH_URL)]
    assert call.request.method == "GET"
    assert call.request.headers["Authorization"] == "Bearer A21AAFakeToken"
    assert call.request.req_kwargs["timeout"] == TIMEOUT


def test_report_is_an_iterator_read_in_full_before_the_first_row(http, gateway):
    http.add(responses.GET, SEARCH_URL, json=search_page([transaction()]))
    rows = gateway.settlement_report(DAY)
    assert iter(rows) is rows
    assert len(searches(http)) == 1  # asked already, not when iterated


def test_settlement_lag_is_paypals_three_hours(gateway):
    assert gateway.settlement_lag == datetime.timedelta(hours=3)


# --- rows ----------------------------------------------------------------------------------------
def test_capture_is_a_settled_payment_with_its_fee_order_and_reference(http, gateway):
    http.add(responses.GET, SEARCH_URL, json=search_page([transaction()]))
    assert report(gateway) == [
        SettlementRow(
            SETTLED_PAYMENT, CAPTURE_ID, 1050, "USD", fee_minor=60, payment_order_id=ORDER_ID, reference="wtp_ref1"
        )
    ]


def test_capture_refunded_in_full_since_is_still_a_settled_payment(http, gateway):
    http.add(responses.GET, SEARCH_URL, json=search_page([transaction(status="V")]))
    assert [row.gateway_payment_id for row in report(gateway)] == [CAPTURE_ID]


def test_capture_naming_no_order_has_no_payment_order_id(http, gateway):
    http.add(
        responses.GET, SEARCH_URL, json=search_page([transaction(reference_id="I-BRJJ3XN9L2RH", reference_type="SUB")])
    )
    [row] = report(gateway)
    assert row.payment_order_id is None


def test_merchant_refund_is_a_settled_refund_of_its_capture(http, gateway):
    http.add(responses.GET, SEARCH_URL, json=search_page([refund()]))
    assert report(gateway) == [
        SettlementRow(SETTLED_REFUND, CAPTURE_ID, 500, "USD", fee_minor=0, refund_id=REFUND_ID, reference="rfd_ref1")
    ]


def test_refund_made_in_the_dashboard_has_no_reference(http, gateway):
    http.add(responses.GET, SEARCH_URL, json=search_page([refund(custom=None)]))
    [row] = report(gateway)
    assert (row.kind, row.refund_id, row.reference) == (SETTLED_REFUND, REFUND_ID, None)


def test_fee_given_back_on_a_refund_lowers_what_paypal_kept(http, gateway):
    """PayPal signs a fee from the merchant's side: kept is negative, given back (on a refund) positive.
    `fee_minor` is what PayPal kept, so a fee given back is negative (it was 15, counted as kept)."""
    given_back = dict(refund(), fee_amount={"currency_code": "USD", "value": "0.15"})
    http.add(responses.GET, SEARCH_URL, json=search_page([given_back]))
    assert report(gateway)[0].fee_minor == -15


@pytest.mark.parametrize(
    "passed_over",
    [
        transaction(code="T1106", value="-10.50", fee=None),  # a reversal PayPal made
        transaction(code="T1201", value="-10.50", fee=None),  # a chargeback
        transaction(code="T1503", value="-10.50", fee=None),  # a hold
        transaction(status="P"),  # a pending payment
        transaction(status="D"),  # a denied payment
        transaction(code="T0001", value="-10.50"),  # a payment sent
        refund(value="5.00"),  # a refund received
        dict(refund(), transaction_status="P"),  # a pending refund
    ],
    ids=["reversal", "chargeback", "hold", "pending", "denied", "sent", "refund-received", "refund-pending"],
)
def test_other_transactions_are_passed_over(http, gateway, passed_over):
    http.add(responses.GET, SEARCH_URL, json=search_page([passed_over]))
    assert report(gateway) == []


@pytest.mark.parametrize(
    "unreadable",
    [
        dict(transaction(), transaction_amount={"currency_code": "USD", "value": "ten"}),
        dict(transaction(), transaction_amount={"currency_code": "USD", "value": "10.505"}),
        dict(transaction(), transaction_amount={"currency_code": "usd", "value": "10.50"}),
        dict(transaction(), transaction_amount=None),
        dict(transaction(), fee_amount={"currency_code": "EUR", "value": "-0.60"}),
        dict(transaction(), transaction_id="../../etc"),
        dict(transaction(), transaction_status=None),
        dict(refund(), paypal_reference_id=None),
        "not a transaction",
    ],
    ids=["value", "decimals", "currency", "no-amount", "fee-currency", "id", "status", "refund-capture", "not-object"],
)
def test_unreadable_row_is_skipped_with_a_warning_and_the_rest_read(http, gateway, caplog, unreadable):
    http.add(responses.GET, SEARCH_URL, json=search_page([unreadable, refund()]))
    with caplog.at_level(logging.WARNING, logger="integration.settlement"):
        rows = report(gateway)
    assert [row.kind for row in rows] == [SETTLED_REFUND]
    assert "unreadable transaction" in caplog.text


def test_unreadable_rows_are_counted(http, api):
    token_answer(http)
    http.add(responses.GET, SEARCH_URL, json=search_page([dict(transaction(), transaction_amount={}), transaction()]))
    read = SettlementReport(api, DAY, AFTER_THE_DAY, pause=lambda seconds: None)
    assert len(read.rows()) == 1
    assert read.skipped == 1


def test_row_dated_on_another_day_is_left_to_that_day(http, gateway):
    midnight = transaction(at="2024-03-06T00:00:00+0000")  # PayPal's end date may be inclusive
    http.add(responses.GET, SEARCH_URL, json=search_page([midnight, refund(at="2024-03-05T23:59:59+0000")]))
    assert [row.kind for row in report(gateway)] == [SETTLED_REFUND]


# --- a transaction listed twice ------------------------------------------------------------------
def test_transaction_listed_twice_is_one_row_the_balance_affecting_one(http, gateway):
    memo = transaction(status="P", fee=None)  # the record that does not affect the balance
    http.add(responses.GET, SEARCH_URL, json=search_page([memo, transaction(), refund()]))
    assert [(row.gateway_payment_id, row.fee_minor) for row in report(gateway)] == [(CAPTURE_ID, 60), (CAPTURE_ID, 0)]


def test_transaction_listed_twice_as_completed_keeps_the_one_carrying_its_fee(http, gateway):
    http.add(responses.GET, SEARCH_URL, json=search_page([transaction(fee=None), transaction()], total_pages=2))
    http.add(responses.GET, SEARCH_URL, json=search_page([transaction(fee=None)], page=2, total_pages=2))
    [row] = report(gateway)
    assert row.fee_minor == 60


# --- pages ---------------------------------------------------------------------------------------
def test_every_page_is_read(http, gateway):
    ids = ["1AA00000000000001", "1AA00000000000002", "1AA00000000000003"]
    for page, capture_id in enumerate(ids, start=1):
        http.add(responses.GET, SEARCH_URL, json=search_page([transaction(capture_id)], page=page, total_pages=3))
    assert [row.gateway_payment_id for row in report(gateway)] == ids
    assert [query["page"] for query in searches(http)] == ["1", "2", "3"]


def test_an_empty_day_is_one_page_of_nothing(http, gateway):
    empty = {"account_number": "XZXSPECYZZ3UA", "page": 1, "total_items": 0, "total_pages": 0, "links": []}
    http.add(responses.GET, SEARCH_URL, json=empty)
    assert report(gateway) == []
    assert len(searches(http)) == 1


def test_a_failing_page_is_retried_after_a_pause(http, gateway, pauses):
    http.add(responses.GET, SEARCH_URL, json=search_page([transaction()], total_pages=2))
    http.add(
        responses.GET, SEARCH_URL, status=503, json={"name": "SERVICE_UNAVAILABLE", "message": "Service Unavailable."}
    )
    http.add(responses.GET, SEARCH_URL, json=search_page([refund()], page=2, total_pages=2))
    assert [row.kind for row in report(gateway)] == [SETTLED_PAYMENT, SETTLED_REFUND]
    assert [query["page"] for query in searches(http)] == ["1", "2", "2"]
    assert pauses == [0.5]


def test_a_page_without_its_fields_is_retried(http, gateway):
    http.add(responses.GET, SEARCH_URL, json={"transaction_details": "none", "total_pages": 1})
    http.add(responses.GET, SEARCH_URL, json=search_page([transaction()]))
    assert len(report(gateway)) == 1


def test_a_page_that_keeps_failing_is_gateway_unavailable(http, gateway, pauses):
    http.add(responses.GET, SEARCH_URL, status=500, json={"name": "INTERNAL_SERVER_ERROR"})
    with pytest.raises(GatewayUnavailable, match="could not be had"):
        report(gateway)
    assert len(searches(http)) == PAGE_ATTEMPTS_MAX
    assert pauses == [0.5, 1.0]


def test_more_pages_than_the_bound_is_gateway_unavailable(http, api):
    token_answer(http)
    http.add(responses.GET, SEARCH_URL, json=search_page([transaction()], total_pages=3))
    with pytest.raises(GatewayUnavailable, match="more than 2 pages"):
        SettlementReport(api, DAY, AFTER_THE_DAY, pages_max=2).rows()
    assert len(searches(http)) == 2


def test_a_window_paypal_finds_too_large_is_read_in_halves(http, gateway):
    def answer(request):
        query = parse_qs(urlsplit(request.url).query)
        window = (query["start_date"][0][11:16], query["end_date"][0][11:16])
        if window == ("00:00", "00:00"):
            return 400, {}, json.dumps(too_large())
        capture_id = {"00:00": "1AA00000000000001", "12:00": "1AA00000000000002"}[window[0]]
        return 200, {}, json.dumps(search_page([transaction(capture_id)]))

    http.add_callback(responses.GET, SEARCH_URL, callback=answer, content_type="application/json")
    assert [row.gateway_payment_id for row in report(gateway)] == ["1AA00000000000001", "1AA00000000000002"]
    assert [(q["start_date"], q["end_date"]) for q in searches(http)] == [
        ("2024-03-05T00:00:00Z", "2024-03-06T00:00:00Z"),
        ("2024-03-05T00:00:00Z", "2024-03-05T12:00:00Z"),
        ("2024-03-05T12:00:00Z", "2024-03-06T00:00:00Z"),
    ]


def test_a_day_too_large_even_in_small_windows_is_gateway_unavailable(http, gateway):
    http.add(responses.GET, SEARCH_URL, status=400, json=too_large())
    with pytest.raises(GatewayUnavailable, match="too many transactions"):
        report(gateway)
    # halved, first halves first, down to 11 min 15 s (24 h, 12 h, 6 h, 3 h, 90, 45, 22.5, 11.25 min)
    assert len(searches(http)) == 8


def test_a_search_paypal_refuses_otherwise_is_gateway_unavailable(http, gateway):
    refused = {"name": "INVALID_REQUEST", "details": [{"issue": "INVALID_DATE_RANGE"}], "debug_id": "a1b2c3"}
    http.add(responses.GET, SEARCH_URL, status=400, json=refused)
    with pytest.raises(GatewayUnavailable):
        report(gateway)


# --- late data -----------------------------------------------------------------------------------
def test_a_day_over_that_paypal_has_not_caught_up_with_is_not_read(http, gateway):
    http.add(responses.GET, SEARCH_URL, json=search_page([transaction()], refreshed="2024-03-05T22:00:00+0000"))
    with pytest.raises(GatewayUnavailable, match="not complete yet"):
        report(gateway)


def test_the_current_day_is_read_as_far_as_paypal_has_it(http, gateway, now):
    now[0] = datetime.datetime(2024, 3, 5, 23, 0, tzinfo=datetime.UTC)
    http.add(responses.GET, SEARCH_URL, json=search_page([transaction()], refreshed="2024-03-05T22:00:00+0000"))
    assert len(report(gateway)) == 1
