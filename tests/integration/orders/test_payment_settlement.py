"""A payment is decided once, by one settler (backend/settlements.py): paid, or given back. A debit
given back never pays its order afterwards, even one the shop re-issued with no trace of the wallet's
life, whatever crashes, retries and worker runs come between (found by a red-team pass: the order
paid and its money back as well)."""

import pytest

from backend.errors import IntegrationError
from backend.flows import payments as payments_flow
from tests.faults import SimulatedCrash, crashing_integration
from tests.integration.support import balance_minor

SHOP_FIELDS = ("order_id", "customer_id", "amount_minor", "currency", "payment_status")


def reissue(db, order_id, **changes):
    """The shop writes the order anew, pending, with its own fields only."""
    order = db["orders"].find_one({"order_id": order_id})
    db["orders"].replace_one(
        {"order_id": order_id}, dict({k: order[k] for k in SHOP_FIELDS}, payment_status="pending", **changes)
    )


def crashed(app, db, crash_at, action):
    try:
        action(crashing_integration(app, db, crash_at)[0])
    except (SimulatedCrash, IntegrationError):
        pass


def assert_never_paid_and_given_back(db, integration, customer_id, order_id, topped_up_minor, amount_minor):
    paid = db["orders"].find_one({"order_id": order_id})["payment_status"] == "paid"
    assert balance_minor(db, customer_id) == topped_up_minor - (amount_minor if paid else 0)
    assert integration.reconcile() == []


@pytest.mark.parametrize("crash_at", range(1, 9))
def test_recovery_dying_while_giving_a_debit_back_never_lets_it_pay_the_reissued_order(
    app, api, db, integration, crash_at
):
    api.topup("cust_s1", "50")
    order_id = api.add_order("cust_s1", 2500)
    crashed(app, db, 3, lambda crashy: crashy.link_payment_to_order(order_id, "cust_s1", 2500))  # before marking
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "cancelled"}})
    crashed(app, db, crash_at, lambda crashy: crashy.recover(grace_seconds=0))
    reissue(db, order_id)
    integration.recover(grace_seconds=0)
    assert_never_paid_and_given_back(db, integration, "cust_s1", order_id, 5000, 2500)


@pytest.mark.parametrize("crash_at", range(1, 9))
def test_a_second_request_dying_while_giving_the_first_debit_back_never_lets_it_pay_the_reissued_order(
    app, api, db, integration, crash_at
):
    api.topup("cust_s2", "50")
    order_id = api.add_order("cust_s2", 2500)
    crashed(app, db, 3, lambda crashy: crashy.link_payment_to_order(order_id, "cust_s2", 2500, "op_1"))
    db["orders"].update_one({"order_id": order_id}, {"$set": {"amount_minor": 1000}})  # still pending
    crashed(app, db, crash_at, lambda crashy: crashy.link_payment_to_order(order_id, "cust_s2", 1000, "op_2"))
    reissue(db, order_id, amount_minor=2500)
    integration.recover(grace_seconds=0)
    assert_never_paid_and_given_back(db, integration, "cust_s2", order_id, 5000, 2500)


@pytest.mark.parametrize("window", ["before the decision is recorded", "before the money goes back"])
def test_the_worker_never_pays_a_reissued_order_with_a_debit_its_request_is_giving_back(
    api, db, integration, monkeypatch, window
):
    api.topup("cust_s3", "50")
    order_id = api.add_order("cust_s3", 2500)
    settlements, flow = integration.order_payments.settlements, integration.order_payments
    real_mark_paid, real_record, real_give_back, ran = (
        integration.orders.mark_paid,
        settlements.record,
        flow.give_back,
        [],
    )

    def cancelled_meanwhile(entry, now):
        if not ran:
            db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "cancelled"}})
        return real_mark_paid(entry, now)

    def shop_and_worker_first(step):
        def run(entry, *args):
            if not ran:
                ran.append(True)
                reissue(db, order_id)  # the shop writes the cancelled order anew, pending
                integration.followups.finish()  # the worker's tick, inside the request's window
            return step(entry, *args)

        return run

    monkeypatch.setattr(integration.orders, "mark_paid", cancelled_meanwhile)
    if window == "before the decision is recorded":
        monkeypatch.setattr(settlements, "record", shop_and_worker_first(real_record))
    else:
        monkeypatch.setattr(flow, "give_back", shop_and_worker_first(real_give_back))
    assert api.pay(order_id, "cust_s3", 25).status_code == 409  # given back: the order changed
    monkeypatch.undo()
    integration.recover(grace_seconds=0)
    assert ran
    assert_never_paid_and_given_back(db, integration, "cust_s3", order_id, 5000, 2500)


def test_a_concurrent_request_leaves_an_undecided_debit_to_its_settler(api, db, integration, monkeypatch):
    monkeypatch.setattr(payments_flow, "SETTLED_WAIT_SECONDS", 0.2)
    api.topup("cust_s4", "50")
    order_id = api.add_order("cust_s4", 2500)
    integration.wallet.debit(
        "cust_s4", "INR", 2500, "payment", f"payment:{order_id}", {"order_id": order_id, "order_life": None}
    )  # a request that is still deciding its debit
    answer = api.pay(order_id, "cust_s4", 25)
    assert (answer.status_code, answer.get_json()["error"]) == (409, "order_already_paid")
    assert db["orders"].find_one({"order_id": order_id}).get("payment_entry_id") is None
    assert db["ledger_entries"].count_documents({"kind": "payment", "customer_id": "cust_s4"}) == 1
