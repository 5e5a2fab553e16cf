"""Reconciliation (backend/flows/reconcile.py) on fakes: the ledger against the wallets and the orders'
refunds, per life of an order; it reads only."""

import copy

import pytest

from backend.flows.payments import OrderPayments
from backend.flows.reconcile import Reconciler
from backend.flows.refunds import Refunds
from backend.records import REFUND, TOPUP
from tests.fakes import FakeSettlements


@pytest.fixture
def reconciler(ledger, orders):
    return Reconciler(ledger, orders)


@pytest.fixture
def refunds(ledger, history, orders, audit):
    return Refunds(ledger, history, orders, audit)


@pytest.fixture(autouse=True)
def traffic(ledger, orders, audit, clock, refunds):
    """cust_a topped up 5000, paid ord_1 (1000) and had 400 of it refunded; cust_b topped up 300."""
    ledger.credit("cust_a", "INR", 5000, TOPUP, "topup:po_1", {"payment_order_id": "po_1"})
    ledger.credit("cust_b", "INR", 300, TOPUP, "topup:po_2", {"payment_order_id": "po_2"})
    orders.put("ord_1", "cust_a", 1000)
    OrderPayments(ledger, orders, FakeSettlements(ledger), audit, clock).pay("ord_1", "cust_a", 1000)
    refunds.refund("ord_1", "cust_a", 400)


def stored_wallet(ledger, wid):
    return next(w for w in ledger.wallets.docs if w["_id"] == wid)


def test_nothing_is_reported_when_the_ledger_agrees(reconciler):
    assert reconciler.reconcile() == []
    assert reconciler.reconcile_customer("cust_a") == []


def test_reports_a_wallet_whose_balance_differs_from_its_ledger(reconciler, ledger):
    stored_wallet(ledger, "cust_a:INR")["balance_minor"] += 1
    assert reconciler.reconcile() == [
        {"problem": "wallet_balance", "wallet_id": "cust_a:INR", "balance_minor": 4401, "ledger_minor": 4400}
    ]


def test_reports_a_wallet_below_zero_even_when_its_ledger_agrees(reconciler, ledger):
    ledger.entries.docs.append(
        {
            "_id": "txn_x",
            "wallet_id": "cust_b:INR",
            "type": "debit",
            "kind": "payment",
            "amount_minor": 500,
            "sequence": 2,
            "reference": {},
        }
    )
    stored_wallet(ledger, "cust_b:INR").update(balance_minor=-200, version=2)
    assert [d["wallet_id"] for d in reconciler.reconcile()] == ["cust_b:INR"]


def test_an_entry_the_wallet_does_not_hold_yet_is_in_flight_not_drift(reconciler, ledger):
    ledger.rolls_forward = False
    ledger.credit("cust_b", "INR", 700, TOPUP, "topup:po_3", {"payment_order_id": "po_3"})
    assert reconciler.reconcile() == []


def test_reports_an_order_life_whose_refunds_exceed_its_payment(reconciler, ledger):
    [refund] = ledger.of_kind(REFUND)
    extra = dict(
        refund,
        _id="txn_x",
        idempotency_key="refund:x",
        amount_minor=700,
        refund_seq=2,
        sequence=99,
        order_refunded_after_minor=1100,
    )
    ledger.entries.docs.append(extra)
    assert reconciler.reconcile() == [
        {
            "problem": "order_refunds",
            "order_id": "ord_1",
            "wallet_id": "cust_a:INR",
            "life": None,
            "paid_minor": 1000,
            "ledger_refunds_minor": 1100,
        }
    ]


def test_reports_an_order_whose_refunded_figure_differs_from_its_refunds(reconciler, orders):
    orders.set("ord_1", refunded_minor=300)
    assert reconciler.reconcile() == [
        {
            "problem": "order_refunds",
            "order_id": "ord_1",
            "customer_id": "cust_a",
            "paid_minor": 1000,
            "refunded_minor": 300,
            "ledger_refunds_minor": 400,
        }
    ]
    assert [d["order_id"] for d in reconciler.reconcile_customer("cust_a")] == ["ord_1"]


def test_a_refund_not_rolled_into_its_order_yet_is_in_flight_not_drift(reconciler, ledger, refunds):
    ledger.rolls_forward = False
    refunds.refund("ord_1", "cust_a", 100)
    assert reconciler.reconcile() == []


def test_reconcile_customer_checks_only_that_customers_wallets_and_orders(reconciler, ledger):
    stored_wallet(ledger, "cust_b:INR")["balance_minor"] += 1
    assert reconciler.reconcile_customer("cust_a") == []
    assert [d["wallet_id"] for d in reconciler.reconcile_customer("cust_b")] == ["cust_b:INR"]


def test_reconcile_writes_nothing(reconciler, ledger, orders):
    stored_wallet(ledger, "cust_a:INR")["balance_minor"] += 1
    orders.set("ord_1", refunded_minor=300)
    before = copy.deepcopy((ledger.wallets.docs, ledger.entries.docs, orders.orders.docs))
    assert len(reconciler.reconcile()) == 2
    reconciler.reconcile_customer("cust_a")
    assert (ledger.wallets.docs, ledger.entries.docs, orders.orders.docs) == before


def test_reports_an_order_life_whose_refunds_sit_in_two_wallets(reconciler, ledger, orders, refunds):
    orders.put("ord_shop", "cust_b", 800, payment_status="paid")
    refunds.refund("ord_shop", "cust_b", 100)
    [refund] = [e for e in ledger.of_kind(REFUND) if e["reference"]["order_id"] == "ord_shop"]
    ledger.entries.docs.append(dict(refund, _id="txn_x", wallet_id="cust_a:INR", idempotency_key="refund:x"))
    drift = reconciler.reconcile()
    assert sorted((d["order_id"], d["wallet_id"], d["life"]) for d in drift if "life" in d) == [
        ("ord_shop", "cust_a:INR", refund["reference"]["order_life"]),
        ("ord_shop", "cust_b:INR", refund["reference"]["order_life"]),
    ]
