"""WalletService on its own (no Flask), with the ledger's reads (LedgerHistory) and reconciliation:
idempotent entries, no overdraft, recovery, reconciliation."""

import uuid

import pytest

from backend.db import connect, ensure_indexes
from backend.errors import InsufficientFunds
from backend.flows.reconcile import Reconciler
from backend.ledger_history import LedgerHistory
from backend.orders import OrderBook
from backend.records import CREDIT, DEBIT
from backend.wallet_service import WalletService


@pytest.fixture
def database():
    database = connect("mongomock://localhost", f"unit_{uuid.uuid4().hex[:10]}")
    ensure_indexes(database)
    return database


@pytest.fixture
def wallets(database):
    return WalletService(database)


@pytest.fixture
def history(database):
    return LedgerHistory(database)


@pytest.fixture
def reconciler(wallets, database):
    return Reconciler(wallets, OrderBook(database))


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


def test_entries_record_balance_after_and_list_newest_first(wallets, history):
    wallets.credit("c", "INR", 100, "topup", "k1", {})
    wallets.debit("c", "INR", 30, "payment", "k2", {})
    wallets.credit("c", "INR", 5, "refund", "k3", {})
    recent = history.recent_with_wallet("c", "INR")[1]
    assert [(e["type"], e["amount_minor"], e["balance_after_minor"]) for e in recent] == [
        (CREDIT, 5, 75),
        (DEBIT, 30, 70),
        (CREDIT, 100, 100),
    ]


def losing_the_next_roll(wallets, monkeypatch):
    """As if the process died right after the next entry's insert: its wallet is not rolled forward."""
    real_roll = wallets.roll
    lost = []

    def roll(entry):
        if lost:
            return real_roll(entry)
        lost.append(entry["_id"])

    monkeypatch.setattr(wallets, "roll", roll)
    return lost


def test_an_entry_whose_wallet_was_not_rolled_forward_is_in_flight_and_the_next_movement_rolls_it(
    wallets, history, reconciler, monkeypatch
):
    wallets.credit("c", "INR", 100, "topup", "k1", {})
    lost = losing_the_next_roll(wallets, monkeypatch)
    entry, _ = wallets.credit("c", "INR", 50, "topup", "k2", {})
    assert lost == [entry["_id"]]
    wallet = wallets.get_wallet("c", "INR")
    assert (wallet["balance_minor"], wallet["version"]) == (100, 1)
    assert reconciler.reconcile() == []  # in flight, not drift
    assert LedgerHistory.current(wallet, history.recent_with_wallet("c", "INR")[1])["balance_minor"] == 150
    debit, created = wallets.debit("c", "INR", 120, "payment", "k3", {})  # fits only once rolled forward
    assert created and (debit["sequence"], debit["balance_after_minor"]) == (3, 30)
    assert wallets.get_wallet("c", "INR")["version"] == 3
    assert reconciler.reconcile() == []


def test_the_first_entry_of_a_wallet_not_created_yet_is_rolled_in_by_the_next(wallets, reconciler, monkeypatch):
    losing_the_next_roll(wallets, monkeypatch)
    wallets.credit("c", "INR", 70, "topup", "k1", {})
    assert wallets.get_wallet("c", "INR")["balance_minor"] == 0 and reconciler.reconcile() == []
    wallets.credit("c", "INR", 5, "topup", "k2", {})
    wallet = wallets.get_wallet("c", "INR")
    assert (wallet["balance_minor"], wallet["version"], wallet["totals"]["topup_count"]) == (75, 2, 2)


def test_an_entry_computed_from_a_stale_balance_collides_and_is_computed_again(wallets, history, monkeypatch):
    wallets.credit("c", "INR", 100, "topup", "k1", {})
    real_find_one, raced = wallets.wallets.find_one, []

    def find_one_then_another_debit(query):
        wallet = real_find_one(query)
        if not raced:  # another request debits between this read and the insert
            raced.append(True)
            wallets.debit("c", "INR", 80, "payment", "k2", {})
        return wallet

    monkeypatch.setattr(wallets.wallets, "find_one", find_one_then_another_debit)
    with pytest.raises(InsufficientFunds):
        wallets.debit("c", "INR", 30, "payment", "k3", {})  # read 100, but only 20 is left
    assert wallets.get_wallet("c", "INR")["balance_minor"] == 20
    assert [e["idempotency_key"] for e in history.recent_with_wallet("c", "INR")[1]] == ["k2", "k1"]


def test_sequences_are_one_per_place_in_a_wallet(wallets, history):
    for number in range(5):
        wallets.credit("c", "INR", 1, "topup", f"k{number}", {})
    assert [e["sequence"] for e in history.recent_with_wallet("c", "INR")[1]] == [5, 4, 3, 2, 1]


def test_reconcile_reports_a_balance_that_differs_from_the_ledger(wallets, reconciler):
    wallets.credit("c", "INR", 100, "topup", "k1", {})
    wallets.wallets.update_one({"_id": "c:INR"}, {"$inc": {"balance_minor": 1}})
    assert reconciler.reconcile() == [
        {"problem": "wallet_balance", "wallet_id": "c:INR", "balance_minor": 101, "ledger_minor": 100}
    ]


def test_the_newest_entries_come_with_their_wallet_in_one_read(wallets, history):
    assert history.recent_with_wallet("c", "INR") == (None, [])
    for i in range(25):
        wallets.credit("c", "INR", 1, "topup", f"k{i}", {})
    wallets.credit("c", "USD", 7, "topup", "u1", {})
    wallet, recent = history.recent_with_wallet("c", "INR")
    assert (wallet["_id"], wallet["balance_minor"], wallet["version"]) == ("c:INR", 25, 25)
    assert [e["sequence"] for e in recent] == list(range(25, 5, -1))  # the newest 20, newest first
