"""Crashes between writes: a top-up credit, a payment, a refund (paid from the wallet or at the shop) and
the worker's finishing of movements, crashed before each of their writes, are healed by recovery with
no drift (SPEC §8)."""

import pytest

from backend.errors import RefundExceedsPaid
from tests.faults import crash_each_write
from tests.helpers import razorpay_event, signed_webhook, unique
from tests.integration.orders_support import funded_customer, paid_order


def test_crash_during_a_topup_credit_is_healed(app, db, integration):
    def setup():
        customer_id = unique("cust")
        payment_order_id = integration.initiate_wallet_topup_payment(customer_id, 5000)["payment_order_id"]
        return {
            "customer_id": customer_id,
            "payment_order_id": payment_order_id,
            "webhook": signed_webhook(razorpay_event("payment.captured", payment_order_id, "pay_1", 5000)),
        }

    def operation(crashy, state):
        crashy.process_payment_webhook("razorpay", *state["webhook"])

    def check(healthy, state, crash_at):
        balance_minor = healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"]
        paid = db["payment_orders"].find_one({"_id": state["payment_order_id"]})["status"] == "paid"
        assert (balance_minor, paid) in ((0, False), (5000, True)), crash_at
        # A redelivery credits what the crash left undone (nothing was kept of the event before the
        # write that marks the payment order paid); the gateway sweep's look-up credits nothing more.
        healthy.process_payment_webhook("razorpay", *state["webhook"])
        assert healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"] == 5000
        healthy.topups.confirm(healthy.find_payment_order(state["payment_order_id"]), "pay_1", "sweep")
        assert healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"] == 5000

    writes = crash_each_write(app, db, setup, operation, check)
    assert writes == 4  # ledger insert, wallet roll, payment order (paid, with the event's id), audit


def test_crash_during_a_payment_is_healed(app, db, integration, api):
    def setup():
        customer_id = funded_customer(integration, 8000)
        return {"customer_id": customer_id, "order_id": api.add_order(customer_id, 3000)}

    def operation(crashy, state):
        crashy.link_payment_to_order(state["order_id"], state["customer_id"], 3000)

    def check(healthy, state, crash_at):
        balance_minor = healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"]
        status = db["orders"].find_one({"order_id": state["order_id"]})["payment_status"]
        assert (balance_minor, status) in ((8000, "pending"), (5000, "paid")), crash_at
        if status == "pending":
            healthy.link_payment_to_order(state["order_id"], state["customer_id"], 3000)
        assert healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"] == 5000

    writes = crash_each_write(app, db, setup, operation, check)
    assert writes == 5  # ledger insert, wallet roll, order, the entry's settlement, audit


@pytest.mark.parametrize("at_the_shop", [False, True], ids=["paid from the wallet", "paid at the shop"])
def test_crash_during_a_refund_is_healed(app, db, integration, api, at_the_shop):
    def setup():
        customer_id, order_id = paid_order(integration, api, at_the_shop=at_the_shop)
        return {
            "customer_id": customer_id,
            "order_id": order_id,
            "before_minor": integration.wallet.get_wallet(customer_id, "INR")["balance_minor"],
        }

    def operation(crashy, state):
        crashy.process_refund_to_wallet(state["order_id"], state["customer_id"], 1000, "crash", refund_id=unique("rf"))

    def check(healthy, state, crash_at):
        balance_minor = healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"] - state["before_minor"]
        order = db["orders"].find_one({"order_id": state["order_id"]})
        assert (balance_minor, order.get("refunded_minor", 0)) in ((0, 0), (1000, 1000)), crash_at
        if balance_minor == 0:
            healthy.process_refund_to_wallet(
                state["order_id"], state["customer_id"], 1000, "retry", refund_id=unique("rf")
            )
        with pytest.raises(RefundExceedsPaid):  # 1000 of 3000 refunded: 2001 more never fits
            healthy.process_refund_to_wallet(state["order_id"], state["customer_id"], 2001, "too much")
        assert healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"] - state["before_minor"] == 1000
        assert healthy.reconcile() == []

    writes = crash_each_write(app, db, setup, operation, check)
    # ledger insert, wallet roll, order, audit; the first refund of an order paid at the shop first
    # pins the wallet its refunds go to
    assert writes == (5 if at_the_shop else 4)


def test_crash_while_finishing_movements_is_healed(app, db, integration, api, monkeypatch):
    """The worker's follow-ups of an interrupted refund (its wallet and order not rolled forward) and
    of two finished movements (outbox, `finalized`), crashed before each of their writes: recovery
    finishes them, each confirmation is queued once."""

    def setup():
        customer_id, order_id = paid_order(integration, api)
        with monkeypatch.context() as interrupted:
            interrupted.setattr(integration.wallet, "roll", lambda entry: None)
            interrupted.setattr(integration.orders, "roll_refund", lambda entry: None)
            integration.process_refund_to_wallet(order_id, customer_id, 500, "part", refund_id=unique("rf"))
        return {"customer_id": customer_id, "order_id": order_id}

    def operation(crashy, state):
        crashy.followups.finish()

    def check(healthy, state, crash_at):
        entries = list(db["ledger_entries"].find({"customer_id": state["customer_id"]}))
        assert [e["finalized"] for e in entries] == [True] * 3, crash_at
        assert db["notification_outbox"].count_documents({"_id": {"$in": [e["_id"] for e in entries]}}) == 3
        order = db["orders"].find_one({"order_id": state["order_id"]})
        assert (order["payment_status"], order["refunded_minor"]) == ("partially_refunded", 500)
        assert healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"] == 5000 + 500

    integration.recover(grace_seconds=0)  # entries other tests left: finished first
    writes = crash_each_write(app, db, setup, operation, check)
    assert writes == 4  # wallet roll, order roll, outbox, finalized
