"""Errors for anything else: unknown routes, wrong methods, bodies too large, unexpected and store errors,
always the JSON error shape and never a stack trace (SPEC §5)."""

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from tests.helpers import BASE, bearer, snapshot
from tests.integration.support import assert_error, assert_no_stack_trace

ADMIN = bearer("admin_1", "admin")
MIB = 1024 * 1024


# --- 10. errors for anything else --------------------------------------------------------------
@pytest.mark.parametrize(
    "method, path",
    [
        ("get", f"{BASE}/nope"),
        ("post", f"{BASE}/nope"),
        ("post", f"{BASE}/wallet/topup"),
        ("get", f"{BASE}/status"),
        ("get", f"{BASE}/status/"),
        ("post", f"{BASE}/webhook/stripe"),
        ("get", "/api"),
        ("post", "/api/integration"),
        ("get", f"{BASE}//status/cust_a"),  # not redirected (an HTML page, to a Location built from Host)
        ("post", f"{BASE}/order//pay-with-wallet"),
        ("get", "/simulator//razorpay/checkout/order_x"),
    ],
)
def test_unknown_route_404(client, db, method, path):
    before = snapshot(db)
    response = getattr(client, method)(path, headers=bearer("cust_a"))
    assert_error(response, 404, "not_found")
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/wallet/topup/initiate"),
        ("get", "/wallet/topup/verify"),
        ("get", "/order/pay-with-wallet"),
        ("get", "/order/refund-to-wallet"),
        ("get", "/webhook/razorpay"),
        ("put", "/wallet/topup/initiate"),
        ("delete", "/order/refund-to-wallet"),
        ("patch", "/order/pay-with-wallet"),
        ("post", "/status/cust_a"),
        ("delete", "/status/cust_a"),
        ("post", "/health"),
    ],
)
def test_wrong_method_405(client, db, method, path):
    before = snapshot(db)
    response = getattr(client, method)(BASE + path, headers=bearer("cust_a"))
    assert_error(response, 405, "method_not_allowed")
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert ("GET" if path.startswith(("/status", "/health")) else "POST") in allowed
    assert method.upper() not in allowed
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/wallet/topup/initiate", bearer("cust_a")),
        ("/wallet/topup/verify", bearer("cust_a")),
        ("/order/pay-with-wallet", bearer("cust_a")),
        ("/order/refund-to-wallet", ADMIN),
        ("/webhook/razorpay", {}),
    ],
)
def test_body_over_1_mib_413(client, db, path, headers):
    before = snapshot(db)
    raw = b'{"customer_id":"cust_a","amount":10,"pad":"' + b"x" * MIB + b'"}'
    response = client.post(BASE + path, data=raw, headers=headers, content_type="application/json")
    assert_error(response, 413, "payload_too_large")
    assert snapshot(db) == before


@pytest.mark.parametrize("path", ["/wallet/topup/initiate", "/order/refund-to-wallet", "/wallet/withdraw"])
def test_body_over_1_mib_is_413_before_the_token_is_looked_at(client, db, path):
    before = snapshot(db)
    raw = b'{"pad":"' + b"x" * MIB + b'"}'
    assert_error(client.post(BASE + path, data=raw, content_type="application/json"), 413, "payload_too_large")
    assert snapshot(db) == before


def test_body_just_under_1_mib_accepted(client, db):
    head, tail = b'{"customer_id":"cust_a","amount":10,"pad":"', b'"}'
    raw = head + b"x" * (MIB - len(head) - len(tail)) + tail
    assert len(raw) == MIB
    response = client.post(
        f"{BASE}/wallet/topup/initiate", data=raw, headers=bearer("cust_a"), content_type="application/json"
    )
    assert response.status_code == 200, response.get_json()


def test_unexpected_error_500_without_stack_trace(api, db, integration, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom: mongodb://admin:hunter2@db-secret-host")

    monkeypatch.setattr(integration, "initiate_wallet_topup_payment", broken)
    before = snapshot(db)
    response = api.initiate("cust_a", 10)
    assert_error(response, 500, "internal_error")
    assert_no_stack_trace(response)
    text = response.get_data(as_text=True)
    assert "hunter2" not in text and "db-secret-host" not in text and "boom" not in text
    assert snapshot(db) == before


def test_failing_route_500_json(app, client):
    def failing():
        raise KeyError("internal detail")

    app.add_url_rule("/api/integration/_test_failure", "test_failure", failing)
    response = client.get("/api/integration/_test_failure")
    assert_error(response, 500, "internal_error")
    assert_no_stack_trace(response)
    assert "internal detail" not in response.get_data(as_text=True)


def test_store_error_on_route_503_without_driver_text(api, integration, monkeypatch):
    def down(*args, **kwargs):
        raise ServerSelectionTimeoutError("db-secret-host:27017: [Errno 111] Connection refused")

    monkeypatch.setattr(integration, "get_integration_status", down)
    response = api.status("cust_a")
    assert_error(response, 503, "store_unavailable")
    assert "db-secret-host" not in response.get_data(as_text=True)
