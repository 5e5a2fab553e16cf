"""docs/openapi.yaml stays true to the app: same routes (API, simulator and live pages), every error
code the API can answer under its HTTP status, and webhook acknowledgements of exactly `{success: true}`."""

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from backend import create_app, errors
from backend.gateways.google_pay.simulator import payment_data, simulator_token
from backend.gateways.paypal.simulator import DEV_PAYPAL_WEBHOOK_ID, signed_headers
from tests.conftest import app_config
from tests.helpers import BASE, razorpay_event, signed_webhook

ROOT = Path(__file__).resolve().parents[3]
OPENAPI_PATH = ROOT / "docs" / "openapi.yaml"
BACKEND = ROOT / "backend"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
DASHBOARD_PREFIX = "/simulator/{gateway}/dashboard/"  # the simulated gateways' dashboards (admin only)
# Codes the JSON error handlers in backend/server.py produce for HTTP errors (404, 405, 413,
# 429 from the rate limiter) and for crashes.
HANDLER_CODES = {
    "not_found",
    "method_not_allowed",
    "payload_too_large",
    "rate_limited",
    "internal_error",
    "uri_too_long",
    "request_headers_too_large",
}
# The HTTP status each of those handlers answers with (backend/server.py).
HANDLER_STATUSES = {
    "not_found": 404,
    "method_not_allowed": 405,
    "payload_too_large": 413,
    "uri_too_long": 414,
    "request_headers_too_large": 431,
    "rate_limited": 429,
    "internal_error": 500,
    "invalid_request": 400,
    "store_unavailable": 503,
}


