"""Razorpay after the credit (SPEC §9), the gateway's side: refund and dispute webhooks read into
`WebhookEvent`s, refunds asked for and found through the SDK (HTTP answered by `responses` with
bodies in Razorpay's documented shapes), and the simulator's refunds and disputes, whose webhooks
are caught by a fake `deliver_webhook` and read back through the adapter's own `parse_webhook`."""

import copy
import json
import uuid

import pytest
import responses

from backend.db import connect
from backend.errors import GatewayUnavailable, InvalidRequest, InvalidSignature
from backend.gateways.base import (
    DISPUTE_LOST,
    DISPUTE_OPENED,
    DISPUTE_RECORDED,
    DISPUTE_RELEASED,
    IGNORE,
    REFUND_DONE,
    REFUND_FAILED,
    REFUND_PENDING,
    REFUND_PROCESSED,
    REFUND_RECORDED,
    REFUND_REFUSED,
    GatewayRefund,
)
from backend.gateways.razorpay.adapter import RazorpayGateway
from backend.gateways.razorpay.api import IDEMPOTENCY_KEY_PATTERN, RazorpayApi, RefundRefused, header_key
from backend.gateways.razorpay.simulator import REFUNDS_COLLECTION, SimulatedRazorpayApi
from backend.gateways.razorpay.simulator_events import payment_entity
from backend.payment_orders import PaymentOrder
from tests.helpers import signed_webhook
from tests.razorpay_support import FAILURES, KEY_ID, KEY_SECRET, PAYMENTS_URL, WEBHOOK_SECRET, razorpay_error

TIMEOUT = 4.5
PAYMENT = "pay_FPoJKWQQ8lK13n"
REFUND = "rfnd_FS8TWyPrCsa0OB"
DISPUTE = "disp_AHfqOvkldwsbqt"
REFERENCE = "wdr_5f0c2a9e11b4:1"
REFUND_URL = f"{PAYMENTS_URL}{PAYMENT}/refund"
REFUNDS_URL = f"{PAYMENTS_URL}{PAYMENT}/refunds"


# --- Razorpay's shapes (its Refunds / Disputes entities and webhook samples) --------------------
def refund_entity(refund_id=REFUND, status="processed", amount_minor=50000, reference=REFERENCE, payment_id=PAYMENT):
    return {
        "id": refund_id,
        "entity": "refund",
        "amount": amount_minor,
        "currency": "INR",
        "payment_id": payment_id,
        "notes": {"reference": reference} if reference else [],
        "receipt": None,
        "acquirer_data": {"arn": None},
        "created_at": 1597734071,
        "batch_id": None,
        "status": status,
        "speed_processed": "normal",
        "speed_requested": "normal",
    }


def dispute_entity(status="open", amount_minor=10000):
    return {
        "id": DISPUTE,
        "entity": "dispute",
        "payment_id": PAYMENT,
        "amount": amount_minor,
        "currency": "INR",
        "amount_deducted": amount_minor if status == "lost" else 0,
        "reason_code": "chargeback",
        "respond_by": 1590604200,
        "status": status,
        "phase": "chargeback",
        "created_at": 1590059211,
    }


def captured_payment(captured=True):
    return {
        "id": PAYMENT,
        "entity": "payment",
        "amount": 500000,
        "currency": "INR",
        "status": "refunded" if captured else "failed",
        "order_id": "order_FPoIeimWki9j8A",
        "method": "card",
        "amount_refunded": 50000,
        "refund_status": "partial",
        "captured": captured,
    }


def envelope(event_type, name, entity, payment=None):
    payload = {name: {"entity": entity}, "payment": {"entity": payment or captured_payment()}}
    return {
        "entity": "event",
        "account_id": "acc_E7OQJcEANmBHTC",
        "event": event_type,
        "contains": [name, "payment"],
        "payload": payload,
        "created_at": 1597734072,
    }


def collection(*items):
    return {"entity": "collection", "count": len(items), "items": list(items)}


@pytest.fixture
def gateway():
    return RazorpayGateway(SimulatedRazorpayApi(), KEY_ID, KEY_SECRET, WEBHOOK_SECRET, "http://localhost/x")


