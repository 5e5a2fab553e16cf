"""Webhook bodies read one way only: a signed Razorpay or PayPal body naming a field twice (which
JSON readers take differently: the first, the last, or refuse) is 400 `invalid_request` with
nothing written; the Google Pay checkout's post, the service's own JSON, also refuses a field named
like a query operator, as every other body of the API does."""

import hashlib
import hmac
import json

from backend.gateways.google_pay.simulator import payment_data, simulator_token
from backend.gateways.paypal.simulator import DEV_PAYPAL_WEBHOOK_ID, signed_headers
from backend.gateways.razorpay.simulator import DEV_RAZORPAY_WEBHOOK_SECRET
from tests.helpers import BASE, WEBHOOK_PATH, bearer, razorpay_event, snapshot
from tests.integration.support import assert_error, balance_minor, initiated


def test_a_razorpay_body_naming_the_amount_twice_is_refused(api, client, db):
    order_id = initiated(api, "cust_a", "100.00")
    text = json.dumps(razorpay_event("payment.captured", order_id, "pay_twice1", 10000))
    body = text.replace('"amount": 10000', '"amount": 1, "amount": 10000').encode()
    signature = hmac.new(DEV_RAZORPAY_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Razorpay-Signature": signature, "X-Razorpay-Event-Id": "evt_twice1"}
    before = snapshot(db)
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "invalid_request")
    assert snapshot(db) == before and balance_minor(db, "cust_a") == 0


def test_a_paypal_body_naming_the_value_twice_is_refused(api, client, db):
    initiate = {"customer_id": "cust_a", "amount": "100.00", "payment_method": "paypal"}
    order_id = api.post("/wallet/topup/initiate", initiate, bearer("cust_a")).get_json()["payment_order_id"]
    resource = {
        "id": "CAPTUREVALUE0001",
        "status": "COMPLETED",
        "amount": {"currency_code": "INR", "value": "100.00"},
        "supplementary_data": {"related_ids": {"order_id": order_id}},
    }
    event = {
        "id": "WH-TWICE",
        "event_type": "PAYMENT.CAPTURE.COMPLETED",
        "resource_type": "capture",
        "resource": resource,
    }
    body = json.dumps(event).replace('"value": "100.00"', '"value": "1.00", "value": "100.00"').encode()
    before = snapshot(db)
    refused = client.post(f"{BASE}/webhook/paypal", data=body, headers=signed_headers(body, DEV_PAYPAL_WEBHOOK_ID))
    assert_error(refused, 400, "invalid_request")
    assert snapshot(db) == {**before, "webhook_deliveries": snapshot(db)["webhook_deliveries"]}  # its digest only
    assert balance_minor(db, "cust_a") == 0


def test_a_google_pay_post_with_a_field_named_like_a_query_operator_is_refused(api, client, db, integration):
    initiate = {"customer_id": "cust_a", "amount": "100.00", "payment_method": "google_pay"}
    order_id = api.post("/wallet/topup/initiate", initiate, bearer("cust_a")).get_json()["payment_order_id"]
    token = payment_data(simulator_token(integration.payments.gateway("google_pay")))
    before = snapshot(db)
    posted = {"payment_order_id": order_id, "paymentData": token, "$where": "1"}
    assert_error(client.post(f"{BASE}/webhook/google-pay", json=posted), 400, "invalid_request")
    assert snapshot(db) == before and balance_minor(db, "cust_a") == 0
    del posted["$where"]
    assert client.post(f"{BASE}/webhook/google-pay", json=posted).status_code == 200  # the same token, as it should be
    assert balance_minor(db, "cust_a") == 10000
