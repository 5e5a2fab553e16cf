"""Hostile but correctly signed PayPal after-credit webhooks: 200 or 400, never 500."""

import pytest

from backend.gateways.paypal.simulator_cases import _dispute

CAP = "CAPTUREHOSTILE01"


def refund(**over):
    resource = {
        "id": "REFUNDHOSTILE01",
        "amount": {"currency_code": "INR", "value": "10.00"},
        "status": "COMPLETED",
        "links": [{"href": f"https://api-m.sandbox.paypal.com/v2/payments/captures/{CAP}", "rel": "up"}],
    }
    resource.update(over)
    return resource


def dispute(**over):
    resource = _dispute("PP-D-00000001", CAP, 1000, "INR", "RESOLVED")
    resource["dispute_outcome"] = {"outcome_code": "RESOLVED_BUYER_FAVOUR"}
    resource.update(over)
    return resource


CASES = [
    ("PAYMENT.CAPTURE.REFUNDED", refund(amount={"currency_code": "INR", "value": "9" * 32})),
    ("PAYMENT.CAPTURE.REFUNDED", refund(amount={"currency_code": "INR", "value": "0.00"})),
    ("PAYMENT.CAPTURE.REFUNDED", refund(amount={"currency_code": "JPY", "value": "10.5"})),
    ("PAYMENT.CAPTURE.REFUNDED", refund(amount={"currency_code": "", "value": "10"})),
    ("PAYMENT.CAPTURE.REFUNDED", refund(amount={"currency_code": {"$gt": ""}, "value": "10"})),
    ("PAYMENT.CAPTURE.REFUNDED", refund(status=["COMPLETED"])),
    ("PAYMENT.CAPTURE.REFUNDED", refund(custom_id={"$ne": 1})),
    ("PAYMENT.CAPTURE.REFUNDED", refund(custom_id="x" * 5000)),
    ("PAYMENT.CAPTURE.REFUNDED", refund(links=[{"href": "http://[::1", "rel": "up"}])),
    ("PAYMENT.CAPTURE.REFUNDED", refund(links="up")),
    ("PAYMENT.CAPTURE.REVERSED", refund(links=[])),
    (
        "CUSTOMER.DISPUTE.RESOLVED",
        dispute(
            dispute_outcome={"outcome_code": "ACCEPTED", "amount_refunded": {"currency_code": "INR", "value": "9" * 20}}
        ),
    ),
    ("CUSTOMER.DISPUTE.RESOLVED", dispute(dispute_outcome={"outcome_code": "ACCEPTED", "amount_refunded": "10"})),
    ("CUSTOMER.DISPUTE.RESOLVED", dispute(dispute_outcome=None)),
    ("CUSTOMER.DISPUTE.RESOLVED", dispute(disputed_transactions=[])),
    ("CUSTOMER.DISPUTE.RESOLVED", dispute(disputed_transactions={"0": 1})),
    ("CUSTOMER.DISPUTE.CREATED", dispute(dispute_amount={"currency_code": "INR", "value": "0"})),
    ("CUSTOMER.DISPUTE.CREATED", dispute(dispute_id=12345)),
    ("CUSTOMER.DISPUTE.UPDATED", dispute(dispute_amount=None)),
    ("CUSTOMER.DISPUTE.UPDATED", {"dispute_id": None}),
    ("CUSTOMER.DISPUTE.CREATED", []),
]


@pytest.mark.parametrize("index", range(len(CASES)))
def test_hostile_paypal_case_event(integration, index):
    event_type, resource = CASES[index]
    code = integration.payments.gateway("paypal").api.post_event(event_type, "refund", resource, "x")
    assert code in (200, 400), code