@pytest.fixture
def live(http):
    api = RazorpayApi(KEY_ID, KEY_SECRET, timeout_seconds=TIMEOUT)
    return RazorpayGateway(api, KEY_ID, KEY_SECRET, WEBHOOK_SECRET, "http://localhost/checkout/razorpay")


def parse(gateway, event, event_id="evt_refund_1"):
    return gateway.parse_webhook(*signed_webhook(event, secret=WEBHOOK_SECRET, event_id=event_id))


# --- refund webhooks --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "event_type, action",
    [("refund.created", REFUND_RECORDED), ("refund.processed", REFUND_PROCESSED), ("refund.failed", REFUND_FAILED)],
)
def test_a_refund_event_names_the_refund_its_payment_amount_and_our_reference(gateway, event_type, action):
    event = parse(gateway, envelope(event_type, "refund", refund_entity()), event_id="evt_R1")
    assert (event.event_id, event.event_type, event.action) == ("evt_R1", event_type, action)
    assert (event.case_id, event.gateway_payment_id, event.amount_minor, event.currency) == (
        REFUND,
        PAYMENT,
        50000,
        "INR",
    )
    assert event.refund_reference == REFERENCE
    assert event.payment_order_id is None


@pytest.mark.parametrize("notes", [[], {}, {"comment": "Customer Notes for Webhooks."}], ids=repr)
def test_a_refund_without_our_reference_is_the_gateways_own(gateway, notes):
    entity = dict(refund_entity(), notes=notes)
    assert parse(gateway, envelope("refund.processed", "refund", entity)).refund_reference is None


@pytest.mark.parametrize("reference", [5, None, "", "two words", "r" * 65, ["wdr_1"], {"id": "wdr_1"}], ids=repr)
def test_a_reference_note_that_is_not_one_of_our_ids_is_not_ours(gateway, reference):
    entity = dict(refund_entity(), notes={"reference": reference})
    event = parse(gateway, envelope("refund.processed", "refund", entity))
    assert (event.action, event.refund_reference) == (REFUND_PROCESSED, None)


def test_an_automatic_refund_of_a_never_captured_payment_reads_like_any_refund(gateway):
    event = parse(
        gateway, envelope("refund.processed", "refund", refund_entity(reference=None), captured_payment(False))
    )
    assert (event.action, event.case_id, event.gateway_payment_id) == (REFUND_PROCESSED, REFUND, PAYMENT)


def test_a_refund_speed_change_is_ignored(gateway):
    assert parse(gateway, envelope("refund.speed_changed", "refund", refund_entity())).action == IGNORE


def test_a_refund_event_needs_the_signature(gateway):
    body, headers = signed_webhook(envelope("refund.processed", "refund", refund_entity()), secret="another_secret")
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(body, headers)


# --- dispute webhooks -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "event_type, status, action",
    [
        ("payment.dispute.created", "open", DISPUTE_OPENED),
        ("payment.dispute.won", "won", DISPUTE_RELEASED),
        ("payment.dispute.closed", "closed", DISPUTE_RELEASED),
        ("payment.dispute.lost", "lost", DISPUTE_LOST),
        ("payment.dispute.under_review", "under_review", DISPUTE_RECORDED),
        ("payment.dispute.action_required", "open", DISPUTE_RECORDED),
    ],
)
def test_a_dispute_event_names_the_dispute_its_payment_and_the_disputed_amount(gateway, event_type, status, action):
    event = parse(gateway, envelope(event_type, "dispute", dispute_entity(status)), event_id="evt_D1")
    assert (event.event_id, event.event_type, event.action) == ("evt_D1", event_type, action)
    assert (event.case_id, event.gateway_payment_id, event.amount_minor, event.currency) == (
        DISPUTE,
        PAYMENT,
        10000,
        "INR",
    )
    assert event.refund_reference is None


# --- malformed refund and dispute webhooks: 400, never a 500 -----------------------------------
def without(field):
    return lambda entity: {k: v for k, v in entity.items() if k != field}


def replaced(field, value):
    return lambda entity: dict(entity, **{field: value})


