"""After the credit (SPEC §9) on the store: refunds, reversals and disputes a gateway reports about a
credited top-up move the wallet once, in any order, and the figures (balance, held, debt) always
agree with the ledger's entries."""

import uuid

import pytest

from backend.audit import AuditLog
from backend.db import connect, ensure_indexes
from backend.flows.after_credit import AfterCredit
from backend.flows.reconcile import Reconciler
from backend.gateway_cases import GatewayCases
from backend.gateways.base import (
    DISPUTE_LOST,
    DISPUTE_OPENED,
    DISPUTE_RECORDED,
    DISPUTE_RELEASED,
    REFUND_PROCESSED,
    REFUND_RECORDED,
    REVERSED,
    WebhookEvent,
)
from backend.orders import OrderBook
from backend.payment_orders import PaymentOrders
from backend.records import TOPUP
from backend.wallet_holds import WalletHolds
from backend.wallet_service import WalletService, signed_minor


@pytest.fixture
def database():
    database = connect("mongomock://localhost", f"after_{uuid.uuid4().hex[:10]}")
    ensure_indexes(database)
    return database


@pytest.fixture
def wallets(database):
    return WalletService(database)


@pytest.fixture
def payment_orders(database):
    return PaymentOrders(database)


@pytest.fixture
def flow(database, wallets, payment_orders):
    return AfterCredit(WalletHolds(wallets), payment_orders, GatewayCases(database), AuditLog(database))


def top_up(wallets, payment_orders, amount_minor, payment_id=None, customer_id="cust_a", gateway="razorpay"):
    """A credited top-up of `amount_minor` paid by `payment_id`; its payment order."""
    payment_order_id = f"order_{uuid.uuid4().hex[:10]}"
    payment_id = payment_id or f"pay_{uuid.uuid4().hex[:10]}"
    payment_orders.create(payment_order_id, f"wtp_{payment_order_id}", gateway, customer_id, amount_minor, "INR")
    entry, _ = wallets.credit(
        customer_id,
        "INR",
        amount_minor,
        TOPUP,
        f"topup:{payment_order_id}",
        {"payment_order_id": payment_order_id, "gateway": gateway, "gateway_payment_id": payment_id},
    )
    payment_orders.mark_paid(payment_order_id, entry["_id"], payment_id)
    return payment_orders.get(payment_order_id)


def event(action, payment_id, amount_minor, case_id, event_type="test"):
    return WebhookEvent(
        f"evt_{uuid.uuid4().hex[:8]}",
        event_type,
        action,
        gateway_payment_id=payment_id,
        amount_minor=amount_minor,
        currency="INR",
        case_id=case_id,
    )


def figures(wallets, customer_id="cust_a"):
    wallet = wallets.get_wallet(customer_id, "INR")
    return wallet["balance_minor"], wallet.get("held_minor", 0), wallet.get("debt_minor", 0)


def assert_ledger_agrees(wallets, customer_id="cust_a"):
    """Balance, held money and debt are the sums of the wallet's entries; held ≤ balance; and
    reconcile (which checks the same on its own) finds nothing."""
    assert Reconciler(wallets, OrderBook(wallets.entries.database)).wallet_drift() == []
    entries = list(wallets.entries.find({"wallet_id": f"{customer_id}:INR"}))
    wallet = wallets.get_wallet(customer_id, "INR")
    assert wallet["balance_minor"] == sum(signed_minor(e) for e in entries)
    assert wallet.get("held_minor", 0) == sum(e.get("held_delta_minor", 0) for e in entries)
    assert wallet.get("debt_minor", 0) == sum(e.get("debt_delta_minor", 0) for e in entries)
    assert 0 <= wallet.get("held_minor", 0) <= wallet["balance_minor"]
    assert sum(h["remaining_minor"] for h in wallet.get("holds", {}).values()) == wallet.get("held_minor", 0)


def test_a_gateway_refund_takes_the_money_back_once_however_often_it_is_delivered(flow, wallets, payment_orders):
    po = top_up(wallets, payment_orders, 10000)
    refund = event(REFUND_PROCESSED, po.gateway_payment_id, 4000, "rfnd_1")
    assert flow.apply("razorpay", refund) == "processed"
    assert flow.apply("razorpay", refund) == "duplicate"
    assert flow.apply("razorpay", event(REFUND_PROCESSED, po.gateway_payment_id, 4000, "rfnd_1")) == "duplicate"
    assert figures(wallets) == (6000, 0, 0)
    assert_ledger_agrees(wallets)


