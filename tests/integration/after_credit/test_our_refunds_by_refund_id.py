"""A webhook about a refund the service asked for, without our reference (Razorpay's `notes`, PayPal's
`custom_id`): SPEC §9 applies each gateway refund once by the gateway's own id, so it is known as ours
by the refund id the gateway answered, and finishes that refund rather than taking the money back a
second time as a refund made in the gateway's dashboard."""

import json

from backend.errors import GatewayUnavailable
from backend.gateways.paypal.simulator_cases import REFUNDS_COLLECTION as PAYPAL_REFUNDS
from backend.gateways.paypal.simulator_cases import refund_view
from tests.integration.after_credit.support import (
    assert_wallet,
    keep_razorpay_webhooks,
    our_refund_event,
    paypal_topup,
    pending_withdrawal,
    post_razorpay,
    razorpay_case_event,
    razorpay_topup,
    withdraw,
    withdrawal_status,
)
from tests.integration.settlement.support import DAY, refund_row, report


def taken_back(db, customer_id):
    return db["ledger_entries"].count_documents({"customer_id": customer_id, "kind": "topup_reversal"})


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
    body, _record, _kept = pending_withdrawal(api, db, integration, payment_id)
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
    body, _record, _kept = pending_withdrawal(api, db, integration, payment_id)
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


def test_our_refund_id_told_with_another_payment_moves_nothing_and_is_a_mismatch(api, client, db, integration):
    """A refund id is of one payment: told of another (a gateway's mistake, a forged webhook), it neither
    ends our refund nor takes anything back; audited `gateway_case.mismatch`, which is alerted."""
    _order, payment_a = razorpay_topup(api, db, "cust_a", "100.00")
    _order, payment_b = razorpay_topup(api, db, "cust_b", "100.00")
    body, record, _kept = pending_withdrawal(api, db, integration, payment_a)
    told = razorpay_case_event("refund.processed", "refund", payment_b, 1000, case_id=record["gateway_refund_id"])
    assert post_razorpay(client, told).status_code == 200
    assert withdrawal_status(api, "cust_a", body["withdrawal_id"]) == "pending"
    assert_wallet(api, "cust_a", 100, 10)
    assert_wallet(api, "cust_b", 100, 0)
    audit = db["integration_logs"].find_one({"event": "gateway_case.mismatch"})
    assert (audit["customer_id"], audit["outcome"]) == ("cust_a", "rejected")
    failed = our_refund_event(db, "refund.failed", payment_a, 1000)  # how it really ended
    assert post_razorpay(client, failed).status_code == 200
    assert withdrawal_status(api, "cust_a", body["withdrawal_id"]) == "failed"
    assert_wallet(api, "cust_a", 100, 0)
    assert integration.reconcile() == []


def test_our_reference_told_with_another_refund_id_moves_nothing(api, client, db, integration):
    """Our reference told with a refund id the gateway gave another refund ends nothing and does not
    take that id for ours: the other refund (a dashboard refund of cust_b) is still taken back."""
    _order, payment_a = razorpay_topup(api, db, "cust_a", "100.00")
    _order, payment_b = razorpay_topup(api, db, "cust_b", "100.00")
    body, record, kept = pending_withdrawal(api, db, integration, payment_a)
    simulator = integration.payments.gateway("razorpay").api
    dashboard_id = simulator.dashboard_refund(payment_b, 2500, "INR")
    notes = {"reference": record["_id"]}
    told = razorpay_case_event("refund.processed", "refund", payment_a, 1000, case_id=dashboard_id, notes=notes)
    assert post_razorpay(client, told).status_code == 200
    assert db["gateway_refunds"].find_one({"_id": record["_id"]})["gateway_refund_id"] == record["gateway_refund_id"]
    assert withdrawal_status(api, "cust_a", body["withdrawal_id"]) == "pending"
    for webhook in kept[len(kept) - 2 :]:  # the dashboard refund's own refund.created and refund.processed
        assert post_razorpay(client, json.loads(webhook)).status_code == 200
    assert_wallet(api, "cust_b", 75, 0)
    assert_wallet(api, "cust_a", 100, 10)
    assert integration.reconcile() == []