MALFORMED_ENTITIES = {
    "no id": without("id"),
    "id not a string": replaced("id", 12345),
    "id with a slash": replaced("id", "rfnd/../x"),
    "id too long": replaced("id", "x" * 65),
    "empty id": replaced("id", ""),
    "no payment_id": without("payment_id"),
    "payment_id null": replaced("payment_id", None),
    "payment_id with a space": replaced("payment_id", "pay 1"),
    "no amount": without("amount"),
    "amount a string": replaced("amount", "50000"),
    "amount a fraction": replaced("amount", 500.5),
    "amount a boolean": replaced("amount", True),
    "amount zero": replaced("amount", 0),
    "amount negative": replaced("amount", -100),
    "no currency": without("currency"),
    "currency in lower case": replaced("currency", "inr"),
    "currency a number": replaced("currency", 356),
    "currency too long": replaced("currency", "INRR"),
}


@pytest.mark.parametrize("malform", MALFORMED_ENTITIES.values(), ids=MALFORMED_ENTITIES.keys())
@pytest.mark.parametrize("event_type", ["refund.processed", "refund.created", "refund.failed"])
def test_a_refund_event_with_an_unreadable_refund_is_invalid_request(gateway, event_type, malform):
    with pytest.raises(InvalidRequest):
        parse(gateway, envelope(event_type, "refund", malform(refund_entity())))


@pytest.mark.parametrize("malform", MALFORMED_ENTITIES.values(), ids=MALFORMED_ENTITIES.keys())
@pytest.mark.parametrize("event_type", ["payment.dispute.created", "payment.dispute.lost", "payment.dispute.x"])
def test_a_dispute_event_with_an_unreadable_dispute_is_invalid_request(gateway, event_type, malform):
    with pytest.raises(InvalidRequest):
        parse(gateway, envelope(event_type, "dispute", malform(dispute_entity())))


MALFORMED_PAYLOADS = {
    "no payload": lambda event, name: {k: v for k, v in event.items() if k != "payload"},
    "payload a list": lambda event, name: dict(event, payload=[]),
    "payload a string": lambda event, name: dict(event, payload="refund"),
    "no entity of its kind": lambda event, name: dict(event, payload={"payment": event["payload"]["payment"]}),
    "entity not under `entity`": lambda event, name: dict(event, payload={name: event["payload"][name]["entity"]}),
    "entity a list": lambda event, name: dict(event, payload={name: {"entity": [event["payload"][name]["entity"]]}}),
    "entity null": lambda event, name: dict(event, payload={name: {"entity": None}}),
}


@pytest.mark.parametrize("malform", MALFORMED_PAYLOADS.values(), ids=MALFORMED_PAYLOADS.keys())
@pytest.mark.parametrize(
    "event_type, name, entity",
    [("refund.processed", "refund", refund_entity()), ("payment.dispute.lost", "dispute", dispute_entity("lost"))],
)
def test_an_event_without_a_readable_payload_is_invalid_request(gateway, malform, event_type, name, entity):
    event = envelope(event_type, name, copy.deepcopy(entity))
    with pytest.raises(InvalidRequest):
        parse(gateway, malform(event, name))


# --- refunds through the SDK (recorded answers) -------------------------------------------------
def test_a_refund_is_asked_for_with_its_amount_speed_reference_key_and_timeout(http, live):
    http.add(responses.POST, REFUND_URL, json=refund_entity(status="pending", reference="wdr_0123456789"))
    live.refund(PAYMENT, 50000, "INR", "wdr_0123456789")
    request = http.calls[0].request
    sent = json.loads(request.body)
    assert sent == {"amount": 50000, "speed": "normal", "notes": {"reference": "wdr_0123456789"}}
    assert type(sent["amount"]) is int
    assert request.headers["X-Refund-Idempotency"] == "wdr_0123456789"
    assert request.headers["Authorization"].startswith("Basic ")
    assert request.req_kwargs["timeout"] == TIMEOUT


@pytest.mark.parametrize("reference", ["wdr_1", "wdr_5f0c2a9e11b4:1", "w.d.r-0000000001"])
def test_a_reference_razorpay_would_not_take_as_a_key_is_sent_as_a_digest_of_it(reference):
    key = header_key(reference)
    assert IDEMPOTENCY_KEY_PATTERN.match(key)
    assert key == header_key(reference) and key != header_key(reference + "0")


