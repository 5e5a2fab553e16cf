"""A second payment with a long payment id is refunded under a short reference of its own (a hash), and
one refund the gateway cannot be asked for never stops the worker asking about the others."""

from tests.helpers import WEBHOOK_PATH, razorpay_event, signed_webhook


def test_a_second_payment_with_a_long_id_is_not_a_500(api, client, db, integration):
    order_id = api.topup("cust_a", "100.00")
    long_id = "pay_" + "x" * 60  # 64 characters: a valid id everywhere else
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, long_id, 10000))
    response = client.post(WEBHOOK_PATH, data=body, headers=headers)
    assert response.status_code == 200, response.status_code


def test_the_worker_survives_a_second_payment_with_a_long_id(api, client, db, integration):
    import datetime

    order_id = api.topup("cust_a", "100.00")
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, "pay_" + "y" * 60, 10000))
    client.post(WEBHOOK_PATH, data=body, headers=headers)
    db["gateway_refunds"].update_many({}, {"$set": {"updated_at": datetime.datetime(2000, 1, 1)}})
    integration.recover(grace_seconds=0)


def test_a_refund_that_cannot_be_asked_does_not_stop_the_others(api, client, db, integration):
    import contextlib
    import datetime

    from backend.gateways.paypal.simulator_cases import REFUNDS_FAIL
    from tests.integration.after_credit.support import paypal_topup, wallet, withdraw

    order_id = api.topup("cust_p", "100.00")
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, "pay_" + "z" * 60, 10000))
    client.post(WEBHOOK_PATH, data=body, headers=headers)  # the poisoned `requested` record
    paypal_topup(api, client, db, "cust_a", "50.00")
    integration.payments.gateway("paypal").api.cases.refund_outcome = REFUNDS_FAIL  # only a look-up tells
    assert withdraw(api, "cust_a", "50.00").get_json()["status"] == "pending"
    db["gateway_refunds"].update_many(
        {"_id": {"$regex": "^sp_"}}, {"$set": {"updated_at": datetime.datetime(2000, 1, 1)}}
    )
    db["gateway_refunds"].update_many(
        {"_id": {"$not": {"$regex": "^sp_"}}}, {"$set": {"updated_at": datetime.datetime(2001, 1, 1)}}
    )
    for _tick in range(3):  # the worker's recovery job, tick after tick (it logs the error and goes on)
        with contextlib.suppress(ValueError):
            integration.recover(grace_seconds=0)
    balance, held, available, debt = wallet(api, "cust_a")
    assert (balance, held) == (50, 0), (balance, held, available, debt)
