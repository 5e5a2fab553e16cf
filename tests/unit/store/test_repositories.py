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


def test_an_event_is_fresh_until_the_write_applying_it_keeps_it(payment_orders, database):
    payment_orders.create("order_1", "wtp_1", "razorpay", "cust_a", 100, "INR")
    read = payment_orders.for_event("razorpay", event())
    assert (read.payment_order.id, read.fresh, read.wallets, read.cases) == ("order_1", True, {}, None)
    assert payment_orders.for_event("razorpay", event()).fresh is True  # reading keeps nothing
    payment_orders.mark_paid("order_1", "txn_1", "pay_1", event_id="evt_1")
    payment_orders.mark_paid("order_1", "txn_2", "pay_2", event_id="evt_2")  # paid once: nothing kept
    payment_orders.mark_failed("order_1", "declined", event_id="evt_3")  # not created: only the event kept
    assert [payment_orders.for_event("razorpay", event(e)).fresh for e in ("evt_1", "evt_2", "evt_3")] == [
        False,
        True,
        False,
    ]
    document = database["payment_orders"].find_one({"_id": "order_1"})
    assert (document["status"], document["entry_id"], document["webhook_event_ids"]) == (
        "paid",
        "txn_1",
        ["evt_1", "evt_3"],
    )


def test_an_event_is_read_by_reference_and_only_for_its_gateway(payment_orders):
    payment_orders.create("order_1", "wtp_1", "razorpay", "cust_a", 100, "INR")
    assert payment_orders.for_event("paypal", event()) is None
    assert payment_orders.for_event("razorpay", event("evt_9", "order_unknown")) is None
    by_reference = payment_orders.for_event("razorpay", event(payment_order_id=None, reference="wtp_1"))
    assert (by_reference.payment_order.id, by_reference.fresh) == ("order_1", True)
    assert payment_orders.for_event("razorpay", event(payment_order_id=None)) is None


def test_an_event_is_read_with_its_customers_wallets_and_its_payments_cases(payment_orders, database):
    payment_orders.create("order_1", "wtp_1", "razorpay", "cust_a", 100, "INR")
    database["wallets"].insert_many(
        [
            {"_id": "cust_a:INR", "customer_id": "cust_a", "currency": "INR", "version": 2},
            {"_id": "cust_a:USD", "customer_id": "cust_a", "currency": "USD", "version": 1},
            {"_id": "cust_b:INR", "customer_id": "cust_b", "currency": "INR", "version": 5},
        ]
    )
    database["gateway_cases"].insert_many(
        [
            {"_id": "case_1", "gateway": "razorpay", "gateway_payment_id": "pay_1", "waiting": True},
            {"_id": "case_2", "gateway": "razorpay", "gateway_payment_id": "pay_2", "waiting": True},
            {"_id": "case_3", "gateway": "razorpay", "waiting": True},  # no payment id: never matched by a null
        ]
    )
    with_payment = WebhookEvent(
        "evt_1", "payment.captured", CREDIT_WALLET, payment_order_id="order_1", gateway_payment_id="pay_1"
    )
    read = payment_orders.for_event("razorpay", with_payment)
    assert sorted(read.wallets) == ["cust_a:INR", "cust_a:USD"]
    assert [case["_id"] for case in read.cases] == ["case_1"]
    assert payment_orders.for_event("razorpay", event()).cases is None


def test_unfinalized_entries_oldest_first_until_marked(database, clock):
    wallets = WalletService(database, clock)
    first, _ = wallets.credit("c", "INR", 500, "topup", "k1", {})
    clock.advance(1)
    second, _ = wallets.debit("c", "INR", 200, "payment", "k2", {"order_id": "ord_1"})
    assert [e["_id"] for e in wallets.unfinalized()] == [first["_id"], second["_id"]]
    wallets.mark_finalized([first["_id"]])
    assert [e["_id"] for e in wallets.unfinalized()] == [second["_id"]]


def test_an_entry_put_off_is_not_unfinalized_until_its_moment_and_its_failures_count(database, clock):
    wallets = WalletService(database, clock)
    first, _ = wallets.credit("c", "INR", 500, "topup", "k1", {})
    clock.advance(1)
    second, _ = wallets.credit("c", "INR", 200, "topup", "k2", {})
    wallets.mark_finalized([], put_off={first["_id"]: clock() + datetime.timedelta(seconds=60)})
    assert [e["_id"] for e in wallets.unfinalized()] == [second["_id"]]
    clock.advance(60)
    [due, _] = wallets.unfinalized()
    assert (due["_id"], due["follow_up_failures"], due["finalized"]) == (first["_id"], 1, False)
    wallets.mark_finalized([first["_id"]], put_off={second["_id"]: clock() + datetime.timedelta(seconds=60)})
    assert wallets.unfinalized() == []
    wallets.mark_finalized([], put_off={first["_id"]: clock() + datetime.timedelta(seconds=60)})
    assert database["ledger_entries"].find_one({"_id": first["_id"]})["follow_up_failures"] == 1  # finalized: left so
