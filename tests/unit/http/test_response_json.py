"""The responses' JSON (backend/http_json.py): orjson's encoding of what Flask's own encoder would
give, and Flask's encoder for what orjson will not encode."""

import dataclasses
import datetime
import json
import uuid
from decimal import Decimal

import pytest
from flask import Flask, jsonify
from flask.json.provider import DefaultJSONProvider

from backend.http_json import JSONProvider


@dataclasses.dataclass
class Point:
    x: int
    y: str


def both_encodings(value):
    """(our response body, Flask's response body) for `jsonify(value)`, each decoded."""
    bodies = []
    for provider in (JSONProvider, DefaultJSONProvider):
        app = Flask(__name__)
        app.json = provider(app)
        app.json.sort_keys = False
        with app.app_context():
            bodies.append(jsonify(value).get_data())
    return [json.loads(body) for body in bodies], bodies


def test_a_status_like_body_is_what_flask_gives_keys_in_the_views_order():
    body = {
        "success": True,
        "wallet": {"balance": 12.5, "held": 0.0, "currency": "INR"},
        "recent_transactions": [{"transaction_id": "txn_1", "amount": 0.01, "reference": {"note": "é ₹ 🙂"}}],
        "count": 3,
        "none": None,
    }
    (ours, flasks), (raw, _) = both_encodings(body)
    assert ours == flasks == body
    assert list(json.loads(raw)) == ["success", "wallet", "recent_transactions", "count", "none"]
    assert "₹".encode() in raw  # UTF-8 text, not \u escapes


def test_dates_decimals_uuids_and_dataclasses_as_flask_gives_them():
    value = {
        "at": datetime.datetime(2026, 12, 3, 9, 30, tzinfo=datetime.UTC),
        "day": datetime.date(2026, 12, 3),
        "amount": Decimal("12.30"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "point": Point(1, "a"),
    }
    (ours, flasks), _ = both_encodings(value)
    assert ours == flasks
    assert ours["at"] == "Thu, 03 Dec 2026 09:30:00 GMT"
    assert ours["amount"] == "12.30"


def test_what_orjson_refuses_goes_to_flasks_encoder():
    value = {"big": 2**70, "keys": {1: "one"}}
    (ours, flasks), _ = both_encodings(value)
    assert ours == flasks == {"big": 2**70, "keys": {"1": "one"}}


def test_a_type_neither_encodes_is_still_an_error():
    app = Flask(__name__)
    app.json = JSONProvider(app)
    with app.app_context(), pytest.raises(TypeError, match="not JSON serializable"):
        jsonify(value=object())


def test_the_service_answers_with_it(client):
    response = client.get("/api/integration/health")
    assert isinstance(client.application.json, JSONProvider)
    assert response.get_data().startswith(b'{"status":"ok",') and response.get_data().endswith(b"}\n")


def test_an_indented_dump_is_flasks():
    app = Flask(__name__)
    app.json = JSONProvider(app)
    assert app.json.dumps({"a": [1]}, indent=2) == '{\n  "a": [\n    1\n  ]\n}'