def test_refund_processed_before_refund_created_takes_back_once(flow, wallets, payment_orders):
    po = top_up(wallets, payment_orders, 10000)
    assert flow.apply("razorpay", event(REFUND_PROCESSED, po.gateway_payment_id, 10000, "rfnd_2")) == "processed"
    assert flow.apply("razorpay", event(REFUND_RECORDED, po.gateway_payment_id, 10000, "rfnd_2")) == "duplicate"
    assert figures(wallets) == (0, 0, 0)


def test_money_already_spent_becomes_debt_and_the_next_credit_pays_it_first(flow, wallets, payment_orders):
    po = top_up(wallets, payment_orders, 10000)
    wallets.debit("cust_a", "INR", 7000, "payment", "payment:ord_1", {"order_id": "ord_1"})
    flow.apply("razorpay", event(REVERSED, po.gateway_payment_id, 10000, "rev_1"))
    assert figures(wallets) == (0, 0, 7000)
    top_up(wallets, payment_orders, 5000)
    assert figures(wallets) == (0, 0, 2000)
    top_up(wallets, payment_orders, 5000)
    assert figures(wallets) == (3000, 0, 0)
    kinds = [e["kind"] for e in wallets.entries.find({"wallet_id": "cust_a:INR"}, sort=[("sequence", 1)])]
    assert kinds == ["topup", "payment", "topup_reversal", "topup", "debt_repayment", "topup", "debt_repayment"]
    assert_ledger_agrees(wallets)


def test_a_wallet_in_debt_cannot_spend_a_credit_before_its_repayment(flow, wallets, payment_orders):
    from backend.errors import InsufficientFunds

    po = top_up(wallets, payment_orders, 10000)
    wallets.debit("cust_a", "INR", 10000, "payment", "payment:ord_1", {"order_id": "ord_1"})
    flow.apply("razorpay", event(REVERSED, po.gateway_payment_id, 10000, "rev_2"))
    # A credit whose repayment has not run yet (a crash in between): the money is owed, not spendable.
    wallets.append(wallets.draft("cust_a", "INR", 3000, "credit", "refund", "refund:x", {"order_id": "ord_x"}))
    with pytest.raises(InsufficientFunds):
        wallets.debit("cust_a", "INR", 1, "payment", "payment:ord_2", {"order_id": "ord_2"})


def test_a_dispute_holds_and_a_won_dispute_releases(flow, wallets, payment_orders):
    po = top_up(wallets, payment_orders, 10000)
    assert flow.apply("razorpay", event(DISPUTE_OPENED, po.gateway_payment_id, 6000, "disp_1")) == "processed"
    assert figures(wallets) == (10000, 6000, 0)
    assert flow.apply("razorpay", event(DISPUTE_OPENED, po.gateway_payment_id, 6000, "disp_1")) == "duplicate"
    assert flow.apply("razorpay", event(DISPUTE_RELEASED, po.gateway_payment_id, 6000, "disp_1")) == "processed"
    assert figures(wallets) == (10000, 0, 0)
    assert flow.apply("razorpay", event(DISPUTE_OPENED, po.gateway_payment_id, 6000, "disp_1")) == "duplicate"
    assert figures(wallets) == (10000, 0, 0)
    assert_ledger_agrees(wallets)


def test_a_lost_dispute_takes_its_own_hold_first(flow, wallets, payment_orders):
    po = top_up(wallets, payment_orders, 10000)
    flow.apply("razorpay", event(DISPUTE_OPENED, po.gateway_payment_id, 6000, "disp_2"))
    assert flow.apply("razorpay", event(DISPUTE_LOST, po.gateway_payment_id, 6000, "disp_2")) == "processed"
    assert figures(wallets) == (4000, 0, 0)
    assert flow.apply("razorpay", event(DISPUTE_LOST, po.gateway_payment_id, 6000, "disp_2")) == "duplicate"
    assert_ledger_agrees(wallets)


