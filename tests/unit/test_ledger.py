"""WalletService on its own (no Flask): idempotent entries, no overdraft, recovery, reconciliation."""
import uuid

import pytest

from backend.db import connect, ensure_indexes
from backend.errors import InsufficientFunds
from backend.wallet_service import CREDIT, DEBIT, WalletService


@pytest.fixture
def wallets():
    database = connect("mongomock://localhost", f"unit_{uuid.uuid4().hex[:10]}")
    ensure_indexes(database)
    return WalletService(database)


def test_a_customer_who_never_paid_in_has_a_zero_balance(wallets):
    assert wallets.get_wallet("cust_new", "INR")["balance_minor"] == 0


def test_credit_with_the_same_key_applies_once(wallets):
    first, created_first = wallets.credit("c", "INR", 500, "topup", "k1", {})
    again, created_again = wallets.credit("c", "INR", 500, "topup", "k1", {})
    assert (created_first, created_again) == (True, False)
    assert again["_id"] == first["_id"]
    assert wallets.get_wallet("c", "INR")["balance_minor"] == 500


def test_debit_never_goes_below_zero_and_leaves_no_entry(wallets):
    wallets.credit("c", "INR", 100, "topup", "k1", {})
    with pytest.raises(InsufficientFunds):
        wallets.debit("c", "INR", 101, "payment", "k2", {})
    assert wallets.get_wallet("c", "INR")["balance_minor"] == 100
    assert wallets.entries.count_documents({"idempotency_key": "k2"}) == 0


def test_a_rejected_debit_can_be_retried_after_a_top_up(wallets):
    with pytest.raises(InsufficientFunds):
        wallets.debit("c", "INR", 50, "payment", "pay:o1", {})
    wallets.credit("c", "INR", 80, "topup", "k1", {})
    entry, created = wallets.debit("c", "INR", 50, "payment", "pay:o1", {})
    assert created and entry["balance_after_minor"] == 30


def test_entries_record_balance_after_and_list_newest_first(wallets):
    wallets.credit("c", "INR", 100, "topup", "k1", {})
    wallets.debit("c", "INR", 30, "payment", "k2", {})
    wallets.credit("c", "INR", 5, "refund", "k3", {})
    recent = wallets.recent_entries("c", "INR")
    assert [(e["type"], e["amount_minor"], e["balance_after_minor"]) for e in recent] == [
        (CREDIT, 5, 75), (DEBIT, 30, 70), (CREDIT, 100, 100)]


def test_settle_finishes_an_entry_left_pending(wallets):
    entry, _ = wallets.open_entry("c", "INR", 700, CREDIT, "topup", "k1", {})
    assert wallets.get_wallet("c", "INR")["balance_minor"] == 0
    assert wallets.settle(entry)["status"] == "applied"
    assert wallets.settle(entry)["balance_after_minor"] == 700
    assert wallets.get_wallet("c", "INR")["balance_minor"] == 700


def test_a_decision_left_on_the_wallet_is_finished_once(wallets):
    entry, _ = wallets.open_entry("c", "INR", 700, CREDIT, "topup", "k1", {})
    wallet = wallets._load_or_create(entry)
    assert wallets._decide(wallet, entry) is not None  # as if the process died right after
    assert wallets.reconcile() == []  # an in-flight decision is not drift
    assert wallets.finish_wallet_decisions() == 1
    assert wallets.get_wallet("c", "INR")["balance_minor"] == 700
    assert wallets.get_wallet("c", "INR")["pending"] == []
    assert wallets.entries.find_one({"_id": entry["_id"]})["status"] == "applied"


def test_reconcile_reports_a_balance_that_differs_from_the_ledger(wallets):
    wallets.credit("c", "INR", 100, "topup", "k1", {})
    wallets.wallets.update_one({"_id": "c:INR"}, {"$inc": {"balance_minor": 1}})
    assert wallets.reconcile() == [{"wallet_id": "c:INR", "balance_minor": 101, "ledger_minor": 100}]


def test_a_stale_compare_and_set_loses(wallets):
    wallets.credit("c", "INR", 100, "topup", "k1", {})
    entry, _ = wallets.open_entry("c", "INR", 100, DEBIT, "payment", "k2", {})
    stale = wallets.get_wallet("c", "INR")
    wallets.credit("c", "INR", 1, "topup", "k3", {})
    assert wallets._decide(stale, entry) is None
    assert wallets.settle(entry)["balance_after_minor"] == 1
