"""An order's payment belongs to one life of the order. The shop owns `orders` and reopens, re-issues,
reassigns or cancels an order by writing it; nothing of an earlier life (its debit, its refunds, a
refund still being rolled in) pays, refunds or reverses a later one, and reconcile checks each life.
"""

import pytest

from backend.errors import RefundExceedsPaid
from tests.helpers import bearer
from tests.integration.support import assert_error, balance_minor, cancelled_while_paying

SHOP_FIELDS = ("order_id", "customer_id", "amount_minor", "currency", "payment_status")


def reissue(db, order_id, **changes):
    """The shop writes the order anew: only its own fields, pending (the wallet's fields are gone)."""
    order = db["orders"].find_one({"order_id": order_id})
    fresh = dict({k: order[k] for k in SHOP_FIELDS}, payment_status="pending", **changes)
    db["orders"].replace_one({"order_id": order_id}, fresh)


def reopen(db, order_id, **changes):
    """The shop sets the order pending again (the wallet's fields stay)."""
    db["orders"].update_one({"order_id": order_id}, {"$set": dict(payment_status="pending", **changes)})


def order(db, order_id):
    return db["orders"].find_one({"order_id": order_id})


def test_a_reissued_order_is_paid_by_a_new_debit_and_the_old_one_is_never_given_back(api, db, integration):
    api.topup("cust_l1", "100")
    order_id = api.add_order("cust_l1", 10000)
    assert api.pay(order_id, "cust_l1", 100).status_code == 200
    assert api.refund(order_id, "cust_l1", 100).status_code == 200
    reissue(db, order_id, amount_minor=12000)
    assert_error(api.pay(order_id, "cust_l1", 120), 402, "insufficient_funds")
    integration.recover(grace_seconds=0)
    assert balance_minor(db, "cust_l1") == 10000  # no money made by giving the old debit back
    assert db["ledger_entries"].count_documents({"kind": "reversal"}) == 0
    reissue(db, order_id, amount_minor=10000)
    assert api.pay(order_id, "cust_l1", 100).status_code == 200
    assert balance_minor(db, "cust_l1") == 0
    assert db["ledger_entries"].count_documents({"kind": "payment", "customer_id": "cust_l1"}) == 2
    assert integration.reconcile() == []


def test_a_reopened_order_is_paid_only_by_taking_the_money_again(api, db, integration):
    api.topup("cust_l2", "100")
    order_id = api.add_order("cust_l2", 10000)
    assert api.pay(order_id, "cust_l2", 100).status_code == 200
    assert api.refund(order_id, "cust_l2", 100).status_code == 200
    reopen(db, order_id)
    paid = api.pay(order_id, "cust_l2", 100)
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json()["remaining_balance"] == 0
    assert order(db, order_id)["payment_entry_id"] == paid.get_json()["transaction_id"]
    assert (order(db, order_id)["refunded_minor"], order(db, order_id)["payment_status"]) == (0, "paid")
    assert integration.reconcile() == []


def test_a_shop_paid_order_refunded_then_reopened_and_paid_from_the_wallet_refunds_in_its_new_life(
    api, db, integration
):
    api.topup("cust_l3", "100")
    order_id = api.add_order("cust_l3", 10000)
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "paid"}})  # at the shop
    assert api.refund(order_id, "cust_l3", 40).status_code == 200
    reopen(db, order_id)
    assert api.pay(order_id, "cust_l3", 100).status_code == 200
    refunded = api.refund(order_id, "cust_l3", 40)
    assert refunded.status_code == 200, refunded.get_json()
    assert (order(db, order_id)["refunded_minor"], order(db, order_id)["payment_status"]) == (
        4000,
        "partially_refunded",
    )
    assert balance_minor(db, "cust_l3") == 10000 + 4000 - 10000 + 4000
    assert integration.reconcile() == []


