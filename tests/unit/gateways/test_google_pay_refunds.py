"""Google Pay refunds (SPEC §9): through the processor (Google Pay has no refunds or disputes of its own).
The simulator's processor refunds at once, once per idempotency key, within what is left of a charge it
made; the adapter turns its answers into `GatewayRefund`s."""

import pytest

from backend.config import load_config
from backend.db import connect
from backend.gateways.base import REFUND_DONE, REFUND_PENDING, REFUND_REFUSED, GatewayRefund
from backend.gateways.google_pay.entry import GATEWAY, google_pay_gateway
from backend.gateways.google_pay.simulator import REFUNDS_COLLECTION, SimulatorProcessor
from tests.google_pay_support import LIVE_KEYS, FakeProcessor
from tests.helpers import unique


def config(**overrides):
    return load_config({"GATEWAY_MODE": "simulator", "PUBLIC_BASE_URL": "https://pay.example.com", **overrides})


@pytest.fixture
def store():
    database = connect("mongomock://localhost", unique("t"))
    for collection, indexes in GATEWAY.simulator_collections.items():
        for keys, options in indexes:
            database[collection].create_index(keys, **options)
    return database


@pytest.fixture(params=["in memory", "in the store"])
def processor(request, store):
    simulator = SimulatorProcessor()
    return simulator if request.param == "in memory" else simulator.keep_charges(store)


@pytest.fixture
def gateway(processor):
    return google_pay_gateway(config(), processor)


def charged(processor, amount_minor=1050, key=None):
    return processor.charge(key or unique("gpay"), {"pan": "4111111111111111"}, amount_minor, "INR")


def test_refund_is_done_at_once(gateway, processor):
    charge_id = charged(processor)
    refund = gateway.refund(charge_id, 1050, "INR", "wdr_ref1")
    assert (refund.status, refund.amount_minor, refund.currency) == (REFUND_DONE, 1050, "INR")
    assert refund.refund_id.startswith("gprf_")


def test_same_reference_is_the_same_refund(gateway, processor):
    charge_id = charged(processor)
    first = gateway.refund(charge_id, 500, "INR", "wdr_ref1")
    assert gateway.refund(charge_id, 500, "INR", "wdr_ref1") == first
    assert gateway.refund(charge_id, 550, "INR", "wdr_ref2").status == REFUND_DONE  # 500 + 550 = the charge


def test_refund_beyond_what_is_left_of_the_charge_is_refused(gateway, processor):
    charge_id = charged(processor, 1050)
    assert gateway.refund(charge_id, 1051, "INR", "wdr_too_much").status == REFUND_REFUSED
    assert gateway.refund(charge_id, 1000, "INR", "wdr_most").status == REFUND_DONE
    assert gateway.refund(charge_id, 51, "INR", "wdr_over").status == REFUND_REFUSED
    assert gateway.refund(charge_id, 50, "INR", "wdr_rest").status == REFUND_DONE


def test_a_refused_refund_stays_refused_under_its_reference(gateway, processor):
    charge_id = charged(processor, 1050)
    assert gateway.refund(charge_id, 2000, "INR", "wdr_ref1").status == REFUND_REFUSED
    assert gateway.refund(charge_id, 500, "INR", "wdr_ref1").status == REFUND_REFUSED
    assert gateway.find_refund(charge_id, "wdr_ref1").status == REFUND_REFUSED


def test_charge_it_never_made_is_refundable(gateway):
    assert gateway.refund("gpch_signed_by_a_test", 99999, "INR", "wdr_ref1").status == REFUND_DONE


def test_refusing_processor_refuses(gateway, processor):
    processor.refuse_refunds = True
    charge_id = charged(processor)
    refund = gateway.refund(charge_id, 100, "INR", "wdr_ref1")
    assert (refund.status, refund.amount_minor) == (REFUND_REFUSED, 100)


def test_find_refund_under_its_reference(gateway, processor):
    charge_id = charged(processor)
    refund = gateway.refund(charge_id, 300, "INR", "wdr_ref1")
    assert gateway.find_refund(charge_id, "wdr_ref1") == refund
    assert gateway.find_refund(charge_id, "wdr_ref2") is None
    assert gateway.find_refund("gpch_another_charge", "wdr_ref1") is None


def test_refunds_kept_in_the_store_are_found_by_another_process(store):
    charge_id = charged(SimulatorProcessor().keep_charges(store))
    google_pay_gateway(config(), SimulatorProcessor().keep_charges(store)).refund(charge_id, 1050, "INR", "wdr_ref1")
    other = google_pay_gateway(config(), SimulatorProcessor().keep_charges(store))
    assert other.find_refund(charge_id, "wdr_ref1").status == REFUND_DONE
    assert other.refund(charge_id, 1, "INR", "wdr_ref2").status == REFUND_REFUSED  # nothing left of it
    assert store[REFUNDS_COLLECTION].count_documents({}) == 2


class PendingProcessor(FakeProcessor):
    """A card processor whose refunds settle later."""

    def refund(self, charge_id, amount_minor, currency, idempotency_key):
        return {
            "id": "re_1",
            "charge_id": charge_id,
            "status": "pending",
            "amount_minor": amount_minor,
            "currency": currency,
        }


def test_processor_refund_not_settled_is_pending():
    gateway = google_pay_gateway(config(GATEWAY_MODE="live", **LIVE_KEYS), PendingProcessor())
    assert gateway.refund("ch_1", 100, "INR", "wdr_ref1") == GatewayRefund("re_1", REFUND_PENDING, 100, "INR")


def test_processor_that_cannot_refund_refuses_and_finds_nothing():
    gateway = google_pay_gateway(config(GATEWAY_MODE="live", **LIVE_KEYS), FakeProcessor())
    assert gateway.refund("ch_1", 100, "INR", "wdr_ref1") == GatewayRefund("", REFUND_REFUSED, 100, "INR")
    assert gateway.find_refund("ch_1", "wdr_ref1") is None
