"""A case's payment and currency are what its webhooks tell, whichever comes first: an early dispute
event that names no payment (PayPal's CUSTOMER.DISPUTE.UPDATED) does not block the dispute, and an
action in another currency than the top-up's moves nothing."""

from backend.gateways.paypal.simulator_cases import _dispute
from tests.integration.after_credit.support import post_razorpay, razorpay_case_event, topup, wallet


def test_a_dispute_update_first_then_created_and_lost_takes_the_money_back(api, client, db, integration):
    _o, capture = topup("paypal", api, client, db, "cust_a", "100.00")
    sim = integration.payments.gateway("paypal").api
    dispute_id = "PP-D-55500011"
    update = _dispute(dispute_id, capture, 10000, "INR", "UNDER_REVIEW")
    del update["dispute_amount"]  # PayPal's update names the dispute; its amount unreadable here
    assert sim.post_event("CUSTOMER.DISPUTE.UPDATED", "dispute", update, "updated") == 200
    assert (
        sim.post_event("CUSTOMER.DISPUTE.CREATED", "dispute", _dispute(dispute_id, capture, 10000, "INR", "OPEN"), "c")
        == 200
    )
    resolved = _dispute(dispute_id, capture, 10000, "INR", "RESOLVED")
    resolved["dispute_outcome"] = {"outcome_code": "RESOLVED_BUYER_FAVOUR"}
    assert sim.post_event("CUSTOMER.DISPUTE.RESOLVED", "dispute", resolved, "r") == 200
    balance, held, available, debt = wallet(api, "cust_a")
    assert balance == 0, (balance, held, available, debt)


def test_a_refund_processed_in_another_currency_is_not_taken_as_inr(api, client, db, integration):
    _o, payment = topup("razorpay", api, client, db, "cust_a", "100.00")
    created = razorpay_case_event("refund.created", "refund", payment, 1000, "INR", case_id="rfnd_cur0001")
    assert post_razorpay(client, created).status_code == 200
    processed = razorpay_case_event("refund.processed", "refund", payment, 9000, "USD", case_id="rfnd_cur0001")
    assert post_razorpay(client, processed).status_code == 200
    balance = wallet(api, "cust_a")[0]
    assert balance == 100, balance
