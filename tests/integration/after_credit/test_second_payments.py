"""A customer who pays a top-up twice (SPEC §9): the top-up is credited once and the second payment is
refunded at its gateway once, however often it is reported; verify says so."""

import json
from urllib.parse import urlsplit

import pytest

from backend.gateways.google_pay.simulator import payment_data, simulator_token
from backend.gateways.paypal.simulator import DEV_PAYPAL_WEBHOOK_ID, paypal_id, signed_headers
from backend.gateways.paypal.simulator_cases import REFUNDS_COLLECTION as PAYPAL_REFUNDS
from backend.gateways.razorpay.simulator import REFUNDS_COLLECTION as RAZORPAY_REFUNDS
from tests.conftest import app_with
from tests.helpers import BASE, WEBHOOK_PATH, Api, bearer, checkout_signature, razorpay_event, signed_webhook
from tests.integration.after_credit.support import paypal_topup, wallet
from tests.integration.support import assert_money, confirm_by_webhook, initiated


def razorpay_verify(api, order_id, payment_id):
    body = {"order_id": order_id, "payment_id": payment_id, "signature": checkout_signature(order_id, payment_id)}
    return api.post("/wallet/topup/verify", body, bearer("cust_a"))


def test_razorpay_second_payment_at_verify_is_refunded_once(api, db):
    order_id = initiated(api, "cust_a", "100.00")
    assert razorpay_verify(api, order_id, "pay_first").get_json()["already_credited"] is False
    for _ in range(3):
        second = razorpay_verify(api, order_id, "pay_second")
        assert second.status_code == 200
        body = second.get_json()
        assert body["already_credited"] is True
        assert "this second payment is being refunded to you" in body["message"]
    refunds = list(db[RAZORPAY_REFUNDS].find({}))
    assert [(r["payment_id"], r["amount"]) for r in refunds] == [("pay_second", 10000)]
    assert db["gateway_refunds"].find_one({"gateway_payment_id": "pay_second"})["status"] == "processed"
    assert_money(wallet(api, "cust_a")[0], 100)


def test_razorpay_second_payment_by_webhook_is_refunded_once_and_moves_nothing(api, client, db, integration):
    order_id = initiated(api, "cust_a", "100.00")
    assert confirm_by_webhook(client, order_id, 10000, payment_id="pay_first").status_code == 200
    for _ in range(2):
        assert confirm_by_webhook(client, order_id, 10000, payment_id="pay_twice").status_code == 200
    assert db[RAZORPAY_REFUNDS].count_documents({"payment_id": "pay_twice"}) == 1
    assert_money(wallet(api, "cust_a")[0], 100)  # its refund's webhooks take nothing back: it never credited
    assert integration.reconcile() == []


def paypal_capture_webhook(db, order_id, capture_id, value="100.00"):
    resource = {
        "id": capture_id,
        "status": "COMPLETED",
        "amount": {"currency_code": "INR", "value": value},
        "custom_id": db["payment_orders"].find_one({"_id": order_id})["reference"],
        "supplementary_data": {"related_ids": {"order_id": order_id}},
    }
    event = {"id": "WH-" + paypal_id(), "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": resource}
    body = json.dumps(dict(event, event_version="1.0", resource_type="capture", links=[])).encode()
    return body, signed_headers(body, DEV_PAYPAL_WEBHOOK_ID)


def test_paypal_second_capture_is_refunded_once(api, client, db, integration):
    order_id, first_capture = paypal_topup(api, client, db, "cust_a", "100.00")
    second_capture = paypal_id()
    for _ in range(2):
        body, headers = paypal_capture_webhook(db, order_id, second_capture)
        assert client.post(f"{BASE}/webhook/paypal", data=body, headers=headers).status_code == 200
    refunds = list(db[PAYPAL_REFUNDS].find({}))
    assert [r["capture_id"] for r in refunds] == [second_capture]
    assert db["gateway_refunds"].find_one({"gateway_payment_id": second_capture})["status"] == "processed"
    assert_money(wallet(api, "cust_a")[0], 100)
    assert integration.reconcile() == []