def test_a_payment_given_back_does_not_block_the_reopened_order(api, db, integration, monkeypatch):
    api.topup("cust_l4", "100")
    order_id = api.add_order("cust_l4", 2500)
    cancelled_while_paying(monkeypatch, integration, db, order_id)
    assert_error(api.pay(order_id, "cust_l4", 25), 409, "order_not_payable")  # given back
    monkeypatch.undo()
    reopen(db, order_id)
    assert api.pay(order_id, "cust_l4", 25).status_code == 200
    assert_error(api.pay(order_id, "cust_l4", 25), 409, "order_already_paid")
    integration.recover(grace_seconds=0)
    assert balance_minor(db, "cust_l4") == 7500
    assert integration.reconcile() == []


def test_reconcile_checks_each_life_of_an_order_moved_to_another_customer(api, db, integration):
    api.topup("cust_l5a", "80")
    api.topup("cust_l5b", "30")
    order_id = api.add_order("cust_l5a", 8000)
    assert api.pay(order_id, "cust_l5a", 80).status_code == 200
    assert api.refund(order_id, "cust_l5a", 80).status_code == 200
    reopen(db, order_id, customer_id="cust_l5b", amount_minor=3000)  # moved to B
    assert api.pay(order_id, "cust_l5b", 30).status_code == 200
    assert api.refund(order_id, "cust_l5b", 30).status_code == 200
    assert integration.reconcile() == []
    assert (balance_minor(db, "cust_l5a"), balance_minor(db, "cust_l5b")) == (8000, 3000)


def test_reconcile_reports_a_past_life_whose_refunds_exceed_its_payment(api, db, integration):
    api.topup("cust_l5c", "200")
    order_id = api.add_order("cust_l5c", 8000)
    assert api.pay(order_id, "cust_l5c", 80).status_code == 200
    assert api.refund(order_id, "cust_l5c", 30).status_code == 200
    life = order(db, order_id)["payment_life"]
    reopen(db, order_id)
    assert api.pay(order_id, "cust_l5c", 80).status_code == 200
    db["ledger_entries"].update_one(
        {"kind": "refund", "reference.order_id": order_id}, {"$set": {"amount_minor": 9000}}
    )  # tampered: more than that life paid
    assert {
        "problem": "order_refunds",
        "order_id": order_id,
        "wallet_id": "cust_l5c:INR",
        "life": life,
        "paid_minor": 8000,
        "ledger_refunds_minor": 9000,
    } in integration.reconcile()


def test_rolling_in_an_interrupted_refund_keeps_the_status_the_shop_set(api, db, integration, monkeypatch):
    api.topup("cust_l6", "100")
    order_id = api.add_order("cust_l6", 5000)
    assert api.pay(order_id, "cust_l6", 50).status_code == 200
    with monkeypatch.context() as interrupted:
        interrupted.setattr(integration.orders, "roll_refund", lambda entry: None)
        integration.process_refund_to_wallet(order_id, "cust_l6", 2000, "part", refund_id="rf_l6")
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "cancelled"}})  # the shop
    integration.recover(grace_seconds=0)
    rolled = order(db, order_id)
    assert (rolled["payment_status"], rolled["refunded_minor"], rolled["refund_seq"]) == ("cancelled", 2000, 1)
    assert integration.reconcile() == []


def test_a_refund_of_an_earlier_life_is_not_rolled_into_the_next(api, db, integration, monkeypatch):
    api.topup("cust_l6b", "100")
    order_id = api.add_order("cust_l6b", 5000)
    assert api.pay(order_id, "cust_l6b", 50).status_code == 200
    with monkeypatch.context() as interrupted:
        interrupted.setattr(integration.orders, "roll_refund", lambda entry: None)
        integration.process_refund_to_wallet(order_id, "cust_l6b", 5000, "all", refund_id="rf_l6b")
    reopen(db, order_id)
    assert api.pay(order_id, "cust_l6b", 50).status_code == 200
    integration.recover(grace_seconds=0)
    rolled = order(db, order_id)
    assert (rolled["payment_status"], rolled["refunded_minor"], rolled.get("refund_seq")) == ("paid", 0, 0)
    assert api.refund(order_id, "cust_l6b", 50).status_code == 200
    assert balance_minor(db, "cust_l6b") == 10000
    assert integration.reconcile() == []


