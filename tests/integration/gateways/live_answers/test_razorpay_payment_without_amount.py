"""A Razorpay payment reported without an amount is no confirmation (found by a red-team pass): one
fetched at verify, or listed for the sweep, with `amount` null or missing was credited with no
amount or currency check, even in another currency."""

import pytest
import responses

from tests.helpers import BASE, bearer
from tests.integration.gateways.live_answers.refund_support import razorpay_initiated, razorpay_verify
from tests.integration.worker.test_sweep import STALE, clock_ahead, sweep
from tests.razorpay_support import ORDERS_URL, PAYMENTS_URL, payment_response


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
    app, client = razorpay_initiated(http)
    http.add(responses.GET, PAYMENTS_URL + "pay_LiveA1", json=payment_without_amount(how, currency))
    response = razorpay_verify(client)
    assert wallet_balance(client) == 0, response.get_json()  # was 500.0 credited
    assert (response.status_code, response.get_json()["error"]) == (502, "gateway_unavailable")


def test_the_sweep_credits_nothing_for_a_payment_razorpay_lists_without_an_amount(http):
    app, client = razorpay_initiated(http)
    listed = {"entity": "collection", "count": 1, "items": [payment_without_amount("null", "USD")]}
    http.add(responses.GET, ORDERS_URL + "/order_LiveA1/payments", json=listed)
    sweep(app.extensions["integration"], clock_ahead(STALE + 1))
    assert wallet_balance(client) == 0  # was 500.0 credited from a USD payment with no amount
