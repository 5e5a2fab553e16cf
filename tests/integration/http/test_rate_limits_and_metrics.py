"""Rate limits (429 rate_limited) and the Prometheus /metrics endpoint."""

import re
import time
import urllib.request

import pytest

from backend import create_app
from backend.errors import ConfigError
from backend.limits import DEFAULT_LIMIT, MONEY_LIMIT, WEBHOOK_LIMIT, WINDOW_SECONDS, per_window
from backend.worker_metrics import serve_worker_events
from tests.conftest import app_config
from tests.helpers import bearer, snapshot
from tests.integration.support import assert_error
from tests.mongoeco_support import free_port

MONEY_LIMIT_PER_MINUTE = int(MONEY_LIMIT.split()[0])
VERIFY = "/api/integration/wallet/topup/verify"
HEALTH = "/api/integration/health"


@pytest.fixture
def limited_client():
    return create_app(app_config(RATE_LIMITS_ENABLED="true")).test_client()


def test_money_calls_over_the_limit_get_429(limited_client):
    for _ in range(MONEY_LIMIT_PER_MINUTE):
        assert limited_client.post(VERIFY, json={}, headers=bearer("cust_l")).status_code == 400
    response = limited_client.post(VERIFY, json={}, headers=bearer("cust_l"))
    assert_error(response, 429, "rate_limited")
    assert response.headers["Retry-After"]


def test_a_limited_request_writes_nothing(limited_client):
    app = limited_client.application
    for _ in range(MONEY_LIMIT_PER_MINUTE):
        limited_client.post(VERIFY, json={}, headers=bearer("cust_l"))
    before = snapshot(app.extensions["wallet_db"])
    body = {"customer_id": "cust_l", "amount": 10}
    response = limited_client.post("/api/integration/wallet/topup/initiate", json=body, headers=bearer("cust_l"))
    assert response.status_code == 200  # each endpoint counts on its own
    after_initiate = snapshot(app.extensions["wallet_db"])
    assert after_initiate != before
    assert_error(limited_client.post(VERIFY, json={}, headers=bearer("cust_l")), 429, "rate_limited")
    assert snapshot(app.extensions["wallet_db"]) == after_initiate


def test_limited_answers_say_the_limit_what_is_left_and_when_it_resets(limited_client):
    before = time.time()
    first = limited_client.post(VERIFY, json={}, headers=bearer("cust_l"))
    assert first.headers["X-RateLimit-Limit"] == str(MONEY_LIMIT_PER_MINUTE)
    assert first.headers["X-RateLimit-Remaining"] == str(MONEY_LIMIT_PER_MINUTE - 1)
    assert before + WINDOW_SECONDS <= int(first.headers["X-RateLimit-Reset"]) <= time.time() + WINDOW_SECONDS + 1
    assert "Retry-After" not in first.headers
    for _ in range(MONEY_LIMIT_PER_MINUTE - 1):
        limited_client.post(VERIFY, json={}, headers=bearer("cust_l"))
    refused = limited_client.post(VERIFY, json={}, headers=bearer("cust_l"))
    assert refused.status_code == 429 and refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-RateLimit-Reset"] == first.headers["X-RateLimit-Reset"]  # one window
    assert 1 <= int(refused.headers["Retry-After"]) <= WINDOW_SECONDS


def test_webhooks_and_other_endpoints_have_their_own_limits(limited_client):
    assert limited_client.get(HEALTH).headers["X-RateLimit-Limit"] == str(per_window(DEFAULT_LIMIT))
    webhook = limited_client.post("/api/integration/webhook/razorpay", data=b"{}")
    assert webhook.headers["X-RateLimit-Limit"] == str(per_window(WEBHOOK_LIMIT))


def test_the_limit_lets_requests_through_again_once_its_window_is_over(limited_client, monkeypatch):
    now = [time.time()]
    monkeypatch.setattr(limited_client.application.extensions["rate_limits"], "clock", lambda: now[0])
    for _ in range(MONEY_LIMIT_PER_MINUTE):
        limited_client.post(VERIFY, json={}, headers=bearer("cust_l"))
    now[0] += WINDOW_SECONDS - 1
    assert_error(limited_client.post(VERIFY, json={}, headers=bearer("cust_l")), 429, "rate_limited")
    now[0] += 1
    assert limited_client.post(VERIFY, json={}, headers=bearer("cust_l")).status_code == 400