def test_a_dispute_lost_before_it_was_opened_holds_nothing_later(flow, wallets, payment_orders):
    po = top_up(wallets, payment_orders, 10000)
    flow.apply("razorpay", event(DISPUTE_LOST, po.gateway_payment_id, 6000, "disp_3"))
    assert flow.apply("razorpay", event(DISPUTE_OPENED, po.gateway_payment_id, 6000, "disp_3")) == "duplicate"
    assert figures(wallets) == (4000, 0, 0)
    assert_ledger_agrees(wallets)


def test_a_dispute_won_before_it_was_opened_holds_nothing_later(flow, wallets, payment_orders):
    po = top_up(wallets, payment_orders, 10000)
    flow.apply("razorpay", event(DISPUTE_RELEASED, po.gateway_payment_id, 6000, "disp_4"))
    flow.apply("razorpay", event(DISPUTE_OPENED, po.gateway_payment_id, 6000, "disp_4"))
    assert figures(wallets) == (10000, 0, 0)
    assert_ledger_agrees(wallets)


def test_a_dispute_holds_only_what_is_available(flow, wallets, payment_orders):
    po = top_up(wallets, payment_orders, 10000)
    wallets.debit("cust_a", "INR", 8000, "payment", "payment:ord_1", {"order_id": "ord_1"})
    flow.apply("razorpay", event(DISPUTE_OPENED, po.gateway_payment_id, 10000, "disp_5"))
    assert figures(wallets) == (2000, 2000, 0)
    flow.apply("razorpay", event(DISPUTE_LOST, po.gateway_payment_id, 10000, "disp_5"))
    assert figures(wallets) == (0, 0, 8000)
    assert_ledger_agrees(wallets)


def test_a_take_back_cuts_other_holds_newest_first(flow, wallets, payment_orders):
    first = top_up(wallets, payment_orders, 5000)
    second = top_up(wallets, payment_orders, 5000)
    flow.apply("razorpay", event(DISPUTE_OPENED, first.gateway_payment_id, 3000, "disp_old"))
    flow.apply("razorpay", event(DISPUTE_OPENED, second.gateway_payment_id, 3000, "disp_new"))
    assert figures(wallets) == (10000, 6000, 0)
    flow.apply("razorpay", event(REFUND_PROCESSED, second.gateway_payment_id, 5000, "rfnd_cut"))
    # 4000 of the 5000 came out of available money, 1000 out of the newest hold.
    assert figures(wallets) == (5000, 5000, 0)
    holds = wallets.get_wallet("cust_a", "INR")["holds"]
    assert sorted(h["remaining_minor"] for h in holds.values()) == [2000, 3000]
    assert_ledger_agrees(wallets)


def test_a_refund_before_its_payment_credited_waits_and_applies_on_the_credit(flow, wallets, payment_orders, database):
    assert flow.apply("razorpay", event(REFUND_PROCESSED, "pay_early", 3000, "rfnd_early")) == "recorded"
    assert figures(wallets) == (0, 0, 0)
    po = top_up(wallets, payment_orders, 10000, payment_id="pay_early")
    flow.apply_waiting(po)
    assert figures(wallets) == (7000, 0, 0)
    flow.apply_waiting(po)
    assert figures(wallets) == (7000, 0, 0)
    assert database["gateway_cases"].find_one({"case_id": "rfnd_early"})["waiting"] is False


def test_a_refund_of_a_payment_that_credited_nothing_moves_nothing(flow, wallets, payment_orders):
    top_up(wallets, payment_orders, 10000, payment_id="pay_first")
    assert flow.apply("razorpay", event(REFUND_PROCESSED, "pay_second", 10000, "rfnd_second")) == "recorded"
    assert figures(wallets) == (10000, 0, 0)


def test_a_take_back_is_capped_at_what_the_top_up_credited(flow, wallets, payment_orders):
    top_up(wallets, payment_orders, 5000)
    po = top_up(wallets, payment_orders, 1000)
    flow.apply("razorpay", event(REFUND_PROCESSED, po.gateway_payment_id, 9000, "rfnd_big"))
    assert figures(wallets) == (5000, 0, 0)
    assert_ledger_agrees(wallets)


