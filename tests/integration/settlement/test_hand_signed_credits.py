"""Settling a day of top-ups confirmed by hand-signed checkout values and webhooks (SPEC §6: tests
and developers sign their own; §9: a simulator treats every payment the service credited under its
secrets as its own): the simulators' own reports list them, so the day matches with no exception.
And a credit is `credited_not_captured` only once it is older than the gateway's settlement lag
(§11), however early its report's day is settled."""

import datetime
import json

from backend.gateways.paypal.simulator import DEV_PAYPAL_WEBHOOK_ID, paypal_id, signed_headers
from tests.helpers import BASE, bearer, checkout_signature, unique
from tests.integration.after_credit.support import wallet, withdraw
from tests.integration.settlement.support import report


def today():
    return datetime.datetime.now(datetime.UTC).date()


def verified_topup(api, db, customer_id, amount):
    """A Razorpay top-up confirmed at verify by checkout values signed by hand; its payment id."""
    order_id = api.initiate(customer_id, amount).get_json()["payment_order_id"]
    payment_id = unique("pay")
    body = {"payment_id": payment_id, "order_id": order_id, "signature": checkout_signature(order_id, payment_id)}
    assert api.post("/wallet/topup/verify", body, bearer(customer_id)).status_code == 200
    return payment_id


def test_razorpay_a_day_of_hand_signed_credits_matches_its_report(api, db, integration):
    by_webhook = [api.topup("cust_a", "10.00") for _ in range(2)]
    by_verify = verified_topup(api, db, "cust_a", "10.00")
    refunded = db["payment_orders"].find_one({"_id": by_webhook[0]})["gateway_payment_id"]
    integration.payments.gateway("razorpay").api.dashboard_refund(refunded, 300, "INR")
    day = today() + datetime.timedelta(days=2)  # Razorpay settles T+2
    document, exceptions = integration.settle("razorpay", day)
    assert exceptions == []
    assert (document["payments"], document["refunds"], document["matched"]) == (3, 1, 4)
    assert (document["captured_minor"], document["refunded_minor"]) == (3000, 300)
    assert db["simulator_razorpay_payments"].count_documents({"_id": by_verify, "status": "captured"}) == 1
    again, _exceptions = integration.settle("razorpay", day)
    assert (again["payments"], again["matched"]) == (3, 4)  # booked once
    assert integration.settle("razorpay", today())[0]["payments"] == 0  # another day's report lists none of them


def paypal_capture_webhook(api, client, db, capture_id):
    """A PayPal top-up of 10.50 credited by a capture webhook signed by hand."""
    order_id = api.initiate("cust_a", "10.50", method="paypal").get_json()["payment_order_id"]
    resource = {
        "id": capture_id,
        "status": "COMPLETED",
        "final_capture": True,
        "amount": {"currency_code": "INR", "value": "10.50"},
        "custom_id": db["payment_orders"].find_one({"_id": order_id})["reference"],
        "supplementary_data": {"related_ids": {"order_id": order_id}},
    }
    event = {"id": "WH-" + paypal_id(), "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": resource}
    body = json.dumps(dict(event, event_version="1.0", resource_type="capture", links=[])).encode()
    webhook = client.post(f"{BASE}/webhook/paypal", data=body, headers=signed_headers(body, DEV_PAYPAL_WEBHOOK_ID))
    assert webhook.status_code == 200


def test_paypal_a_day_of_hand_signed_credits_matches_its_report(api, client, db, integration):
    paypal_capture_webhook(api, client, db, paypal_id())
    assert api.balance("cust_a") == 10.5
    document, exceptions = integration.settle("paypal", today())  # PayPal's day: the transaction's
    assert exceptions == []
    assert (document["payments"], document["matched"], document["captured_minor"]) == (1, 1, 1050)


def test_a_capture_id_paypal_would_not_make_is_in_its_books_with_its_refund(api, client, db, integration):
    paypal_capture_webhook(api, client, db, "CAP_hand_1")  # an id as SPEC §5 allows, not as PayPal makes
    assert api.balance("cust_a") == 10.5
    refund = {"amount": "2.50", "currency": "INR"}
    admin = bearer("admin_1", "admin")
    assert (
        client.post("/simulator/paypal/dashboard/payments/CAP_hand_1/refund", json=refund, headers=admin).status_code
        == 200
    )
    document, exceptions = integration.settle("paypal", today())
    assert exceptions == []  # SPEC §9: the simulator's own, its report's rows readable
    assert (document["payments"], document["refunds"], document["matched"]) == (1, 1, 2)
    assert (document["captured_minor"], document["refunded_minor"]) == (1050, 250)


def test_a_credit_younger_than_the_lag_is_not_credited_not_captured_yet(api, db, integration):
    api.topup("cust_a", "10.00")
    report(integration, "razorpay", [])  # the gateway lists nothing (yet)
    _document, exceptions = integration.settle("razorpay", today() + datetime.timedelta(days=2))
    assert exceptions == []


def test_a_hand_signed_paypal_capture_is_refunded_reversed_and_disputed_by_the_simulator(api, client, db):
    """SPEC §9: the simulator treats every payment credited under its secrets as its own, ids signed by
    hand included (`CAP_hand_1`, as SPEC §5 allows ids): the wallet follows each case it posts."""
    paypal_capture_webhook(api, client, db, "CAP_hand_1")
    admin = bearer("admin_1", "admin")
    for action, held, balance in (("refund", 0, 9.5), ("dispute", 1, 9.5), ("reverse", 1, 8.5)):
        body = {"amount": "1.00", "currency": "INR"}
        acted = client.post(f"/simulator/paypal/dashboard/payments/CAP_hand_1/{action}", json=body, headers=admin)
        assert acted.status_code == 200, acted.get_json()
        assert wallet(api, "cust_a")[:2] == (balance, held), action


def test_a_withdrawal_from_a_hand_signed_paypal_capture_is_refunded_by_the_simulator(api, client, db, integration):
    paypal_capture_webhook(api, client, db, "CAP_hand_1")
    withdrawn = withdraw(api, "cust_a", "4.00").get_json()
    assert (withdrawn["status"], withdrawn["refunds"][0]["payment_id"]) == ("completed", "CAP_hand_1")
    assert wallet(api, "cust_a")[0] == 6.5 and integration.reconcile() == []