def test_an_order_without_a_currency_is_neither_payable_nor_refundable_nor_listed_as_inr(api, client, db):
    api.topup("cust_l7", "100")
    pending = api.add_order("cust_l7", 2500)
    paid = api.add_order("cust_l7", 2500)
    db["orders"].update_many({"order_id": {"$in": [pending, paid]}}, {"$unset": {"currency": ""}})
    db["orders"].update_one({"order_id": paid}, {"$set": {"payment_status": "paid"}})
    assert_error(api.pay(pending, "cust_l7", 25), 409, "order_not_payable")
    assert_error(api.refund(paid, "cust_l7", 25), 409, "order_not_refundable")
    listed = client.get("/api/integration/orders?customer_id=cust_l7", headers=bearer("cust_l7")).get_json()
    views = {o["order_id"]: o for o in listed["orders"]}
    assert views[paid]["currency"] is None and views[paid]["refundable_amount"] == 0
    assert balance_minor(db, "cust_l7") == 10000


def test_a_paid_order_replaced_before_the_worker_finished_its_payment_keeps_that_payment(api, db, integration):
    api.topup("cust_l8", "100")
    order_id = api.add_order("cust_l8", 4000)
    assert api.pay(order_id, "cust_l8", 40).status_code == 200
    reissue(db, order_id)  # within the worker's interval: the payment is not finalized yet
    integration.recover(grace_seconds=0)
    assert db["ledger_entries"].count_documents({"kind": "reversal"}) == 0
    assert balance_minor(db, "cust_l8") == 6000
    assert api.pay(order_id, "cust_l8", 40).status_code == 200  # the re-issued order is a new life
    assert balance_minor(db, "cust_l8") == 2000
    assert integration.reconcile() == []


def test_a_retried_payment_returns_its_payment_after_the_shop_cancelled_the_order(api, db, integration):
    api.topup("cust_l9", "100")
    order_id = api.add_order("cust_l9", 2500)
    paid = integration.link_payment_to_order(order_id, "cust_l9", 2500, operation_id="op_l9")
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "cancelled"}})
    again = integration.link_payment_to_order(order_id, "cust_l9", 2500, operation_id="op_l9")
    assert again["_id"] == paid["_id"] and balance_minor(db, "cust_l9") == 7500


def test_a_retried_refund_returns_its_refund_after_the_shop_cancelled_the_order(api, db, integration):
    api.topup("cust_l10", "100")
    order_id = api.add_order("cust_l10", 5000)
    assert api.pay(order_id, "cust_l10", 50).status_code == 200
    refunded = integration.process_refund_to_wallet(order_id, "cust_l10", 400, "part", refund_id="idk_l10")
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "cancelled"}})
    again = integration.process_refund_to_wallet(order_id, "cust_l10", 400, "part", refund_id="idk_l10")
    assert again["_id"] == refunded["_id"] and balance_minor(db, "cust_l10") == 5400


def test_the_history_shows_a_payment_given_back_as_a_reversal_and_no_life(api, client, db, integration, monkeypatch):
    api.topup("cust_l11", "100")
    order_id = api.add_order("cust_l11", 2500)
    cancelled_while_paying(monkeypatch, integration, db, order_id)
    assert_error(api.pay(order_id, "cust_l11", 25), 409, "order_not_payable")
    recent = api.status("cust_l11").get_json()["recent_transactions"]
    assert [(t["kind"], sorted(t["reference"])) for t in recent[:2]] == [
        ("reversal", ["order_id", "reversal_of"]),
        ("payment", ["order_id"]),
    ]
    assert recent[0]["reference"]["reversal_of"] == recent[1]["transaction_id"]