@pytest.mark.parametrize(
    "status, expected", [("pending", REFUND_PENDING), ("processed", REFUND_DONE), ("failed", REFUND_REFUSED)]
)
def test_razorpays_answer_is_the_refund_and_its_state(http, live, status, expected):
    http.add(responses.POST, REFUND_URL, json=refund_entity(status=status))
    assert live.refund(PAYMENT, 50000, "INR", REFERENCE) == GatewayRefund(REFUND, expected, 50000, "INR")


def test_a_refund_state_razorpay_may_add_later_is_not_final(http, live):
    http.add(responses.POST, REFUND_URL, json=refund_entity(status="on_hold"))
    assert live.refund(PAYMENT, 50000, "INR", REFERENCE).status == REFUND_PENDING


REFUSALS = {
    "amount above what is refundable": razorpay_error(
        "BAD_REQUEST_ERROR", "The refund amount provided is greater than amount captured", 400
    ),
    "balance too low": razorpay_error(
        "BAD_REQUEST_ERROR", "Your account does not have enough balance to carry out the refund operation.", 400
    ),
}


@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refund_razorpay_refuses_is_refused_without_an_id(http, live, refusal):
    http.add(responses.POST, REFUND_URL, **refusal)
    http.add(responses.GET, REFUNDS_URL, json=collection())
    assert live.refund(PAYMENT, 50000, "INR", REFERENCE) == GatewayRefund("", REFUND_REFUSED, 50000, "INR")


def test_a_refused_repeat_of_a_reference_whose_refund_exists_answers_that_refund(http, live):
    http.add(
        responses.POST,
        REFUND_URL,
        **razorpay_error(
            "BAD_REQUEST_ERROR", "Different request with the same idempotency key has already been processed.", 400
        ),
    )
    http.add(responses.GET, REFUNDS_URL, json=collection(refund_entity(status="processed", amount_minor=40000)))
    assert live.refund(PAYMENT, 50000, "INR", REFERENCE) == GatewayRefund(REFUND, REFUND_DONE, 40000, "INR")


@pytest.mark.parametrize("status", [401, 403, 409, 429])
def test_a_try_again_answer_leaves_the_refund_unknown(http, live, status):
    """409 and 429: not now; 401 and 403 (found by a red-team pass: they ended a customer's second
    payment's refund `failed` for good): our keys were not taken, so nothing was decided."""
    http.add(responses.POST, REFUND_URL, **razorpay_error("BAD_REQUEST_ERROR", "Request in progress", status))
    http.add(responses.GET, REFUNDS_URL, json=collection())  # were it taken as refused, it would be found none
    with pytest.raises(GatewayUnavailable):
        live.refund(PAYMENT, 50000, "INR", REFERENCE)


UNKNOWN_OUTCOMES = {name: failure for name, failure in FAILURES.items() if name != "400 bad request"}


@pytest.mark.parametrize("failure", UNKNOWN_OUTCOMES.values(), ids=UNKNOWN_OUTCOMES.keys())
def test_a_refund_without_a_readable_answer_is_gateway_unavailable(http, live, failure):
    http.add(responses.POST, REFUND_URL, **failure)
    http.add(responses.GET, REFUNDS_URL, json=collection())
    with pytest.raises(GatewayUnavailable):
        live.refund(PAYMENT, 50000, "INR", REFERENCE)


@pytest.mark.parametrize(
    "answer",
    [
        [],
        "pending",
        {},
        dict(refund_entity(), id=None),
        dict(refund_entity(), amount="50000"),
        dict(refund_entity(), currency=None),
    ],
    ids=repr,
)
def test_a_refund_answer_without_a_usable_refund_is_gateway_unavailable(http, live, answer):
    http.add(responses.POST, REFUND_URL, json=answer)
    with pytest.raises(GatewayUnavailable):
        live.refund(PAYMENT, 50000, "INR", REFERENCE)


@pytest.mark.parametrize("payment_id", ["pay_1/../orders", "pay.1", "pay:1"])
def test_a_payment_id_razorpay_never_issues_is_refused_without_a_request(http, live, payment_id):
    assert live.refund(payment_id, 50000, "INR", REFERENCE).status == REFUND_REFUSED
    assert live.find_refund(payment_id, REFERENCE) is None
    assert len(http.calls) == 0