@pytest.mark.parametrize("capture_id", ["", None, {"$gt": ""}, "A" * 65, "has space", 17], ids=repr)
def test_a_paypal_capture_webhook_with_no_paypal_capture_id_is_refused_and_credits_nothing(
    capture_id, api, client, db, integration
):
    order_id = api.initiate("cust_a", "100.00", "paypal", bearer("cust_a")).get_json()["payment_order_id"]
    body, headers = paypal_capture_webhook(db, order_id, capture_id)
    refused = client.post(f"{BASE}/webhook/paypal", data=body, headers=headers)
    assert (refused.status_code, refused.get_json()["error"]) == (400, "invalid_request")
    assert db["payment_orders"].find_one({"_id": order_id})["status"] == "created"
    assert_money(wallet(api, "cust_a")[0], 0)
    # so the real capture credits, and a second real one is a second payment, given back
    for capture in (paypal_id(), paypal_id()):
        body, headers = paypal_capture_webhook(db, order_id, capture)
        assert client.post(f"{BASE}/webhook/paypal", data=body, headers=headers).status_code == 200
    assert db["gateway_refunds"].count_documents({"payment_order_id": order_id}) == 1
    assert_money(wallet(api, "cust_a")[0], 100)
    assert integration.reconcile() == []


def test_paypal_verify_again_after_pay_again_says_already_credited(api, client, db):
    order_id, _capture = paypal_topup(api, client, db, "cust_a", "100.00")
    client.post(f"/simulator/paypal/checkout/{order_id}/pay")  # Back, then Pay again
    again = api.post("/wallet/topup/verify", {"order_id": order_id, "payment_method": "paypal"}, bearer("cust_a"))
    assert again.status_code == 200
    assert again.get_json()["already_credited"] is True
    assert db[PAYPAL_REFUNDS].count_documents({}) == 0  # PayPal captures an order once: nothing to refund
    assert_money(wallet(api, "cust_a")[0], 100)


def test_google_pay_second_token_charges_nothing(api, app, client, db):
    body = api.initiate("cust_a", "100.00", method="google_pay").get_json()
    adapter = app.extensions["integration"].payments.gateway("google_pay")
    for _ in range(2):
        token = simulator_token(adapter)
        answer = client.post(
            f"{BASE}/webhook/google-pay",
            json={"payment_order_id": body["payment_order_id"], "paymentData": payment_data(token)},
        )
        assert answer.status_code == 200
    assert db["simulator_google_pay_charges"].count_documents({}) <= 1
    assert db["gateway_refunds"].count_documents({}) == 0
    assert_money(wallet(api, "cust_a")[0], 100)
    # The simulator's page on a top-up paid before: back with `already_paid`, nothing charged.
    pressed = client.post(urlsplit(body["redirect_url"]).path + "/pay")
    assert "payment_error=already_paid" in pressed.headers["Location"]


def test_a_hand_signed_second_payment_in_another_currency_than_the_default_is_given_back():
    """Found by a review: with DEFAULT_CURRENCY=USD, the Razorpay simulator refunded a second payment of
    an INR top-up it never made (signed by hand) in USD; the refund was kept as a mismatch and stayed
    open for good. It refunds it as the top-up it paid for: in INR."""
    for app in app_with(DEFAULT_CURRENCY="USD", SUPPORTED_CURRENCIES="USD,INR"):
        api, db = Api(app.test_client(), app.extensions["wallet_db"]), app.extensions["wallet_db"]
        body = {"customer_id": "cust_a", "amount": "60.00", "payment_method": "razorpay", "currency": "INR"}
        payment_order_id = api.post("/wallet/topup/initiate", body, bearer("cust_a")).get_json()["payment_order_id"]
        for payment_id in ("pay_hand_1", "pay_hand_2"):
            webhook_body, headers = signed_webhook(
                razorpay_event("payment.captured", payment_order_id, payment_id, 6000)
            )
            assert api.client.post(WEBHOOK_PATH, data=webhook_body, headers=headers).status_code == 200
        [given_back] = list(db["gateway_refunds"].find({"gateway_payment_id": "pay_hand_2"}))
        assert (given_back["status"], given_back["currency"]) == ("processed", "INR")
        assert [r["currency"] for r in db[RAZORPAY_REFUNDS].find({"payment_id": "pay_hand_2"})] == ["INR"]
