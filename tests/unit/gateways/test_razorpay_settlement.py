"""Razorpay's settlement recon report (SPEC §11) read into settlement rows: the items in the shape
Razorpay documents for `GET /v1/settlements/recon/combined` (its API reference and the razorpay-python
SDK's documents/settlement.md: payment, refund, transfer and adjustment items), read page by page,
retried and bounded. The live API object is exercised through the real SDK with its HTTP answered by
`responses` (nothing reaches the internet); the paging with a fake API object and no pauses."""

import datetime
import itertools
import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from backend.errors import GatewayUnavailable
from backend.gateways.base import SETTLED_PAYMENT, SETTLED_REFUND, SettlementRow
from backend.gateways.razorpay.adapter import RazorpayGateway
from backend.gateways.razorpay.api import RazorpayApi
from backend.gateways.razorpay.settlement import (
    PAGE_SIZE_MAX,
    RETRY_PAUSE_SECONDS,
    SettlementReport,
    UnreadableItem,
    notes_reference,
    read_item,
)
from tests.razorpay_support import KEY_ID, KEY_SECRET, WEBHOOK_SECRET

RECON_URL = "https://api.razorpay.com/v1/settlements/recon/combined"
TIMEOUT = 6.5
DAY = datetime.date(2022, 6, 11)


def payment_item(entity_id="pay_DEXrnipqTmWVGE", amount=100000, fee=2900, tax=0, **fields):
    """A `payment` item as Razorpay's documented example lists it."""
    item = {
        "entity_id": entity_id,
        "type": "payment",
        "debit": 0,
        "credit": amount - fee if all(type(value) is int for value in (amount, fee)) else 0,
        "amount": amount,
        "currency": "INR",
        "fee": fee,
        "tax": tax,
        "on_hold": False,
        "settled": True,
        "created_at": 1567692556,
        "settled_at": 1568176960,
        "settlement_id": "setl_DGlQ1Rj8os78Ec",
        "posted_at": None,
        "credit_type": "default",
        "description": "Recurring Payment via Subscription",
        "notes": "{}",
        "payment_id": None,
        "settlement_utr": "1568176960vxp0rj",
        "order_id": "order_DEXrnRiR3SNDHA",
        "order_receipt": None,
        "method": "card",
        "card_network": "MasterCard",
        "card_issuer": "KARB",
        "card_type": "credit",
        "dispute_id": None,
    }
    item.update(fields)
    return item


def refund_item(entity_id="rfnd_DGRcGzZSLyEdg1", amount=242500, **fields):
    """A `refund` item as Razorpay's documented example lists it."""
    item = payment_item(entity_id, amount, fee=0, tax=0, type="refund", debit=amount, credit=0)
    item.update(description=None, payment_id="pay_DEXq1pACSqFxtS", order_id="order_DEXpmZgffXNvuI")
    item.update(fields)
    return item


def transfer_item():
    return payment_item("trf_DEUoCEtdsJgvl7", 100000, fee=296, tax=46, type="transfer", debit=100296, credit=0)


def adjustment_item():
    return payment_item("adj_EhcHONhX4ChgNC", 1012, fee=0, tax=0, type="adjustment", credit=1012, notes=None)


class FakeRecon:
    """`settlement_recon` over a fixed list of items, paged as Razorpay pages (`count` after `skip`);
    `failures`: how many calls fail first (GatewayUnavailable) before it answers."""

    def __init__(self, items, failures=0, failure=None):
        self.items, self.failures, self.failure, self.calls = items, failures, failure, []

    def settlement_recon(self, year, month, day, count, skip):
        self.calls.append((year, month, day, count, skip))
        if self.failures:
            self.failures -= 1
            if self.failure is not None:
                return self.failure
            raise GatewayUnavailable("Razorpay did not answer the settlement report.")
        return self.items[skip : skip + count]


