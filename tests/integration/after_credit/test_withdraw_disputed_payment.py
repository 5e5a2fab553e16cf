"""A withdrawal does not refund a top-up under an open dispute (a lost dispute would cost the merchant
that payment twice); another top-up takes it."""

from tests.integration.after_credit.support import razorpay_topup, simulator, wallet, withdraw


def test_a_withdrawal_does_not_refund_a_disputed_payment(api, client, db, integration):
    razorpay_topup(api, db, "cust_a", "100.00")  # older, undisputed
    _o, disputed = razorpay_topup(api, db, "cust_a", "100.00")  # newest: the withdrawal's first pick
    simulator(integration, "razorpay").open_dispute(disputed, 10000, "INR")
    assert wallet(api, "cust_a") == (200, 100, 100, 0)
    body = withdraw(api, "cust_a", "100.00").get_json()
    assert [r["payment_id"] for r in body["refunds"]] != [disputed], body["refunds"]
