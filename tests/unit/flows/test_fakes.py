"""The fakes of tests/fakes.py keep the contract the flows rely on: each check runs on the fake and on the
real repository (on the embedded store), so a fake that drifts from its repository fails here, not silently
in tests/unit/flows."""

import uuid

import pytest

from backend.db import connect, ensure_indexes
from backend.errors import InsufficientFunds, RefundExceedsPaid
from backend.gateways.base import CREDIT_WALLET, RECORD_FAILURE, WebhookEvent
from backend.orders import OrderBook
from backend.payment_orders import PaymentOrders
from backend.settlements import PaymentSettlements
from backend.wallet_service import WalletService
from tests.fakes import FakeClock, FakeLedger, FakeOrderBook, FakePaymentOrders, FakeSettlements


def store():
    database = connect("mongomock://localhost", f"fakes_{uuid.uuid4().hex[:10]}")
    ensure_indexes(database)
    return database


@pytest.fixture(params=["fake", "real"])
def ledger(request):
    return FakeLedger(FakeClock()) if request.param == "fake" else WalletService(store(), FakeClock())


@pytest.fixture(params=["fake", "real"])
def orders(request):
    return FakeOrderBook() if request.param == "fake" else OrderBook(store())


@pytest.fixture(params=["fake", "real"])
def payment_orders(request):
    return FakePaymentOrders() if request.param == "fake" else PaymentOrders(store(), FakeClock())


def put_order(orders, **order):
    if isinstance(orders, FakeOrderBook):
        orders.put(**order)
    else:
        orders.orders.insert_one(dict({"currency": "INR", "payment_status": "pending"}, **order))


def debit_of(order_id, ticket=None, entry_id="txn_1", customer_id="cust_a", amount_minor=1000):
    return {
        "_id": entry_id,
        "customer_id": customer_id,
        "wallet_id": f"{customer_id}:INR",
        "currency": "INR",
        "amount_minor": amount_minor,
        "reference": {"order_id": order_id, "order_life": ticket},
    }


def test_a_ledger_key_moves_money_once(ledger):
    first, created = ledger.credit("cust_a", "INR", 500, "topup", "topup:po_1", {"payment_order_id": "po_1"})
    again, created_again = ledger.credit("cust_a", "INR", 500, "topup", "topup:po_1", {"payment_order_id": "po_1"})
    assert (created, created_again, again["_id"]) == (True, False, first["_id"])
    assert ledger.get_wallet("cust_a", "INR")["balance_minor"] == 500


def test_a_debit_the_balance_does_not_cover_writes_nothing_but_a_made_one_is_found(ledger):
    ledger.credit("cust_a", "INR", 500, "topup", "topup:po_1", {})
    with pytest.raises(InsufficientFunds):
        ledger.debit("cust_a", "INR", 501, "payment", "payment:o1", {"order_id": "o1"})
    assert ledger.entry_for_key("cust_a", "INR", "payment:o1") is None
    made, _ = ledger.debit("cust_a", "INR", 400, "payment", "payment:o2", {"order_id": "o2"}, operation=("op", None))
    again, created = ledger.debit("cust_a", "INR", 400, "payment", "payment:o2", {"order_id": "o2"})
    assert (again["_id"], created, ledger.get_wallet("cust_a", "INR")["balance_minor"]) == (made["_id"], False, 100)
    assert [e["_id"] for e in ledger.entries_made_by("op")] == [made["_id"]]
    assert ledger.entries_made_by("other-op") == []


def settlements_of(ledger):
    if isinstance(ledger, FakeLedger):
        return FakeSettlements(ledger)
    return PaymentSettlements(ledger.entries.database, ledger.clock)


def test_settling_and_finalizing_are_recorded_on_the_entry(ledger):
    entry, _ = ledger.credit("cust_a", "INR", 500, "topup", "topup:po_1", {})
    settlements = settlements_of(ledger)
    settlements.record(entry, "paid")
    settlements.record(dict(entry, settled=None), "given_back")  # decided once: never a second time
    assert (entry["settled"], ledger.entry_for_key("cust_a", "INR", "topup:po_1")["settled"]) == ("paid", "paid")
    assert [e["_id"] for e in ledger.unfinalized()] == [entry["_id"]]
    ledger.mark_finalized([entry["_id"]])
    assert ledger.unfinalized() == []