@pytest.fixture(scope="module")
def document():
    with open(OPENAPI_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def openapi_path(rule):
    """Flask's `/status/<customer_id>` (or `<string:x>`) as OpenAPI's `/status/{customer_id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def app_operations(url_map, prefix):
    return {
        (openapi_path(rule.rule), method.lower())
        for rule in url_map.iter_rules()
        if rule.rule.startswith(prefix)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def documented_operations(document, prefix):
    return {
        (path, method)
        for path, item in document["paths"].items()
        if path.startswith(prefix)
        for method in item
        if method in HTTP_METHODS
    }


def walk(node):
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from walk(child)


def documented_error_codes(document):
    """Every value an `error` property is narrowed to (`enum` or `const`) anywhere in the document."""
    codes = set()
    for node in walk(document):
        if isinstance(node, dict) and isinstance(node.get("properties"), dict):
            error = node["properties"].get("error")
            if isinstance(error, dict):
                codes.update(error.get("enum", []))
                if "const" in error:
                    codes.add(error["const"])
    return codes


def error_class_codes():
    """{class name: code} for the `code = "..."` attributes of backend/errors.py."""
    tree = ast.parse((BACKEND / "errors.py").read_text(encoding="utf-8"))
    return {
        cls.name: stmt.value.value
        for cls in tree.body
        if isinstance(cls, ast.ClassDef)
        for stmt in cls.body
        if isinstance(stmt, ast.Assign) and any(getattr(t, "id", None) == "code" for t in stmt.targets)
    }


def resolve(document, node):
    """`node` with its `$ref` (if any) followed, repeatedly."""
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def narrowed_codes(document, node):
    """The `error` codes a response narrows to, following `$ref`s."""
    codes, stack = set(), [node]
    while stack:
        node = resolve(document, stack.pop())
        if isinstance(node, dict):
            error = node.get("properties", {}).get("error") if isinstance(node.get("properties"), dict) else None
            if isinstance(error, dict):
                codes.update(error.get("enum", []))
                if "const" in error:
                    codes.add(error["const"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return codes


def operations(document):
    for path, item in document["paths"].items():
        for method in HTTP_METHODS & set(item):
            yield path, method, item[method]


def code_statuses():
    """{code: {HTTP statuses it is answered with}} from the error classes, `code=` overrides and handlers."""
    statuses = {}
    classes = [errors.IntegrationError]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        statuses.setdefault(cls.code, set()).add(cls.http_status)
    for name, code in re.findall(r"""\b([A-Z]\w*)\([^()]*\bcode=["']([a-z_]+)["']""", backend_sources()):
        statuses.setdefault(code, set()).add(getattr(errors, name).http_status)
    for code, status in HANDLER_STATUSES.items():
        statuses.setdefault(code, set()).add(status)
    return statuses


def backend_sources():
    return "\n".join(path.read_text(encoding="utf-8") for path in BACKEND.rglob("*.py") if path.name != "errors.py")


def test_document_parses_and_every_ref_resolves(document):
    assert str(document["openapi"]).startswith("3.1")
    for node in walk(document):
        if isinstance(node, dict) and "$ref" in node:
            target = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                assert isinstance(target, dict) and part in target, node["$ref"]
                target = target[part]
    for path, item in document["paths"].items():
        for method in HTTP_METHODS & set(item):
            assert item[method].get("responses"), (method, path)


def test_integration_routes_and_documented_operations_match(app, document):
    in_app = app_operations(app.url_map, "/api/integration/")
    in_document = documented_operations(document, "/api/integration/")
    # 9, the history and support reads, the support view's older pages, /gateways, withdrawals
    # (withdraw, a withdrawal, what is withdrawable), wallet limits (a wallet's limits, a customer's level)
    # holds (authorize, capture, void) and settlement (a settled day, settling a day)
    assert len(in_app) == 28, in_app
    assert in_app - in_document == set(), "routes missing from docs/openapi.yaml"
    assert in_document - in_app == set(), "documented operations the app does not have"


def test_checkout_pages_match_their_gateway_mode(app, document):
    # The `app` fixture runs in simulator mode; the live-mode pages are checked on a live-mode app.
    assert documented_operations(document, "/simulator/") == app_operations(app.url_map, "/simulator/")
    assert app_operations(app.url_map, "/checkout/") == set()  # no live pages in simulator mode
    simulator = app
    live = create_app(app_config(GATEWAY_MODE="live"))
    assert app_operations(live.url_map, "/simulator/") == set()  # no simulator pages in live mode
    assert documented_operations(document, "/simulator/") == app_operations(simulator.url_map, "/simulator/")
    assert documented_operations(document, "/checkout/") == app_operations(live.url_map, "/checkout/")
    pages = documented_operations(document, "/simulator/") - documented_operations(document, DASHBOARD_PREFIX)
    assert len(pages) == 9  # pay page, pay, fail × 3 gateways
    assert len(documented_operations(document, DASHBOARD_PREFIX)) == 4  # refund, reverse, dispute, resolve
    assert len(documented_operations(document, "/checkout/")) == 4  # razorpay, paypal return/cancel, google pay
    for path, method, operation in operations(document):
        if path.startswith(("/simulator/", "/checkout/")):
            # The pages are for a browser, without a token; the dashboards are for an admin.
            security = [{"bearerAuth": []}] if path.startswith(DASHBOARD_PREFIX) else []
            assert operation.get("security") == security, (method, path)
            assert set(operation["tags"]) == {"simulator" if path.startswith("/simulator/") else "checkout"}


def test_the_gateways_fields_are_documented(client, document):
    # Simulator mode (the `app` fixture): Razorpay and PayPal add what their dashboards offer.
    schema = document["components"]["schemas"]
    described = client.get(f"{BASE}/gateways").get_json()["gateways"]
    dashboards = [gateway["simulator_dashboard"] for gateway in described if "simulator_dashboard" in gateway]
    assert len(dashboards) == 2
    for gateway in described:
        assert set(schema["Gateway"]["required"]) <= set(gateway) <= set(schema["Gateway"]["properties"])
    for dashboard in dashboards:
        assert set(dashboard) == set(schema["SimulatorDashboard"]["required"])
        assert set(dashboard) == set(schema["SimulatorDashboard"]["properties"])


def test_path_parameters_are_declared(document):
    for path, method, operation in operations(document):
        parameters = [resolve(document, p) for p in operation.get("parameters", [])]
        declared = {p["name"] for p in parameters if p["in"] == "path"}
        assert declared == set(re.findall(r"{([^{}]+)}", path)), (method, path)
        for parameter in parameters:
            assert parameter["in"] != "path" or parameter["required"] is True, (method, path)


def test_redirects_document_their_location(document):
    redirects = set()
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if str(status).startswith("3"):
                redirects.add((path, method))
                assert "Location" in resolve(document, response).get("headers", {}), (method, path)
    assert len(redirects) == 8  # pay and fail × 3 simulators, PayPal's return and cancel


def test_every_error_code_is_documented_under_its_http_status(document):
    statuses = code_statuses()
    assert statuses["payment_not_captured"] == {409} and statuses["token_expired"] == {401}  # the scan works
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            for code in narrowed_codes(document, response):
                assert int(status) in statuses.get(code, set()), (method, path, status, code)


def test_webhook_acknowledgements_are_exactly_success_true(document, client):
    ack = document["components"]["schemas"]["WebhookAck"]
    assert ack["required"] == ["success"] and ack["additionalProperties"] is False
    assert ack["properties"] == {"success": {"const": True}}
    webhooks = [
        (path, operation) for path, method, operation in operations(document) if path.startswith(f"{BASE}/webhook/")
    ]
    assert len(webhooks) == 3
    for path, operation in webhooks:
        assert operation.get("security") == [], path
        assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/WebhookAck"
        }, path
    # What the app answers: an ignored event of each gateway (nothing is credited).
    razorpay_body, razorpay_headers = signed_webhook(razorpay_event("payment.authorized", "order_x", "pay_x", 100))
    paypal_body = json.dumps({"id": "WH-OPENAPI", "event_type": "CHECKOUT.ORDER.APPROVED"}).encode()
    gateway = client.application.extensions["integration"].payments.gateway("google_pay")
    answers = [
        client.post(f"{BASE}/webhook/razorpay", data=razorpay_body, headers=razorpay_headers),
        client.post(
            f"{BASE}/webhook/paypal", data=paypal_body, headers=signed_headers(paypal_body, DEV_PAYPAL_WEBHOOK_ID)
        ),
        client.post(
            f"{BASE}/webhook/google-pay",
            json={"payment_order_id": "gpay_unknown", "paymentData": payment_data(simulator_token(gateway))},
        ),
    ]
    for response in answers:
        assert (response.status_code, response.get_json()) == (200, {"success": True})


def test_every_error_code_the_api_can_answer_is_documented(document):
    class_codes = error_class_codes()
    sources = backend_sources()
    # A class's code can reach a response when the class is instantiated somewhere in backend/
    # (base classes such as Conflict never are), plus `code="..."` overrides (auth's token codes).
    raised = {code for name, code in class_codes.items() if re.search(rf"\b{name}\(", sources)}
    overrides = set(re.findall(r"""\bcode=["']([a-z_]+)["']""", sources))
    expected = raised | overrides | HANDLER_CODES
    assert {"invalid_amount", "idempotency_key_reused", "token_expired"} <= expected  # the scan works
    documented = documented_error_codes(document)
    assert expected - documented == set(), "error codes missing from docs/openapi.yaml"
    known = set(class_codes.values()) | overrides | HANDLER_CODES
    assert documented - known == set(), "documented error codes the code never produces"
