"""Hostile input never reaches a 500, amounts are exact, tokens have a bounded lifetime, and every
response carries a request id and the security headers (findings 4, 5, 7 and 8 of "fail closed")."""

import datetime
import logging

import jwt
import pytest
from flask import Flask

from backend import create_app
from tests.conftest import app_config
from tests.helpers import BASE, TEST_JWT_SECRET, WEBHOOK_PATH, bearer, razorpay_event, signed_webhook, snapshot
from tests.integration.support import assert_error, balance_minor, initiated

INITIATE = f"{BASE}/wallet/topup/initiate"


def post_raw(client, path, text, headers):
    return client.post(path, data=text.encode(), headers=dict(headers, **{"Content-Type": "application/json"}))


# --- finding 4: tiny and over-precise amounts --------------------------------------------------
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


# --- finding 5: signed webhooks that answered 500 ---------------------------------------------
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


# --- finding 7: request ids and security headers -----------------------------------------------
def test_every_response_carries_a_generated_request_id(client):
    ids = set()
    for response in (
        client.get(f"{BASE}/health"),
        client.get(f"{BASE}/nope"),
        client.get("/metrics"),
        client.post(INITIATE, json={}, headers=bearer("cust_r")),
    ):
        request_id = response.headers.get("X-Request-ID", "")
        assert 1 <= len(request_id) <= 128, response.headers
        ids.add(request_id)
    assert len(ids) == 4


@pytest.mark.parametrize(
    "incoming, echoed",
    [
        ("req-1234_abc.DEF:9", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("", False),
        ("bad id", False),
        ("a/b", False),
        ("ünï", False),
    ],
)
def test_an_incoming_request_id_is_echoed_only_when_well_formed(client, incoming, echoed):
    response = client.get(f"{BASE}/health", headers={"X-Request-ID": incoming})
    assert (response.headers["X-Request-ID"] == incoming) is echoed
    assert 1 <= len(response.headers["X-Request-ID"]) <= 128


def test_the_request_id_is_in_the_audit_log_and_the_log_lines(api, client, db, caplog):
    payment_order_id = initiated(api, "cust_rid", 5)
    body, headers = signed_webhook(razorpay_event("payment.captured", payment_order_id, "pay_rid", 500))
    with caplog.at_level(logging.INFO, logger="integration"):
        response = client.post(WEBHOOK_PATH, data=body, headers=dict(headers, **{"X-Request-ID": "trace-rid-1"}))
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "trace-rid-1"
    logged = list(db["integration_logs"].find({"request_id": "trace-rid-1"}))
    assert [entry["event"] for entry in logged] == ["wallet.credited"]  # the webhook's one record
    lines = [record for record in caplog.records if getattr(record, "request_id", None) == "trace-rid-1"]
    assert lines and all(
        "trace-rid-1" in logging.Formatter("%(request_id)s %(message)s").format(record) for record in lines
    )
    assert any('"event": "webhook.received"' in record.getMessage() for record in lines)


def test_security_headers_on_api_pages_and_errors(api, client):
    payment_order_id = initiated(api, "cust_h", 5)
    responses = {
        "api": client.get(f"{BASE}/status/cust_h", headers=bearer("cust_h")),
        "api error": client.post(INITIATE, json={}, headers=bearer("cust_h")),
        "api 404": client.get(f"{BASE}/nope"),
        "simulator page": client.get(f"/simulator/razorpay/checkout/{payment_order_id}"),
        "metrics": client.get("/metrics"),
    }
    for name, response in responses.items():
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "no-referrer", name
        assert "Strict-Transport-Security" not in response.headers, name  # development
    for name in ("api", "api error", "api 404"):
        assert response_has_no_store(responses[name]), name
    page = responses["simulator page"]
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def response_has_no_store(response):
    return "no-store" in response.headers.get("Cache-Control", "")


def test_production_responses_carry_hsts():
    from backend import http_headers

    app = Flask(__name__)
    app.config.update(APP_ENV="production")
    http_headers.init_app(app)
    app.add_url_rule("/api/integration/x", "x", lambda: "ok")
    response = app.test_client().get("/api/integration/x")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "no-store" in response.headers["Cache-Control"]


def test_retry_after_only_on_429():
    limited = create_app(app_config(RATE_LIMITS_ENABLED="true")).test_client()
    ok = limited.get(f"{BASE}/health")
    assert ok.status_code == 200 and "Retry-After" not in ok.headers
    for _ in range(30):
        limited.post(f"{BASE}/wallet/topup/verify", json={}, headers=bearer("cust_l"))
    refused = limited.post(f"{BASE}/wallet/topup/verify", json={}, headers=bearer("cust_l"))
    assert refused.status_code == 429 and refused.headers["Retry-After"]


# --- finding 8: tokens without a lifetime bound ------------------------------------------------
def signed(claims):
    return {"Authorization": "Bearer " + jwt.encode(claims, TEST_JWT_SECRET, algorithm="HS256")}


def now():
    return datetime.datetime.now(datetime.UTC)


@pytest.mark.parametrize(
    "make_claims",
    [
        lambda: {"exp": int(now().timestamp()) + 10**10},
        lambda: {"exp": now() + datetime.timedelta(seconds=24 * 3600 + 120)},
        lambda: {"exp": str(int(now().timestamp()) + 600)},
        lambda: {"exp": True},
        lambda: {"exp": now() + datetime.timedelta(seconds=600), "iat": now() + datetime.timedelta(seconds=600)},
    ],
    ids=["exp 10^10 s ahead", "exp beyond 24 h", "exp a numeric string", "exp a boolean", "iat in the future"],
)
def test_tokens_beyond_the_lifetime_bound_are_refused(client, make_claims):
    claims = dict({"sub": "cust_t", "role": "customer"}, **make_claims())  # made now, not at collection
    assert_error(client.get(f"{BASE}/status/cust_t", headers=signed(claims)), 401, "invalid_token")


def test_tokens_within_the_bound_are_accepted(client):
    claims = {"sub": "cust_t", "role": "customer", "exp": now() + datetime.timedelta(hours=23), "iat": now()}
    assert client.get(f"{BASE}/status/cust_t", headers=signed(claims)).status_code == 200


def test_the_lifetime_bound_is_configurable():
    app = create_app(app_config(JWT_MAX_LIFETIME_SECONDS="600"))
    claims = {"sub": "cust_t", "role": "customer", "exp": now() + datetime.timedelta(seconds=1200)}
    assert_error(app.test_client().get(f"{BASE}/status/cust_t", headers=signed(claims)), 401, "invalid_token")
