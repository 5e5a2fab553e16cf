"""Paying orders from the wallet (backend/flows/payments.py) on fakes: one debit per life of an order."""

import pytest

from backend.errors import (
    AmountDiffersFromOrder,
    InsufficientFunds,
    OperationPending,
    OrderAlreadyPaid,
    OrderNotFound,
    OrderNotPayable,
    StoreUnavailable,
)
from backend.flows import payments as payments_flow
from backend.flows.payments import OrderPayments
from backend.records import PAYMENT, REVERSAL, TOPUP
from tests.fakes import FakeSettlements


@pytest.fixture
def order_payments(ledger, orders, audit, clock):
    return OrderPayments(ledger, orders, FakeSettlements(ledger), audit, clock)


@pytest.fixture(autouse=True)
def funded(ledger, orders):
    ledger.credit("cust_a", "INR", 10000, TOPUP, "topup:po_1", {"payment_order_id": "po_1"})
    orders.put("ord_1", "cust_a", 2500)


def cancel_first(orders, method, monkeypatch, **shop_fields):
    """The shop writes `shop_fields` to ord_1 just before the flow's `orders.<method>` runs."""
    real = getattr(orders, method)

    def shop_first(*args):
        orders.shop("ord_1", **shop_fields)
        return real(*args)

    monkeypatch.setattr(orders, method, shop_first)


def test_pays_a_pending_order_once(order_payments, ledger, orders, audit):
    entry = order_payments.pay("ord_1", "cust_a", 2500)
    order = orders.get("ord_1")
    assert (order["payment_status"], order["payment_entry_id"], order["paid_minor"]) == ("paid", entry["_id"], 2500)
    assert (entry["idempotency_key"], ledger.stored(entry["_id"])["settled"]) == ("payment:ord_1", "paid")
    assert ledger.balance("cust_a") == 7500
    assert [(r["event"], r["transaction_id"]) for r in audit.records] == [("order.paid", entry["_id"])]


def test_a_second_payment_of_a_paid_order_is_refused_and_debits_nothing(order_payments, ledger):
    order_payments.pay("ord_1", "cust_a", 2500)
    with pytest.raises(OrderAlreadyPaid):
        order_payments.pay("ord_1", "cust_a", 2500)
    assert ledger.balance("cust_a") == 7500


def test_an_amount_other_than_the_orders_is_refused_before_any_write(order_payments, ledger):
    with pytest.raises(AmountDiffersFromOrder):
        order_payments.pay("ord_1", "cust_a", 2400)
    assert ledger.of_kind(PAYMENT) == []


@pytest.mark.parametrize("currency", [None, "XYZ"])
def test_an_order_without_a_currency_is_refused_before_any_write(order_payments, ledger, orders, currency):
    orders.put("ord_1", "cust_a", 2500, currency=currency)
    with pytest.raises(OrderNotPayable):
        order_payments.pay("ord_1", "cust_a", 2500)
    assert ledger.of_kind(PAYMENT) == []


def test_another_customers_order_is_not_found(order_payments, ledger):
    with pytest.raises(OrderNotFound):
        order_payments.pay("ord_1", "cust_b", 2500)
    assert ledger.of_kind(PAYMENT) == []


def test_a_cancelled_order_is_not_payable(order_payments, orders, ledger):
    orders.shop("ord_1", payment_status="cancelled")
    with pytest.raises(OrderNotPayable):
        order_payments.pay("ord_1", "cust_a", 2500)
    assert ledger.of_kind(PAYMENT) == []


def test_a_payment_the_balance_does_not_cover_leaves_the_order_pending(order_payments, orders, ledger):
    orders.put("ord_2", "cust_a", 10001)
    with pytest.raises(InsufficientFunds):
        order_payments.pay("ord_2", "cust_a", 10001)
    assert (orders.get("ord_2")["payment_status"], ledger.balance("cust_a")) == ("pending", 10000)


def test_a_debit_that_cannot_mark_its_order_is_given_back_with_a_reversal(
    order_payments, ledger, orders, audit, monkeypatch
):
    cancel_first(orders, "mark_paid", monkeypatch, payment_status="cancelled")
    with pytest.raises(OrderNotPayable):
        order_payments.pay("ord_1", "cust_a", 2500)
    [debit], [reversal] = ledger.of_kind(PAYMENT), ledger.of_kind(REVERSAL)
    assert (reversal["idempotency_key"], reversal["amount_minor"]) == (f"reversal:{debit['_id']}", 2500)
    assert (ledger.stored(debit["_id"])["settled"], ledger.balance("cust_a")) == ("given_back", 10000)
    assert orders.get("ord_1")["reversed_entry_ids"] == [debit["_id"]]
    [reversed_] = audit.recorded("payment.reversed")
    assert (reversed_["transaction_id"], reversed_["reason"]) == (reversal["_id"], "order_cancelled")
    assert audit.recorded("order.paid") == []


def test_an_order_whose_amount_changed_after_it_was_read_is_given_back_as_such(
    order_payments, orders, audit, monkeypatch
):
    cancel_first(orders, "mark_paid", monkeypatch, amount_minor=3000)
    with pytest.raises(OrderNotPayable):
        order_payments.pay("ord_1", "cust_a", 2500)
    assert [r["reason"] for r in audit.recorded("payment.reversed")] == ["order_amount_changed"]


