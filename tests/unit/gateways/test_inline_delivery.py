"""Inline delivery (SIMULATOR_WEBHOOK_DELIVERY=inline): a simulator's webhook handed to the service
in process, answered with the status the webhook route would give (backend/server.py's handlers)."""

from types import SimpleNamespace

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from backend.errors import InvalidSignature
from backend.gateways.delivery import Delivery
from backend.gateways.registry import gateway_registry

WEBHOOK = "/api/integration/webhook/google-pay"


class FakeIntegration:
    def __init__(self, outcome=None):
        self.outcome, self.handled = outcome, []

    def process_payment_webhook(self, gateway_name, raw_body, headers):
        self.handled.append((gateway_name, raw_body, headers.get("content-type")))
        if self.outcome is not None:
            raise self.outcome
        return "processed"


def delivery(integration):
    app = SimpleNamespace(config={"SIMULATOR_WEBHOOK_DELIVERY": "inline"}, extensions={"integration": integration})
    return Delivery(app)


def test_a_webhook_is_handled_by_its_gateway_with_headers_read_in_any_case():
    integration = FakeIntegration()
    entry = gateway_registry({}).get("google_pay")
    assert delivery(integration).to(entry)(b"{}", {"Content-Type": "application/json"}, wait=True) == 200
    assert integration.handled == [("google_pay", b"{}", "application/json")]


@pytest.mark.parametrize(
    "outcome, status",
    [
        (InvalidSignature("no"), 400),
        (ServerSelectionTimeoutError("down"), 503),
        (RuntimeError("bug"), 500),
    ],
)
def test_a_failure_is_the_status_the_route_would_answer(outcome, status):
    assert delivery(FakeIntegration(outcome))(WEBHOOK, b"{}", {}) == status


def test_a_path_no_gateway_has_is_not_found():
    integration = FakeIntegration()
    assert delivery(integration)("/api/integration/webhook/nopay", b"{}", {}) == 404
    assert integration.handled == []
