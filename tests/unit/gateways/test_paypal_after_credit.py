"""PayPal after the credit (SPEC §9): its refund, reversal and dispute webhooks read into `WebhookEvent`s,
and capture refunds and their look-up over the live API (answers recorded with `responses`).

Bodies have the shapes PayPal documents: PAYMENT.CAPTURE.REFUNDED / .REVERSED carry the refund
(`resource_type: refund`, an `up` link to the capture), CUSTOMER.DISPUTE.* the dispute
(`disputed_transactions[].seller_transaction_id`, `dispute_amount`, `dispute_outcome`). The simulator's
side: tests/integration/gateways/test_paypal_refund_simulator.py and test_paypal_dispute_simulator.py.
"""

import copy
import json

import pytest
import requests
import responses

from backend.errors import GatewayUnavailable, InvalidAmount, InvalidRequest, InvalidSignature
from backend.gateways.base import (
    DISPUTE_LOST,
    DISPUTE_OPENED,
    DISPUTE_RECORDED,
    DISPUTE_RELEASED,
    REFUND_DONE,
    REFUND_FAILED,
    REFUND_PENDING,
    REFUND_PROCESSED,
    REFUND_RECORDED,
    REFUND_REFUSED,
    REVERSED,
    GatewayRefund,
)
from backend.gateways.paypal.adapter import PayPalGateway
from backend.gateways.paypal.api import PayPalApi, RefundRefused
from tests.paypal_support import API, CAPTURE_ID, CLIENT_ID, CLIENT_SECRET, ORDER_ID, WEBHOOK_ID, signed, token_answer

REFUND_ID, DISPUTE_ID = "1Y107995YT783435V", "PP-D-27803"
REFUND_URL = f"{API}/v2/payments/captures/{CAPTURE_ID}/refund"
CAPTURE_URL = f"{API}/v2/payments/captures/{CAPTURE_ID}"
ORDER_URL = f"{API}/v2/checkout/orders/{ORDER_ID}"
TIMEOUT = 7.5


class CertificateOnly:
    """The API object as webhook parsing sees it: the certificate at PayPal's URL and its trust store
    (nothing read back from PayPal: the simulator's way)."""

    reads_back_webhooks = False

    def __init__(self, pem, trust_store):
        self.pem = pem
        self.trust_store = trust_store

    def certificate(self, url):
        return self.pem


@pytest.fixture
def webhooks(paypal_key):
    return PayPalGateway(CertificateOnly(paypal_key[1], paypal_key.trust_store), WEBHOOK_ID)


@pytest.fixture
def gateway(http):
    return PayPalGateway(PayPalApi(API, CLIENT_ID, CLIENT_SECRET, TIMEOUT), WEBHOOK_ID, CLIENT_ID)


def refund_resource(value="0.99", status="COMPLETED", custom_id="wdr_ref1", capture_id=CAPTURE_ID, refund_id=REFUND_ID):
    """A refund as PayPal's PAYMENT.CAPTURE.REFUNDED sample and the refund API's answer show it."""
    resource = {
        "id": refund_id,
        "amount": {"currency_code": "USD", "value": value},
        "seller_payable_breakdown": {
            "gross_amount": {"currency_code": "USD", "value": value},
            "paypal_fee": {"currency_code": "USD", "value": "0.02"},
            "net_amount": {"currency_code": "USD", "value": "0.97"},
        },
        "status": status,
        "create_time": "2018-08-15T12:13:29-07:00",
        "update_time": "2018-08-15T12:13:29-07:00",
        "links": [
            {"href": f"https://api.paypal.com/v2/payments/refunds/{refund_id}", "rel": "self", "method": "GET"},
            {"href": f"https://api.paypal.com/v2/payments/captures/{capture_id}", "rel": "up", "method": "GET"},
        ],
    }
    if custom_id is not None:
        resource["custom_id"] = custom_id
    return resource


