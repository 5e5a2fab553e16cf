"""Payments that were retried or given back: a retry of a payment that was given back is not answered as
paid, a debit given back never pays its order even when the two settle at once, and a payment whose
answer could not be stored is still answered."""

from backend.idempotency import IdempotencyStore
from tests.helpers import bearer
from tests.integration.support import balance_minor, cancelled_while_paying, failing_once

PAY = "/api/integration/order/pay-with-wallet"


def pay(client, order_id, key=None, customer_id="cust_h", amount=25):
    headers = dict(bearer(customer_id), **({"Idempotency-Key": key} if key else {}))
    return client.post(PAY, json={"order_id": order_id, "customer_id": customer_id, "amount": amount}, headers=headers)


def test_a_retried_payment_that_was_given_back_is_not_answered_as_paid(api, client, db, integration, monkeypatch):
    api.topup("cust_h", "100")
    order_id = api.add_order("cust_h", 2500)
    failing_once(monkeypatch, integration.orders, "mark_paid")
    assert pay(client, order_id, "k1").get_json()["error"] == "operation_pending"
    monkeypatch.undo()
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "paid"}})  # paid at the shop meanwhile
    integration.recover(grace_seconds=0)
    assert balance_minor(db, "cust_h") == 10000  # given back
    retried = pay(client, order_id, "k1")
    assert (retried.status_code, retried.get_json()["error"]) == (409, "order_not_payable")


def test_a_repeat_of_a_payment_given_back_is_refused_again_after_the_order_is_pending_again(
    api, client, db, integration, monkeypatch
):
    api.topup("cust_g", "100")
    order_id = api.add_order("cust_g", 2500)
    cancelled_while_paying(monkeypatch, integration, db, order_id)
    first = pay(client, order_id, "k-given-back", customer_id="cust_g")
    assert (first.status_code, first.get_json()["error"]) == (409, "order_not_payable")
    monkeypatch.undo()
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "pending"}})  # the shop reopens it
    repeat = pay(client, order_id, "k-given-back", customer_id="cust_g")
    assert (repeat.status_code, repeat.get_json()["error"]) == (409, "order_not_payable")
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "pending"
    assert db["ledger_entries"].count_documents({"kind": "payment"}) == 1
    assert balance_minor(db, "cust_g") == 10000
    assert pay(client, order_id, "k-new", customer_id="cust_g").status_code == 200  # a new request pays it
    assert balance_minor(db, "cust_g") == 7500
    assert integration.reconcile() == []


def test_a_debit_given_back_never_pays_the_order_even_when_the_two_settle_at_once(api, db, integration, monkeypatch):
    api.topup("cust_s", "100")
    order_id = api.add_order("cust_s", 2500)
    entry, _ = integration.wallet.debit("cust_s", "INR", 2500, "payment", f"payment:{order_id}", {"order_id": order_id})
    real_mark_paid, raced = integration.orders.mark_paid, []

    def request_gives_it_back_first(entry_, now):
        if not raced:  # between the worker's start and its mark: the request finds the order
            raced.append(True)  # cancelled and gives the debit back; the shop then reopens the order
            db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "cancelled"}})
            assert integration.order_payments.settle(entry) is False
            db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "pending"}})
        return real_mark_paid(entry_, now)

    monkeypatch.setattr(integration.orders, "mark_paid", request_gives_it_back_first)
    assert integration.order_payments.settle(entry) is False  # the worker's
    monkeypatch.undo()
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "pending"
    assert db["ledger_entries"].count_documents({"kind": "reversal"}) == 1
    assert balance_minor(db, "cust_s") == 10000


def test_a_payment_whose_answer_could_not_be_stored_is_answered(api, client, db, monkeypatch):
    api.topup("cust_i", "100")
    order_id = api.add_order("cust_i", 2500)
    failing_once(monkeypatch, IdempotencyStore, "_complete")
    first = pay(client, order_id, "k-c", customer_id="cust_i")
    assert first.status_code == 200 and first.get_json()["remaining_balance"] == 75
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "paid"


def test_a_keyed_retry_after_operation_pending_answers_its_payment_after_the_shop_reopened_the_order(
    api, client, db, integration, monkeypatch
):
    """Found by a red-team pass: the payment marked the order paid, then its decision could not be
    recorded (503 `operation_pending`); the shop reopened the order (a new life) and the retry with
    the same key paid that new life: a second debit under one key."""
    api.topup("cust_k", "100")
    order_id = api.add_order("cust_k", 3000)
    failing_once(monkeypatch, integration.order_payments.settlements, "record")
    first = pay(client, order_id, "k-pending", customer_id="cust_k", amount=30)
    assert (first.status_code, first.get_json()["error"]) == (503, "operation_pending")
    monkeypatch.undo()
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "pending"}})  # reopened
    retry = pay(client, order_id, "k-pending", customer_id="cust_k", amount=30)
    assert retry.status_code == 200, retry.get_json()
    assert retry.get_json()["transaction_id"] == first.get_json()["transaction_id"]
    assert db["ledger_entries"].count_documents({"kind": "payment"}) == 1
    assert db["ledger_entries"].find_one({"kind": "payment"})["settled"] == "paid"
    assert balance_minor(db, "cust_k") == 7000
    assert pay(client, order_id, "k-new", customer_id="cust_k", amount=30).status_code == 200  # the new life
    assert balance_minor(db, "cust_k") == 4000
    assert integration.reconcile() == []


def test_a_payment_recovery_decided_paid_is_not_given_back_by_its_request(api, db, integration, monkeypatch):
    """Found by a red-team pass: recovery (grace 0) settled a live request's debit as paid; the shop
    then wrote the order anew (paid at its own checkout); the request's own settle found the order
    not payable, gave the debit back too (its ticket matched the new document's none), and credited
    the reversal: the debit both paid the order and came back."""
    api.topup("cust_r2", "100")
    order_id = api.add_order("cust_r2", 3000)
    real_mark_paid, ran = integration.orders.mark_paid, []

    def recovery_and_the_shop_first(entry, now):
        if not ran:
            ran.append(True)
            integration.recover(grace_seconds=0)
            assert db["ledger_entries"].find_one({"_id": entry["_id"]})["settled"] == "paid"
            shop_paid = {"customer_id": "cust_r2", "amount_minor": 3000, "currency": "INR", "payment_status": "paid"}
            db["orders"].replace_one({"order_id": order_id}, dict(shop_paid, order_id=order_id))
        return real_mark_paid(entry, now)

    monkeypatch.setattr(integration.orders, "mark_paid", recovery_and_the_shop_first)
    answer = api.pay(order_id, "cust_r2", 30)
    monkeypatch.undo()
    debit = db["ledger_entries"].find_one({"kind": "payment"})
    assert answer.status_code == 200 and answer.get_json()["transaction_id"] == debit["_id"]
    assert debit["settled"] == "paid"
    assert db["ledger_entries"].count_documents({"kind": "reversal"}) == 0
    assert balance_minor(db, "cust_r2") == 7000
    assert integration.reconcile() == []
