"""A refund or lost dispute that came before its payment's credit waits, and is applied when the
payment credits: right after the credit, or by the credit's follow-up (the worker) when the process
died in between."""

import pytest

from tests.faults import SimulatedCrash, crashing_integration
from tests.helpers import razorpay_event, signed_webhook, unique
from tests.integration.after_credit.support import post_razorpay, razorpay_case_event


@pytest.mark.parametrize("crash_at", [2, 3, 4, 5, 6, 99])
def test_a_refund_before_the_credit_is_taken_back_after_a_crash(app, api, client, db, integration, crash_at):
    order_id = api.initiate("cust_a", "100.00").get_json()["payment_order_id"]
    payment_id = unique("pay")
    refund = razorpay_case_event("refund.processed", "refund", payment_id, 10000)
    assert post_razorpay(client, refund).status_code == 200  # before the capture: recorded, waiting
    capture = signed_webhook(razorpay_event("payment.captured", order_id, payment_id, 10000))
    crashing, _db = crashing_integration(app, db, crash_at)
    try:
        crashing.process_payment_webhook("razorpay", *capture)
    except SimulatedCrash:
        pass
    if not db["ledger_entries"].find_one({"kind": "topup"}):
        pytest.skip("crashed before the credit: nothing to lose")
    # Everything that could finish it: the gateway redelivers, the worker recovers.
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, payment_id, 10000))
    assert client.post("/api/integration/webhook/razorpay", data=body, headers=headers).status_code == 200
    integration.recover(grace_seconds=0)
    integration.recover(grace_seconds=0)
    wallet = api.status("cust_a").get_json()["wallet"]
    waiting = db["gateway_cases"].count_documents({"waiting": True})
    assert (wallet["balance"], waiting) == (0, 0), (wallet, waiting)
