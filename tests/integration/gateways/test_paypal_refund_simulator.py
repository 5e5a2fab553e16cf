"""The PayPal simulator's refunds (SPEC §9): the refunds the service asks for (answered PENDING, then a
signed PAYMENT.CAPTURE.REFUNDED the adapter verifies), the switches tests flip (refuse, fail, hold),
and PayPal's own dashboard refunds and reversals. On the embedded store, the webhooks recorded as posted;
one test through the app, delivered inline."""

import pytest

from backend.db import connect
from backend.gateways.base import (
    REFUND_DONE,
    REFUND_PENDING,
    REFUND_PROCESSED,
    REFUND_REFUSED,
    REVERSED,
    GatewayRefund,
)
from backend.gateways.paypal.adapter import PayPalGateway
from backend.gateways.paypal.api import RefundRefused
from backend.gateways.paypal.entry import GATEWAY
from backend.gateways.paypal.simulator import COLLECTION, DEV_PAYPAL_WEBHOOK_ID, SimulatedPayPalApi, paypal_id
from backend.gateways.paypal.simulator_cases import REFUNDS_COLLECTION, REFUNDS_FAIL, REFUNDS_REFUSED
from tests.helpers import bearer, unique


class Posted(list):
    """The simulator's `deliver_webhook`: keeps each (body, headers) and answers 200."""

    def __call__(self, body, headers, wait=False):
        self.append((body, headers))
        return 200


@pytest.fixture
def store():
    database = connect("mongomock://localhost", unique("t"))
    for collection, indexes in GATEWAY.simulator_collections.items():
        for keys, options in indexes:
            database[collection].create_index(keys, **options)
    return database


@pytest.fixture
def posted():
    return Posted()


@pytest.fixture
def simulator(store, posted):
    return SimulatedPayPalApi(store, "http://localhost/simulator/paypal/checkout", DEV_PAYPAL_WEBHOOK_ID, posted)


@pytest.fixture
def gateway(simulator):
    return PayPalGateway(simulator, DEV_PAYPAL_WEBHOOK_ID)


def webhooks_read(gateway, posted):
    """The posted webhooks as the adapter reads them (each verified first)."""
    return [gateway.parse_webhook(body, headers) for body, headers in posted]


def captured(simulator, value="10.50", currency="USD"):
    """A capture the simulator made (an approved order, captured): its id."""
    amount = {"currency_code": currency, "value": value}
    order = simulator.create_order({"purchase_units": [{"custom_id": "wtp_1", "amount": amount}]}, unique("req"))
    simulator.approve(order["id"])
    return simulator.capture_order(order["id"], unique("cap"))["purchase_units"][0]["payments"]["captures"][0]["id"]


# --- refunds the service asks for --------------------------------------------------------------
def test_refund_is_answered_pending_then_announced_by_a_signed_webhook(gateway, simulator, posted):
    capture_id = paypal_id()
    refund = gateway.refund(capture_id, 1050, "USD", "wdr_ref1")
    assert (refund.status, refund.amount_minor, refund.currency) == (REFUND_PENDING, 1050, "USD")
    [event] = webhooks_read(gateway, posted)
    assert (event.event_type, event.action) == ("PAYMENT.CAPTURE.REFUNDED", REFUND_PROCESSED)
    assert (event.case_id, event.gateway_payment_id, event.refund_reference) == (
        refund.refund_id,
        capture_id,
        "wdr_ref1",
    )
    assert (event.amount_minor, event.currency) == (1050, "USD")
    assert gateway.find_refund(capture_id, "wdr_ref1") == GatewayRefund(refund.refund_id, REFUND_DONE, 1050, "USD")


def test_same_reference_is_the_same_refund(gateway, store, posted):
    capture_id = paypal_id()
    first = gateway.refund(capture_id, 1050, "USD", "wdr_ref1")
    again = gateway.refund(capture_id, 1050, "USD", "wdr_ref1")
    assert again.refund_id == first.refund_id
    assert store[REFUNDS_COLLECTION].count_documents({}) == 1
    assert len(posted) == 1


def test_each_reference_is_its_own_refund(gateway, store):
    capture_id = paypal_id()
    first = gateway.refund(capture_id, 500, "USD", "wdr_ref1")
    second = gateway.refund(capture_id, 500, "USD", "wdr_ref2")
    assert first.refund_id != second.refund_id
    assert store[REFUNDS_COLLECTION].count_documents({"capture_id": capture_id}) == 2


def test_refused_refund_makes_nothing_and_posts_nothing(gateway, simulator, store, posted):
    simulator.cases.refund_outcome = REFUNDS_REFUSED
    capture_id = paypal_id()
    assert gateway.refund(capture_id, 1050, "USD", "wdr_ref1") == GatewayRefund("", REFUND_REFUSED, 1050, "USD")
    assert store[REFUNDS_COLLECTION].count_documents({}) == 0
    assert posted == []
    assert gateway.find_refund(capture_id, "wdr_ref1") is None


def test_failing_refund_is_answered_pending_and_only_found_failed(gateway, simulator, posted):
    simulator.cases.refund_outcome = REFUNDS_FAIL
    capture_id = paypal_id()
    refund = gateway.refund(capture_id, 1050, "USD", "wdr_ref1")
    assert refund.status == REFUND_PENDING
    assert posted == []  # PayPal posts no webhook for a refund that failed
    assert gateway.find_refund(capture_id, "wdr_ref1") == GatewayRefund(refund.refund_id, REFUND_REFUSED, 1050, "USD")


