"""GET /health: its shape, no token needed, 503 when the store does not answer (SPEC §5)."""

import datetime

from pymongo.errors import ServerSelectionTimeoutError

from tests.helpers import BASE


# --- 9. GET /health ----------------------------------------------------------------------------
def test_health_success_shape(client):
    response = client.get(f"{BASE}/health")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"status", "service", "timestamp", "features"}
    assert body["status"] == "ok"
    assert isinstance(body["service"], str) and body["service"]
    assert body["timestamp"].endswith("Z")
    datetime.datetime.fromisoformat(body["timestamp"][:-1])
    assert isinstance(body["features"], dict)


def test_health_needs_no_token(client):
    assert client.get(f"{BASE}/health", headers={"Authorization": "Bearer forged"}).status_code == 200


def store_down(*args, **kwargs):
    raise ServerSelectionTimeoutError("db-secret-host:27017: connection refused")


def test_health_503_when_the_store_does_not_answer(client, monkeypatch):
    monkeypatch.setattr("backend.routes_integration.last_heartbeat", store_down)
    response = client.get(f"{BASE}/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert (body["success"], body["error"]) == (False, "store_unavailable")
    assert isinstance(body["message"], str) and body["message"]


def test_health_503_when_any_store_read_raises_without_its_text(client, monkeypatch):
    monkeypatch.setattr("backend.backlog.OrderAuthorizations.count_expired", store_down)
    response = client.get(f"{BASE}/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert (body["success"], body["error"]) == (False, "store_unavailable")
    assert "db-secret-host" not in response.get_data(as_text=True)
