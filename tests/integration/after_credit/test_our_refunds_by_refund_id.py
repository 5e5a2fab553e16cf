"""A webhook about a refund the service asked for, without our reference (Razorpay's `notes`, PayPal's
`custom_id`): SPEC §9 applies each gateway refund once by the gateway's own id, so it is known as ours
by the refund id the gateway answered, and finishes that refund rather than taking the money back a
second time as a refund made in the gateway's dashboard."""

from backend.gateways.paypal.simulator_cases import REFUNDS_COLLECTION as PAYPAL_REFUNDS
from backend.gateways.paypal.simulator_cases import refund_view
from tests.helpers import BASE, bearer
from tests.integration.after_credit.support import (
    paypal_topup,
    post_razorpay,
    razorpay_case_event,
    razorpay_topup,
    wallet,
    withdraw,
)
from tests.integration.support import assert_money


def assert_wallet(api, customer_id, balance, held):
    for shown, expected in zip(wallet(api, customer_id), (balance, held, balance - held, 0), strict=True):
        assert_money(shown, expected)


def withdrawal_status(api, customer_id, withdrawal_id):
    shown = api.client.get(f"{BASE}/wallet/withdrawals/{withdrawal_id}", headers=bearer(customer_id))
    return shown.get_json()["status"]


def taken_back(db, customer_id):
    return db["ledger_entries"].count_documents({"customer_id": customer_id, "kind": "topup_reversal"})


def keep_razorpay_webhooks(integration):
    """From now on the Razorpay simulator's webhooks are kept, not delivered: its refunds stay pending."""
    kept = []
    integration.payments.gateway("razorpay").api.deliver_webhook = lambda body, headers, wait=False: (
        kept.append(body) or 200
    )
    return kept


def our_refund_event(db, event_type, payment_id, amount_minor):
    """A Razorpay refund webhook of our one refund of `payment_id`, by its refund id, without notes."""
    (record,) = db["gateway_refunds"].find({"gateway_payment_id": payment_id})
    return razorpay_case_event(event_type, "refund", payment_id, amount_minor, case_id=record["gateway_refund_id"])


def test_a_completed_withdrawal_redelivered_without_its_notes_moves_nothing(api, client, db, integration):
    _order, payment_id = razorpay_topup(api, db, "cust_a", "100.00")
    assert withdraw(api, "cust_a", "10.00").get_json()["status"] == "completed"
    event = our_refund_event(db, "refund.processed", payment_id, 1000)
    assert post_razorpay(client, event).status_code == 200
    assert_wallet(api, "cust_a", 90, 0)  # the 10.00 withdrawn once, not taken back again
    assert taken_back(db, "cust_a") == 0
    assert integration.reconcile() == []


def test_a_pending_withdrawal_is_completed_by_its_refund_id(api, client, db, integration):
    _order, payment_id = razorpay_topup(api, db, "cust_a", "100.00")
    keep_razorpay_webhooks(integration)
    body = withdraw(api, "cust_a", "10.00").get_json()
    assert body["status"] == "pending"
    assert_wallet(api, "cust_a", 100, 10)
    event = our_refund_event(db, "refund.processed", payment_id, 1000)
    assert post_razorpay(client, event).status_code == 200
    assert_wallet(api, "cust_a", 90, 0)
    assert withdrawal_status(api, "cust_a", body["withdrawal_id"]) == "completed"
    assert taken_back(db, "cust_a") == 0
    assert integration.reconcile() == []


def test_a_pending_withdrawal_failed_by_its_refund_id_gives_the_amount_back(api, client, db, integration):
    _order, payment_id = razorpay_topup(api, db, "cust_a", "100.00")
    keep_razorpay_webhooks(integration)
    body = withdraw(api, "cust_a", "10.00").get_json()
    event = our_refund_event(db, "refund.failed", payment_id, 1000)
    assert post_razorpay(client, event).status_code == 200
    assert_wallet(api, "cust_a", 100, 0)
    assert withdrawal_status(api, "cust_a", body["withdrawal_id"]) == "failed"
    assert integration.reconcile() == []


def test_a_paypal_refund_of_ours_redelivered_without_custom_id_moves_nothing(api, client, db, integration):
    _order, capture_id = paypal_topup(api, client, db, "cust_a", "100.00")
    assert withdraw(api, "cust_a", "10.00").get_json()["status"] == "completed"
    (record,) = db[PAYPAL_REFUNDS].find({"capture_id": capture_id})
    resource = {k: v for k, v in refund_view(record).items() if k != "custom_id"}
    assert record.get("custom_id")  # the simulator's own webhook carried it; this one does not
    paypal = integration.payments.gateway("paypal").api
    assert paypal.post_event("PAYMENT.CAPTURE.REFUNDED", "refund", resource, "refunded") == 200
    assert_wallet(api, "cust_a", 90, 0)
    assert taken_back(db, "cust_a") == 0
    assert integration.reconcile() == []


def test_a_dashboard_refund_without_notes_is_still_taken_back(api, client, db, integration):
    """The refund id of a refund the service never asked for names none of ours: it is the gateway's."""
    _order, payment_id = razorpay_topup(api, db, "cust_a", "100.00")
    assert post_razorpay(client, razorpay_case_event("refund.processed", "refund", payment_id, 1000)).status_code == 200
    assert_wallet(api, "cust_a", 90, 0)
    assert taken_back(db, "cust_a") == 1
    assert integration.reconcile() == []
