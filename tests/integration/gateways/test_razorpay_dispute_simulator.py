"""The app's Razorpay simulator playing the bank's side of a dispute (SPEC §9): its
`payment.dispute.*` webhooks, signed with the configured secret and delivered inline, are verified
and read by the service's own webhook route (200, where a bad signature or an unreadable body would
be 400). What the ledger does with them is tested with the ledger."""

import pytest

from backend.gateways.razorpay.simulator import DEV_RAZORPAY_WEBHOOK_SECRET, signed_event
from backend.gateways.razorpay.simulator_events import case_event, dispute_entity
from tests.helpers import unique


@pytest.fixture
def razorpay(integration):
    return integration.payments.gateway("razorpay")


@pytest.fixture
def answers(razorpay):
    """What the service answered each webhook the simulator posted."""
    deliver, answered = razorpay.api.deliver_webhook, []

    def recording(body, headers, wait=False):
        answered.append(deliver(body, headers, wait))
        return answered[-1]

    razorpay.api.deliver_webhook = recording
    return answered


@pytest.mark.parametrize("outcome", ["won", "lost", "closed"])
def test_the_service_accepts_a_disputes_webhooks_from_its_simulator(razorpay, answers, outcome):
    payment_id = unique("pay")
    dispute_id = razorpay.api.open_dispute(payment_id, 1200, "INR")
    razorpay.api.resolve_dispute(dispute_id, payment_id, 1200, "INR", outcome)
    assert answers == [200, 200]


def test_a_dispute_webhook_signed_with_another_secret_is_refused(razorpay, answers):
    event = case_event(
        "payment.dispute.created", "dispute", dispute_entity("disp_X1", unique("pay"), 100, "INR", "open")
    )
    assert razorpay.api.deliver_webhook(*signed_event(event, "not_" + DEV_RAZORPAY_WEBHOOK_SECRET)) == 400
    assert razorpay.api.deliver_webhook(*signed_event(event, DEV_RAZORPAY_WEBHOOK_SECRET)) == 200
