"""A Razorpay payment reported without an amount is no confirmation (found by a red-team pass): one
fetched at verify, or listed for the sweep, with `amount` null or missing was credited with no
amount or currency check, even in another currency."""

import pytest
import responses

from tests.helpers import BASE, bearer, checkout_signature
from tests.integration.gateways.live_answers.support import live_app
from tests.integration.worker.test_sweep import STALE, clock_ahead, sweep
from tests.razorpay_support import KEY_SECRET, ORDERS_URL, PAYMENTS_URL, order_response, payment_response


def initiated(http):
    app = live_app()
    client = app.test_client()
    http.add(responses.POST, ORDERS_URL, json=order_response("order_LiveA1", 50000))
    response = client.post(
        f"{BASE}/wallet/topup/initiate", json={"customer_id": "cust_a", "amount": "500.00"}, headers=bearer("cust_a")
    )
    assert response.status_code == 200
    return app, client


def wallet_balance(client):
    return client.get(f"{BASE}/status/cust_a", headers=bearer("cust_a")).get_json()["wallet"]["balance"]


def payment_without_amount(how, currency):
    payment = payment_response(currency=currency)
    if how == "null":
        payment["amount"] = None
    else:
        del payment["amount"]
    return payment


@pytest.mark.parametrize("currency", ["INR", "USD"])
@pytest.mark.parametrize("how", ["null", "missing"])
def test_verify_credits_nothing_for_a_payment_razorpay_reports_without_an_amount(http, how, currency):
    app, client = initiated(http)
    http.add(responses.GET, PAYMENTS_URL + "pay_LiveA1", json=payment_without_amount(how, currency))
    response = client.post(
        f"{BASE}/wallet/topup/verify",
        json={
            "payment_id": "pay_LiveA1",
            "order_id": "order_LiveA1",
            "signature": checkout_signature("order_LiveA1", "pay_LiveA1", KEY_SECRET),
        },
        headers=bearer("cust_a"),
    )
    assert wallet_balance(client) == 0, response.get_json()  # was 500.0 credited
    assert response.status_code in (400, 409, 502)


def test_the_sweep_credits_nothing_for_a_payment_razorpay_lists_without_an_amount(http):
    app, client = initiated(http)
    listed = {"entity": "collection", "count": 1, "items": [payment_without_amount("null", "USD")]}
    http.add(responses.GET, ORDERS_URL + "/order_LiveA1/payments", json=listed)
    sweep(app.extensions["integration"], clock_ahead(STALE + 1))
    assert wallet_balance(client) == 0  # was 500.0 credited from a USD payment with no amount
