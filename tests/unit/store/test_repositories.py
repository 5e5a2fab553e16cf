"""The repositories on their own (no Flask): payment orders (with their webhook events), the ledger's recovery reads."""

import datetime
import uuid

import pytest

from backend.db import connect, ensure_indexes
from backend.gateways.base import CREDIT_WALLET, WebhookEvent
from backend.payment_orders import PaymentOrders
from backend.wallet_service import WalletService
from tests.helpers import Clock

START = datetime.datetime(2026, 11, 1, 12, 0, 0)


@pytest.fixture
def database():
    database = connect("mongomock://localhost", f"unit_{uuid.uuid4().hex[:10]}")
    ensure_indexes(database)
    return database


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def payment_orders(database, clock):
    return PaymentOrders(database, clock)


def test_created_payment_order_reads_back_by_id_and_gateway_with_its_reference(payment_orders):
    created = payment_orders.create("order_1", "wtp_1", "razorpay", "cust_a", 1050, "INR")
    assert payment_orders.get("order_1") == created
    assert (created.status, created.is_paid, created.created_at) == ("created", False, START)
    assert payment_orders.get("order_1", gateway="razorpay") == created
    assert payment_orders.get("order_1", gateway="paypal") is None
    assert payment_orders.get("order_1").reference == "wtp_1"
    assert payment_orders.get("order_2") is None


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


def event(event_id="evt_1", payment_order_id="order_1", reference=None):
    return WebhookEvent(
        event_id,
        "payment.captured",
        CREDIT_WALLET,
        payment_order_id=payment_order_id,
        payment_order_reference=reference,
    )


def test_an_event_is_claimed_on_its_payment_order_once(payment_orders, database):
    payment_orders.create("order_1", "wtp_1", "razorpay", "cust_a", 100, "INR")
    claimed, fresh = payment_orders.claim_event("razorpay", event())
    assert (claimed.id, fresh) == ("order_1", True)
    assert payment_orders.claim_event("razorpay", event()) == (claimed, False)
    assert payment_orders.claim_event("razorpay", event("evt_2"))[1] is True
    assert database["payment_orders"].find_one({"_id": "order_1"})["webhook_event_ids"] == ["evt_1", "evt_2"]


def test_an_event_is_claimed_by_reference_and_only_for_its_gateway(payment_orders):
    payment_orders.create("order_1", "wtp_1", "razorpay", "cust_a", 100, "INR")
    assert payment_orders.claim_event("paypal", event()) == (None, False)
    assert payment_orders.claim_event("razorpay", event("evt_9", "order_unknown")) == (None, False)
    by_reference, fresh = payment_orders.claim_event("razorpay", event(payment_order_id=None, reference="wtp_1"))
    assert (by_reference.id, fresh) == ("order_1", True)
    assert payment_orders.claim_event("razorpay", event(payment_order_id=None)) == (None, False)


def test_a_released_event_is_claimed_again(payment_orders):
    payment_orders.create("order_1", "wtp_1", "razorpay", "cust_a", 100, "INR")
    payment_orders.claim_event("razorpay", event())
    payment_orders.release_event("order_1", "evt_1")
    assert payment_orders.claim_event("razorpay", event())[1] is True


def test_unfinalized_entries_oldest_first_until_marked(database, clock):
    wallets = WalletService(database, clock)
    first, _ = wallets.credit("c", "INR", 500, "topup", "k1", {})
    clock.advance(1)
    second, _ = wallets.debit("c", "INR", 200, "payment", "k2", {"order_id": "ord_1"})
    assert [e["_id"] for e in wallets.unfinalized()] == [first["_id"], second["_id"]]
    wallets.mark_finalized([first["_id"]])
    assert [e["_id"] for e in wallets.unfinalized()] == [second["_id"]]
