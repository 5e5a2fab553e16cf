"""Top-ups (backend/flows/topups.py) on fakes: initiate, verify the customer's return, credit once."""

import pytest

from backend.errors import (
    AmountMismatch,
    InvalidAmount,
    OperationPending,
    PaymentOrderNotFound,
    StoreUnavailable,
    UnsupportedPaymentMethod,
)
from backend.flows.topups import Topups
from backend.gateways.base import ConfirmedPayment
from backend.idempotency import OperationId
from backend.records import TOPUP


@pytest.fixture
def topups(ledger, payments, payment_orders, audit):
    return Topups(ledger, payments, payment_orders, audit, "INR")


@pytest.fixture
def payment_order(topups, payment_orders):
    started = topups.initiate("cust_a", 50000, "fakepay")
    return payment_orders.get(started["payment_order_id"])


def test_initiate_records_a_created_payment_order_and_audits_it(topups, payment_orders, audit):
    started = topups.initiate("cust_a", 50000, "fakepay")
    recorded = payment_orders.get(started["payment_order_id"])
    assert (recorded.gateway, recorded.customer_id, recorded.amount_minor, recorded.currency, recorded.status) == (
        "fakepay",
        "cust_a",
        50000,
        "INR",
        "created",
    )
    assert started == {
        "payment_order_id": recorded.id,
        "redirect_url": f"https://checkout.example/{recorded.id}",
        "key_id": "key_fake",
        "amount_minor": 50000,
        "currency": "INR",
    }
    assert [(n["event"], n["payment_order_id"], n["amount_minor"]) for n in audit.notes] == [
        ("topup.initiated", recorded.id, 50000)
    ]


def test_a_retried_initiate_answers_the_payment_order_its_first_try_recorded(topups, payment_orders):
    first = topups.initiate("cust_a", 50000, "fakepay", operation_id=OperationId("idk_1"))
    assert topups.initiate("cust_a", 50000, "fakepay", operation_id=OperationId("idk_1", retried=True)) == first
    other = OperationId("idk_2", retried=True)  # a retry whose first try recorded nothing: a top-up of its own
    assert topups.initiate("cust_a", 50000, "fakepay", operation_id=other) != first


def test_initiate_at_a_gateway_not_offered_records_nothing(topups, payment_orders, audit):
    with pytest.raises(UnsupportedPaymentMethod):
        topups.initiate("cust_a", 50000, "nopay")
    assert (payment_orders.docs, audit.notes) == ({}, [])


def test_find_names_the_payment_order_or_refuses(topups, payment_order):
    assert topups.find(payment_order.id) == payment_order
    with pytest.raises(PaymentOrderNotFound):
        topups.find("fakepay_order_404")


def test_verify_credits_the_initiated_amount_and_marks_the_payment_order_paid(
    topups, gateway, payment_order, ledger, payment_orders, audit
):
    gateway.confirmed = ConfirmedPayment("pay_1", 50000, "INR")
    wallet, credited_now, _second = topups.verify(payment_order, {})
    assert (wallet["balance_minor"], wallet["currency"], credited_now) == (50000, "INR", True)
    [credit] = ledger.of_kind(TOPUP)
    assert (credit["idempotency_key"], credit["reference"]["gateway_payment_id"]) == (
        f"topup:{payment_order.id}",
        "pay_1",
    )
    assert payment_orders.get(payment_order.id).status == "paid"
    assert [(r["event"], r["transaction_id"], r["reason"]) for r in audit.records] == [
        ("wallet.credited", credit["_id"], "verify")
    ]


def test_verify_of_the_same_payment_again_credits_once_and_says_it_is_this_payments(
    topups, gateway, payment_order, ledger, payment_orders, audit
):
    gateway.confirmed = ConfirmedPayment("pay_1", 50000, "INR")
    topups.verify(payment_order, {})
    wallet, credited_now, _second = topups.verify(payment_orders.get(payment_order.id), {})
    assert (wallet["balance_minor"], credited_now) == (50000, True)
    assert len(ledger.of_kind(TOPUP)) == 1
    assert audit.recorded() == [("wallet.credited", "ok")]