def test_each_client_address_counts_on_its_own(limited_client):
    for _ in range(MONEY_LIMIT_PER_MINUTE):
        limited_client.post(VERIFY, json={}, headers=bearer("cust_l"))
    assert_error(limited_client.post(VERIFY, json={}, headers=bearer("cust_l")), 429, "rate_limited")
    other = limited_client.post(VERIFY, json={}, headers=bearer("cust_l"), environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 400


def test_a_request_matching_no_endpoint_counts_nowhere(limited_client):
    response = limited_client.get("/api/integration/no-such-endpoint")
    assert response.status_code == 404 and "X-RateLimit-Limit" not in response.headers


def test_a_rate_limit_storage_other_than_memory_or_redis_is_refused():
    with pytest.raises(ConfigError, match="RATE_LIMIT_STORAGE_URI"):
        create_app(app_config(RATE_LIMITS_ENABLED="true", RATE_LIMIT_STORAGE_URI="memcached://127.0.0.1:11211"))


def test_limits_are_off_in_tests_by_default(client):
    codes = {
        client.post(VERIFY, json={}, headers=bearer("cust_l")).status_code for _ in range(MONEY_LIMIT_PER_MINUTE + 5)
    }
    assert codes == {400}
    assert "X-RateLimit-Limit" not in client.post(VERIFY, json={}, headers=bearer("cust_l")).headers


def test_metrics_expose_requests_and_money_events(api, client):
    api.topup("cust_m", "15")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'wallet_audit_events_total{event="wallet.credited",outcome="ok"} 1.0' in text
    assert (
        'wallet_http_requests_total{endpoint="integration.initiate_wallet_topup",method="POST",status="200"} 1.0'
        in text
    )
    assert "wallet_http_request_duration_seconds_bucket" in text


def test_metrics_count_rejected_webhooks(client):
    client.post("/api/integration/webhook/razorpay", data=b"{}", headers={"X-Razorpay-Signature": "00"})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'wallet_audit_events_total{event="webhook.rejected",outcome="rejected"} 1.0' in text


def test_metrics_say_their_content_type_once(client):
    assert client.get("/metrics").headers["Content-Type"] == "text/plain; version=1.0.0; charset=utf-8"


def test_made_up_http_methods_share_one_method_label(client):
    for method in ("FOO", "BREW", "X" * 40):
        assert client.open("/api/integration/health", method=method).status_code == 405
    client.open("/api/integration/health", method="PATCH")
    client.get("/api/integration/health")
    text = client.get("/metrics").get_data(as_text=True)
    methods = set(re.findall(r'^wallet_http_requests_total\{[^}]*method="([^"]*)"', text, re.M))
    assert methods == {"GET", "PATCH", "other"}, methods
    assert re.search(r'^wallet_http_requests_total\{[^}]*method="other"[^}]*status="405"\} 3\.0$', text, re.M), text


def flask_testing_pattern_app():
    """An app made as Flask's testing docs make one: `create_app()`, then TESTING set on it. The rate
    limits and the simulators' delivery are left to their defaults."""
    config = app_config(TESTING=False)
    del config["SIMULATOR_WEBHOOK_DELIVERY"]
    app = create_app(config)
    app.config.update({"TESTING": True})
    return app


def test_testing_set_after_create_app_turns_the_default_limits_off():
    client = flask_testing_pattern_app().test_client()
    for _ in range(MONEY_LIMIT_PER_MINUTE + 5):
        assert client.post(VERIFY, json={}, headers=bearer("cust_l")).status_code == 400


def test_testing_set_after_create_app_makes_the_simulators_post_through_the_app():
    app = flask_testing_pattern_app()
    client = app.test_client()
    body = {"customer_id": "cust_t", "amount": "7.00"}
    initiated = client.post("/api/integration/wallet/topup/initiate", json=body, headers=bearer("cust_t"))
    payment_order_id = initiated.get_json()["payment_order_id"]
    assert client.post(f"/simulator/razorpay/checkout/{payment_order_id}/pay").status_code == 303
    status = client.get("/api/integration/status/cust_t", headers=bearer("cust_t")).get_json()
    assert status["wallet"]["balance"] == 7


def test_the_default_limits_count_when_not_testing():
    config = app_config(TESTING=False)
    client = create_app(config).test_client()
    codes = [
        client.post(VERIFY, json={}, headers=bearer("cust_l")).status_code for _ in range(MONEY_LIMIT_PER_MINUTE + 1)
    ]
    assert codes[-1] == 429 and set(codes[:-1]) == {400}


def test_limits_asked_for_stay_on_under_testing():
    client = create_app(app_config(RATE_LIMITS_ENABLED="true")).test_client()
    codes = [
        client.post(VERIFY, json={}, headers=bearer("cust_l")).status_code for _ in range(MONEY_LIMIT_PER_MINUTE + 1)
    ]
    assert codes[-1] == 429


def test_the_worker_serves_its_own_audit_events_and_no_store_gauges():
    app = create_app(app_config(HOST="127.0.0.1", WORKER_METRICS_PORT=str(free_port())))
    server = serve_worker_events(app)
    try:
        app.extensions["metrics"].audit_event("sweep.credited", "ok")
        text = urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/metrics", timeout=5).read().decode()
    finally:
        server.shutdown()
    assert 'wallet_audit_events_total{event="sweep.credited",outcome="ok"} 1.0' in text
    assert "wallet_store_up" not in text and "wallet_http_requests_total" not in text
