"""Hostile input is a 400, never a 500: amounts that are not exact positive two-decimal values (or that
underflow), signed webhooks with impossible amounts, and JSON nested beyond the limit."""

import pytest

from tests.helpers import BASE, WEBHOOK_PATH, bearer, razorpay_event, signed_webhook, snapshot
from tests.integration.support import assert_error, balance_minor, initiated

INITIATE = f"{BASE}/wallet/topup/initiate"


def post_raw(client, path, text, headers):
    return client.post(path, data=text.encode(), headers=dict(headers, **{"Content-Type": "application/json"}))


def test_a_number_beyond_reading_in_a_field_nobody_reads_is_ignored(client):
    for number in ("1e9999999999999999999", "9" * 5000):
        body = f'{{"customer_id": "cust_amt", "amount": "2.50", "note": {number}}}'
        response = post_raw(client, INITIATE, body, bearer("cust_amt"))
        assert response.status_code == 200, response.get_json()


# --- tiny and over-precise amounts -------------------------------------------------------------
@pytest.mark.parametrize(
    "amount",
    [
        "1e-100000000",
        "1E-30",
        "0.000",
        "-0",
        "249.99999999999999999999999999999",
        "250.000000000000000000000000000001",
        "1e-3",
        "1.005",
        "10000000.001",
        "1e100000000",
        "0e5",
        "1" * 5000,  # more digits than Python reads into an int: was "not a JSON object"
    ],
)
def test_initiate_refuses_amounts_that_are_not_exact_positive_two_decimal_values(client, db, amount):
    before = snapshot(db)
    body = f'{{"customer_id": "cust_amt", "amount": {amount}, "payment_method": "razorpay"}}'
    assert_error(post_raw(client, INITIATE, body, bearer("cust_amt")), 400, "invalid_amount")
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "amount, minor",
    [("250.00", 25000), ("2.5E+2", 25000), ("1.50", 150), ("10000000", 1000000000), ("0.01", 1), ("249.990", 24999)],
)
def test_exact_amounts_are_accepted_whatever_their_notation(client, amount, minor):
    body = f'{{"customer_id": "cust_amt", "amount": {amount}, "payment_method": "razorpay"}}'
    response = post_raw(client, INITIATE, body, bearer("cust_amt"))
    assert response.status_code == 200, response.get_json()
    assert round(response.get_json()["amount"] * 100) == minor


@pytest.mark.parametrize("path", ["/order/pay-with-wallet", "/order/refund-to-wallet"])
def test_pay_and_refund_refuse_an_underflowing_amount(api, client, path):
    body = '{"order_id": "ord_x", "customer_id": "cust_amt", "amount": 1e-100000000, "reason": "x"}'
    assert_error(post_raw(client, BASE + path, body, bearer("admin_1", "admin")), 400, "invalid_amount")


# --- impossible amounts and deep nesting --------------------------------------------------------
@pytest.mark.parametrize("amount_minor", [10**30, 2**63, -5000, 0])
def test_signed_webhook_with_an_impossible_amount_is_400_and_credits_nothing(api, client, db, amount_minor):
    payment_order_id = initiated(api, "cust_wh", 50)
    body, headers = signed_webhook(razorpay_event("payment.captured", payment_order_id, "pay_big", amount_minor))
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "invalid_amount")
    assert balance_minor(db, "cust_wh") == 0


@pytest.mark.parametrize(
    "path", ["/webhook/razorpay", "/webhook/paypal", "/webhook/google-pay", "/wallet/topup/initiate"]
)
def test_a_body_nested_50000_levels_deep_is_400(client, path):
    text = "[" * 50000 + "]" * 50000
    body, headers = signed_webhook({})  # a signature over something else: the depth is refused first
    headers = dict(headers, **bearer("cust_deep"))
    assert_error(post_raw(client, BASE + path, text, headers), 400, "invalid_request")


def test_a_signed_razorpay_webhook_nested_beyond_the_limit_is_400(client):
    event = razorpay_event("payment.captured", "order_x", "pay_x", 100)
    nested = {}
    for _ in range(40):
        nested = {"n": nested}
    event["payload"]["payment"]["entity"]["notes"] = nested
    body, headers = signed_webhook(event)
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "invalid_request")


def test_json_nested_within_the_limit_is_read(client):
    nested = "[" * 20 + "]" * 20
    body = f'{{"customer_id": "cust_n", "amount": "5", "payment_method": "razorpay", "extra": {nested}}}'
    assert post_raw(client, INITIATE, body, bearer("cust_n")).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/simulator/razorpay/dashboard/payments/pay_x9/refund",
        "/simulator/razorpay/dashboard/payments/pay_x9/dispute",
        "/simulator/paypal/dashboard/payments/CAPX9/reverse",
        "/simulator/razorpay/dashboard/disputes/disp_x9/resolve",
    ],
)
@pytest.mark.parametrize("field", ["$where", "$gt"])
def test_a_simulator_dashboard_refuses_an_operator_field_and_writes_nothing(client, db, path, field):
    """Found by a red-team pass: the dashboards read their body without the `$` field check every
    API body has, answered 200 and acted."""
    body = {"amount": 1, "currency": "INR", field: "1", "payment_id": "pay_x9", "outcome": "won"}
    before = snapshot(db)
    response = client.post(path, json=body, headers=bearer("admin_1", "admin"))
    assert_error(response, 400, "invalid_request")
    assert snapshot(db) == before


@pytest.mark.parametrize("raw", [b"[]", b"{bad", b'{"$where": 1}'])
def test_a_customer_refunding_is_403_whatever_the_body(client, db, raw):
    """Found by a red-team pass: the body was read before the role, so a customer was told 400."""
    before = snapshot(db)
    response = client.post(
        f"{BASE}/order/refund-to-wallet", data=raw, content_type="application/json", headers=bearer("cust_a")
    )
    assert_error(response, 403, "forbidden")
    assert snapshot(db) == before