@pytest.mark.parametrize(
    "amount_minor, reference",
    [(0, REFERENCE), (-1, REFERENCE), (1.5, REFERENCE), (True, REFERENCE), (100, ""), (100, "a b")],
)
def test_a_refund_the_caller_got_wrong_is_a_value_error_before_any_request(http, live, amount_minor, reference):
    with pytest.raises(ValueError):
        live.refund(PAYMENT, amount_minor, "INR", reference)
    assert len(http.calls) == 0


# --- finding a refund by our reference (the worker's question after a crash) -------------------
def test_find_refund_asks_for_the_payments_refunds_with_a_timeout(http, live):
    http.add(responses.GET, REFUNDS_URL, json=collection(refund_entity(status="pending")))
    assert live.find_refund(PAYMENT, REFERENCE) == GatewayRefund(REFUND, REFUND_PENDING, 50000, "INR")
    request = http.calls[0].request
    assert request.method == "GET"
    assert request.url == REFUNDS_URL + "?count=100&skip=0"
    assert request.req_kwargs["timeout"] == TIMEOUT


def test_find_refund_is_none_when_no_refund_carries_the_reference(http, live):
    others = [
        refund_entity("rfnd_Other0000001", reference="wdr_other"),
        refund_entity("rfnd_Dash00000001", reference=None),
    ]
    http.add(responses.GET, REFUNDS_URL, json=collection(*others))
    assert live.find_refund(PAYMENT, REFERENCE) is None


def test_find_refund_prefers_a_refund_that_went_through_to_a_failed_one(http, live):
    failed, processed = refund_entity("rfnd_Failed000001", "failed"), refund_entity("rfnd_Done00000001", "processed")
    http.add(responses.GET, REFUNDS_URL, json=collection(failed, processed))
    assert live.find_refund(PAYMENT, REFERENCE).refund_id == "rfnd_Done00000001"


def test_find_refund_reads_every_page(http, live):
    first_page = [refund_entity(f"rfnd_Page1{n:09d}", reference=f"wdr_{n}") for n in range(100)]
    http.add(
        responses.GET,
        REFUNDS_URL,
        json=collection(*first_page),
        match=[responses.matchers.query_param_matcher({"count": "100", "skip": "0"})],
    )
    http.add(
        responses.GET,
        REFUNDS_URL,
        json=collection(refund_entity()),
        match=[responses.matchers.query_param_matcher({"count": "100", "skip": "100"})],
    )
    assert live.find_refund(PAYMENT, REFERENCE).refund_id == REFUND
    assert len(http.calls) == 2


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_find_refund_failure_is_gateway_unavailable(http, live, failure):
    http.add(responses.GET, REFUNDS_URL, **failure)
    with pytest.raises(GatewayUnavailable):
        live.find_refund(PAYMENT, REFERENCE)


@pytest.mark.parametrize(
    "answer",
    [[], {"entity": "collection"}, {"items": "none"}, collection(dict(refund_entity(), amount=None))],
    ids=repr,
)
def test_find_refund_with_an_unreadable_answer_is_gateway_unavailable(http, live, answer):
    http.add(responses.GET, REFUNDS_URL, json=answer)
    with pytest.raises(GatewayUnavailable):
        live.find_refund(PAYMENT, REFERENCE)


# --- the simulator ----------------------------------------------------------------------------
class Posted:
    """A fake `deliver_webhook`: keeps what the simulator posts."""

    def __init__(self):
        self.messages = []

    def __call__(self, body, headers, wait=False):
        self.messages.append((body, headers))
        return 200

    def events(self, gateway):
        return [gateway.parse_webhook(body, headers) for body, headers in self.messages]


@pytest.fixture
def database():
    return connect("mongomock://localhost", f"unit_{uuid.uuid4().hex[:10]}")


@pytest.fixture
def posted():
    return Posted()


@pytest.fixture
def simulated(database, posted):
    api = SimulatedRazorpayApi(database, WEBHOOK_SECRET, posted, currency="INR")
    return RazorpayGateway(api, KEY_ID, KEY_SECRET, WEBHOOK_SECRET, "http://localhost/simulator/razorpay/checkout")


def kinds(events):
    return [(event.event_type, event.action) for event in events]