def report(api, page_size=2, pages_max=10, pauses=None):
    pause = pauses.append if pauses is not None else (lambda seconds: None)
    return SettlementReport(api, DAY, page_size=page_size, pages_max=pages_max, pause=pause)


# --- one item --------------------------------------------------------------------------------------
def test_a_payment_item_is_a_settled_payment_of_its_order():
    assert read_item(payment_item()) == SettlementRow(
        SETTLED_PAYMENT,
        "pay_DEXrnipqTmWVGE",
        100000,
        "INR",
        fee_minor=2900,
        tax_minor=0,
        payment_order_id="order_DEXrnRiR3SNDHA",
        settlement_id="setl_DGlQ1Rj8os78Ec",
    )


def test_a_payments_fee_is_given_without_the_tax_it_includes():
    row = read_item(payment_item(amount=70000, fee=1652, tax=252))
    assert (row.fee_minor, row.tax_minor) == (1400, 252)


def test_a_payments_order_receipt_is_its_reference():
    assert read_item(payment_item(order_receipt="wtp_Abc123")).reference == "wtp_Abc123"


def test_a_receipt_of_40_characters_may_be_cut_and_is_no_reference():
    assert read_item(payment_item(order_receipt="w" * 40)).reference is None


def test_a_refund_item_is_a_settled_refund_of_its_payment():
    assert read_item(refund_item()) == SettlementRow(
        SETTLED_REFUND,
        "pay_DEXq1pACSqFxtS",
        242500,
        "INR",
        refund_id="rfnd_DGRcGzZSLyEdg1",
        payment_order_id="order_DEXpmZgffXNvuI",
        settlement_id="setl_DGlQ1Rj8os78Ec",
    )


@pytest.mark.parametrize(
    "notes",
    [json.dumps({"reference": "wdr_Ours123"}), {"reference": "wdr_Ours123"}],
    ids=["json text", "object"],
)
def test_a_refunds_notes_reference_is_its_reference(notes):
    assert read_item(refund_item(notes=notes)).reference == "wdr_Ours123"


@pytest.mark.parametrize(
    "notes",
    ["Beam me up Scotty.", "{}", None, [], json.dumps({"reference": "not one of ours!"}), '["reference"]'],
)
def test_notes_without_a_reference_of_ours_give_none(notes):
    assert notes_reference(notes) is None


@pytest.mark.parametrize("item", [transfer_item(), adjustment_item()], ids=["transfer", "adjustment"])
def test_transfers_and_adjustments_are_no_rows(item):
    assert read_item(item) is None


@pytest.mark.parametrize(
    "item",
    [
        "pay_DEXrnipqTmWVGE",
        {"entity_id": "pay_DEXrnipqTmWVGE"},
        payment_item(entity_id=None),
        payment_item(entity_id="pay with spaces"),
        payment_item(amount="100000"),
        payment_item(amount=0),
        payment_item(amount=True),
        payment_item(currency="inr"),
        payment_item(fee=-1),
        payment_item(fee=29.5),
        payment_item(fee=100, tax=118),
        payment_item(order_id=12345),
        payment_item(settlement_id="setl DG"),
        refund_item(payment_id=None),
    ],
    ids=[
        "not an object",
        "no type",
        "no entity_id",
        "entity_id not an id",
        "amount as text",
        "zero amount",
        "boolean amount",
        "currency not a code",
        "negative fee",
        "fractional fee",
        "tax above the fee",
        "order_id not an id",
        "settlement_id not an id",
        "refund without its payment",
    ],
)
def test_an_unreadable_item_is_refused(item):
    with pytest.raises(UnreadableItem):
        read_item(item)


def test_a_missing_fee_and_tax_are_zero():
    row = read_item(payment_item(fee=None, tax=None))
    assert (row.fee_minor, row.tax_minor) == (0, 0)