def test_an_undecided_payment_is_claimed_once_its_request_let_it_go_or_its_grace_passed(ledger):
    entry, _ = ledger.credit("cust_a", "INR", 500, "topup", "topup:po_1", {})
    debit, _ = ledger.debit("cust_a", "INR", 100, "payment", "payment:o1", {"order_id": "o1"})
    settlements = settlements_of(ledger)
    assert settlements.claim(debit, grace_seconds=30) is None  # its request is settling it
    settlements.release(debit["_id"])
    assert settlements.claim(debit, grace_seconds=30)["_id"] == debit["_id"]
    assert settlements.claim(debit, grace_seconds=30) is None  # claimed: that settler started just now
    settlements.record(debit, "given_back")
    assert settlements.outcome(debit["_id"]) == "given_back"


def test_an_order_is_paid_only_by_a_debit_holding_its_ticket_which_then_turns(orders):
    put_order(orders, order_id="o1", customer_id="cust_a", amount_minor=1000)
    assert orders.mark_paid(debit_of("o1", ticket="stale"), None) is False
    assert orders.mark_paid(debit_of("o1"), None) is True
    order = orders.get("o1")
    assert (order["payment_status"], order["payment_entry_id"], order["payment_life"]) == ("paid", "txn_1", None)
    assert order["payment_ticket"] is not None
    assert orders.mark_paid(debit_of("o1"), None) is True  # idempotent
    assert orders.give_back(debit_of("o1")) is False  # it paid the order


def test_a_debit_given_back_never_pays_the_order(orders):
    put_order(orders, order_id="o1", customer_id="cust_a", amount_minor=1000)
    assert orders.give_back(debit_of("o1")) is True
    assert orders.get("o1")["reversed_entry_ids"] == ["txn_1"]
    assert orders.mark_paid(debit_of("o1"), None) is False


def test_an_order_changed_since_it_was_read_is_not_paid(orders):
    put_order(orders, order_id="o1", customer_id="cust_a", amount_minor=1200)
    assert orders.mark_paid(debit_of("o1"), None) is False
    assert orders.why_not_payable("o1", "cust_a", 1000) == "order_amount_changed"


def test_refunds_of_a_life_fit_within_what_was_paid(orders):
    paid = {"order_id": "o1", "amount_minor": 1000, "paid_minor": 800, "refunded_minor": 300, "refund_seq": 1}
    assert orders.refund_fields(paid, 500) == {
        "refund_seq": 2,
        "order_refunded_after_minor": 800,
        "order_paid_minor": 800,
    }
    with pytest.raises(RefundExceedsPaid):
        orders.refund_fields(paid, 501)


def test_a_webhook_event_is_fresh_until_the_write_applying_it_keeps_it(payment_orders):
    payment_orders.create("po_1", "wtp_1", "fakepay", "cust_a", 500, "INR")
    event = WebhookEvent("evt_1", "captured", CREDIT_WALLET, payment_order_id="po_1", amount_minor=500, currency="INR")
    assert [payment_orders.for_event("fakepay", event).fresh for _ in range(2)] == [True, True]
    payment_orders.mark_paid("po_1", "txn_1", "pay_1", event_id="evt_1")
    assert payment_orders.for_event("fakepay", event).fresh is False
    other = WebhookEvent("evt_2", "captured", CREDIT_WALLET, payment_order_id="po_1", amount_minor=400, currency="INR")
    assert payment_orders.for_event("fakepay", other).fresh is True  # its amount is the flow's to check
    assert payment_orders.by_event("fakepay", other).id == "po_1"
    assert payment_orders.for_event("otherpay", event) is None


def test_a_payment_order_is_paid_once_and_failed_only_from_created(payment_orders):
    payment_orders.create("po_1", "wtp_1", "fakepay", "cust_a", 500, "INR")
    payment_orders.mark_paid("po_1", "txn_1", "pay_1")
    payment_orders.mark_paid("po_1", "txn_2", "pay_2")
    payment_orders.mark_failed("po_1", "declined")
    paid = payment_orders.get("po_1")
    assert (paid.status, paid.gateway_payment_id, payment_orders.paid_ids(["po_1", "po_2"])) == (
        "paid",
        "pay_1",
        {"po_1"},
    )
    failure = WebhookEvent("evt_f", "failed", RECORD_FAILURE, payment_order_reference="wtp_1")
    assert payment_orders.for_event("fakepay", failure).payment_order.id == "po_1"
    payment_orders.mark_failed("po_1", "declined", event_id="evt_f")  # a paid one stays paid; the event is kept
    assert (payment_orders.get("po_1").status, payment_orders.for_event("fakepay", failure).fresh) == ("paid", False)
