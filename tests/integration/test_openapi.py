"""docs/openapi.yaml stays true to the app: same routes, every error code the API can answer."""
import ast
import re
from pathlib import Path

import pytest
import yaml
from flask import Flask

from backend.server import LIVE_CHECKOUT_PAGES

ROOT = Path(__file__).resolve().parents[2]
OPENAPI_PATH = ROOT / "docs" / "openapi.yaml"
BACKEND = ROOT / "backend"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Codes the JSON error handlers in backend/server.py produce for HTTP errors (404, 405, 413,
# 429 from the rate limiter) and for crashes.
HANDLER_CODES = {"not_found", "method_not_allowed", "payload_too_large", "rate_limited",
                 "internal_error"}


@pytest.fixture(scope="module")
def document():
    with open(OPENAPI_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def openapi_path(rule):
    """Flask's `/status/<customer_id>` (or `<string:x>`) as OpenAPI's `/status/{customer_id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def app_operations(url_map, prefix):
    return {(openapi_path(rule.rule), method.lower())
            for rule in url_map.iter_rules() if rule.rule.startswith(prefix)
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def documented_operations(document, prefix):
    return {(path, method) for path, item in document["paths"].items() if path.startswith(prefix)
            for method in item if method in HTTP_METHODS}


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
    return {cls.name: stmt.value.value
            for cls in tree.body if isinstance(cls, ast.ClassDef)
            for stmt in cls.body
            if isinstance(stmt, ast.Assign) and any(getattr(t, "id", None) == "code" for t in stmt.targets)}


def backend_sources():
    return "\n".join(path.read_text(encoding="utf-8") for path in BACKEND.rglob("*.py")
                     if path.name != "errors.py")


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
    assert len(in_app) == 9, in_app
    assert in_app - in_document == set(), "routes missing from docs/openapi.yaml"
    assert in_document - in_app == set(), "documented operations the app does not have"


def test_checkout_pages_match_their_gateway_mode(app, document):
    # The `app` fixture runs in simulator mode; the live-mode page is checked on its own blueprint.
    assert documented_operations(document, "/simulator/") == app_operations(app.url_map, "/simulator/")
    live = Flask(__name__)
    for pages in LIVE_CHECKOUT_PAGES:
        live.register_blueprint(pages)
    assert documented_operations(document, "/checkout/") == app_operations(live.url_map, "/checkout/")


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