def test_reconcile_finds_held_money_that_differs_from_the_ledger(flow, wallets, payment_orders):
    po = top_up(wallets, payment_orders, 10000)
    flow.apply("razorpay", event(DISPUTE_OPENED, po.gateway_payment_id, 6000, "disp_drift"))
    wallets.wallets.update_one({"_id": "cust_a:INR"}, {"$set": {"held_minor": 1000}})
    [drift] = Reconciler(wallets, OrderBook(wallets.entries.database)).wallet_drift()
    assert (drift["held_minor"], drift["ledger_held_minor"]) == (1000, 6000)


def test_a_case_in_another_currency_moves_nothing(flow, wallets, payment_orders):
    po = top_up(wallets, payment_orders, 5000)
    usd = WebhookEvent(
        "evt_usd",
        "t",
        REFUND_PROCESSED,
        gateway_payment_id=po.gateway_payment_id,
        amount_minor=10,
        currency="USD",
        case_id="rfnd_usd",
    )
    assert flow.apply("razorpay", usd) == "rejected"
    assert figures(wallets) == (5000, 0, 0)


def test_a_chargeback_reported_as_a_reversal_and_as_a_lost_dispute_takes_back_the_top_up_once(
    flow, wallets, payment_orders
):
    po = top_up(wallets, payment_orders, 10000)
    flow.apply("razorpay", event(REVERSED, po.gateway_payment_id, 10000, "rev_cb"))
    flow.apply("razorpay", event(DISPUTE_LOST, po.gateway_payment_id, 10000, "disp_cb"))
    assert figures(wallets) == (0, 0, 0)
    assert_ledger_agrees(wallets)


def test_a_dispute_lost_after_a_refund_took_the_whole_top_up_releases_its_hold(flow, wallets, payment_orders):
    po = top_up(wallets, payment_orders, 10000)
    top_up(wallets, payment_orders, 20000)
    flow.apply("razorpay", event(DISPUTE_OPENED, po.gateway_payment_id, 10000, "disp_after"))
    flow.apply("razorpay", event(REFUND_PROCESSED, po.gateway_payment_id, 10000, "rfnd_before_loss"))
    assert figures(wallets) == (20000, 10000, 0)
    assert flow.apply("razorpay", event(DISPUTE_LOST, po.gateway_payment_id, 10000, "disp_after")) == "processed"
    assert figures(wallets) == (20000, 0, 0)  # nothing more to take back; the hold ends
    assert_ledger_agrees(wallets)


def test_a_dispute_update_that_names_no_payment_does_not_block_the_dispute(flow, wallets, payment_orders):
    po = top_up(wallets, payment_orders, 10000, gateway="paypal")
    update = WebhookEvent("evt_upd", "CUSTOMER.DISPUTE.UPDATED", DISPUTE_RECORDED, case_id="PP-D-1")
    assert flow.apply("paypal", update) == "recorded"
    opened = WebhookEvent(
        "evt_open",
        "CUSTOMER.DISPUTE.CREATED",
        DISPUTE_OPENED,
        gateway_payment_id=po.gateway_payment_id,
        amount_minor=4000,
        currency="INR",
        case_id="PP-D-1",
    )
    assert flow.apply("paypal", opened) == "processed"
    assert figures(wallets) == (10000, 4000, 0)


def test_reconcile_finds_a_hold_that_differs_from_its_entries(flow, wallets, payment_orders):
    first, second = top_up(wallets, payment_orders, 10000), top_up(wallets, payment_orders, 10000)
    flow.apply("razorpay", event(DISPUTE_OPENED, first.gateway_payment_id, 3000, "disp_a"))
    flow.apply("razorpay", event(DISPUTE_OPENED, second.gateway_payment_id, 3000, "disp_b"))
    holds = wallets.get_wallet("cust_a", "INR")["holds"]
    a, b = sorted(holds)
    # The same total held, moved from one hold to the other: the sums agree, the holds do not.
    wallets.wallets.update_one(
        {"_id": "cust_a:INR"}, {"$set": {f"holds.{a}.remaining_minor": 1000, f"holds.{b}.remaining_minor": 5000}}
    )
    [drift] = Reconciler(wallets, OrderBook(wallets.entries.database)).reconcile_customer("cust_a")
    assert drift["holds"] == {a: 1000, b: 5000} and drift["ledger_holds"] == {a: 3000, b: 3000}