def test_held_refund_stays_pending_until_settled(gateway, simulator, posted):
    simulator.cases.hold_refunds = True
    capture_id = paypal_id()
    refund = gateway.refund(capture_id, 1050, "USD", "wdr_ref1")
    assert gateway.find_refund(capture_id, "wdr_ref1").status == REFUND_PENDING
    assert posted == []
    assert simulator.cases.settle_refunds() == 1
    assert [e.case_id for e in webhooks_read(gateway, posted)] == [refund.refund_id]
    assert gateway.find_refund(capture_id, "wdr_ref1").status == REFUND_DONE
    assert simulator.cases.settle_refunds() == 0  # settled once


def test_held_refund_set_to_fail_fails_when_settled(gateway, simulator, posted):
    simulator.cases.hold_refunds, simulator.cases.refund_outcome = True, REFUNDS_FAIL
    capture_id = paypal_id()
    gateway.refund(capture_id, 1050, "USD", "wdr_ref1")
    simulator.cases.settle_refunds()
    assert gateway.find_refund(capture_id, "wdr_ref1").status == REFUND_REFUSED
    assert posted == []


def test_find_refund_under_another_reference_is_none(gateway):
    capture_id = paypal_id()
    gateway.refund(capture_id, 1050, "USD", "wdr_ref1")
    assert gateway.find_refund(capture_id, "wdr_ref2") is None
    assert gateway.find_refund(paypal_id(), "wdr_ref1") is None


def test_refund_of_a_capture_it_made_is_capped_by_what_is_left(gateway, simulator):
    capture_id = captured(simulator, "10.50")
    assert gateway.refund(capture_id, 1051, "USD", "wdr_too_much").status == REFUND_REFUSED
    assert gateway.refund(capture_id, 1000, "USD", "wdr_most").status == REFUND_PENDING
    assert gateway.refund(capture_id, 51, "USD", "wdr_rest").status == REFUND_REFUSED
    assert gateway.refund(capture_id, 50, "USD", "wdr_rest2").status == REFUND_PENDING
    assert gateway.refund(capture_id, 1, "USD", "wdr_none_left").status == REFUND_REFUSED


def test_refusals_name_paypals_issue(simulator):
    capture_id = captured(simulator, "10.50")
    body = {"amount": {"currency_code": "USD", "value": "10.51"}, "custom_id": "wdr_1"}
    with pytest.raises(RefundRefused) as too_much:
        simulator.refund_capture(capture_id, body, "r-1")
    simulator.refund_capture(capture_id, dict(body, amount={"currency_code": "USD", "value": "10.50"}), "r-2")
    with pytest.raises(RefundRefused) as nothing_left:
        simulator.refund_capture(capture_id, body, "r-3")
    assert (too_much.value.issue, nothing_left.value.issue) == ("REFUND_AMOUNT_EXCEEDED", "CAPTURE_FULLY_REFUNDED")


def test_a_failed_refund_leaves_the_capture_refundable(gateway, simulator):
    capture_id = captured(simulator, "10.50")
    simulator.cases.refund_outcome = REFUNDS_FAIL
    gateway.refund(capture_id, 1050, "USD", "wdr_failed")
    simulator.cases.refund_outcome = "complete"
    assert gateway.refund(capture_id, 1050, "USD", "wdr_again").status == REFUND_PENDING


# --- PayPal's own refunds and reversals ---------------------------------------------------------
def test_dashboard_refund_posts_a_refund_naming_no_reference(gateway, simulator, posted):
    capture_id = paypal_id()
    refund_id = simulator.cases.dashboard_refund(capture_id, 700, "INR")
    [event] = webhooks_read(gateway, posted)
    assert (event.action, event.case_id, event.gateway_payment_id) == (REFUND_PROCESSED, refund_id, capture_id)
    assert (event.amount_minor, event.currency, event.refund_reference) == (700, "INR", None)


def test_reversal_posts_paypals_refund_shaped_reversal(gateway, simulator, posted):
    capture_id = paypal_id()
    reversal_id = simulator.cases.reverse_capture(capture_id, 1050, "INR")
    [event] = webhooks_read(gateway, posted)
    assert (event.event_type, event.action) == ("PAYMENT.CAPTURE.REVERSED", REVERSED)
    assert (event.case_id, event.gateway_payment_id, event.amount_minor) == (reversal_id, capture_id, 1050)


def test_reversed_capture_has_nothing_left_to_refund(gateway, simulator):
    capture_id = captured(simulator, "10.50")
    simulator.cases.reverse_capture(capture_id, 1050, "USD")
    assert gateway.refund(capture_id, 100, "USD", "wdr_ref1").status == REFUND_REFUSED


def test_capture_keeps_its_own_webhook(gateway, simulator, posted, store):
    captured(simulator)
    [event] = webhooks_read(gateway, posted)
    assert event.event_type == "PAYMENT.CAPTURE.COMPLETED"
    assert store[COLLECTION].count_documents({}) == 1


# --- through the app ---------------------------------------------------------------------------
def test_refund_webhook_reaches_the_service_and_is_acknowledged(app, api, client, db):
    order = api.initiate("cust_a", "10.50", method="paypal").get_json()
    client.post(f"/simulator/paypal/checkout/{order['payment_order_id']}/pay")
    verified = api.post(
        "/wallet/topup/verify", {"order_id": order["payment_order_id"], "payment_method": "paypal"}, bearer("cust_a")
    )
    assert verified.status_code == 200, verified.get_json()
    gateway = app.extensions["integration"].payments.gateways["paypal"]
    capture_id = db["payment_orders"].find_one({"_id": order["payment_order_id"]})["gateway_payment_id"]
    refund = gateway.refund(capture_id, 1050, "INR", "wdr_app1")
    assert refund.status == REFUND_PENDING
    assert gateway.api.cases.last_delivery == 200  # verified and acknowledged by the service
    assert gateway.find_refund(capture_id, "wdr_app1").status == REFUND_DONE