# --- the report, page by page ----------------------------------------------------------------------
def test_the_report_reads_every_page_until_a_short_one():
    items = [payment_item(f"pay_P{n}") for n in range(5)]
    api = FakeRecon(items)
    assert [row.gateway_payment_id for row in report(api)] == [f"pay_P{n}" for n in range(5)]
    assert [call[4] for call in api.calls] == [0, 2, 4]
    assert api.calls[0] == (2022, 6, 11, 2, 0)


def test_a_report_ending_on_a_full_page_asks_for_one_more():
    api = FakeRecon([payment_item(f"pay_P{n}") for n in range(4)])
    assert len(list(report(api))) == 4
    assert [call[4] for call in api.calls] == [0, 2, 4]


def test_rows_taken_in_batches_continue_where_the_last_batch_stopped():
    api = FakeRecon([payment_item(f"pay_P{n}") for n in range(5)])
    read = report(api)
    batches = [[row.gateway_payment_id for row in itertools.islice(read, 3)] for _ in range(3)]
    assert batches == [["pay_P0", "pay_P1", "pay_P2"], ["pay_P3", "pay_P4"], []]
    assert len(api.calls) == 3


def test_the_report_passes_over_transfers_and_adjustments_without_counting_them():
    api = FakeRecon([transfer_item(), payment_item(), adjustment_item(), refund_item()])
    read = report(api)
    assert [row.kind for row in read] == [SETTLED_PAYMENT, SETTLED_REFUND]
    assert read.skipped == 0


def test_an_unreadable_item_is_skipped_counted_and_logged(caplog):
    api = FakeRecon([payment_item("pay_A"), payment_item("pay_B", amount="lots"), payment_item("pay_C")])
    read = report(api)
    with caplog.at_level(logging.WARNING, logger="integration.settlement"):
        rows = list(read)
    assert [row.gateway_payment_id for row in rows] == ["pay_A", "pay_C"]
    assert read.skipped == 1
    assert "pay_B" in caplog.text and "2022-06-11" in caplog.text


def test_an_item_listed_on_two_pages_is_one_row():
    api = FakeRecon([payment_item("pay_A"), payment_item("pay_B"), payment_item("pay_B"), refund_item()])
    assert [row.refund_id or row.gateway_payment_id for row in report(api)] == ["pay_A", "pay_B", "rfnd_DGRcGzZSLyEdg1"]


def test_a_payment_and_its_refund_are_two_rows():
    api = FakeRecon([payment_item("pay_A"), refund_item(payment_id="pay_A")])
    assert [row.kind for row in report(api)] == [SETTLED_PAYMENT, SETTLED_REFUND]


def test_a_failing_page_is_asked_again_after_a_pause():
    api, pauses = FakeRecon([payment_item("pay_A")], failures=2), []
    assert [row.gateway_payment_id for row in report(api, pauses=pauses)] == ["pay_A"]
    assert len(api.calls) == 3
    assert pauses == [RETRY_PAUSE_SECONDS, 2 * RETRY_PAUSE_SECONDS]


def test_an_answer_without_a_list_of_items_is_asked_again():
    api = FakeRecon([payment_item("pay_A")], failures=1, failure={"items": None})
    assert len(list(report(api))) == 1
    assert len(api.calls) == 2


def test_a_page_that_keeps_failing_gives_up_the_report():
    api, pauses = FakeRecon([payment_item("pay_A")], failures=3), []
    with pytest.raises(GatewayUnavailable, match="could not be had"):
        list(report(api, pauses=pauses))
    assert len(api.calls) == 3
    assert len(pauses) == 2


def test_a_later_page_that_keeps_failing_gives_up_after_the_rows_before_it():
    items = [payment_item("pay_A"), payment_item("pay_B"), payment_item("pay_C")]
    api = FakeRecon(items)
    read = iter(report(api))
    assert [next(read).gateway_payment_id, next(read).gateway_payment_id] == ["pay_A", "pay_B"]
    api.failures = 3
    with pytest.raises(GatewayUnavailable):
        next(read)


