"""A money request finishes, voids its own entry, or says the outcome is pending; a retry with the
same Idempotency-Key gets the final outcome; recovery applies an interrupted debit only while its
order is still payable by that customer for that amount."""
import pytest

from backend import wallet_service
from tests.helpers import bearer
from tests.integration.support import assert_error, balance_minor, confirm_by_webhook, ledger

PAY = "/api/integration/order/pay-with-wallet"


@pytest.fixture
def funded(api):
    api.topup("cust_h", "100")
    return api.add_order("cust_h", 2500)


def pay(client, order_id, key=None):
    headers = dict(bearer("cust_h"), **({"Idempotency-Key": key} if key else {}))
    return client.post(PAY, json={"order_id": order_id, "customer_id": "cust_h", "amount": 25}, headers=headers)


def test_a_payment_that_cannot_be_decided_voids_its_entry_and_says_nothing_was_debited(client, db, funded,
                                                                                       monkeypatch):
    monkeypatch.setattr(wallet_service, "CAS_ATTEMPTS_MAX", 0)  # as if every compare-and-set lost a race
    body = assert_error(pay(client, funded, key="k-void"), 503, "store_unavailable")
    assert "nothing was debited" in body["message"]
    assert [e["kind"] for e in ledger(db, "cust_h")] == ["topup"]  # its pending entry is gone
    assert balance_minor(db, "cust_h") == 10000
    monkeypatch.undo()
    retried = pay(client, funded, key="k-void")
    assert retried.status_code == 200 and retried.get_json()["remaining_balance"] == 75


def test_when_it_can_neither_finish_nor_void_it_answers_operation_pending_and_a_retry_finishes(
        client, db, funded, monkeypatch):
    monkeypatch.setattr(wallet_service, "CAS_ATTEMPTS_MAX", 0)
    monkeypatch.setattr(wallet_service, "VOID_ATTEMPTS_MAX", 0)
    pending = pay(client, funded, key="k-pending")
    assert pending.status_code == 503
    body = pending.get_json()
    assert body["error"] == "operation_pending" and body["success"] is False
    entry = db["ledger_entries"].find_one({"_id": body["transaction_id"]})
    assert entry["status"] == "pending" and balance_minor(db, "cust_h") == 10000
    monkeypatch.undo()
    retried = pay(client, funded, key="k-pending")
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["transaction_id"] == body["transaction_id"]
    assert balance_minor(db, "cust_h") == 7500
    assert pay(client, funded, key="k-pending").get_json() == retried.get_json()  # replayed


def test_a_retry_after_recovery_finished_the_payment_returns_it(client, db, integration, funded, monkeypatch):
    monkeypatch.setattr(wallet_service, "CAS_ATTEMPTS_MAX", 0)
    monkeypatch.setattr(wallet_service, "VOID_ATTEMPTS_MAX", 0)
    transaction_id = pay(client, funded, key="k-recovered").get_json()["transaction_id"]
    monkeypatch.undo()
    integration.recover(grace_seconds=0)
    assert db["orders"].find_one({"order_id": funded})["payment_status"] == "paid"
    retried = pay(client, funded, key="k-recovered")
    assert retried.status_code == 200 and retried.get_json()["transaction_id"] == transaction_id
    assert_error(pay(client, funded, key="another-key"), 409, "order_already_paid")
    assert balance_minor(db, "cust_h") == 7500


def test_a_pending_credit_answers_operation_pending_and_recovery_applies_it(api, client, db, integration,
                                                                          monkeypatch):
    payment_order_id = api.initiate("cust_c", "10").get_json()["payment_order_id"]
    monkeypatch.setattr(wallet_service, "CAS_ATTEMPTS_MAX", 0)
    response = confirm_by_webhook(client, payment_order_id, 1000)
    assert response.status_code == 503 and response.get_json()["error"] == "operation_pending"
    monkeypatch.undo()
    integration.recover(grace_seconds=0)
    assert balance_minor(db, "cust_c") == 1000
    assert confirm_by_webhook(client, payment_order_id, 1000).status_code == 200  # a redelivery: no second credit
    assert balance_minor(db, "cust_c") == 1000


@pytest.mark.parametrize("change, why", [
    ({"payment_status": "cancelled"}, "order_cancelled"),
    ({"payment_status": "paid"}, "order_paid"),
    ({"amount_minor": 9999}, "order_amount_changed"),
    ({"customer_id": "cust_other"}, "order_not_found"),
])
def test_recovery_voids_an_interrupted_debit_whose_order_changed(db, integration, funded, change, why):
    entry, _ = integration.wallet.open_entry("cust_h", "INR", 2500, "debit", "payment", f"payment:{funded}",
                                             {"order_id": funded})  # a payment interrupted after step 1
    db["orders"].update_one({"order_id": funded}, {"$set": change})
    report = integration.recover(grace_seconds=0)
    assert report["voided"] == 1 and report["settled"] == 0
    assert db["ledger_entries"].find_one({"_id": entry["_id"]}) is None
    assert balance_minor(db, "cust_h") == 10000
    logged = db["integration_logs"].find_one({"event": "recovery.payment_voided", "transaction_id": entry["_id"]})
    assert logged["reason"] == why
    assert integration.reconcile() == []


def test_recovery_still_applies_an_interrupted_debit_whose_order_is_payable(db, integration, funded):
    integration.wallet.open_entry("cust_h", "INR", 2500, "debit", "payment", f"payment:{funded}",
                                  {"order_id": funded})
    assert integration.recover(grace_seconds=0)["settled"] == 1
    assert balance_minor(db, "cust_h") == 7500
    assert db["orders"].find_one({"order_id": funded})["payment_status"] == "paid"
    assert integration.reconcile() == []
