"""The repositories on their own (no Flask): payment orders, webhook events, the ledger's recovery reads."""
import datetime
import uuid

import pytest

from backend.db import connect, ensure_indexes
from backend.gateways.base import CREDIT_WALLET, WebhookEvent
from backend.payment_orders import PaymentOrders
from backend.wallet_service import CREDIT, WalletService
from backend.webhook_events import WebhookEvents

START = datetime.datetime(2026, 11, 1, 12, 0, 0)


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)


@pytest.fixture
def database():
    database = connect("mongomock://localhost", f"unit_{uuid.uuid4().hex[:10]}")
    ensure_indexes(database)
    return database


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def payment_orders(database, clock):
    return PaymentOrders(database, clock)


def test_created_payment_order_reads_back_by_id_gateway_and_reference(payment_orders):
    created = payment_orders.create("order_1", "wtp_1", "razorpay", "cust_a", 1050, "INR")
    assert payment_orders.get("order_1") == created
    assert (created.status, created.is_paid, created.created_at) == ("created", False, START)
    assert payment_orders.get("order_1", gateway="razorpay") == created
    assert payment_orders.get("order_1", gateway="paypal") is None
    assert payment_orders.by_reference("wtp_1") == created
    assert payment_orders.get("order_2") is None and payment_orders.by_reference("wtp_2") is None


def test_mark_paid_keeps_the_first_payment(payment_orders):
    payment_orders.create("order_1", "wtp_1", "razorpay", "cust_a", 1050, "INR")
    payment_orders.mark_paid("order_1", "txn_1", "pay_1")
    payment_orders.mark_paid("order_1", "txn_2", "pay_2")
    paid = payment_orders.get("order_1")
    assert (paid.status, paid.is_paid, paid.gateway_payment_id) == ("paid", True, "pay_1")


def test_mark_failed_only_moves_a_created_payment_order(payment_orders):
    payment_orders.create("order_1", "wtp_1", "razorpay", "cust_a", 1050, "INR")
    payment_orders.create("order_2", "wtp_2", "razorpay", "cust_a", 1050, "INR")
    payment_orders.mark_paid("order_2", "txn_1", "pay_1")
    payment_orders.mark_failed("order_1", "card_declined")
    payment_orders.mark_failed("order_2", "card_declined")
    assert payment_orders.get("order_1").status == "failed"
    assert payment_orders.get("order_2").status == "paid"


def test_list_stale_is_created_payment_orders_past_the_age_oldest_first(payment_orders, clock):
    payment_orders.create("order_old", "wtp_1", "razorpay", "cust_a", 100, "INR")
    clock.advance(60)
    payment_orders.create("order_paid", "wtp_2", "razorpay", "cust_a", 100, "INR")
    payment_orders.mark_paid("order_paid", "txn_1", "pay_1")
    payment_orders.create("order_failed", "wtp_3", "razorpay", "cust_a", 100, "INR")
    payment_orders.mark_failed("order_failed", "declined")
    payment_orders.create("order_middle", "wtp_4", "razorpay", "cust_a", 100, "INR")
    clock.advance(540)
    payment_orders.create("order_new", "wtp_5", "razorpay", "cust_a", 100, "INR")
    assert [p.id for p in payment_orders.list_stale(older_than_seconds=300)] == ["order_old", "order_middle"]
    assert [p.id for p in payment_orders.list_stale(older_than_seconds=300, limit=1)] == ["order_old"]
    assert payment_orders.list_stale(older_than_seconds=3600) == []


def event(event_id="evt_1"):
    return WebhookEvent(event_id, "payment.captured", CREDIT_WALLET, payment_order_id="order_1")


def test_a_closed_event_is_not_claimed_again(database):
    events = WebhookEvents(database)
    assert events.claim("razorpay", event()) is True
    events.close("razorpay", "evt_1", "processed")
    assert events.claim("razorpay", event()) is False
    assert events.claim("paypal", event()) is True  # ids are per gateway


def test_an_event_in_flight_or_released_is_claimed_again(database):
    events = WebhookEvents(database)
    assert events.claim("razorpay", event()) is True
    assert events.claim("razorpay", event()) is True  # still processing: a redelivery may finish it
    events.release("razorpay", "evt_1")
    assert database["webhook_events"].count_documents({}) == 0
    assert events.claim("razorpay", event()) is True


def test_release_never_forgets_a_closed_event(database):
    events = WebhookEvents(database)
    events.claim("razorpay", event())
    events.close("razorpay", "evt_1", "processed")
    events.release("razorpay", "evt_1")
    assert events.claim("razorpay", event()) is False


def test_ledger_recovery_reads_and_void(database, clock):
    wallets = WalletService(database, clock)
    applied, _ = wallets.credit("c", "INR", 500, "topup", "k1", {})
    pending, _ = wallets.open_entry("c", "INR", 200, CREDIT, "refund", "k2", {"order_id": "ord_1"})
    clock.advance(120)
    cutoff = clock() - datetime.timedelta(seconds=60)
    assert [e["_id"] for e in wallets.stale_pending(cutoff)] == [pending["_id"]]
    assert [e["_id"] for e in wallets.unfinalized()] == [applied["_id"]]
    wallets.void(pending)
    wallets.void(applied)  # only a pending entry is ever voided
    assert [e["_id"] for e in database["ledger_entries"].find({})] == [applied["_id"]]
    assert list(wallets.stale_pending(cutoff)) == []


def test_applied_refunds_by_order_sums_only_applied_refunds(database):
    wallets = WalletService(database)
    wallets.credit("c", "INR", 300, "refund", "r1", {"order_id": "ord_1"})
    wallets.credit("c", "INR", 200, "refund", "r2", {"order_id": "ord_1"})
    wallets.credit("c", "INR", 700, "refund", "r3", {"order_id": "ord_2"})
    wallets.credit("c", "INR", 900, "topup", "t1", {"payment_order_id": "order_1"})
    wallets.open_entry("c", "INR", 50, CREDIT, "refund", "r4", {"order_id": "ord_1"})  # pending
    assert wallets.applied_refunds_by_order() == {"ord_1": 500, "ord_2": 700}
