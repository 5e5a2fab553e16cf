"""A gateway call answered by a redirect is no answer (found by a red-team pass): `requests` and the
Razorpay SDK's session followed redirects, so a refund POST answered 301–303 became a GET of the
capture, read as a completed refund, and a 307 sent a refund or a capture to another host (without
PayPal's token), whose word completed the withdrawal or credited the top-up. Now nothing follows a
redirect: the call is unavailable, the withdrawal stays pending, nothing is credited."""

import pytest
import responses

from tests.integration.gateways.live_answers.refund_support import (
    PAYPAL_CAPTURE,
    PAYPAL_REFUND_URL,
    RAZORPAY_REFUND_URL,
    paypal_topped_up,
    razorpay_topped_up,
    wallet,
    withdraw,
)
from tests.integration.gateways.live_answers.support import (
    CAPTURES_URL,
    balance,
    live_app,
    paypal_initiate,
    paypal_verify,
)
from tests.paypal_support import ORDERS_URL

ELSEWHERE = "https://proxy.example.net/elsewhere"


def reached(http, url):
    return [call.request.method for call in http.calls if call.request.url.split("?")[0] == url]


@pytest.mark.parametrize("status", [301, 302, 303, 307])
def test_a_paypal_refund_answered_by_a_redirect_is_not_followed(http, status):
    app, client = paypal_topped_up(http)
    target = f"{CAPTURES_URL}{PAYPAL_CAPTURE}" if status != 307 else ELSEWHERE
    http.add(responses.POST, PAYPAL_REFUND_URL, status=status, headers={"Location": target})
    answer = withdraw(client, "10.50", "USD").get_json()
    assert reached(http, target) == []  # was a GET of the capture (read as a completed refund), or a POST elsewhere
    assert answer["status"] == "pending", answer  # was completed
    assert wallet(client, "USD")["balance"] == 10.5


def test_a_paypal_capture_answered_by_a_redirect_credits_nothing(http):
    client = live_app(SUPPORTED_CURRENCIES="USD", DEFAULT_CURRENCY="USD").test_client()
    paypal_initiate(client, http, "ORDERAAAAAAAAAAA1")
    redirect = {"Location": ELSEWHERE}
    http.add(responses.POST, f"{ORDERS_URL}/ORDERAAAAAAAAAAA1/capture", status=307, headers=redirect)
    response = paypal_verify(client, "ORDERAAAAAAAAAAA1")
    assert (response.status_code, response.get_json()["error"]) == (502, "gateway_unavailable")
    assert reached(http, ELSEWHERE) == []
    assert balance(client) == 0  # was 10.50, on another host's word


def test_a_razorpay_refund_answered_by_a_redirect_is_not_followed(http):
    app, client = razorpay_topped_up(http)
    http.add(responses.POST, RAZORPAY_REFUND_URL, status=307, headers={"Location": ELSEWHERE})
    answer = withdraw(client, "500.00").get_json()
    assert reached(http, ELSEWHERE) == []  # the SDK's session followed it
    assert answer["status"] == "pending", answer  # was completed
    assert wallet(client)["balance"] == 500
