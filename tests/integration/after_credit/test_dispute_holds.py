"""A lost dispute ends its own hold: what the hold keeps beyond the amount taken back is released,
whether PayPal refunded the buyer part of it, or a refund or reversal of the same payment took the
money first."""

from tests.integration.after_credit.support import simulator, topup, wallet


def test_paypal_dispute_lost_for_part_of_the_hold_releases_the_rest(api, client, db, integration):
    _o, capture = topup("paypal", api, client, db, "cust_a", "100.00")
    cases = simulator(integration, "paypal")
    dispute = cases.open_dispute(capture, 10000, "INR")
    assert wallet(api, "cust_a") == (100, 100, 0, 0)
    # PayPal decides for the buyer but refunds only 40.00 of the 100.00 disputed
    cases.resolve_dispute(dispute, capture, 10000, "INR", "RESOLVED_BUYER_FAVOUR", amount_refunded_minor=4000)
    balance, held, available, debt = wallet(api, "cust_a")
    assert balance == 60
    assert (held, available, debt) == (0, 60, 0), (balance, held, available, debt)


def test_razorpay_refund_then_dispute_lost_releases_the_dispute_hold(api, client, db, integration):
    _o1, pay_old = topup("razorpay", api, client, db, "cust_a", "100.00")
    topup("razorpay", api, client, db, "cust_a", "100.00")
    rzp = simulator(integration, "razorpay")
    dispute = rzp.open_dispute(pay_old, 10000, "INR")
    assert wallet(api, "cust_a") == (200, 100, 100, 0)
    rzp.dashboard_refund(pay_old, 10000, "INR")  # the merchant refunds the disputed payment
    rzp.resolve_dispute(dispute, pay_old, 10000, "INR", "lost")  # and the bank still charges it back
    balance, held, available, debt = wallet(api, "cust_a")
    # Whatever one thinks the loss should cost, the dispute is over: nothing may stay held by it.
    assert held == 0, (balance, held, available, debt)
    assert integration.reconcile() == []


def test_paypal_reversal_and_lost_dispute_of_one_chargeback_release_the_hold(api, client, db, integration):
    _o1, capture = topup("paypal", api, client, db, "cust_a", "100.00")
    topup("paypal", api, client, db, "cust_a", "100.00")
    cases = simulator(integration, "paypal")
    dispute = cases.open_dispute(capture, 10000, "INR")
    cases.reverse_capture(capture, 10000, "INR")  # PayPal posts the chargeback as a reversal ...
    cases.resolve_dispute(dispute, capture, 10000, "INR", "RESOLVED_BUYER_FAVOUR")  # ... and a lost dispute
    balance, held, available, debt = wallet(api, "cust_a")
    assert balance == 100  # taken back once (the cap works) ...
    assert (held, available) == (0, 100), (balance, held, available, debt)