def test_a_report_filling_every_page_is_refused_as_too_large():
    api = FakeRecon([payment_item(f"pay_P{n}") for n in range(7)])
    with pytest.raises(GatewayUnavailable, match="more than 6 items"):
        list(report(api, pages_max=3))
    assert len(api.calls) == 3


def test_pages_are_at_most_razorpays_largest_count():
    with pytest.raises(ValueError):
        SettlementReport(FakeRecon([]), DAY, page_size=PAGE_SIZE_MAX + 1)


# --- live: the SDK's request and Razorpay's answer -------------------------------------------------
@pytest.fixture
def live():
    return RazorpayApi(KEY_ID, KEY_SECRET, timeout_seconds=TIMEOUT)


def collection(items):
    return {"entity": "collection", "count": len(items), "items": items}


def test_the_live_report_asks_for_the_day_and_page_with_a_timeout(http, live):
    documented = [payment_item(), refund_item(), transfer_item(), adjustment_item()]
    http.add(responses.GET, RECON_URL, json=collection(documented))
    assert live.settlement_recon(2022, 6, 11, 1000, 2000) == documented
    request = http.calls[0].request
    query = parse_qs(urlsplit(request.url).query)
    assert query == {"year": ["2022"], "month": ["6"], "day": ["11"], "count": ["1000"], "skip": ["2000"]}
    assert request.req_kwargs["timeout"] == TIMEOUT
    assert request.headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    "answer",
    [
        {"json": {"error": {"code": "SERVER_ERROR", "description": "We are facing some trouble"}}, "status": 500},
        {"json": {"error": {"code": "BAD_REQUEST_ERROR", "description": "Authentication failed"}}, "status": 401},
        {"json": {"entity": "collection", "count": 0}, "status": 200},
        {"json": [], "status": 200},
        {"body": "<html>gateway timeout</html>", "status": 504},
    ],
    ids=["server error", "refused", "no items", "not an object", "not json"],
)
def test_a_live_report_page_that_cannot_be_had_is_gateway_unavailable(http, live, answer):
    http.add(responses.GET, RECON_URL, **answer)
    with pytest.raises(GatewayUnavailable):
        live.settlement_recon(2022, 6, 11, 1000, 0)


def test_the_live_adapter_reads_the_days_report_across_pages(http, live):
    first = [payment_item(f"pay_Live{n:05d}") for n in range(PAGE_SIZE_MAX - 1)] + [transfer_item()]
    http.add(responses.GET, RECON_URL, json=collection(first))
    http.add(responses.GET, RECON_URL, json=collection([refund_item(notes=json.dumps({"reference": "wdr_Ours1"}))]))
    gateway = RazorpayGateway(live, KEY_ID, KEY_SECRET, WEBHOOK_SECRET, "http://localhost/checkout/razorpay")
    rows = list(gateway.settlement_report(DAY))
    assert len(rows) == PAGE_SIZE_MAX
    assert rows[-1].kind == SETTLED_REFUND and rows[-1].reference == "wdr_Ours1"
    skips = [parse_qs(urlsplit(call.request.url).query)["skip"] for call in http.calls]
    assert skips == [["0"], [str(PAGE_SIZE_MAX)]]


def test_the_live_adapter_asks_a_failing_page_again(http, live):
    http.add(responses.GET, RECON_URL, json={"error": {"code": "SERVER_ERROR", "description": "x"}}, status=503)
    http.add(responses.GET, RECON_URL, json=collection([payment_item()]))
    gateway = RazorpayGateway(live, KEY_ID, KEY_SECRET, WEBHOOK_SECRET, "http://localhost/checkout/razorpay")
    gateway.pause = lambda seconds: None
    assert [row.gateway_payment_id for row in gateway.settlement_report(DAY)] == ["pay_DEXrnipqTmWVGE"]
    assert len(http.calls) == 2


def test_razorpay_settles_two_days_after_the_capture():
    assert RazorpayGateway.settlement_lag == datetime.timedelta(days=2)