def dispute_resource(outcome=None, value="3.00"):
    """A dispute as PayPal's CUSTOMER.DISPUTE.RESOLVED sample shows it."""
    resource = {
        "reason": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
        "dispute_channel": "INTERNAL",
        "create_time": "2018-06-21T13:35:44.000Z",
        "dispute_id": DISPUTE_ID,
        "dispute_life_cycle_stage": "CHARGEBACK",
        "disputed_transactions": [
            {
                "seller_transaction_id": CAPTURE_ID,
                "seller": {"merchant_id": "RD465XN5VS364", "name": "Test Store"},
                "items": [],
                "seller_protection_eligible": True,
            }
        ],
        "update_time": "2018-06-21T13:55:58.000Z",
        "links": [{"href": f"https://api.paypal.com/v1/customer/disputes/{DISPUTE_ID}", "rel": "self"}],
        "dispute_amount": {"currency_code": "USD", "value": value},
        "status": "RESOLVED" if outcome else "OPEN",
    }
    if outcome is not None:
        resource["dispute_outcome"] = outcome
    return resource


def event(event_type, resource, resource_type="refund"):
    return json.dumps(
        {
            "id": "WH-1GE84257G0350133W-6RW800890C634293G",
            "create_time": "2018-08-15T19:14:04.543Z",
            "resource_type": resource_type,
            "event_type": event_type,
            "summary": "A $ 0.99 USD capture payment was refunded",
            "resource": resource,
            "links": [],
            "event_version": "1.0",
            "resource_version": "2.0",
        }
    ).encode()


def parsed(webhooks, paypal_key, body):
    return webhooks.parse_webhook(body, signed(paypal_key, body))


# --- PAYMENT.CAPTURE.REFUNDED ------------------------------------------------------------------
def test_refunded_event_is_a_processed_refund_of_the_capture_it_links_up_to(webhooks, paypal_key):
    read = parsed(webhooks, paypal_key, event("PAYMENT.CAPTURE.REFUNDED", refund_resource()))
    assert (read.action, read.case_id, read.gateway_payment_id) == (REFUND_PROCESSED, REFUND_ID, CAPTURE_ID)
    assert (read.amount_minor, read.currency, read.refund_reference) == (99, "USD", "wdr_ref1")
    assert read.event_id == "WH-1GE84257G0350133W-6RW800890C634293G"


def test_refund_paypal_made_on_its_own_names_no_reference(webhooks, paypal_key):
    read = parsed(webhooks, paypal_key, event("PAYMENT.CAPTURE.REFUNDED", refund_resource(custom_id=None)))
    assert (read.action, read.refund_reference) == (REFUND_PROCESSED, None)


@pytest.mark.parametrize(
    "status, action", [("PENDING", REFUND_RECORDED), ("FAILED", REFUND_FAILED), ("CANCELLED", REFUND_FAILED)]
)
def test_refunded_event_of_a_refund_not_completed_moves_nothing_yet(webhooks, paypal_key, status, action):
    read = parsed(webhooks, paypal_key, event("PAYMENT.CAPTURE.REFUNDED", refund_resource(status=status)))
    assert (read.action, read.case_id, read.refund_reference) == (action, REFUND_ID, "wdr_ref1")


# --- PAYMENT.CAPTURE.REVERSED ------------------------------------------------------------------
def test_reversed_event_takes_back_from_the_capture_its_refund_links_up_to(webhooks, paypal_key):
    reversal = dict(refund_resource(value="2.51", custom_id=None), note_to_payer="Payment reversed")
    read = parsed(webhooks, paypal_key, event("PAYMENT.CAPTURE.REVERSED", reversal))
    assert (read.action, read.case_id, read.gateway_payment_id) == (REVERSED, REFUND_ID, CAPTURE_ID)
    assert (read.amount_minor, read.currency) == (251, "USD")


def test_reversed_event_about_the_capture_itself_names_it(webhooks, paypal_key):
    capture = {"id": CAPTURE_ID, "status": "REVERSED", "amount": {"currency_code": "USD", "value": "2.51"}}
    read = parsed(webhooks, paypal_key, event("PAYMENT.CAPTURE.REVERSED", capture, resource_type="capture"))
    assert (read.action, read.case_id, read.gateway_payment_id, read.amount_minor) == (
        REVERSED,
        CAPTURE_ID,
        CAPTURE_ID,
        251,
    )


