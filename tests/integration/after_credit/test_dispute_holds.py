"""A lost dispute ends its own hold: what the hold keeps beyond the amount taken back is released,
whether PayPal refunded the buyer part of it, or a refund or reversal of the same payment took the
money first. A dispute's hold is decided once, when the dispute opens, and holds no more than a
take-back of its payment could still take."""

import pytest

from backend.gateways.paypal.simulator_cases import _dispute
from tests.integration.after_credit.support import (
    post_razorpay,
    razorpay_case_event,
    razorpay_topup,
    simulator,
    topup,
    wallet,
    withdraw,
)


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


@pytest.mark.parametrize("later", ["redelivered", "under_review"])
def test_a_dispute_that_held_nothing_holds_nothing_on_a_later_webhook(api, client, db, integration, later):
    """Found by a red-team pass: a `payment.dispute.created` that found nothing spendable held nothing
    and left no trace, so the same event delivered again (same event id), or any later webhook of
    the dispute, held money the first did not, once the customer had topped up again."""
    _po, payment_a = razorpay_topup(api, db, "cust_dn", "100.00")
    assert api.pay(api.add_order("cust_dn", 10000), "cust_dn", 100).status_code == 200  # nothing left
    created = razorpay_case_event("payment.dispute.created", "dispute", payment_a, 6000, case_id="disp_dn")
    assert post_razorpay(client, created, event_id="evt_disp_dn").status_code == 200
    assert wallet(api, "cust_dn")[:2] == (0, 0)
    razorpay_topup(api, db, "cust_dn", "100.00")
    if later == "redelivered":
        assert post_razorpay(client, created, event_id="evt_disp_dn").status_code == 200
    else:
        review = razorpay_case_event("payment.dispute.under_review", "dispute", payment_a, 6000, case_id="disp_dn")
        assert post_razorpay(client, review).status_code == 200
    assert wallet(api, "cust_dn")[:2] == (100, 0)
    lost = razorpay_case_event("payment.dispute.lost", "dispute", payment_a, 6000, case_id="disp_dn")
    assert post_razorpay(client, lost).status_code == 200
    assert wallet(api, "cust_dn") == (40, 0, 40, 0)  # the loss still takes the money back
    assert integration.reconcile() == []


def test_a_dispute_of_a_top_up_withdrawn_whole_holds_nothing_it_could_never_take(api, client, db, integration):
    """Found by a red-team pass: the dispute held 60.00 of another top-up's money for as long as it was
    open, though its payment's take-backs were used up (the lost dispute takes nothing)."""
    _po, payment_a = topup("paypal", api, client, db, "cust_dw", "100.00")
    assert withdraw(api, "cust_dw", "100.00").get_json()["status"] == "completed"
    topup("razorpay", api, client, db, "cust_dw", "100.00")
    cases = simulator(integration, "paypal")
    dispute_id = cases.open_dispute(payment_a, 6000, "INR")
    assert wallet(api, "cust_dw")[:3] == (100, 0, 100)
    cases.resolve_dispute(dispute_id, payment_a, 6000, "INR", "RESOLVED_BUYER_FAVOUR")
    assert wallet(api, "cust_dw") == (100, 0, 100, 0)
    assert integration.reconcile() == []


def test_a_dispute_of_a_top_up_partly_refunded_holds_what_is_left_of_it(api, client, db, integration):
    _po, payment_a = razorpay_topup(api, db, "cust_dp", "100.00")
    razorpay_topup(api, db, "cust_dp", "100.00")
    rzp = simulator(integration, "razorpay")
    rzp.dashboard_refund(payment_a, 7000, "INR")
    assert wallet(api, "cust_dp")[:2] == (130, 0)
    dispute = rzp.open_dispute(payment_a, 10000, "INR")
    assert wallet(api, "cust_dp")[:3] == (130, 30, 100)  # at most the 30.00 left of the top-up
    rzp.resolve_dispute(dispute, payment_a, 10000, "INR", "lost")
    assert wallet(api, "cust_dp") == (100, 0, 100, 0)
    assert integration.reconcile() == []


def test_a_paypal_dispute_lost_with_its_refund_in_another_currency_takes_the_disputed_amount(
    api, client, db, integration
):
    """Found by a red-team pass: `amount_refunded` in another currency than the dispute's made the case
    another currency's, so the whole case was rejected and its hold stayed for good (the case
    closed, nothing open to alert on). The disputed amount is taken back instead."""
    _po, capture_id = topup("paypal", api, client, db, "cust_dc", "100.00")
    paypal = integration.payments.gateway("paypal").api
    dispute_id = paypal.cases.open_dispute(capture_id, 6000, "INR")
    assert wallet(api, "cust_dc")[:2] == (100, 60)
    resolved = _dispute(dispute_id, capture_id, 6000, "INR", "RESOLVED")
    refunded_in_usd = {"currency_code": "USD", "value": "0.72"}
    resolved["dispute_outcome"] = {"outcome_code": "RESOLVED_BUYER_FAVOUR", "amount_refunded": refunded_in_usd}
    assert paypal.post_event("CUSTOMER.DISPUTE.RESOLVED", "dispute", resolved, "resolved") == 200
    assert wallet(api, "cust_dc") == (40, 0, 40, 0)
    assert integration.reconcile() == []
