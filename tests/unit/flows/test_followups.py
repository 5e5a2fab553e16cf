"""What follows each ledger entry (backend/flows/followups.py) on fakes: finished once by the worker and
by recovery, whatever the request that made the entry got done before it stopped."""

import pytest

from backend.errors import OrderNotPayable
from backend.flows.followups import FollowUps
from backend.flows.payments import OrderPayments
from backend.flows.refunds import Refunds
from backend.flows.topups import Topups
from backend.records import PAYMENT, REFUND, REVERSAL, TOPUP
from tests.fakes import FakeSettlements


@pytest.fixture
def topups(ledger, payments, payment_orders, audit):
    return Topups(ledger, payments, payment_orders, audit, "INR")


@pytest.fixture
def order_payments(ledger, orders, audit, clock):
    return OrderPayments(ledger, orders, FakeSettlements(ledger), audit, clock)


@pytest.fixture
def followups(ledger, history, orders, payment_orders, topups, order_payments, outbox, audit, clock):
    return FollowUps(
        ledger,
        history,
        orders,
        payment_orders,
        topups,
        order_payments,
        order_payments.settlements,
        outbox,
        audit,
        clock,
    )


@pytest.fixture
def topped_up(ledger, payment_orders):
    """cust_a's top-up po_1 credited; its request died before it marked the payment order paid."""
    payment_orders.create("po_1", "wtp_1", "fakepay", "cust_a", 10000, "INR")
    entry, _ = ledger.credit(
        "cust_a",
        "INR",
        10000,
        TOPUP,
        "topup:po_1",
        {"payment_order_id": "po_1", "gateway": "fakepay", "gateway_payment_id": "pay_1"},
    )
    return entry


def interrupted_payment(ledger, orders, amount_minor=2500):
    """A payment of ord_1 whose request died after its debit."""
    orders.put("ord_1", "cust_a", amount_minor)
    entry, _ = ledger.debit(
        "cust_a", "INR", amount_minor, PAYMENT, "payment:ord_1", {"order_id": "ord_1", "order_life": None}
    )
    return entry


def test_finishes_an_unfinalized_top_up_once(followups, topped_up, ledger, payment_orders, outbox):
    assert [e["_id"] for e in followups.finish()] == [topped_up["_id"]]
    assert payment_orders.get("po_1").status == "paid"
    assert outbox.queued == {topped_up["_id"]: TOPUP}
    assert ledger.stored(topped_up["_id"])["finalized"] is True
    assert followups.finish() == []


def test_finishing_rolls_forward_a_wallet_that_does_not_hold_its_entry(followups, ledger, payment_orders):
    payment_orders.create("po_1", "wtp_1", "fakepay", "cust_a", 10000, "INR")
    ledger.rolls_forward = False
    ledger.credit("cust_a", "INR", 10000, TOPUP, "topup:po_1", {"payment_order_id": "po_1"})
    assert ledger.wallets.find_one({"_id": "cust_a:INR"}) is None
    followups.finish()
    assert ledger.wallets.find_one({"_id": "cust_a:INR"})["balance_minor"] == 10000


def test_an_interrupted_payment_whose_order_is_still_pending_pays_it(
    followups, topped_up, ledger, orders, outbox, clock
):
    debit = interrupted_payment(ledger, orders)
    followups.finish()  # within its grace: its request may still be deciding it
    assert (ledger.stored(debit["_id"]).get("settled"), ledger.stored(debit["_id"])["finalized"]) == (None, False)
    clock.advance(31)
    followups.finish()
    assert (orders.get("ord_1")["payment_entry_id"], ledger.stored(debit["_id"])["settled"]) == (debit["_id"], "paid")
    assert outbox.queued[debit["_id"]] == PAYMENT
    assert ledger.of_kind(REVERSAL) == []


def test_does_not_confirm_a_given_back_payment_but_its_reversal(
    followups, topped_up, ledger, orders, outbox, audit, clock
):
    debit = interrupted_payment(ledger, orders)
    orders.shop("ord_1", payment_status="cancelled")
    clock.advance(31)  # past its request's grace
    followups.finish()
    [reversal] = ledger.of_kind(REVERSAL)
    assert ledger.stored(debit["_id"])["settled"] == "given_back"
    assert debit["_id"] not in outbox.queued
    assert [r["reason"] for r in audit.recorded("payment.reversed")] == ["order_cancelled"]
    followups.finish()
    assert outbox.queued == {topped_up["_id"]: TOPUP, reversal["_id"]: REVERSAL}
    assert ledger.balance("cust_a") == 10000


def test_never_decides_a_settled_payment_again(followups, topped_up, ledger, orders, order_payments, outbox):
    orders.put("ord_1", "cust_a", 2500)
    paid = order_payments.pay("ord_1", "cust_a", 2500)
    orders.shop("ord_1", payment_status="cancelled")  # after it was paid
    followups.finish()
    assert (ledger.of_kind(REVERSAL), ledger.balance("cust_a")) == ([], 7500)
    assert outbox.queued[paid["_id"]] == PAYMENT