# --- CUSTOMER.DISPUTE.* ------------------------------------------------------------------------
def test_dispute_created_holds_the_disputed_amount_of_the_capture(webhooks, paypal_key):
    read = parsed(webhooks, paypal_key, event("CUSTOMER.DISPUTE.CREATED", dispute_resource(), "dispute"))
    assert (read.action, read.case_id, read.gateway_payment_id) == (DISPUTE_OPENED, DISPUTE_ID, CAPTURE_ID)
    assert (read.amount_minor, read.currency, read.refund_reference) == (300, "USD", None)


@pytest.mark.parametrize("code", ["RESOLVED_BUYER_FAVOUR", "ACCEPTED"])
def test_dispute_resolved_for_the_buyer_is_lost_for_the_disputed_amount(webhooks, paypal_key, code):
    body = event("CUSTOMER.DISPUTE.RESOLVED", dispute_resource({"outcome_code": code}), "dispute")
    read = parsed(webhooks, paypal_key, body)
    assert (read.action, read.case_id, read.gateway_payment_id, read.amount_minor) == (
        DISPUTE_LOST,
        DISPUTE_ID,
        CAPTURE_ID,
        300,
    )


def test_dispute_lost_takes_back_the_amount_refunded_when_paypal_names_it(webhooks, paypal_key):
    outcome = {"outcome_code": "RESOLVED_BUYER_FAVOUR", "amount_refunded": {"currency_code": "USD", "value": "1.25"}}
    read = parsed(webhooks, paypal_key, event("CUSTOMER.DISPUTE.RESOLVED", dispute_resource(outcome), "dispute"))
    assert (read.action, read.amount_minor, read.currency) == (DISPUTE_LOST, 125, "USD")


@pytest.mark.parametrize(
    "code", ["RESOLVED_SELLER_FAVOUR", "RESOLVED_WITH_PAYOUT", "CANCELED_BY_BUYER", "DENIED", "NONE", "SOMETHING_NEW"]
)
def test_dispute_resolved_any_other_way_releases(webhooks, paypal_key, code):
    body = event("CUSTOMER.DISPUTE.RESOLVED", dispute_resource({"outcome_code": code}), "dispute")
    read = parsed(webhooks, paypal_key, body)
    assert (read.action, read.case_id, read.gateway_payment_id, read.amount_minor) == (
        DISPUTE_RELEASED,
        DISPUTE_ID,
        CAPTURE_ID,
        300,
    )


def test_dispute_lost_with_nothing_refunded_releases(webhooks, paypal_key):
    outcome = {"outcome_code": "ACCEPTED", "amount_refunded": {"currency_code": "USD", "value": "0.00"}}
    read = parsed(webhooks, paypal_key, event("CUSTOMER.DISPUTE.RESOLVED", dispute_resource(outcome), "dispute"))
    assert read.action == DISPUTE_RELEASED


def test_dispute_updated_is_recorded(webhooks, paypal_key):
    read = parsed(webhooks, paypal_key, event("CUSTOMER.DISPUTE.UPDATED", dispute_resource(), "dispute"))
    assert (read.action, read.case_id, read.gateway_payment_id, read.amount_minor) == (
        DISPUTE_RECORDED,
        DISPUTE_ID,
        CAPTURE_ID,
        300,
    )


def test_dispute_update_naming_only_its_dispute_is_recorded(webhooks, paypal_key):
    body = event("CUSTOMER.DISPUTE.UPDATED", {"dispute_id": DISPUTE_ID, "status": "UNDER_REVIEW"}, "dispute")
    read = parsed(webhooks, paypal_key, body)
    assert (read.action, read.case_id, read.gateway_payment_id, read.amount_minor) == (
        DISPUTE_RECORDED,
        DISPUTE_ID,
        None,
        None,
    )


# --- rejections: 400, nothing read -------------------------------------------------------------
def without(resource, *path):
    changed = copy.deepcopy(resource)
    target = changed
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return changed


def replaced(resource, value, *path):
    changed = copy.deepcopy(resource)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


