"""A money request finishes, says nothing moved, or says the outcome is pending (with the transaction
id); a retry with the same Idempotency-Key gets the final outcome; recovery finishes what a request
left undone, and gives back a payment whose order changed before it could be marked paid."""

import pytest

from backend import wallet_service
from tests.helpers import bearer
from tests.integration.support import assert_error, balance_minor, confirm_by_webhook, failing_once, ledger

PAY = "/api/integration/order/pay-with-wallet"


@pytest.fixture
def funded(api):
    api.topup("cust_h", "100")
    return api.add_order("cust_h", 2500)


def pay(client, order_id, key=None):
    headers = dict(bearer("cust_h"), **({"Idempotency-Key": key} if key else {}))
    return client.post(PAY, json={"order_id": order_id, "customer_id": "cust_h", "amount": 25}, headers=headers)


def test_a_payment_the_wallet_is_too_busy_for_says_nothing_was_debited_and_a_retry_pays(
    client, db, funded, monkeypatch
):
    monkeypatch.setattr(wallet_service, "APPEND_ATTEMPTS_MAX", 0)  # as if every place was taken first
    body = assert_error(pay(client, funded, key="k-busy"), 503, "store_unavailable")
    assert "nothing was debited" in body["message"]
    assert [e["kind"] for e in ledger(db, "cust_h")] == ["topup"]
    assert balance_minor(db, "cust_h") == 10000
    monkeypatch.undo()
    retried = pay(client, funded, key="k-busy")
    assert retried.status_code == 200 and retried.get_json()["remaining_balance"] == 75


def test_a_payment_recorded_but_not_rolled_into_the_wallet_answers_operation_pending_and_a_retry_finishes(
    client, db, integration, funded, monkeypatch
):
    failing_once(monkeypatch, integration.wallet, "roll")
    pending = pay(client, funded, key="k-pending")
    assert pending.status_code == 503
    body = pending.get_json()
    assert body["error"] == "operation_pending" and body["success"] is False
    assert db["ledger_entries"].find_one({"_id": body["transaction_id"]})["kind"] == "payment"
    assert balance_minor(db, "cust_h") == 10000  # the wallet document is one entry behind
    retried = pay(client, funded, key="k-pending")
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["transaction_id"] == body["transaction_id"]
    assert balance_minor(db, "cust_h") == 7500
    assert db["orders"].find_one({"order_id": funded})["payment_status"] == "paid"
    assert pay(client, funded, key="k-pending").get_json() == retried.get_json()  # replayed
    assert integration.reconcile() == []


def test_a_retry_after_recovery_finished_the_payment_returns_it(client, db, integration, funded, monkeypatch):
    failing_once(monkeypatch, integration.wallet, "roll")
    transaction_id = pay(client, funded, key="k-recovered").get_json()["transaction_id"]
    integration.recover(grace_seconds=0)
    assert db["orders"].find_one({"order_id": funded})["payment_status"] == "paid"
    retried = pay(client, funded, key="k-recovered")
    assert retried.status_code == 200 and retried.get_json()["transaction_id"] == transaction_id
    assert_error(pay(client, funded, key="another-key"), 409, "order_already_paid")
    assert balance_minor(db, "cust_h") == 7500


def test_a_credit_recorded_but_not_rolled_in_answers_operation_pending_and_recovery_applies_it(
    api, client, db, integration, monkeypatch
):
    payment_order_id = api.initiate("cust_c", "10").get_json()["payment_order_id"]
    failing_once(monkeypatch, integration.wallet, "roll")
    response = confirm_by_webhook(client, payment_order_id, 1000)
    assert response.status_code == 503 and response.get_json()["error"] == "operation_pending"
    integration.recover(grace_seconds=0)
    assert balance_minor(db, "cust_c") == 1000
    assert confirm_by_webhook(client, payment_order_id, 1000).status_code == 200  # a redelivery: no second credit
    assert balance_minor(db, "cust_c") == 1000 and len(ledger(db, "cust_c")) == 1


def interrupted_payment(client, integration, order_id, monkeypatch):
    """A payment debited (ledger and wallet) whose order was not marked paid: the store went away."""
    failing_once(monkeypatch, integration.orders, "mark_paid")
    response = pay(client, order_id)
    assert response.status_code == 503 and response.get_json()["error"] == "operation_pending"
    monkeypatch.undo()


@pytest.mark.parametrize(
    "change, why",
    [
        ({"payment_status": "cancelled"}, "order_cancelled"),
        ({"payment_status": "paid"}, "order_paid"),
        ({"amount_minor": 9999}, "order_amount_changed"),
        ({"customer_id": "cust_other"}, "order_not_found"),
    ],
)
def test_recovery_gives_back_an_interrupted_payment_whose_order_changed(
    client, db, integration, funded, monkeypatch, change, why
):
    interrupted_payment(client, integration, funded, monkeypatch)
    assert balance_minor(db, "cust_h") == 7500
    db["orders"].update_one({"order_id": funded}, {"$set": change})
    integration.recover(grace_seconds=0)
    assert balance_minor(db, "cust_h") == 10000
    reversal = db["ledger_entries"].find_one({"kind": "reversal"})
    assert (reversal["type"], reversal["amount_minor"], reversal["reference"]["order_id"]) == ("credit", 2500, funded)
    logged = db["integration_logs"].find_one({"event": "payment.reversed", "transaction_id": reversal["_id"]})
    assert logged["reason"] == why
    integration.recover(grace_seconds=0)
    assert balance_minor(db, "cust_h") == 10000  # given back once
    assert integration.reconcile() == []


def test_recovery_marks_paid_an_interrupted_payment_whose_order_is_payable(
    client, db, integration, funded, monkeypatch
):
    interrupted_payment(client, integration, funded, monkeypatch)
    integration.recover(grace_seconds=0)
    assert balance_minor(db, "cust_h") == 7500
    assert db["orders"].find_one({"order_id": funded})["payment_status"] == "paid"
    assert db["ledger_entries"].count_documents({"kind": "reversal"}) == 0
    assert integration.reconcile() == []


def test_a_payment_given_back_never_pays_its_order_later_but_a_new_payment_does(
    client, db, integration, funded, monkeypatch
):
    interrupted_payment(client, integration, funded, monkeypatch)
    given_back = db["ledger_entries"].find_one({"kind": "payment"})
    db["orders"].update_one({"order_id": funded}, {"$set": {"payment_status": "cancelled"}})
    integration.recover(grace_seconds=0)  # given back
    db["orders"].update_one({"order_id": funded}, {"$set": {"payment_status": "pending"}})  # the shop reopens it
    assert pay(client, funded).status_code == 200  # a new life of the order, paid by a new debit
    integration.recover(grace_seconds=0)
    order = db["orders"].find_one({"order_id": funded})
    assert order["payment_status"] == "paid" and order["payment_entry_id"] != given_back["_id"]
    assert balance_minor(db, "cust_h") == 7500  # paid once: the first debit came back
    assert db["ledger_entries"].count_documents({"kind": "reversal"}) == 1
    assert integration.reconcile() == []
