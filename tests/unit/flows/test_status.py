"""A wallet's status (backend/flows/status.py) on fakes: its figures and newest entries, in minor units."""

import pytest

from backend.flows.status import StatusView
from backend.records import CAPTURE, PAYMENT, REFUND, REVERSAL, TOPUP


@pytest.fixture
def status_view(ledger, history):
    return StatusView(ledger, history, "INR")


def test_figures_and_newest_entries_in_minor_units(status_view, ledger):
    ledger.credit("cust_a", "INR", 12050, TOPUP, "topup:po_1", {"payment_order_id": "po_1"})
    ledger.credit("cust_a", "INR", 1000, TOPUP, "topup:po_2", {"payment_order_id": "po_2"})
    ledger.debit("cust_a", "INR", 2500, PAYMENT, "payment:ord_1", {"order_id": "ord_1"})
    ledger.credit("cust_a", "INR", 500, REFUND, "refund:r1", {"order_id": "ord_1"})
    status = status_view.status("cust_a")
    assert {k: v for k, v in status.items() if k != "recent_entries"} == {
        "customer_id": "cust_a",
        "currency": "INR",
        "balance_minor": 11050,
        "held_minor": 0,
        "debt_minor": 0,
        "totals": {TOPUP: (13050, 2), PAYMENT: (2500, 1), REFUND: (500, 1), CAPTURE: (0, 0)},
    }
    assert [(e["kind"], e["amount_minor"], e["balance_after_minor"]) for e in status["recent_entries"]] == [
        (REFUND, 500, 11050),
        (PAYMENT, 2500, 10550),
        (TOPUP, 1000, 13050),
        (TOPUP, 12050, 12050),
    ]


def test_an_entry_not_rolled_into_the_wallet_yet_is_counted(status_view, ledger):
    ledger.credit("cust_a", "INR", 1000, TOPUP, "topup:po_1", {"payment_order_id": "po_1"})
    ledger.rolls_forward = False
    ledger.debit("cust_a", "INR", 300, PAYMENT, "payment:ord_1", {"order_id": "ord_1"})
    status = status_view.status("cust_a")
    assert (status["balance_minor"], status["totals"][PAYMENT]) == (700, (300, 1))
    assert ledger.balance("cust_a") == 1000  # the wallet itself is not written


def test_a_customer_who_never_paid_in_has_zero_and_no_entries(status_view):
    assert status_view.status("cust_new") == {
        "customer_id": "cust_new",
        "currency": "INR",
        "balance_minor": 0,
        "held_minor": 0,
        "debt_minor": 0,
        "totals": {TOPUP: (0, 0), PAYMENT: (0, 0), REFUND: (0, 0), CAPTURE: (0, 0)},
        "recent_entries": [],
    }


def test_the_wallet_of_another_currency_when_asked(status_view, ledger):
    ledger.credit("cust_a", "INR", 1000, TOPUP, "topup:po_1", {"payment_order_id": "po_1"})
    ledger.credit("cust_a", "USD", 700, TOPUP, "topup:po_2", {"payment_order_id": "po_2"})
    status = status_view.status("cust_a", "USD")
    assert (status["currency"], status["balance_minor"], len(status["recent_entries"])) == ("USD", 700, 1)


def test_a_reversal_is_in_the_balance_but_not_among_the_totals(status_view, ledger):
    ledger.credit("cust_a", "INR", 1000, TOPUP, "topup:po_1", {"payment_order_id": "po_1"})
    ledger.debit("cust_a", "INR", 300, PAYMENT, "payment:ord_1", {"order_id": "ord_1"})
    ledger.credit("cust_a", "INR", 300, REVERSAL, "reversal:txn_2", {"order_id": "ord_1"})
    status = status_view.status("cust_a")
    assert (status["balance_minor"], set(status["totals"])) == (1000, {TOPUP, PAYMENT, REFUND, CAPTURE})
