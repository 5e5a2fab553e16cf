"""A gateway's own refund told twice, the two at odds (SPEC §9, §11; found by two red-team passes): by
its webhook and by the report, or by two webhooks, for another amount or another payment. The first
told counts, once; a later one moves nothing, is audited `gateway_case.mismatch`, and a report row is
an open `amount_mismatch` for a person (it was counted `matched`, and one refund id took money back
from two wallets)."""

import pytest

from tests.integration.after_credit.support import post_razorpay, razorpay_case_event, razorpay_topup, wallet
from tests.integration.settlement.support import DAY, capture_row, refund_row, report


def refund_event(payment_id, amount_minor, refund_id="rfnd_dash1"):
    return razorpay_case_event("refund.processed", "refund", payment_id, amount_minor, case_id=refund_id)


def taken_back(db):
    return sorted((e["customer_id"], e["amount_minor"]) for e in db["ledger_entries"].find({"kind": "topup_reversal"}))


def mismatches(db):
    return list(db["integration_logs"].find({"event": "gateway_case.mismatch"}))


@pytest.mark.parametrize("webhook_minor, report_minor", [(400, 800), (800, 400)])
def test_a_refund_listed_for_another_amount_than_its_webhook_took_is_an_open_mismatch(
    api, db, integration, webhook_minor, report_minor
):
    payment_order, payment_id = razorpay_topup(api, db, "cust_a", "10.00")
    assert post_razorpay(api.client, refund_event(payment_id, webhook_minor)).status_code == 200
    row = refund_row(payment_id, "rfnd_dash1", report_minor)
    report(integration, "razorpay", [capture_row(db["payment_orders"].find_one({"_id": payment_order})), row])
    document, exceptions = integration.settle("razorpay", DAY)
    shown = [(e["kind"], e["status"], e["gateway_amount_minor"], e["ledger_amount_minor"]) for e in exceptions]
    assert shown == [("amount_mismatch", "open", report_minor, webhook_minor)]
    assert document["matched"] == 1  # the capture
    assert taken_back(db) == [("cust_a", webhook_minor)]
    again = integration.settle("razorpay", DAY)[1]  # settled again: the same
    assert [(e["kind"], e["status"], e["gateway_amount_minor"], e["ledger_amount_minor"]) for e in again] == shown
    assert integration.reconcile() == []


def test_a_webhook_telling_another_amount_than_the_report_took_moves_nothing_and_is_audited(api, db, integration):
    _payment_order, payment_id = razorpay_topup(api, db, "cust_a", "10.00")
    report(integration, "razorpay", [refund_row(payment_id, "rfnd_dash1", 800)])
    assert integration.settle("razorpay", DAY)[1][0]["status"] == "resolved"  # refund_not_applied, healed
    assert post_razorpay(api.client, refund_event(payment_id, 400)).status_code == 200
    assert taken_back(db) == [("cust_a", 800)]
    [mismatch] = mismatches(db)
    assert mismatch["outcome"] == "rejected" and "another amount" in mismatch["reason"]


def test_one_refund_id_told_of_two_payments_takes_back_from_the_first_only(api, db, integration):
    _a, payment_a = razorpay_topup(api, db, "cust_a", "10.00")
    _b, payment_b = razorpay_topup(api, db, "cust_b", "10.00")
    assert post_razorpay(api.client, refund_event(payment_a, 400, "rfnd_X")).status_code == 200
    assert post_razorpay(api.client, refund_event(payment_b, 400, "rfnd_X")).status_code == 200
    report(integration, "razorpay", [refund_row(payment_b, "rfnd_X", 400)])
    _document, exceptions = integration.settle("razorpay", DAY)
    assert taken_back(db) == [("cust_a", 400)]
    assert (wallet(api, "cust_a")[0], wallet(api, "cust_b")[0]) == (6, 10)
    shown = [(e["kind"], e["status"], e["payment_id"], e["ledger_amount_minor"]) for e in exceptions]
    assert shown == [("amount_mismatch", "open", payment_b, 0)]  # nothing of payment b was taken
    assert len(mismatches(db)) == 2 and all("another payment" in m["reason"] for m in mismatches(db))
    assert db["gateway_cases"].find_one({})["gateway_payment_id"] == payment_a
    assert integration.reconcile() == []
