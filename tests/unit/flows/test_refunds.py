"""Refunds into the wallet (backend/flows/refunds.py) on fakes: never beyond what the order's life was paid."""

import pytest

from backend.errors import IdempotencyKeyReused, OrderNotFound, OrderNotRefundable, RefundExceedsPaid
from backend.flows.payments import OrderPayments
from backend.flows.refunds import Refunds
from backend.records import REFUND, TOPUP
from tests.fakes import FakeSettlements


@pytest.fixture
def refunds(ledger, history, orders, audit):
    return Refunds(ledger, history, orders, audit)


@pytest.fixture(autouse=True)
def paid_order(ledger, orders, audit, clock):
    """ord_1: 1000 paid from cust_a's wallet."""
    ledger.credit("cust_a", "INR", 5000, TOPUP, "topup:po_1", {"payment_order_id": "po_1"})
    orders.put("ord_1", "cust_a", 1000)
    OrderPayments(ledger, orders, FakeSettlements(ledger), audit, clock).pay("ord_1", "cust_a", 1000)
    audit.records.clear()


def test_refunds_part_of_a_paid_order_into_the_wallet(refunds, ledger, orders, audit):
    entry = refunds.refund("ord_1", "cust_a", 400, reason="damaged", refund_id="r1")
    assert (entry["idempotency_key"], entry["amount_minor"], entry["type"]) == ("refund:r1", 400, "credit")
    assert ledger.balance("cust_a") == 4400
    order = orders.get("ord_1")
    assert (order["payment_status"], order["refunded_minor"], order["refundable_minor"]) == (
        "partially_refunded",
        400,
        600,
    )
    assert [(r["event"], r["transaction_id"], r["reason"]) for r in audit.records] == [
        ("order.refunded", entry["_id"], "damaged")
    ]


def test_refunds_never_go_beyond_what_was_paid(refunds, ledger, orders):
    refunds.refund("ord_1", "cust_a", 600)
    with pytest.raises(RefundExceedsPaid):
        refunds.refund("ord_1", "cust_a", 600)
    assert (len(ledger.of_kind(REFUND)), orders.get("ord_1")["refunded_minor"]) == (1, 600)


def test_the_cap_holds_when_an_earlier_refund_is_not_rolled_into_the_order_yet(refunds, ledger, orders):
    ledger.rolls_forward = False  # its request is still between its insert and its rolls
    refunds.refund("ord_1", "cust_a", 600)
    ledger.rolls_forward = True
    assert orders.get("ord_1")["refunded_minor"] == 0
    with pytest.raises(RefundExceedsPaid):
        refunds.refund("ord_1", "cust_a", 600)
    assert [e["amount_minor"] for e in ledger.of_kind(REFUND)] == [600]
    assert orders.get("ord_1")["refunded_minor"] == 600  # rolled forward by the refused one


def test_a_full_refund_marks_the_order_refunded(refunds, orders):
    refunds.refund("ord_1", "cust_a", 1000)
    assert orders.get("ord_1")["payment_status"] == "refunded"


def test_a_refund_of_a_fully_refunded_order_is_refused(refunds, ledger):
    refunds.refund("ord_1", "cust_a", 1000)
    with pytest.raises(RefundExceedsPaid, match="already fully refunded"):
        refunds.refund("ord_1", "cust_a", 1)
    assert len(ledger.of_kind(REFUND)) == 1


def test_a_retry_with_the_same_refund_id_returns_that_refund(refunds, ledger, audit):
    first = refunds.refund("ord_1", "cust_a", 400, refund_id="r1")
    again = refunds.refund("ord_1", "cust_a", 400, refund_id="r1")
    assert again["_id"] == first["_id"]
    assert (ledger.balance("cust_a"), len(audit.recorded("order.refunded"))) == (4400, 1)


def test_a_retry_with_the_same_refund_id_returns_that_refund_once_it_no_longer_fits(refunds, ledger):
    first = refunds.refund("ord_1", "cust_a", 600, refund_id="r1")
    assert refunds.refund("ord_1", "cust_a", 600, refund_id="r1")["_id"] == first["_id"]
    refunds.refund("ord_1", "cust_a", 400, refund_id="r2")  # now fully refunded
    assert refunds.refund("ord_1", "cust_a", 600, refund_id="r1")["_id"] == first["_id"]
    assert ledger.balance("cust_a") == 5000


def test_a_refund_id_reused_for_another_amount_is_refused(refunds, ledger):
    refunds.refund("ord_1", "cust_a", 400, refund_id="r1")
    with pytest.raises(IdempotencyKeyReused):
        refunds.refund("ord_1", "cust_a", 300, refund_id="r1")
    assert ledger.balance("cust_a") == 4400


def test_a_refund_id_reused_for_another_order_is_refused(refunds, ledger, orders):
    orders.put("ord_2", "cust_a", 1000, payment_status="paid")
    refunds.refund("ord_1", "cust_a", 400, refund_id="r1")
    with pytest.raises(IdempotencyKeyReused):
        refunds.refund("ord_2", "cust_a", 400, refund_id="r1")
    assert ledger.balance("cust_a") == 4400


@pytest.mark.parametrize("status", ["pending", "cancelled"])
def test_an_order_not_paid_is_not_refundable(refunds, orders, ledger, status):
    orders.shop("ord_1", payment_status=status)
    with pytest.raises(OrderNotRefundable):
        refunds.refund("ord_1", "cust_a", 100)
    assert ledger.of_kind(REFUND) == []


def test_an_order_without_a_currency_is_not_refundable(refunds, orders, ledger):
    orders.shop("ord_1", currency=None)
    with pytest.raises(OrderNotRefundable):
        refunds.refund("ord_1", "cust_a", 100)
    assert ledger.of_kind(REFUND) == []


def test_another_customers_order_is_not_found(refunds, ledger):
    with pytest.raises(OrderNotFound):
        refunds.refund("ord_1", "cust_b", 100)
    assert ledger.of_kind(REFUND) == []


def test_an_order_moved_to_another_customer_is_not_refunded_into_their_wallet(refunds, orders, ledger):
    orders.shop("ord_1", customer_id="cust_b")
    with pytest.raises(OrderNotRefundable):
        refunds.refund("ord_1", "cust_b", 100)
    assert ledger.of_kind(REFUND) == []


def test_an_order_paid_at_the_shop_is_refunded_up_to_its_amount_into_the_first_refunds_wallet(refunds, orders, ledger):
    orders.put("ord_shop", "cust_b", 800, payment_status="paid")
    refunds.refund("ord_shop", "cust_b", 500)
    with pytest.raises(RefundExceedsPaid):
        refunds.refund("ord_shop", "cust_b", 301)
    order = orders.get("ord_shop")
    assert (order["refund_wallet_id"], order["refunded_minor"], ledger.balance("cust_b")) == ("cust_b:INR", 500, 500)


def test_a_first_refund_beyond_what_the_shop_took_writes_nothing(refunds, orders, ledger):
    orders.put("ord_shop", "cust_b", 800, payment_status="paid")
    with pytest.raises(RefundExceedsPaid):
        refunds.refund("ord_shop", "cust_b", 801)
    assert "refund_wallet_id" not in orders.get("ord_shop")
    assert ledger.of_kind(REFUND) == []
