"""Every response carries a request id (generated, or the caller's when well formed, and in the audit
log and log lines) and the security headers; HSTS in production; Retry-After only on 429."""

import logging

import pytest
from flask import Flask

from backend import create_app
from tests.conftest import app_config
from tests.helpers import BASE, WEBHOOK_PATH, bearer, razorpay_event, signed_webhook
from tests.integration.support import initiated

INITIATE = f"{BASE}/wallet/topup/initiate"


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


def test_a_refused_request_leaves_a_log_line_saying_why(api, client, db, caplog):
    """Found by an on-call walk-through: a payment refused (402, 409), a refund over what was paid, a
    forged checkout signature left no line anywhere; only a counter of 4xx said something happened."""
    order_id = api.add_order("cust_poor", 5000)
    with caplog.at_level(logging.INFO, logger="integration.http"):
        response = client.post(
            f"{BASE}/order/pay-with-wallet",
            json={"order_id": order_id, "customer_id": "cust_poor", "amount": "50.00"},
            headers={**bearer("cust_poor"), "X-Request-ID": "trace-refused-1"},
        )
    assert response.status_code == 402
    [line] = [r for r in caplog.records if r.name == "integration.http"]
    assert line.levelno == logging.INFO and line.request_id == "trace-refused-1"
    assert line.getMessage().startswith("POST /api/integration/order/pay-with-wallet refused: 402 insufficient_funds (")


def test_a_rejected_webhook_is_audited_with_which_check_refused_it(client, db):
    body, headers = signed_webhook(razorpay_event("payment.captured", "order_x", "pay_x", 500))
    del headers["X-Razorpay-Signature"]
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 400
    rejected = db["integration_logs"].find_one({"event": "webhook.rejected"})
    assert (rejected["error"], rejected["reason"]) == ("invalid_signature", "Missing X-Razorpay-Signature header.")


def test_an_audit_entry_names_who_acted(api, client, db):
    """Found by an on-call walk-through: an admin's refund named the customer and not the admin."""
    api.topup("cust_act", "100.00")  # a webhook: nobody's token
    order_id = api.add_order("cust_act", 4000)
    assert api.pay(order_id, "cust_act", "40.00").status_code == 200
    refund = {"order_id": order_id, "customer_id": "cust_act", "amount": "10.00", "reason": "damaged"}
    assert (
        client.post(f"{BASE}/order/refund-to-wallet", json=refund, headers=bearer("admin_7", "admin")).status_code
        == 200
    )
    actors = {e["event"]: e.get("actor") for e in db["integration_logs"].find({"customer_id": "cust_act"})}
    assert actors == {"wallet.credited": None, "order.paid": "customer:cust_act", "order.refunded": "admin:admin_7"}


def test_a_refused_paths_line_breaks_cannot_forge_a_log_line(client, caplog):
    """Found by a review: the path was logged as it came, `%0A` decoded to a line break."""
    with caplog.at_level(logging.INFO, logger="integration.http"):
        response = client.get(f"{BASE}/status/x%0A2026-12-05%2009:00:00,000%20INFO%20integration%20FAKE")
    assert response.status_code == 401
    [line] = [r.getMessage() for r in caplog.records if r.name == "integration.http"]
    assert "\n" not in line and line.startswith("GET /api/integration/status/x\\x0a2026-12-05 09:00:00,000 INFO")


def test_a_simulators_webhook_handled_within_a_customers_request_is_nobodys_doing(api, client, db):
    """Found by a review: inline delivery (the tests', the embedded default's dashboard) audited the
    gateway's webhook as the customer's (`actor`)."""
    api.topup("cust_inline", "60.00")
    assert (
        api.post(
            "/wallet/withdraw", {"customer_id": "cust_inline", "amount": "10.00"}, bearer("cust_inline")
        ).status_code
        == 202
    )
    webhook_entries = list(db["integration_logs"].find({"event": {"$regex": "^gateway_refund"}}))
    assert webhook_entries and all("actor" not in e for e in webhook_entries)
    requested = db["integration_logs"].find_one({"event": "withdrawal.requested"})
    assert requested["actor"] == "customer:cust_inline"


@pytest.mark.parametrize(
    "path, method, status, code",
    [("/api/integration/nope", "get", 404, "not_found"), (INITIATE, "get", 405, "method_not_allowed")],
)
def test_a_refusal_before_any_view_leaves_its_log_line_too(client, caplog, path, method, status, code):
    with caplog.at_level(logging.INFO, logger="integration.http"):
        assert getattr(client, method)(path).status_code == status
    [line] = [r.getMessage() for r in caplog.records if r.name == "integration.http"]
    assert line.startswith(f"{method.upper()} {path} refused: {status} {code} (")