def test_a_given_back_payment_never_pays_its_order_written_anew(
    followups, topped_up, ledger, orders, order_payments, monkeypatch
):
    orders.put("ord_1", "cust_a", 2500)
    mark_paid = orders.mark_paid

    def cancelled_first(*args):
        orders.shop("ord_1", payment_status="cancelled")
        return mark_paid(*args)

    monkeypatch.setattr(orders, "mark_paid", cancelled_first)
    with pytest.raises(OrderNotPayable):
        order_payments.pay("ord_1", "cust_a", 2500)
    monkeypatch.undo()
    orders.put("ord_1", "cust_a", 2500)  # the shop writes the order anew, pending, without the wallet's fields
    followups.finish()
    assert orders.get("ord_1")["payment_status"] == "pending"
    assert ledger.balance("cust_a") == 10000


def test_rolls_into_its_order_a_refund_its_request_left_behind(
    followups, topped_up, ledger, history, orders, audit, order_payments, outbox
):
    orders.put("ord_1", "cust_a", 2500)
    order_payments.pay("ord_1", "cust_a", 2500)
    ledger.rolls_forward = False
    Refunds(ledger, history, orders, audit).refund("ord_1", "cust_a", 1000)
    ledger.rolls_forward = True
    followups.finish()
    order = orders.get("ord_1")
    assert (order["refunded_minor"], order["refund_seq"], order["payment_status"]) == (1000, 1, "partially_refunded")
    assert ledger.balance("cust_a") == 8500
    assert list(outbox.queued.values()).count(REFUND) == 1


def test_does_not_repeat_the_follow_ups_their_requests_made(
    followups, topups, order_payments, ledger, history, orders, payment_orders, audit, monkeypatch
):
    topups.confirm(payment_orders.create("po_1", "wtp_1", "fakepay", "cust_a", 10000, "INR"), "pay_1", source="verify")
    orders.put("ord_1", "cust_a", 2500)
    order_payments.pay("ord_1", "cust_a", 2500)
    Refunds(ledger, history, orders, audit).refund("ord_1", "cust_a", 1000)
    for repository, method in [
        (payment_orders, "mark_paid"),
        (orders, "mark_paid"),
        (orders, "give_back"),
        (orders, "catch_up_refunds"),
    ]:
        monkeypatch.setattr(repository, method, lambda *a, m=method: pytest.fail(f"{m} again"))
    assert len(followups.finish()) == 3


def test_without_an_outbox_entries_are_still_finalized(
    ledger, history, orders, payment_orders, topups, order_payments, audit, clock, topped_up
):
    followups = FollowUps(
        ledger, history, orders, payment_orders, topups, order_payments, order_payments.settlements, None, audit, clock
    )
    followups.finish()
    assert ledger.unfinalized() == []


def test_recovery_counts_interrupted_entries_and_audits_them(followups, topped_up, ledger, orders, clock, audit):
    clock.advance(120)
    young = interrupted_payment(ledger, orders)  # younger than the grace period: its request may still be running
    assert followups.recover(grace_seconds=60) == {"finished": 1, "interrupted": 1}
    assert ledger.stored(young["_id"]).get("settled") is None  # left to its request
    [ran] = audit.recorded("recovery.ran")
    assert ran["count"] == 1


def test_recovery_with_nothing_interrupted_audits_nothing(followups, topped_up, audit):
    assert followups.recover(grace_seconds=60) == {"finished": 1, "interrupted": 0}
    assert audit.recorded("recovery.ran") == []


def test_recovery_finishes_batch_after_batch(followups, ledger, payment_orders):
    for n in range(150):
        payment_orders.create(f"po_{n}", f"wtp_{n}", "fakepay", "cust_a", 100, "INR")
        ledger.credit("cust_a", "INR", 100, TOPUP, f"topup:po_{n}", {"payment_order_id": f"po_{n}"})
    assert followups.recover(grace_seconds=60)["finished"] == 150
    assert ledger.unfinalized() == [] and payment_orders.paid_ids([f"po_{n}" for n in range(150)]) == {
        f"po_{n}" for n in range(150)
    }


def test_an_entry_whose_follow_ups_fail_is_put_off_twice_as_long_each_time(
    followups, topped_up, ledger, topups, clock, monkeypatch
):
    mark_paid = topups.mark_paid
    monkeypatch.setattr(topups, "mark_paid", lambda *a: (_ for _ in ()).throw(TypeError("no code expects this")))
    waits = []
    for _ in range(8):
        assert followups.finish() == []
        waits.append((ledger.stored(topped_up["_id"])["follow_up_retry_at"] - clock()).total_seconds())
        clock.advance(waits[-1] - 1)
        assert followups.finish() == []  # not due yet: not read, not tried
        clock.advance(1)
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert ledger.stored(topped_up["_id"])["follow_up_failures"] == 8
    monkeypatch.setattr(topups, "mark_paid", mark_paid)
    assert [e["_id"] for e in followups.finish()] == [topped_up["_id"]]
