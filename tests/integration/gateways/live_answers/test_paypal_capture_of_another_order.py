"""A PayPal capture answer about another order credits nothing (found by a red-team pass): the answer
was never checked to be about the payment order being confirmed, so one capture (order A's, which
had credited A) credited top-up B too, through verify, the sweep's look-up and Google Pay's page
post through PayPal. The order id and the capture's `custom_id` must be this payment order's."""

import pytest
import responses

from backend.errors import GatewayUnavailable
from backend.gateways.paypal.adapter import PayPalGateway
from backend.payment_orders import PaymentOrder
from tests.helpers import BASE, bearer
from tests.integration.gateways.live_answers.support import (
    balance,
    live_app,
    paypal_captured,
    paypal_created,
    paypal_initiate,
    paypal_verify,
)
from tests.integration.worker.test_sweep import STALE, clock_ahead, sweep
from tests.paypal_support import ORDERS_URL

USD = dict(SUPPORTED_CURRENCIES="USD", DEFAULT_CURRENCY="USD")
ORDER_A, ORDER_B, CAPTURE_A = "ORDERAAAAAAAAAAA1", "ORDERBBBBBBBBBBB2", "CAPTUREAAAAAAAAA1"


def two_topups_first_credited(http, **settings):
    app = live_app(**USD, **settings)
    client = app.test_client()
    ref_a = paypal_initiate(client, http, ORDER_A)
    paypal_initiate(client, http, ORDER_B)
    http.add(
        responses.POST, f"{ORDERS_URL}/{ORDER_A}/capture", json=paypal_captured(ORDER_A, ref_a, CAPTURE_A), status=201
    )
    assert paypal_verify(client, ORDER_A).status_code == 200
    assert balance(client) == 10.5
    return app, client, ref_a


def test_verify_credits_nothing_for_a_capture_of_another_order(http):
    app, client, ref_a = two_topups_first_credited(http)
    # B's capture call answers with order A and A's capture (a caching proxy, a PayPal-side mix-up).
    http.add(
        responses.POST, f"{ORDERS_URL}/{ORDER_B}/capture", json=paypal_captured(ORDER_A, ref_a, CAPTURE_A), status=201
    )
    response = paypal_verify(client, ORDER_B)
    assert balance(client) == 10.5, response.get_json()  # was 21.0: one capture credited both top-ups
    db = app.extensions["wallet_db"]
    assert db.ledger_entries.count_documents({"reference.gateway_payment_id": CAPTURE_A}) == 1


def test_the_sweep_credits_nothing_for_a_capture_of_another_order(http):
    app, client, ref_a = two_topups_first_credited(http)
    http.add(responses.GET, f"{ORDERS_URL}/{ORDER_B}", json=paypal_captured(ORDER_A, ref_a, CAPTURE_A))
    sweep(app.extensions["integration"], clock_ahead(STALE + 1))
    assert balance(client) == 10.5  # was 21.0


def test_a_google_pay_page_post_credits_nothing_for_a_capture_of_another_order(http):
    app = live_app(**USD, GOOGLE_PAY_PROCESSOR="paypal")
    client = app.test_client()
    ref_a = paypal_initiate(client, http, ORDER_A)
    http.add(
        responses.POST, f"{ORDERS_URL}/{ORDER_A}/capture", json=paypal_captured(ORDER_A, ref_a, CAPTURE_A), status=201
    )
    assert paypal_verify(client, ORDER_A).status_code == 200
    # A Google Pay top-up through PayPal: PayPal order ORDER_B.
    http.add(responses.POST, ORDERS_URL, json=paypal_created(ORDER_B), status=201)
    started = client.post(
        f"{BASE}/wallet/topup/initiate",
        json={"customer_id": "cust_a", "amount": "10.50", "payment_method": "google_pay"},
        headers=bearer("cust_a"),
    )
    assert started.status_code == 200, started.get_json()
    http.add(
        responses.POST, f"{ORDERS_URL}/{ORDER_B}/capture", json=paypal_captured(ORDER_A, ref_a, CAPTURE_A), status=201
    )
    posted = client.post(f"{BASE}/webhook/google-pay", json={"payment_order_id": ORDER_B})
    assert balance(client) == 10.5, posted.get_json()  # was 21.0


class AnsweringApi:
    """PayPal's API as the look-up sees it, answering `order` whatever order it is asked for."""

    def __init__(self, order):
        self.order = order

    def look_up_order(self, order_id):
        return self.order


ANOTHER_ORDERS = {
    "voided": {"id": "ORDERBBBBBBBBBBB2", "status": "VOIDED"},
    "declined": {
        "id": "ORDERBBBBBBBBBBB2",
        "status": "COMPLETED",
        "purchase_units": [{"payments": {"captures": [{"id": "CAPB", "status": "DECLINED", "custom_id": "wtp_b"}]}}],
    },
}


@pytest.mark.parametrize("answer", ANOTHER_ORDERS.values(), ids=ANOTHER_ORDERS.keys())
def test_a_look_up_answered_about_another_order_says_nothing_of_this_one(answer):
    """Found by a review: only a COMPLETED capture was checked to be this order's; another order's
    VOIDED status or declined capture failed this top-up, and the sweep stopped asking."""
    ours = PaymentOrder("ORDERAAAAAAAAAAA1", "wtp_ours", "paypal", "cust_a", 1050, "USD")
    with pytest.raises(GatewayUnavailable):
        PayPalGateway(AnsweringApi(answer), "WH-1").look_up(ours)
