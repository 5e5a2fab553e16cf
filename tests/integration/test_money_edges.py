"""Edges of the money rules a red-team pass found in the ledger's protocol (each failed before its fix):
a crashed capture of a failed top-up, refunds across wallets, a retried payment that was given back,
paid against given back on the order, reconcile under live traffic, an answer that could not be
stored, and a credit event with another amount after the credit."""

import pytest

from backend.errors import OrderNotRefundable
from backend.idempotency import IdempotencyStore
from backend.wallet_payment_integration import WalletPaymentIntegration
from backend.wallet_service import WalletService
from tests.faults import CrashingDatabase, SimulatedCrash
from tests.helpers import WEBHOOK_PATH, bearer, razorpay_event, signed_webhook
from tests.integration.support import balance_minor, failing_once

PAY = "/api/integration/order/pay-with-wallet"


def pay(client, order_id, key=None, customer_id="cust_h", amount=25):
    headers = dict(bearer(customer_id), **({"Idempotency-Key": key} if key else {}))
    return client.post(PAY, json={"order_id": order_id, "customer_id": customer_id, "amount": amount}, headers=headers)


def test_a_capture_of_a_failed_top_up_whose_process_died_after_its_claim_is_credited_on_redelivery(
    api, client, db, integration
):
    payment_order_id = api.initiate("cust_f", "250").get_json()["payment_order_id"]
    body, headers = signed_webhook(razorpay_event("payment.failed", payment_order_id, "pay_f1", 25000, status="failed"))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    capture = signed_webhook(razorpay_event("payment.captured", payment_order_id, "pay_ok2", 25000), event_id="evt_cap")
    crashing = CrashingDatabase(db, crash_at=2)  # dies after the claim, before the ledger insert
    crashy = WalletPaymentIntegration(WalletService(crashing), integration.payments, crashing, currency="INR")
    with pytest.raises(SimulatedCrash):
        crashy.process_payment_webhook("razorpay", *capture)
    assert client.post(WEBHOOK_PATH, data=capture[0], headers=capture[1]).status_code == 200  # Razorpay retries
    assert api.balance("cust_f") == 250
    assert client.post(WEBHOOK_PATH, data=capture[0], headers=capture[1]).status_code == 200
    assert api.balance("cust_f") == 250 and db["ledger_entries"].count_documents({"customer_id": "cust_f"}) == 1


def test_an_orders_refunds_stay_in_one_wallet_when_its_customer_changes(api, db, integration, monkeypatch):
    api.topup("cust_a", "100")
    order_id = api.add_order("cust_a", 3000)
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "paid"}})  # at the shop
    with monkeypatch.context() as interrupted:  # a refund whose order was not rolled forward (a crash)
        interrupted.setattr(integration.orders, "roll_refund", lambda entry: None)
        integration.process_refund_to_wallet(order_id, "cust_a", 3000, "all", refund_id="rf_a")
    db["orders"].update_one({"order_id": order_id}, {"$set": {"customer_id": "cust_b"}})  # the shop reassigns it
    with pytest.raises(OrderNotRefundable):
        integration.process_refund_to_wallet(order_id, "cust_b", 3000, "again", refund_id="rf_b")
    integration.recover(grace_seconds=0)
    assert db["ledger_entries"].count_documents({"kind": "refund"}) == 1
    assert integration.reconcile() == []


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


def test_reconcile_under_live_traffic_reports_no_drift(api, integration, monkeypatch):
    api.topup("cust_r", "100")
    order_id = api.add_order("cust_r", 5000)
    integration.link_payment_to_order(order_id, "cust_r", 5000)
    wallet, reconciler = integration.wallet, integration.reconciler
    real_sums, real_refunds = reconciler._sums, reconciler._refunds_by_order

    def sums_then_a_top_up():
        sums = real_sums()
        wallet.credit("cust_r", "INR", 500, "topup", "topup:concurrent", {"payment_order_id": "x"})
        return sums

    def refunds_then_a_refund():
        refunds = real_refunds()
        integration.process_refund_to_wallet(order_id, "cust_r", 1000, "concurrent", refund_id="rf1")
        return refunds

    monkeypatch.setattr(reconciler, "_sums", sums_then_a_top_up)
    monkeypatch.setattr(reconciler, "_refunds_by_order", refunds_then_a_refund)
    assert integration.reconcile() == []


def test_a_payment_whose_answer_could_not_be_stored_is_answered(api, client, db, monkeypatch):
    api.topup("cust_i", "100")
    order_id = api.add_order("cust_i", 2500)
    failing_once(monkeypatch, IdempotencyStore, "_complete")
    first = pay(client, order_id, "k-c", customer_id="cust_i")
    assert first.status_code == 200 and first.get_json()["remaining_balance"] == 75
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "paid"


def test_a_credit_event_with_another_amount_after_the_credit_is_a_duplicate(api, client, db):
    payment_order_id = api.topup("cust_m", "300")
    body, headers = signed_webhook(razorpay_event("payment.captured", payment_order_id, "pay_other", 29999))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    assert api.balance("cust_m") == 300
    assert db["integration_logs"].count_documents({"event": "topup.amount_mismatch"}) == 0