def test_the_simulator_answers_a_refund_pending_then_posts_created_and_processed(simulated, posted):
    refund = simulated.refund("pay_Hand00000001", 2500, "INR", REFERENCE)
    assert (refund.status, refund.amount_minor, refund.currency) == (REFUND_PENDING, 2500, "INR")
    assert refund.refund_id.startswith("rfnd_")
    events = posted.events(simulated)
    assert kinds(events) == [("refund.created", REFUND_RECORDED), ("refund.processed", REFUND_PROCESSED)]
    assert {(e.case_id, e.gateway_payment_id, e.amount_minor, e.currency, e.refund_reference) for e in events} == {
        (refund.refund_id, "pay_Hand00000001", 2500, "INR", REFERENCE)
    }
    assert len({e.event_id for e in events}) == 2
    assert simulated.find_refund("pay_Hand00000001", REFERENCE) == GatewayRefund(
        refund.refund_id, REFUND_DONE, 2500, "INR"
    )


def test_the_simulator_answers_the_same_key_with_the_same_refund_and_posts_nothing_more(simulated, posted, database):
    first = simulated.refund("pay_Hand00000001", 2500, "INR", REFERENCE)
    again = simulated.refund("pay_Hand00000001", 2500, "INR", REFERENCE)
    assert (again.refund_id, again.status) == (first.refund_id, REFUND_DONE)
    assert len(posted.messages) == 2
    assert database[REFUNDS_COLLECTION].count_documents({"payment_id": "pay_Hand00000001"}) == 1


def test_the_simulator_refuses_another_body_under_a_used_key(simulated, posted):
    first = simulated.refund("pay_Hand00000001", 2500, "INR", REFERENCE)
    with pytest.raises(RefundRefused):
        simulated.api.refund_payment("pay_Hand00000001", {"amount": 999, "speed": "normal", "notes": {}}, REFERENCE)
    assert (
        simulated.refund("pay_Hand00000001", 999, "INR", REFERENCE).refund_id == first.refund_id
    )  # found by reference
    assert len(posted.messages) == 2


def test_the_simulator_refuses_refunds_while_told_to(simulated, posted):
    simulated.api.refuse_refunds(True)
    assert simulated.refund("pay_Hand00000001", 2500, "INR", REFERENCE) == GatewayRefund(
        "", REFUND_REFUSED, 2500, "INR"
    )
    assert posted.messages == [] and simulated.api.fetch_refunds("pay_Hand00000001") == []
    simulated.api.refuse_refunds(False)
    assert simulated.refund("pay_Hand00000001", 2500, "INR", REFERENCE).status == REFUND_PENDING


def test_the_simulator_fails_accepted_refunds_while_told_to(simulated, posted):
    simulated.api.fail_refunds(True)
    refund = simulated.refund("pay_Hand00000001", 2500, "INR", REFERENCE)
    assert refund.status == REFUND_PENDING
    assert kinds(posted.events(simulated)) == [("refund.created", REFUND_RECORDED), ("refund.failed", REFUND_FAILED)]
    assert simulated.find_refund("pay_Hand00000001", REFERENCE).status == REFUND_REFUSED


def test_the_simulators_switches_hold_for_every_api_object_on_its_store(simulated, database, posted):
    SimulatedRazorpayApi(database).refuse_refunds(True)  # another process of the same deployment
    assert simulated.refund("pay_Hand00000001", 2500, "INR", REFERENCE).status == REFUND_REFUSED


def test_the_simulator_refunds_a_payment_it_never_recorded_in_its_currency(database, posted):
    api = SimulatedRazorpayApi(database, WEBHOOK_SECRET, posted, currency="EUR")
    answer = api.refund_payment("pay_Hand00000001", {"amount": 10**9, "speed": "normal", "notes": {}}, "key_0123456789")
    assert (answer["amount"], answer["currency"], answer["status"]) == (10**9, "EUR", "pending")


def recorded_payment(api, status="captured", amount_minor=5000, currency="USD"):
    order = PaymentOrder("order_Sim000000001", "wtp_ref1", "razorpay", "cust_a", amount_minor, currency)
    entity = payment_entity(order, "pay_Sim0000000001", status)
    api.record_payment(entity)
    return entity["id"]


