"""A top-up is credited once, whatever arrives: the same webhook again and at once, new event ids for one
payment, verify and webhook in either order, a failure then a capture, a second payment; another
amount or currency credits nothing (SPEC §8)."""

import pytest

from backend.wallet_payment_integration import WalletPaymentIntegration
from backend.wallet_service import WalletService
from tests.faults import CrashingDatabase, SimulatedCrash
from tests.helpers import WEBHOOK_PATH, bearer, checkout_signature, razorpay_event, run_in_threads, signed_webhook


def initiated(api, customer_id, amount):
    response = api.initiate(customer_id, amount)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["payment_order_id"]


def verify(api, customer_id, order_id, payment_id):
    return api.post(
        "/wallet/topup/verify",
        {"payment_id": payment_id, "order_id": order_id, "signature": checkout_signature(order_id, payment_id)},
        bearer(customer_id),
    )


def test_same_webhook_delivered_20_times_some_concurrently_credits_once(app, api, client):
    order_id = initiated(api, "cust_w", "300")
    body, headers = signed_webhook(
        razorpay_event("payment.captured", order_id, "pay_dup1", 30000), event_id="evt_dup_1"
    )
    sequential = [client.post(WEBHOOK_PATH, data=body, headers=headers).status_code for _ in range(10)]
    concurrent = run_in_threads(
        10, lambda i: app.test_client().post(WEBHOOK_PATH, data=body, headers=headers).status_code
    )
    assert sequential + concurrent == [200] * 20
    assert api.balance("cust_w") == 300
    assert api.db["ledger_entries"].count_documents({"customer_id": "cust_w"}) == 1


def test_same_payment_under_new_event_ids_concurrently_credits_once(app, api):
    order_id = initiated(api, "cust_w2", "10")
    event = razorpay_event("payment.captured", order_id, "pay_dup2", 1000)
    deliveries = [signed_webhook(event) for _ in range(12)]
    codes = run_in_threads(
        12, lambda i: app.test_client().post(WEBHOOK_PATH, data=deliveries[i][0], headers=deliveries[i][1]).status_code
    )
    assert codes == [200] * 12
    assert api.balance("cust_w2") == 10


def test_verify_then_webhook_credits_once(api, client):
    order_id = initiated(api, "cust_v1", "55.50")
    assert verify(api, "cust_v1", order_id, "pay_v1").get_json()["wallet_balance"] == 55.5
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, "pay_v1", 5550))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    assert api.balance("cust_v1") == 55.5


def test_webhook_then_verify_credits_once(api, client):
    order_id = initiated(api, "cust_v2", "55.50")
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, "pay_v2", 5550))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    response = verify(api, "cust_v2", order_id, "pay_v2")
    assert response.status_code == 200
    assert response.get_json()["wallet_balance"] == 55.5
    assert api.balance("cust_v2") == 55.5


def test_payment_captured_then_order_paid_credits_once(api, client):
    order_id = initiated(api, "cust_op", "70")
    for event_type in ("payment.captured", "order.paid"):
        body, headers = signed_webhook(razorpay_event(event_type, order_id, "pay_op", 7000))
        assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    assert api.balance("cust_op") == 70


def test_failure_then_capture_of_same_order_still_credits(api, client, db):
    order_id = initiated(api, "cust_fc", "40")
    failed = razorpay_event("payment.failed", order_id, "pay_f", 4000, status="failed")
    body, headers = signed_webhook(failed)
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    assert db["payment_orders"].find_one({"_id": order_id})["status"] == "failed"
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, "pay_g", 4000))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    assert api.balance("cust_fc") == 40


@pytest.mark.parametrize("amount_minor, currency", [(29999, "INR"), (30001, "INR"), (30000, "USD")])
def test_webhook_with_other_amount_or_currency_credits_nothing(api, client, db, amount_minor, currency):
    order_id = initiated(api, "cust_mm", "300")
    event = razorpay_event("payment.captured", order_id, "pay_mm", amount_minor, currency=currency)
    body, headers = signed_webhook(event)
    response = client.post(WEBHOOK_PATH, data=body, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"] == "amount_mismatch"
    assert api.balance("cust_mm") == 0
    assert db["integration_logs"].count_documents({"event": "topup.amount_mismatch"}) == 1


def test_verify_of_a_second_payment_for_a_credited_order_credits_nothing_and_says_so(api, db):
    order_id = initiated(api, "cust_2p", "30")
    assert verify(api, "cust_2p", order_id, "pay_first").get_json()["message"] == "Payment verified; wallet credited."
    second = verify(api, "cust_2p", order_id, "pay_second")
    assert second.status_code == 200
    assert "already credited" in second.get_json()["message"]
    assert api.balance("cust_2p") == 30
    assert db["integration_logs"].count_documents({"event": "topup.second_payment"}) == 1


def test_a_capture_of_a_failed_top_up_whose_process_died_after_its_claim_is_credited_on_redelivery(
    api, client, db, integration
):
    payment_order_id = api.initiate("cust_f", "250").get_json()["payment_order_id"]
    body, headers = signed_webhook(razorpay_event("payment.failed", payment_order_id, "pay_f1", 25000, status="failed"))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    failed = db["integration_logs"].find_one({"event": "webhook.received", "outcome": "recorded"})
    assert (failed["customer_id"], failed["reason"]) == ("cust_f", "payment_failed")  # what the gateway said
    capture = signed_webhook(razorpay_event("payment.captured", payment_order_id, "pay_ok2", 25000), event_id="evt_cap")
    crashing = CrashingDatabase(db, crash_at=2)  # dies after the claim, before the ledger insert
    crashy = WalletPaymentIntegration(WalletService(crashing), integration.payments, crashing, currency="INR")
    with pytest.raises(SimulatedCrash):
        crashy.process_payment_webhook("razorpay", *capture)
    assert client.post(WEBHOOK_PATH, data=capture[0], headers=capture[1]).status_code == 200  # Razorpay retries
    assert api.balance("cust_f") == 250
    assert client.post(WEBHOOK_PATH, data=capture[0], headers=capture[1]).status_code == 200
    assert api.balance("cust_f") == 250 and db["ledger_entries"].count_documents({"customer_id": "cust_f"}) == 1


def test_a_credit_event_with_another_amount_after_the_credit_is_a_duplicate(api, client, db):
    payment_order_id = api.topup("cust_m", "300")
    body, headers = signed_webhook(razorpay_event("payment.captured", payment_order_id, "pay_other", 29999))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    assert api.balance("cust_m") == 300
    assert db["integration_logs"].count_documents({"event": "topup.amount_mismatch"}) == 0
