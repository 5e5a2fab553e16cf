"""The PayPal simulator's disputes (SPEC §9): opened, updated and resolved on a test's request, each
posted as a signed CUSTOMER.DISPUTE.* webhook the adapter verifies and reads."""

import re

import pytest

from backend.db import connect
from backend.errors import InvalidSignature
from backend.gateways.base import DISPUTE_LOST, DISPUTE_OPENED, DISPUTE_RECORDED, DISPUTE_RELEASED
from backend.gateways.paypal.adapter import PayPalGateway
from backend.gateways.paypal.simulator import DEV_PAYPAL_WEBHOOK_ID, SimulatedPayPalApi, paypal_id
from backend.gateways.paypal.simulator_cases import LOST, WON
from tests.helpers import unique


@pytest.fixture
def posted():
    """The webhooks the simulator posts, as (body, headers)."""
    return []


@pytest.fixture
def simulator(posted):
    def deliver_webhook(body, headers, wait=False):
        posted.append((body, headers))
        return 200

    store = connect("mongomock://localhost", unique("t"))
    return SimulatedPayPalApi(
        store, "http://localhost/simulator/paypal/checkout", DEV_PAYPAL_WEBHOOK_ID, deliver_webhook
    )


@pytest.fixture
def gateway(simulator):
    return PayPalGateway(simulator, DEV_PAYPAL_WEBHOOK_ID)


def last_event(gateway, posted):
    body, headers = posted[-1]
    return gateway.parse_webhook(body, headers)


def test_opened_dispute_is_posted_with_its_capture_and_amount(gateway, simulator, posted):
    capture_id = paypal_id()
    dispute_id = simulator.cases.open_dispute(capture_id, 1050, "INR")
    assert re.fullmatch(r"PP-D-[0-9]{8}", dispute_id)
    event = last_event(gateway, posted)
    assert (event.event_type, event.action) == ("CUSTOMER.DISPUTE.CREATED", DISPUTE_OPENED)
    assert (event.case_id, event.gateway_payment_id, event.amount_minor, event.currency) == (
        dispute_id,
        capture_id,
        1050,
        "INR",
    )


def test_lost_dispute_takes_back_what_paypal_refunded(gateway, simulator, posted):
    capture_id = paypal_id()
    dispute_id = simulator.cases.open_dispute(capture_id, 1050, "INR")
    simulator.cases.resolve_dispute(dispute_id, capture_id, 1050, "INR", LOST, amount_refunded_minor=800)
    event = last_event(gateway, posted)
    assert (event.event_type, event.action, event.case_id) == ("CUSTOMER.DISPUTE.RESOLVED", DISPUTE_LOST, dispute_id)
    assert (event.gateway_payment_id, event.amount_minor) == (capture_id, 800)


def test_accepted_dispute_without_a_refunded_amount_takes_back_the_disputed_amount(gateway, simulator, posted):
    capture_id = paypal_id()
    dispute_id = simulator.cases.open_dispute(capture_id, 1050, "INR")
    simulator.cases.resolve_dispute(dispute_id, capture_id, 1050, "INR", "ACCEPTED")
    assert (last_event(gateway, posted).action, last_event(gateway, posted).amount_minor) == (DISPUTE_LOST, 1050)


@pytest.mark.parametrize("outcome", [WON, "CANCELED_BY_BUYER"])
def test_dispute_won_or_withdrawn_releases(gateway, simulator, posted, outcome):
    capture_id = paypal_id()
    dispute_id = simulator.cases.open_dispute(capture_id, 1050, "INR")
    simulator.cases.resolve_dispute(dispute_id, capture_id, 1050, "INR", outcome)
    event = last_event(gateway, posted)
    assert (event.action, event.case_id, event.gateway_payment_id) == (DISPUTE_RELEASED, dispute_id, capture_id)


def test_updated_dispute_is_recorded(gateway, simulator, posted):
    capture_id = paypal_id()
    dispute_id = simulator.cases.open_dispute(capture_id, 1050, "INR")
    simulator.cases.update_dispute(dispute_id, capture_id, 1050, "INR", status="WAITING_FOR_SELLER_RESPONSE")
    event = last_event(gateway, posted)
    assert (event.event_type, event.action, event.case_id) == ("CUSTOMER.DISPUTE.UPDATED", DISPUTE_RECORDED, dispute_id)


def test_dispute_webhook_verifies_only_as_signed(gateway, simulator, posted):
    simulator.cases.open_dispute(paypal_id(), 1050, "INR")
    body, headers = posted[-1]
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(body.replace(b"1050", b"1051").replace(b"10.50", b"10.51"), headers)


def test_each_webhook_has_its_own_event_id(gateway, simulator, posted):
    capture_id = paypal_id()
    dispute_id = simulator.cases.open_dispute(capture_id, 1050, "INR")
    simulator.cases.update_dispute(dispute_id, capture_id, 1050, "INR")
    simulator.cases.resolve_dispute(dispute_id, capture_id, 1050, "INR", WON)
    ids = [gateway.parse_webhook(body, headers).event_id for body, headers in posted]
    assert len(set(ids)) == 3