def withdraw_timing_out_after_the_refund_was_made(api, integration, monkeypatch, amount):
    """A withdrawal whose Razorpay refund call times out once Razorpay made the refund (its record gets
    no refund id); its body."""
    simulator = integration.payments.gateway("razorpay").api
    made = simulator.refund_payment

    def made_then_timed_out(*args):
        made(*args)
        raise GatewayUnavailable("timed out")

    with monkeypatch.context() as patch:
        patch.setattr(simulator, "refund_payment", made_then_timed_out)
        return withdraw(api, "cust_a", amount).get_json()


def test_a_webhook_without_notes_before_the_answer_was_recorded_is_known_by_asking_the_gateway(
    api, client, db, integration, monkeypatch
):
    """The refund call timed out after Razorpay made the refund (the record has no refund id yet): its
    webhook without notes is matched by asking Razorpay for the refund under our reference."""
    _order, payment_id = razorpay_topup(api, db, "cust_a", "100.00")
    kept = keep_razorpay_webhooks(integration)
    body = withdraw_timing_out_after_the_refund_was_made(api, integration, monkeypatch, "10.00")
    assert db["gateway_refunds"].find_one({"gateway_payment_id": payment_id}).get("gateway_refund_id") is None
    for webhook in kept:
        event = json.loads(webhook)
        event["payload"]["refund"]["entity"]["notes"] = []
        assert post_razorpay(client, event).status_code == 200
    assert withdrawal_status(api, "cust_a", body["withdrawal_id"]) == "completed"
    assert_wallet(api, "cust_a", 90, 0)
    assert taken_back(db, "cust_a") == 0
    assert integration.reconcile() == []


def test_a_report_row_of_our_refund_id_with_another_payment_is_an_open_mismatch(api, db, integration):
    _order, payment_a = razorpay_topup(api, db, "cust_a", "100.00")
    _order, payment_b = razorpay_topup(api, db, "cust_b", "100.00")
    body, record, _kept = pending_withdrawal(api, db, integration, payment_a)
    report(integration, "razorpay", [refund_row(payment_b, record["gateway_refund_id"], 1000)])
    _document, exceptions = integration.settle("razorpay", DAY)
    assert [(e["kind"], e["status"]) for e in exceptions] == [("amount_mismatch", "open")]
    assert withdrawal_status(api, "cust_a", body["withdrawal_id"]) == "pending"
    assert_wallet(api, "cust_a", 100, 10)
    assert_wallet(api, "cust_b", 100, 0)


def test_a_webhook_that_may_be_ours_waits_while_the_gateway_cannot_say(api, client, db, integration, monkeypatch):
    """Razorpay cannot be asked whether the refund is ours: the webhook is refused (502) with nothing
    moved, and delivered again it is matched."""
    _order, payment_id = razorpay_topup(api, db, "cust_a", "100.00")
    kept = keep_razorpay_webhooks(integration)
    body = withdraw_timing_out_after_the_refund_was_made(api, integration, monkeypatch, "10.00")
    adapter = integration.payments.gateway("razorpay")
    processed = json.loads(kept[-1])
    processed["payload"]["refund"]["entity"]["notes"] = []
    unreachable = GatewayUnavailable("Razorpay is unreachable")
    monkeypatch.setattr(adapter, "find_refund", lambda *_args: (_ for _ in ()).throw(unreachable))
    assert post_razorpay(client, processed).status_code == 502
    assert_wallet(api, "cust_a", 100, 10)
    assert taken_back(db, "cust_a") == 0
    monkeypatch.undo()
    assert post_razorpay(client, processed).status_code == 200
    assert withdrawal_status(api, "cust_a", body["withdrawal_id"]) == "completed"
    assert_wallet(api, "cust_a", 90, 0)
    assert integration.reconcile() == []