def test_the_simulator_refunds_a_payment_it_recorded_in_its_currency_up_to_its_amount(simulated, posted):
    payment_id = recorded_payment(simulated.api)
    assert simulated.refund(payment_id, 3000, "USD", "wdr_first_0001").currency == "USD"
    assert simulated.refund(payment_id, 2001, "USD", "wdr_second_001").status == REFUND_REFUSED
    assert simulated.refund(payment_id, 2000, "USD", "wdr_third_0001").status == REFUND_PENDING
    created = posted.events(simulated)[0]
    assert json.loads(posted.messages[0][0])["payload"]["payment"]["entity"]["id"] == payment_id
    assert created.currency == "USD"


def test_the_simulator_refuses_to_refund_a_failed_payment(simulated, posted):
    payment_id = recorded_payment(simulated.api, status="failed")
    assert simulated.refund(payment_id, 100, "USD", REFERENCE).status == REFUND_REFUSED
    assert posted.messages == []


def test_the_simulator_without_a_store_refunds_and_posts_but_keeps_nothing(posted):
    api = SimulatedRazorpayApi(None, WEBHOOK_SECRET, posted)
    gateway = RazorpayGateway(api, KEY_ID, KEY_SECRET, WEBHOOK_SECRET, "http://x")
    assert gateway.refund("pay_Hand00000001", 100, "INR", REFERENCE).status == REFUND_PENDING
    assert len(posted.messages) == 2 and gateway.find_refund("pay_Hand00000001", REFERENCE) is None
    api.refuse_refunds(True)
    assert gateway.refund("pay_Hand00000001", 100, "INR", "wdr_another_1").status == REFUND_REFUSED


def test_the_simulator_without_a_webhook_route_posts_nothing(database):
    api = SimulatedRazorpayApi(database)
    answer = api.refund_payment("pay_Hand00000001", {"amount": 100, "speed": "normal", "notes": {}}, "key_0123456789")
    assert answer["status"] == "pending"


def test_a_dashboard_refund_posts_created_and_processed_without_a_reference(simulated, posted):
    refund_id = simulated.api.dashboard_refund("pay_Hand00000001", 700, "INR")
    events = posted.events(simulated)
    assert kinds(events) == [("refund.created", REFUND_RECORDED), ("refund.processed", REFUND_PROCESSED)]
    assert {(e.case_id, e.gateway_payment_id, e.amount_minor, e.refund_reference) for e in events} == {
        (refund_id, "pay_Hand00000001", 700, None)
    }
    assert [r["id"] for r in simulated.api.fetch_refunds("pay_Hand00000001")] == [refund_id]


@pytest.mark.parametrize(
    "outcome, event_type, action",
    [
        ("won", "payment.dispute.won", DISPUTE_RELEASED),
        ("lost", "payment.dispute.lost", DISPUTE_LOST),
        ("closed", "payment.dispute.closed", DISPUTE_RELEASED),
    ],
)
def test_a_dispute_is_opened_then_resolved_with_its_webhooks(simulated, posted, outcome, event_type, action):
    dispute_id = simulated.api.open_dispute("pay_Hand00000001", 1200, "INR")
    simulated.api.resolve_dispute(dispute_id, "pay_Hand00000001", 1200, "INR", outcome)
    events = posted.events(simulated)
    assert kinds(events) == [("payment.dispute.created", DISPUTE_OPENED), (event_type, action)]
    assert {(e.case_id, e.gateway_payment_id, e.amount_minor, e.currency) for e in events} == {
        (dispute_id, "pay_Hand00000001", 1200, "INR")
    }
    assert dispute_id.startswith("disp_") and len({e.event_id for e in events}) == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda api: api.resolve_dispute("disp_X", "pay_Hand00000001", 100, "INR", "refunded"),
        lambda api: api.open_dispute("pay_Hand00000001", 0, "INR"),
        lambda api: api.open_dispute("pay_Hand00000001", 100, "rupees"),
        lambda api: api.dashboard_refund("pay_Hand00000001", 100, None),
    ],
    ids=["unknown outcome", "no amount", "no currency", "dashboard refund without a currency"],
)
def test_the_gateways_own_side_refuses_what_it_could_not_post(simulated, posted, call):
    with pytest.raises((ValueError, RefundRefused)):
        call(simulated.api)
    assert posted.messages == []