def test_verify_of_another_payment_of_a_credited_top_up_credits_nothing_and_is_audited(
    topups, gateway, payment_order, ledger, payment_orders, audit
):
    gateway.confirmed = ConfirmedPayment("pay_1", 50000, "INR")
    topups.verify(payment_order, {})
    gateway.confirmed = ConfirmedPayment("pay_2", 50000, "INR")
    wallet, credited_now, _second = topups.verify(payment_orders.get(payment_order.id), {})
    assert (wallet["balance_minor"], credited_now) == (50000, False)
    assert ledger.balance("cust_a") == 50000
    second = audit.recorded("topup.second_payment")
    assert [(r["outcome"], r["gateway_payment_id"]) for r in second] == [("rejected", "pay_2")]


def test_verify_of_a_return_that_brought_no_payment_of_its_own_says_so(topups, gateway, payment_order, ledger):
    gateway.confirmed = ConfirmedPayment("pay_1", 50000, "INR", earlier=True)
    wallet, credited_now, _second = topups.verify(payment_order, {})
    assert (wallet["balance_minor"], credited_now) == (50000, False)


def test_a_reported_amount_that_differs_is_refused_audited_and_credits_nothing(
    topups, gateway, payment_order, ledger, payment_orders, audit
):
    gateway.confirmed = ConfirmedPayment("pay_1", 49999, "INR")
    with pytest.raises(AmountMismatch):
        topups.verify(payment_order, {})
    assert (ledger.entries.docs, payment_orders.get(payment_order.id).status) == ([], "created")
    [refusal] = audit.recorded("topup.amount_mismatch")
    assert (refusal["outcome"], refusal["amount_minor"], refusal["reason"]) == ("rejected", 49999, "verify")


def test_a_reported_currency_that_differs_is_refused(topups, gateway, payment_order, ledger):
    gateway.confirmed = ConfirmedPayment("pay_1", 50000, "USD")
    with pytest.raises(AmountMismatch):
        topups.verify(payment_order, {})
    assert ledger.entries.docs == []


@pytest.mark.parametrize("reported", [0, -50000, 50000.0, True, 10**12])
def test_a_reported_amount_that_is_no_amount_is_invalid_and_not_audited_as_one(
    topups, gateway, payment_order, ledger, audit, reported
):
    gateway.confirmed = ConfirmedPayment("pay_1", reported, "INR")
    with pytest.raises(InvalidAmount):
        topups.verify(payment_order, {})
    assert ledger.entries.docs == []
    [refusal] = audit.recorded("topup.amount_mismatch")
    assert refusal.get("amount_minor") is None


def test_a_return_without_a_reported_amount_credits_the_initiated_one(topups, gateway, payment_order, ledger):
    gateway.confirmed = ConfirmedPayment("pay_1")
    topups.verify(payment_order, {})
    assert ledger.balance("cust_a") == 50000


def test_confirm_marks_paid_a_payment_order_whose_credit_was_made_before_it_was_marked(
    topups, payment_order, ledger, payment_orders, audit
):
    topups.confirm(payment_order, "pay_1", source="payment.captured")
    payment_orders.docs[payment_order.id]["status"] = "created"  # the process died before marking it
    entry, created = topups.confirm(payment_orders.get(payment_order.id), "pay_1", source="sweep")
    assert created is False
    assert payment_orders.get(payment_order.id).status == "paid"
    assert ledger.balance("cust_a") == 50000
    assert audit.recorded() == [("wallet.credited", "ok")]


def test_a_store_error_after_the_credit_is_an_operation_pending_naming_the_entry(
    topups, payment_order, ledger, payment_orders, monkeypatch
):
    def store_gone(*args):
        raise StoreUnavailable()

    monkeypatch.setattr(payment_orders, "mark_paid", store_gone)
    with pytest.raises(OperationPending) as raised:
        topups.confirm(payment_order, "pay_1", source="verify")
    [credit] = ledger.of_kind(TOPUP)
    assert raised.value.details == {"transaction_id": credit["_id"]}
