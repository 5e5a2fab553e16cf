"""Refund answers a gateway gives in live mode that confirm nothing (found by a red-team pass): an
answer for another amount or currency than was asked never completes the withdrawal (it was
debited whole for a refund of 0.01); a Razorpay refund whose `status` is not text is pending, not a
500; Razorpay's 401 or 403 to a refund leaves it open to ask again (it ended a customer's second
payment's refund `failed` for good)."""

import pytest
import responses

from tests.integration.gateways.live_answers.refund_support import (
    PAYPAL_REFUND_URL,
    RAZORPAY_REFUND_URL,
    paypal_refund,
    paypal_topped_up,
    razorpay_refund,
    razorpay_topped_up,
    razorpay_verify,
    wallet,
    withdraw,
)
from tests.razorpay_support import PAYMENTS_URL, payment_response, razorpay_error

NO_REFUNDS = {"entity": "collection", "count": 0, "items": []}


@pytest.mark.parametrize(("amount", "currency"), [(1, "INR"), (50000, "USD")], ids=["one-paisa", "usd"])
def test_a_razorpay_refund_of_another_amount_or_currency_leaves_the_withdrawal_pending(http, amount, currency):
    app, client = razorpay_topped_up(http)
    http.add(responses.POST, RAZORPAY_REFUND_URL, json=razorpay_refund(amount, currency))
    answer = withdraw(client, "500.00").get_json()
    assert answer["status"] == "pending", answer  # was completed
    assert (wallet(client)["balance"], wallet(client)["held"]) == (500, 500)  # was 0: debited whole
    audit = app.extensions["wallet_db"]["integration_logs"].find_one({"event": "gateway_refund.mismatch"})
    assert (audit["amount_minor"], audit["currency"]) == (amount, currency)


@pytest.mark.parametrize(("value", "currency"), [("0.01", "USD"), ("10.50", "EUR")], ids=["one-cent", "eur"])
def test_a_paypal_refund_of_another_amount_or_currency_leaves_the_withdrawal_pending(http, value, currency):
    app, client = paypal_topped_up(http)
    http.add(responses.POST, PAYPAL_REFUND_URL, json=paypal_refund(value, currency), status=201)
    answer = withdraw(client, "10.50", "USD").get_json()
    assert answer["status"] == "pending", answer  # was completed
    assert wallet(client, "USD")["balance"] == 10.5  # was 0.0


@pytest.mark.parametrize("status", [[], {}, ["processed"]], ids=["list", "object", "list-of-text"])
def test_a_razorpay_refund_status_that_is_not_text_is_pending(http, status):
    app, client = razorpay_topped_up(http)
    http.add(responses.POST, RAZORPAY_REFUND_URL, json=razorpay_refund(status=status))
    response = withdraw(client, "500.00")
    assert (response.status_code, response.get_json()["status"]) == (202, "pending")  # was 500 internal_error


@pytest.mark.parametrize("status", [401, 403])
def test_razorpay_refusing_our_keys_leaves_a_second_payments_refund_open(http, status):
    app, client = razorpay_topped_up(http)  # pay_LiveA1 credited order_LiveA1
    http.add(responses.GET, PAYMENTS_URL + "pay_LiveB2", json=payment_response(payment_id="pay_LiveB2"))
    failure = razorpay_error("BAD_REQUEST_ERROR", "Authentication failed", status)
    http.add(responses.POST, PAYMENTS_URL + "pay_LiveB2/refund", **failure)
    http.add(responses.GET, PAYMENTS_URL + "pay_LiveB2/refunds", json=NO_REFUNDS)
    response = razorpay_verify(client, "pay_LiveB2")
    assert response.status_code == 200
    [record] = app.extensions["wallet_db"]["gateway_refunds"].find({"gateway_payment_id": "pay_LiveB2"})
    assert record["status"] == "requested", response.get_json()  # was failed, never asked again


def test_razorpay_refusing_our_keys_leaves_a_withdrawal_pending(http):
    app, client = razorpay_topped_up(http)
    failure = razorpay_error("BAD_REQUEST_ERROR", "Authentication failed", 401)
    http.add(responses.POST, PAYMENTS_URL + "pay_LiveA1/refund", **failure)
    http.add(responses.GET, PAYMENTS_URL + "pay_LiveA1/refunds", json=NO_REFUNDS)
    answer = withdraw(client, "500.00").get_json()
    assert answer["status"] == "pending", answer  # was failed


def test_a_refund_answer_of_another_amount_is_audited_once_however_often_the_worker_asks(http):
    app, client = razorpay_topped_up(http)
    http.add(responses.POST, RAZORPAY_REFUND_URL, json=razorpay_refund(1, "INR"))
    http.add(
        responses.GET,
        RAZORPAY_REFUND_URL + "s",
        json={"entity": "collection", "count": 1, "items": [razorpay_refund(1, "INR")]},
    )
    assert withdraw(client, "500.00").get_json()["status"] == "pending"
    integration = app.extensions["integration"]
    for _ in range(3):  # the worker, each minute
        integration.our_refunds.retry_due(100, older_than_seconds=0)
    db = app.extensions["wallet_db"]
    assert db["integration_logs"].count_documents({"event": "gateway_refund.mismatch"}) == 1
    assert db["gateway_refunds"].find_one({})["mismatch"] == {"amount_minor": 1, "currency": "INR"}
    assert wallet(client)["held"] == 500
