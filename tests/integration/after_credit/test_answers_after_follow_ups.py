"""What verify and refund-to-wallet answer when the credit is followed at once by a debit of the same
request: the debt repayment of a wallet in debt, a gateway refund that waited for the credit (SPEC §9).
Found by a red-team pass: both answered the balance from before that debit, so the customer was told
of money a payment right after was refused."""

from tests.helpers import bearer
from tests.integration.after_credit.support import post_razorpay, razorpay_case_event, razorpay_topup, verify, wallet
from tests.integration.support import assert_money, initiated


def in_debt(api, client, db, customer_id):
    """`customer_id` owes 100.00: a top-up of 100.00 spent on an order, then refunded at the gateway."""
    _order, payment_id = razorpay_topup(api, db, customer_id, "100.00")
    order_id = api.add_order(customer_id, 10000)
    assert api.pay(order_id, customer_id, 100).status_code == 200
    refunded = razorpay_case_event("refund.processed", "refund", payment_id, 10000, case_id=f"rfnd_{customer_id}")
    assert post_razorpay(client, refunded).status_code == 200
    assert wallet(api, customer_id) == (0, 0, 0, 100)
    return order_id


def test_verify_of_a_top_up_that_repays_a_debt_answers_the_balance_after_the_repayment(api, client, db):
    in_debt(api, client, db, "cust_d")
    answer = verify(api, "cust_d", initiated(api, "cust_d", "30.00"), "pay_d1")
    assert wallet(api, "cust_d") == (0, 0, 0, 70)
    assert_money(answer["wallet_balance"], 0)


def test_verify_of_a_top_up_a_refund_waited_for_answers_the_balance_after_the_refund(api, client, db):
    payment_order_id = initiated(api, "cust_w", "100.00")
    early = razorpay_case_event("refund.processed", "refund", "pay_w1", 3000, case_id="rfnd_w1")
    assert post_razorpay(client, early).status_code == 200  # before the credit: it waits
    answer = verify(api, "cust_w", payment_order_id, "pay_w1")
    assert wallet(api, "cust_w") == (70, 0, 70, 0)
    assert_money(answer["wallet_balance"], 70)


def test_a_refund_to_a_wallet_in_debt_answers_the_balance_after_the_repayment_and_so_does_its_repeat(api, client, db):
    order_id = in_debt(api, client, db, "cust_r")
    admin = bearer("admin_1", "admin")
    keyed = {**admin, "Idempotency-Key": "refund-r-1"}
    first = api.refund(order_id, "cust_r", 40, headers=keyed)
    assert first.status_code == 200, first.get_json()
    assert wallet(api, "cust_r") == (0, 0, 0, 60)
    assert_money(first.get_json()["new_balance"], 0)
    assert api.refund(order_id, "cust_r", 40, headers=keyed).get_json() == first.get_json()
    partly = api.refund(order_id, "cust_r", 60, headers=admin)  # repays the last 60.00 of the debt: nothing is left
    assert_money(partly.get_json()["new_balance"], 0)
    top_up = verify(api, "cust_r", initiated(api, "cust_r", "25.00"), "pay_r2")
    assert wallet(api, "cust_r") == (25, 0, 25, 0)
    assert_money(top_up["wallet_balance"], 25)