def test_a_reopened_order_is_paid_by_a_new_debit(order_payments, orders, ledger):
    first = order_payments.pay("ord_1", "cust_a", 2500)
    orders.shop("ord_1", payment_status="pending")
    second = order_payments.pay("ord_1", "cust_a", 2500)
    assert second["_id"] != first["_id"]
    assert second["idempotency_key"] == f"payment:ord_1:{second['reference']['order_life']}"
    assert (orders.get("ord_1")["payment_entry_id"], ledger.balance("cust_a")) == (second["_id"], 5000)


def test_a_key_held_by_a_settled_debit_of_another_request_gets_a_new_ticket(order_payments, orders, ledger):
    first = order_payments.pay("ord_1", "cust_a", 2500, operation_id="op_1")
    orders.put("ord_1", "cust_a", 2500)  # the shop re-issues the paid order, dropping the wallet's fields
    second = order_payments.pay("ord_1", "cust_a", 2500, operation_id="op_2")
    ticket = second["reference"]["order_life"]
    assert ticket is not None and second["idempotency_key"] == f"payment:ord_1:{ticket}"
    assert (orders.get("ord_1")["payment_entry_id"], ledger.balance("cust_a")) == (second["_id"], 5000)
    assert first["_id"] != second["_id"]


def test_an_order_written_anew_and_cancelled_before_its_new_ticket_is_refused_before_a_debit(
    order_payments, orders, ledger, monkeypatch
):
    order_payments.pay("ord_1", "cust_a", 2500, operation_id="op_1")
    orders.put("ord_1", "cust_a", 2500)
    cancel_first(orders, "new_ticket", monkeypatch, payment_status="cancelled")
    with pytest.raises(OrderNotPayable):
        order_payments.pay("ord_1", "cust_a", 2500, operation_id="op_2")
    assert (len(ledger.of_kind(PAYMENT)), ledger.of_kind(REVERSAL)) == (1, [])


def test_a_retried_request_returns_its_own_payment(order_payments, ledger, audit):
    first = order_payments.pay("ord_1", "cust_a", 2500, operation_id="op_1")
    again = order_payments.pay("ord_1", "cust_a", 2500, operation_id="op_1")
    assert again["_id"] == first["_id"]
    assert (len(ledger.of_kind(PAYMENT)), ledger.balance("cust_a")) == (1, 7500)


def test_a_retried_request_whose_order_was_reissued_returns_its_own_payment(order_payments, orders, ledger):
    first = order_payments.pay("ord_1", "cust_a", 2500, operation_id="op_1")
    orders.put("ord_1", "cust_a", 2500)
    again = order_payments.pay("ord_1", "cust_a", 2500, operation_id="op_1")
    assert (again["_id"], len(ledger.of_kind(PAYMENT))) == (first["_id"], 1)


def test_a_retry_of_a_payment_that_was_given_back_is_refused_again(order_payments, orders, ledger, monkeypatch):
    cancel_first(orders, "mark_paid", monkeypatch, payment_status="paid")  # paid at the shop's checkout meanwhile
    with pytest.raises(OrderNotPayable):
        order_payments.pay("ord_1", "cust_a", 2500, operation_id="op_1")
    monkeypatch.undo()
    with pytest.raises(OrderNotPayable):
        order_payments.pay("ord_1", "cust_a", 2500, operation_id="op_1")
    assert (len(ledger.of_kind(PAYMENT)), ledger.balance("cust_a")) == (1, 10000)


def test_a_request_meeting_an_undecided_debit_of_its_life_leaves_it_to_its_settler(
    order_payments, ledger, orders, clock, monkeypatch
):
    monkeypatch.setattr(payments_flow, "SETTLED_WAIT_SECONDS", 0)
    interrupted, _ = ledger.debit(
        "cust_a", "INR", 2500, PAYMENT, "payment:ord_1", {"order_id": "ord_1", "order_life": None}
    )
    with pytest.raises(OrderAlreadyPaid):  # another payment of the order is being completed
        order_payments.pay("ord_1", "cust_a", 2500)
    assert orders.get("ord_1").get("payment_entry_id") is None  # not decided by this request
    clock.advance(31)  # its request died: the next one claims and decides it, paying the order once
    with pytest.raises(OrderAlreadyPaid):
        order_payments.pay("ord_1", "cust_a", 2500)
    assert orders.get("ord_1")["payment_entry_id"] == interrupted["_id"]
    assert (len(ledger.of_kind(PAYMENT)), ledger.balance("cust_a")) == (1, 7500)


def test_a_store_error_after_the_debit_is_an_operation_pending_naming_it(order_payments, ledger, orders, monkeypatch):
    def store_gone(*args):
        raise StoreUnavailable()

    monkeypatch.setattr(orders, "mark_paid", store_gone)
    with pytest.raises(OperationPending) as raised:
        order_payments.pay("ord_1", "cust_a", 2500)
    [debit] = ledger.of_kind(PAYMENT)
    assert raised.value.details == {"transaction_id": debit["_id"]}


def test_settle_never_gives_back_a_debit_that_paid_its_order(order_payments, ledger, orders):
    entry = order_payments.pay("ord_1", "cust_a", 2500)
    orders.shop("ord_1", payment_status="pending")  # reopened: the ticket turned when it was paid
    assert order_payments.settle(ledger.entries.find_one({"_id": entry["_id"]})) is True
    assert (ledger.of_kind(REVERSAL), ledger.balance("cust_a")) == ([], 7500)
    assert orders.get("ord_1")["payment_status"] == "pending"