REFUND, DISPUTE = refund_resource(), dispute_resource({"outcome_code": "RESOLVED_BUYER_FAVOUR"})
UNREADABLE = {
    "refund without an up link": ("PAYMENT.CAPTURE.REFUNDED", without(REFUND, "links")),
    "refund linking up to an order": (
        "PAYMENT.CAPTURE.REFUNDED",
        replaced(REFUND, f"https://api.paypal.com/v2/checkout/orders/{ORDER_ID}", "links", 1, "href"),
    ),
    "refund linking up to an id PayPal never makes": (
        "PAYMENT.CAPTURE.REFUNDED",
        replaced(REFUND, "https://api.paypal.com/v2/payments/captures/../refunds", "links", 1, "href"),
    ),
    "refund without an amount": ("PAYMENT.CAPTURE.REFUNDED", without(REFUND, "amount")),
    "refund amount a number": ("PAYMENT.CAPTURE.REFUNDED", replaced(REFUND, 0.99, "amount", "value")),
    "refund amount with too many decimals": ("PAYMENT.CAPTURE.REFUNDED", replaced(REFUND, "0.991", "amount", "value")),
    "refund without an id": ("PAYMENT.CAPTURE.REFUNDED", without(REFUND, "id")),
    "refund id not PayPal's": ("PAYMENT.CAPTURE.REFUNDED", replaced(REFUND, "1Y1/../x", "id")),
    "refund status not text": ("PAYMENT.CAPTURE.REFUNDED", replaced(REFUND, ["COMPLETED"], "status")),
    "resource not an object": ("PAYMENT.CAPTURE.REFUNDED", [REFUND]),
    "reversal without an up link": ("PAYMENT.CAPTURE.REVERSED", without(REFUND, "links")),
    "dispute without transactions": ("CUSTOMER.DISPUTE.CREATED", without(DISPUTE, "disputed_transactions")),
    "dispute with no transaction": ("CUSTOMER.DISPUTE.CREATED", replaced(DISPUTE, [], "disputed_transactions")),
    "dispute transaction without its capture": (
        "CUSTOMER.DISPUTE.CREATED",
        without(DISPUTE, "disputed_transactions", 0, "seller_transaction_id"),
    ),
    "dispute without an amount": ("CUSTOMER.DISPUTE.CREATED", without(DISPUTE, "dispute_amount")),
    "dispute without an id": ("CUSTOMER.DISPUTE.CREATED", without(DISPUTE, "dispute_id")),
    "resolved dispute without an outcome": ("CUSTOMER.DISPUTE.RESOLVED", without(DISPUTE, "dispute_outcome")),
    "outcome code not text": ("CUSTOMER.DISPUTE.RESOLVED", replaced(DISPUTE, 1, "dispute_outcome", "outcome_code")),
    "amount refunded unreadable": (
        "CUSTOMER.DISPUTE.RESOLVED",
        replaced(DISPUTE, "all", "dispute_outcome", "amount_refunded"),
    ),
    "dispute update without its id": ("CUSTOMER.DISPUTE.UPDATED", without(DISPUTE, "dispute_id")),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_unreadable_after_credit_event_is_a_bad_request(webhooks, paypal_key, case):
    event_type, resource = UNREADABLE[case]
    with pytest.raises(InvalidRequest) as raised:
        parsed(webhooks, paypal_key, event(event_type, resource))
    assert raised.value.http_status == 400


def test_zero_refund_amount_is_refused_as_an_invalid_amount(webhooks, paypal_key):
    with pytest.raises(InvalidAmount) as raised:
        parsed(webhooks, paypal_key, event("PAYMENT.CAPTURE.REFUNDED", refund_resource(value="0.00")))
    assert raised.value.http_status == 400


def test_signature_is_checked_before_the_body_is_read(webhooks, paypal_key):
    body = event("PAYMENT.CAPTURE.REFUNDED", without(REFUND, "links"))
    headers = signed(paypal_key, event("PAYMENT.CAPTURE.REFUNDED", REFUND))
    with pytest.raises(InvalidSignature):
        webhooks.parse_webhook(body, headers)


# --- refunds over the live API -----------------------------------------------------------------
def test_refund_posts_the_amount_and_reference_with_paypal_request_id(http, gateway):
    token_answer(http, token="A21AARefund")
    http.add(responses.POST, REFUND_URL, json=refund_resource(value="10.50"), status=201)
    refund = gateway.refund(CAPTURE_ID, 1050, "USD", "wdr_ref1")
    assert refund == GatewayRefund(REFUND_ID, REFUND_DONE, 1050, "USD")
    sent = http.calls[-1].request
    assert (sent.method, sent.url) == ("POST", REFUND_URL)
    assert sent.headers["PayPal-Request-Id"] == "wdr_ref1-refund"
    assert sent.headers["Authorization"] == "Bearer A21AARefund"
    assert sent.headers["Prefer"] == "return=representation"
    assert sent.req_kwargs["timeout"] == TIMEOUT
    assert json.loads(sent.body) == {
        "amount": {"currency_code": "USD", "value": "10.50"},
        "custom_id": "wdr_ref1",
        "note_to_payer": "Wallet refund",
    }


@pytest.mark.parametrize(
    "status, ours",
    [("PENDING", REFUND_PENDING), ("FAILED", REFUND_REFUSED), ("CANCELLED", REFUND_REFUSED), ("NEW", REFUND_PENDING)],
)
def test_refund_status_as_paypal_answers_it(http, gateway, status, ours):
    token_answer(http)
    http.add(responses.POST, REFUND_URL, json=refund_resource(status=status), status=201)
    assert gateway.refund(CAPTURE_ID, 99, "USD", "wdr_ref1") == GatewayRefund(REFUND_ID, ours, 99, "USD")


def paypal_error(status, name, issue):
    body = {"name": name, "message": "The requested action could not be performed.", "debug_id": "f3a9b8c7d6e5"}
    if issue:
        body["details"] = [{"issue": issue, "description": issue.lower()}]
    return {"json": body, "status": status}


REFUSALS = {
    "fully refunded": paypal_error(422, "UNPROCESSABLE_ENTITY", "CAPTURE_FULLY_REFUNDED"),
    "amount exceeded": paypal_error(422, "UNPROCESSABLE_ENTITY", "REFUND_AMOUNT_EXCEEDED"),
    "time limit": paypal_error(422, "UNPROCESSABLE_ENTITY", "REFUND_TIME_LIMIT_EXCEEDED"),
    "unknown capture": paypal_error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID"),
    "not ours": paypal_error(403, "NOT_AUTHORIZED", "PERMISSION_DENIED"),
    "bad request": paypal_error(400, "INVALID_REQUEST", None),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refund_paypal_refuses_is_refused_with_no_refund_id(http, gateway, case):
    token_answer(http)
    http.add(responses.POST, REFUND_URL, **REFUSALS[case])
    assert gateway.refund(CAPTURE_ID, 1050, "USD", "wdr_ref1") == GatewayRefund("", REFUND_REFUSED, 1050, "USD")


def test_refusal_says_paypals_issue(http):
    token_answer(http)
    http.add(responses.POST, REFUND_URL, **REFUSALS["amount exceeded"])
    with pytest.raises(RefundRefused) as raised:
        PayPalApi(API, CLIENT_ID, CLIENT_SECRET).refund_capture(CAPTURE_ID, {}, "r-1")
    assert raised.value.issue == "REFUND_AMOUNT_EXCEEDED"


NO_ANSWER = {
    "server error": {"json": {"name": "INTERNAL_SERVER_ERROR"}, "status": 500},
    "service unavailable": {"body": "busy", "status": 503},
    "rate limited": {"json": {"name": "RATE_LIMIT_REACHED"}, "status": 429},
    "a proxy's 404 page": {"body": "<html>not found</html>", "status": 404},
    "a 422 without PayPal's error": {"json": {"error": "x"}, "status": 422},
    "network": {"body": requests.ConnectionError("reset")},
    "timeout": {"body": requests.Timeout("slow")},
    "created, unreadable": {"json": {"status": "COMPLETED"}, "status": 201},
    "created, zero amount": {"json": refund_resource(value="0.00"), "status": 201},
}


@pytest.mark.parametrize("case", sorted(NO_ANSWER))
def test_refund_without_a_usable_answer_is_unavailable(http, gateway, case):
    token_answer(http)
    http.add(responses.POST, REFUND_URL, **NO_ANSWER[case])
    with pytest.raises(GatewayUnavailable):
        gateway.refund(CAPTURE_ID, 1050, "USD", "wdr_ref1")


@pytest.mark.parametrize("capture_id", ["CAP/../x", "..", "CAP_hand_1", "a:b"])
def test_refund_of_an_id_paypal_never_makes_is_refused_without_asking(http, gateway, capture_id):
    # (an id SPEC allows, `CAP_hand_1`, is refundable by the simulator; PayPal has none: not put in a URL)
    assert gateway.refund(capture_id, 1050, "USD", "wdr_ref1") == GatewayRefund("", REFUND_REFUSED, 1050, "USD")
    assert gateway.find_refund(capture_id, "wdr_ref1") is None
    assert len(http.calls) == 0


@pytest.mark.parametrize("reference", ["", "wdr ref", "wdr:1", "w" * 128, None])
def test_refund_reference_paypal_would_not_take_is_a_programming_error(http, gateway, reference):
    with pytest.raises(ValueError):
        gateway.refund(CAPTURE_ID, 1050, "USD", reference)
    assert len(http.calls) == 0


# --- find_refund: the capture's order lists its refunds ----------------------------------------
def capture_answer(order_link=False):
    capture = {
        "id": CAPTURE_ID,
        "status": "PARTIALLY_REFUNDED",
        "amount": {"currency_code": "USD", "value": "10.50"},
        "links": [{"href": f"{CAPTURE_URL}", "rel": "self", "method": "GET"}],
    }
    if order_link:
        capture["links"].append({"href": ORDER_URL, "rel": "up", "method": "GET"})
    else:
        capture["supplementary_data"] = {"related_ids": {"order_id": ORDER_ID}}
    return capture


def order_with_refunds(*refunds):
    return {
        "id": ORDER_ID,
        "status": "COMPLETED",
        "purchase_units": [{"reference_id": "wtp_ref1", "payments": {"captures": [], "refunds": list(refunds)}}],
    }


def test_find_refund_reads_the_refund_under_the_reference_from_the_captures_order(http, gateway):
    token_answer(http)
    http.add(responses.GET, CAPTURE_URL, json=capture_answer())
    other = refund_resource(custom_id="wdr_other", refund_id="2Y107995YT783435V")
    http.add(responses.GET, ORDER_URL, json=order_with_refunds(other, refund_resource(status="PENDING")))
    assert gateway.find_refund(CAPTURE_ID, "wdr_ref1") == GatewayRefund(REFUND_ID, REFUND_PENDING, 99, "USD")
    assert [c.request.method for c in http.calls[1:]] == ["GET", "GET"]  # only looks: never refunds


def test_find_refund_follows_the_captures_up_link_to_its_order(http, gateway):
    token_answer(http)
    http.add(responses.GET, CAPTURE_URL, json=capture_answer(order_link=True))
    http.add(responses.GET, ORDER_URL, json=order_with_refunds(refund_resource(status="FAILED")))
    assert gateway.find_refund(CAPTURE_ID, "wdr_ref1") == GatewayRefund(REFUND_ID, REFUND_REFUSED, 99, "USD")


def test_find_refund_under_no_such_reference_is_none(http, gateway):
    token_answer(http)
    http.add(responses.GET, CAPTURE_URL, json=capture_answer())
    http.add(responses.GET, ORDER_URL, json=order_with_refunds(refund_resource(custom_id="wdr_other")))
    assert gateway.find_refund(CAPTURE_ID, "wdr_ref1") is None


def test_find_refund_ignores_a_refund_of_another_capture(http, gateway):
    token_answer(http)
    http.add(responses.GET, CAPTURE_URL, json=capture_answer())
    http.add(responses.GET, ORDER_URL, json=order_with_refunds(refund_resource(capture_id="9ZZ79366HH908993F")))
    assert gateway.find_refund(CAPTURE_ID, "wdr_ref1") is None


def test_find_refund_of_a_capture_paypal_does_not_know_is_none(http, gateway):
    token_answer(http)
    http.add(responses.GET, CAPTURE_URL, **paypal_error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID"))
    assert gateway.find_refund(CAPTURE_ID, "wdr_ref1") is None


@pytest.mark.parametrize(
    "capture", [{"json": {"name": "INTERNAL_SERVER_ERROR"}, "status": 500}, {"json": {"id": CAPTURE_ID}}]
)
def test_find_refund_without_a_usable_capture_is_unavailable(http, gateway, capture):
    token_answer(http)
    http.add(responses.GET, CAPTURE_URL, **capture)
    with pytest.raises(GatewayUnavailable):
        gateway.find_refund(CAPTURE_ID, "wdr_ref1")


# --- live mode reads what an event tells back from PayPal's API --------------------------------
# PayPal signs a body only by its CRC-32: whoever saw one signed delivery can build another body that
# matches it. What takes money back or holds it is PayPal's answer about the refund or dispute.
class ReadingBack(CertificateOnly):
    """The live API as webhook parsing sees it: the certificate, and PayPal's resources by path and id."""

    reads_back_webhooks = True

    def __init__(self, pem, trust_store, resources):
        super().__init__(pem, trust_store)
        self.resources, self.asked = resources, []

    def get_resource(self, path, resource_id):
        self.asked.append(path + str(resource_id))
        return self.resources.get(path + str(resource_id))


def reading_back(paypal_key, resources):
    return PayPalGateway(ReadingBack(paypal_key[1], paypal_key.trust_store, resources), WEBHOOK_ID)


def test_a_refund_paypal_does_not_know_takes_nothing_back(paypal_key):
    webhooks = reading_back(paypal_key, {})
    with pytest.raises(InvalidSignature, match="PayPal does not know this PAYMENT.CAPTURE.REFUNDED"):
        parsed(webhooks, paypal_key, event("PAYMENT.CAPTURE.REFUNDED", refund_resource()))
    assert webhooks.api.asked == [f"/v2/payments/refunds/{REFUND_ID}"]


def test_what_a_refund_takes_back_is_the_refund_as_paypal_has_it(paypal_key):
    webhooks = reading_back(paypal_key, {f"/v2/payments/refunds/{REFUND_ID}": refund_resource(value="0.10")})
    read = parsed(webhooks, paypal_key, event("PAYMENT.CAPTURE.REFUNDED", refund_resource(value="99.00")))
    assert (read.action, read.amount_minor, read.gateway_payment_id) == (REFUND_PROCESSED, 10, CAPTURE_ID)


def test_a_dispute_is_read_back_by_its_id_and_its_outcome_is_paypals(paypal_key):
    won = dispute_resource(outcome={"outcome_code": "RESOLVED_SELLER_FAVOUR"})
    webhooks = reading_back(paypal_key, {f"/v1/customer/disputes/{DISPUTE_ID}": won})
    lost = dispute_resource(outcome={"outcome_code": "RESOLVED_BUYER_FAVOUR"})
    read = parsed(webhooks, paypal_key, event("CUSTOMER.DISPUTE.RESOLVED", lost, "dispute"))
    assert read.action == DISPUTE_RELEASED  # the body said lost; PayPal says the seller won
    with pytest.raises(InvalidSignature):
        parsed(reading_back(paypal_key, {}), paypal_key, event("CUSTOMER.DISPUTE.CREATED", lost, "dispute"))


@pytest.mark.parametrize("status", ["REFUNDED", "PARTIALLY_REFUNDED", "REVERSED"])
def test_a_reversed_capture_is_read_back_as_the_capture(paypal_key, status):
    capture = {**refund_resource(refund_id=CAPTURE_ID), "status": status}
    webhooks = reading_back(paypal_key, {f"/v2/payments/captures/{CAPTURE_ID}": capture})
    read = parsed(webhooks, paypal_key, event("PAYMENT.CAPTURE.REVERSED", capture, "capture"))
    assert (read.action, read.gateway_payment_id) == (REVERSED, CAPTURE_ID)


def test_a_reversal_of_a_capture_paypal_shows_completed_takes_nothing_back(paypal_key):
    """Found by a review: the read-back checked only that the capture existed."""
    completed = {**refund_resource(refund_id=CAPTURE_ID), "status": "COMPLETED"}
    webhooks = reading_back(paypal_key, {f"/v2/payments/captures/{CAPTURE_ID}": completed})
    with pytest.raises(InvalidSignature, match="PayPal does not show this capture as reversed"):
        parsed(webhooks, paypal_key, event("PAYMENT.CAPTURE.REVERSED", completed, "capture"))


def test_a_refund_told_completed_while_paypal_shows_it_pending_is_told_again_later(paypal_key):
    webhooks = reading_back(paypal_key, {f"/v2/payments/refunds/{REFUND_ID}": refund_resource(status="PENDING")})
    with pytest.raises(GatewayUnavailable):  # 502: PayPal delivers it again, and it then applies
        parsed(webhooks, paypal_key, event("PAYMENT.CAPTURE.REFUNDED", refund_resource()))