def test_an_order_the_shop_wrote_without_a_status_or_a_whole_amount_is_refused_and_listed(api, client, db):
    api.topup("cust_l12", "100")
    no_status = api.add_order("cust_l12", 2500)
    db["orders"].update_one({"order_id": no_status}, {"$unset": {"payment_status": ""}})
    assert_error(api.pay(no_status, "cust_l12", 25), 409, "order_not_payable")
    null_amount = api.add_order("cust_l12", 2500)
    db["orders"].update_one({"order_id": null_amount}, {"$set": {"payment_status": "paid", "amount_minor": None}})
    assert_error(api.refund(null_amount, "cust_l12", 10), 409, "order_not_refundable")
    listed = client.get("/api/integration/orders?customer_id=cust_l12", headers=bearer("cust_l12"))
    assert listed.status_code == 200
    views = {o["order_id"]: o for o in listed.get_json()["orders"]}
    assert (views[null_amount]["amount"], views[null_amount]["refundable_amount"]) == (None, 0)
    assert balance_minor(db, "cust_l12") == 10000


# Found by a red-team pass of order lives: once a request read the order again, it moved money for the
# customer the order named then, not for the customer the request was checked against.


def test_a_payment_never_debits_another_customer_the_shop_moved_the_order_to_meanwhile(
    api, db, integration, monkeypatch
):
    api.topup("cust_a", "100")
    api.topup("cust_b", "100")
    order_id = api.add_order("cust_a", 5000)
    assert api.pay(order_id, "cust_a", 50).status_code == 200
    paid = db["orders"].find_one({"order_id": order_id})  # re-issued pending, still A's: its life's key is taken
    db["orders"].replace_one({"order_id": order_id}, dict({k: paid[k] for k in SHOP_FIELDS}, payment_status="pending"))
    new_ticket = integration.orders.new_ticket

    def moved_meanwhile(order):
        db["orders"].update_one({"order_id": order_id}, {"$set": {"customer_id": "cust_b"}})
        return new_ticket(order)

    monkeypatch.setattr(integration.orders, "new_ticket", moved_meanwhile)
    assert_error(api.pay(order_id, "cust_a", 50), 409, "order_not_payable")
    assert (balance_minor(db, "cust_a"), balance_minor(db, "cust_b")) == (5000, 10000)
    integration.recover(grace_seconds=0)
    assert integration.reconcile() == []


def test_a_shop_paid_order_moved_between_two_refunds_is_refunded_once(api, db, integration, monkeypatch):
    api.topup("cust_a", "1")  # cust_b has no INR wallet: nothing of b's collides with a's refund places
    order_id = api.add_order("cust_a", 10000)
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "paid"}})  # paid at the shop
    refund_wallet, first = integration.orders.refund_wallet, []

    def first_refund_and_a_move_meanwhile(order, wid):  # the second refund has read the order, not pinned yet
        if not first:
            first.append(True)
            with monkeypatch.context() as patch:  # the first pins a's wallet; its entry is not rolled in yet
                patch.setattr(integration.orders, "roll_refund", lambda entry: None)
                integration.process_refund_to_wallet(order_id, "cust_a", 10000, "first")
            db["orders"].update_one({"order_id": order_id}, {"$set": {"customer_id": "cust_b"}})
        return refund_wallet(order, wid)

    monkeypatch.setattr(integration.orders, "refund_wallet", first_refund_and_a_move_meanwhile)
    with pytest.raises(RefundExceedsPaid):
        integration.process_refund_to_wallet(order_id, "cust_a", 10000, "second")
    integration.recover(grace_seconds=0)
    refunded = sorted((e["customer_id"], e["amount_minor"]) for e in db["ledger_entries"].find({"kind": "refund"}))
    assert (refunded, balance_minor(db, "cust_b")) == ([("cust_a", 10000)], 0)
    assert integration.reconcile() == []
