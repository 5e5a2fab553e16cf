"""CORS on /api/*: every answer's CORS headers are flask-cors's own, although a request without an
`Origin` header skips flask-cors when the origins are listed (backend/server.py, `register_cors`).
Each request below goes to the app as built and to the same app with flask-cors's hook on every
request, and both must answer the same headers."""

import pytest
from flask_cors import CORS

import backend.server as server
from backend import create_app
from tests.conftest import app_config
from tests.helpers import BASE, bearer

CORS_HEADERS = (
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Methods",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
    "Access-Control-Allow-Credentials",
    "Vary",
)
SHOP = "https://shop.example.com"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,idempotency-key"}
REQUESTS = [
    ("GET", f"{BASE}/health", {}),
    ("GET", f"{BASE}/health", {"Origin": SHOP}),
    ("GET", f"{BASE}/health", {"Origin": "https://elsewhere.example.com"}),
    ("GET", f"{BASE}/status/cust_1", {"Origin": SHOP, **bearer("cust_1")}),
    ("GET", f"{BASE}/status/cust_1", bearer("cust_2")),
    ("POST", f"{BASE}/order/pay-with-wallet", {"Origin": SHOP, **bearer("cust_1")}),
    ("POST", f"{BASE}/order/pay-with-wallet", bearer("cust_1")),
    ("OPTIONS", f"{BASE}/order/pay-with-wallet", {"Origin": SHOP, **PREFLIGHT}),
    ("OPTIONS", f"{BASE}/order/pay-with-wallet", PREFLIGHT),
    ("OPTIONS", f"{BASE}/order/pay-with-wallet", {"Origin": "https://elsewhere.example.com", **PREFLIGHT}),
    ("GET", f"{BASE}/no-such-endpoint", {"Origin": SHOP}),
    ("GET", f"{BASE}/no-such-endpoint", {}),
    ("GET", "/metrics", {"Origin": SHOP}),
]


def flask_cors_on_every_request(app):
    """backend/server.py's CORS registration as it was: flask-cors's hook, whatever the request."""
    CORS(
        app,
        resources={r"/api/*": {"origins": server.cors_origins(app.config)}},
        expose_headers=["Idempotency-Key"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
    )


def answers(app):
    client = app.test_client()
    found = []
    for method, path, headers in REQUESTS:
        response = client.open(path, method=method, headers=headers, json={} if method == "POST" else None)
        found.append((method, path, sorted(headers), {h: response.headers.get(h) for h in CORS_HEADERS}))
    return found


@pytest.mark.parametrize("origins", [SHOP, f"{SHOP},https://admin.example.com", "", "*"])
def test_every_answer_carries_the_cors_headers_flask_cors_gives_it(monkeypatch, origins):
    built = answers(create_app(app_config(CORS_ORIGINS=origins)))
    monkeypatch.setattr(server, "register_cors", flask_cors_on_every_request)
    assert built == answers(create_app(app_config(CORS_ORIGINS=origins)))


def test_a_listed_origin_is_answered_and_a_request_without_origin_gets_no_cors_header():
    client = create_app(app_config(CORS_ORIGINS=SHOP)).test_client()
    asked = client.get(f"{BASE}/health", headers={"Origin": SHOP})
    assert asked.headers["Access-Control-Allow-Origin"] == SHOP
    assert asked.headers["Access-Control-Expose-Headers"] == "Idempotency-Key"
    unasked = client.get(f"{BASE}/health")
    assert not [h for h in unasked.headers.keys() if h.startswith("Access-Control-")]
    preflight = client.options(f"{BASE}/order/pay-with-wallet", headers={"Origin": SHOP, **PREFLIGHT})
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert set(preflight.headers["Access-Control-Allow-Headers"].lower().split(", ")) == {
        "authorization",
        "idempotency-key",
    }
