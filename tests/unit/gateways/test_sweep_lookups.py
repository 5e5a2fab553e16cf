"""Each adapter's `look_up` (the sweep's question to a gateway): Razorpay through the SDK and PayPal
over `requests`, both answered by recorded responses (`responses`), and the simulators' records.

Every HTTP test runs inside a `responses` mock, so an unexpected request fails instead of going to
the internet."""

import json
import uuid

import pytest
import requests
import responses

from backend.db import connect
from backend.errors import GatewayUnavailable, InvalidAmount
from backend.gateways.base import CAPTURED, FAILED, PENDING, Lookup
from backend.gateways.google_pay.adapter import GooglePayGateway
from backend.gateways.google_pay.simulator import CHARGES_COLLECTION, SimulatorProcessor
from backend.gateways.paypal.adapter import PayPalGateway
from backend.gateways.paypal.api import PayPalApi
from backend.gateways.razorpay.adapter import RazorpayGateway
from backend.gateways.razorpay.api import RazorpayApi
from backend.gateways.razorpay.simulator import PAYMENTS_COLLECTION, SimulatedRazorpayApi
from backend.gateways.razorpay.simulator_events import payment_entity
from backend.payment_orders import PaymentOrder
from tests.google_pay_support import FakeProcessor
from tests.razorpay_support import payment_response

RZP_KEY_ID, RZP_KEY_SECRET = "rzp_test_LiveKey000001", "live_key_secret_for_tests"
RZP_ORDER = "order_SweepA1"
RZP_PAYMENTS_URL = f"https://api.razorpay.com/v1/orders/{RZP_ORDER}/payments"
PAYPAL_API = "https://api-m.sandbox.paypal.com"
PP_ORDER, PP_CAPTURE = "5O190127TN364715T", "3C679366HH908993F"
PP_ORDER_URL = f"{PAYPAL_API}/v2/checkout/orders/{PP_ORDER}"
TIMEOUT = 6.5


@pytest.fixture
def database():
    return connect("mongomock://localhost", f"unit_{uuid.uuid4().hex[:10]}")


# --- Razorpay: the order's payments through the SDK -------------------------------------------
def razorpay_payment(
    payment_id="pay_SweepA1", status="captured", amount_minor=50000, currency="INR", order_id=RZP_ORDER, error_code=None
):
    """A payment as Razorpay's `GET /v1/orders/<id>/payments` lists it (fee and tax only once captured)."""
    captured = status == "captured"
    return dict(
        payment_response(payment_id, order_id, amount_minor, currency, status),
        fee=1180 if captured else None,
        tax=180 if captured else None,
        error_code=error_code,
    )


def razorpay_collection(*payments):
    return {"entity": "collection", "count": len(payments), "items": list(payments)}


@pytest.fixture
def razorpay():
    return RazorpayGateway(
        RazorpayApi(RZP_KEY_ID, RZP_KEY_SECRET, timeout_seconds=TIMEOUT),
        RZP_KEY_ID,
        RZP_KEY_SECRET,
        "webhook_secret",
        checkout_url="http://localhost/checkout/razorpay",
    )


def rzp_order(amount_minor=50000):
    return PaymentOrder(RZP_ORDER, "wtp_ref1", "razorpay", "cust_a", amount_minor, "INR")


def test_razorpay_captured_payment_is_captured(http, razorpay):
    http.add(
        responses.GET,
        RZP_PAYMENTS_URL,
        json=razorpay_collection(
            razorpay_payment("pay_Failed1", "failed", error_code="BAD_REQUEST_ERROR"), razorpay_payment()
        ),
    )
    assert razorpay.look_up(rzp_order()) == Lookup(CAPTURED, "pay_SweepA1", 50000, "INR", detail="captured")
    request = http.calls[0].request
    assert (request.method, request.url) == ("GET", RZP_PAYMENTS_URL)
    assert request.headers["Authorization"].startswith("Basic ")
    assert request.req_kwargs["timeout"] == TIMEOUT


@pytest.mark.parametrize(
    "payments, status, detail",
    [
        ((), PENDING, "no_payment"),
        ((razorpay_payment(status="authorized"),), PENDING, "authorized"),
        (
            (razorpay_payment("pay_F1", "failed", error_code="BAD_REQUEST_ERROR"), razorpay_payment(status="created")),
            PENDING,
            "created",
        ),
        ((razorpay_payment("pay_F1", "failed", error_code="BAD_REQUEST_ERROR"),), FAILED, "BAD_REQUEST_ERROR"),
        ((razorpay_payment("pay_R1", "refunded"),), FAILED, "refunded"),
        ((razorpay_payment(order_id="order_Other"),), PENDING, "no_payment"),  # another order's payment: not ours
    ],
    ids=["none", "authorized", "failed then created", "failed", "refunded", "other order"],
)
def test_razorpay_without_a_captured_payment(http, razorpay, payments, status, detail):
    http.add(responses.GET, RZP_PAYMENTS_URL, json=razorpay_collection(*payments))
    lookup = razorpay.look_up(rzp_order())
    assert (lookup.status, lookup.detail, lookup.gateway_payment_id) == (status, detail, None)


def test_razorpay_reports_the_amount_it_took(http, razorpay):
    """The look-up reports what Razorpay says; the sweep compares it with the initiated amount."""
    http.add(responses.GET, RZP_PAYMENTS_URL, json=razorpay_collection(razorpay_payment(amount_minor=100)))
    lookup = razorpay.look_up(rzp_order(50000))
    assert (lookup.status, lookup.amount_minor, lookup.currency) == (CAPTURED, 100, "INR")


@pytest.mark.parametrize(
    "failure",
    [
        {"json": {"error": {"code": "SERVER_ERROR", "description": "The server encountered an error."}}, "status": 500},
        {
            "json": {"error": {"code": "BAD_REQUEST_ERROR", "description": "The id provided does not exist"}},
            "status": 400,
        },
        {"body": "<html>maintenance</html>", "status": 200, "content_type": "text/html"},
        {"json": {"entity": "collection", "count": 0}},
        {"json": razorpay_collection(razorpay_payment(payment_id="pay/../x"))},
        {"body": requests.Timeout("read timed out")},
        {"body": "null", "status": 400, "content_type": "application/json"},
        {"body": '"error"', "status": 500, "content_type": "application/json"},
        {"json": {"error": None}, "status": 400},
    ],
    ids=[
        "500",
        "400",
        "not json",
        "no items",
        "unusable payment id",
        "timeout",
        "error null",
        "error a string",
        "error object null",
    ],
)
def test_razorpay_unusable_answer_is_gateway_unavailable(http, razorpay, failure):
    http.add(responses.GET, RZP_PAYMENTS_URL, **failure)
    with pytest.raises(GatewayUnavailable):
        razorpay.look_up(rzp_order())


def test_razorpay_simulator_answers_from_the_payments_its_page_made(http, database):
    api = SimulatedRazorpayApi(database)
    gateway = RazorpayGateway(api, RZP_KEY_ID, RZP_KEY_SECRET, "whsec", checkout_url="http://localhost/sim")
    order = rzp_order(1050)
    assert gateway.look_up(order) == Lookup(PENDING, detail="no_payment")
    failed = payment_entity(order, "pay_SimF1", "failed")
    api.record_payment(failed)
    assert gateway.look_up(order).status == FAILED
    api.record_payment(payment_entity(order, "pay_SimC1", "captured"))
    api.record_payment(dict(failed, status="captured"))  # a repeat of a recorded id changes nothing
    assert gateway.look_up(order) == Lookup(CAPTURED, "pay_SimC1", 1050, "INR", detail="captured")
    assert database[PAYMENTS_COLLECTION].count_documents({}) == 2
    assert len(http.calls) == 0


def test_razorpay_simulator_without_a_store_cannot_be_asked(database):
    gateway = RazorpayGateway(SimulatedRazorpayApi(), RZP_KEY_ID, RZP_KEY_SECRET, "whsec", checkout_url="http://x")
    assert gateway.look_up(rzp_order()) is None


# --- PayPal: GET the order, capture an APPROVED one -------------------------------------------
@pytest.fixture
def paypal(http):
    http.add(
        responses.POST,
        PAYPAL_API + "/v1/oauth2/token",
        json={"access_token": "A21AAFakeToken", "token_type": "Bearer", "expires_in": 32400},
    )
    return PayPalGateway(PayPalApi(PAYPAL_API, "client", "secret", TIMEOUT), "WH-1", "client")


def pp_order():
    return PaymentOrder(PP_ORDER, "wtp_ref1", "paypal", "cust_a", 1050, "USD")


def paypal_order(status, capture_status=None, value="10.50"):
    unit = {"reference_id": "wtp_ref1", "custom_id": "wtp_ref1", "amount": {"currency_code": "USD", "value": value}}
    if capture_status:
        unit["payments"] = {
            "captures": [
                {
                    "id": PP_CAPTURE,
                    "status": capture_status,
                    "amount": {"currency_code": "USD", "value": value},
                    "final_capture": True,
                    "custom_id": "wtp_ref1",
                    "create_time": "2024-01-01T00:00:00Z",
                }
            ]
        }
    return {
        "id": PP_ORDER,
        "intent": "CAPTURE",
        "status": status,
        "purchase_units": [unit],
        "links": [{"href": PP_ORDER_URL, "rel": "self", "method": "GET"}],
    }


def unprocessable(issue):
    return {"name": "UNPROCESSABLE_ENTITY", "details": [{"issue": issue}], "debug_id": "f3a9b8c7d6e5"}


def methods(http):
    return [(c.request.method, c.request.url) for c in http.calls if "oauth2" not in c.request.url]


def test_paypal_completed_order_is_captured_without_capturing_again(http, paypal):
    http.add(responses.GET, PP_ORDER_URL, json=paypal_order("COMPLETED", "COMPLETED"))
    assert paypal.look_up(pp_order()) == Lookup(CAPTURED, PP_CAPTURE, 1050, "USD", detail="COMPLETED")
    assert methods(http) == [("GET", PP_ORDER_URL)]
    assert http.calls[-1].request.req_kwargs["timeout"] == TIMEOUT


def test_paypal_approved_order_is_captured_with_verifys_request_id(http, paypal):
    http.add(responses.GET, PP_ORDER_URL, json=paypal_order("APPROVED"))
    http.add(responses.POST, PP_ORDER_URL + "/capture", json=paypal_order("COMPLETED", "COMPLETED"), status=201)
    assert paypal.look_up(pp_order()) == Lookup(CAPTURED, PP_CAPTURE, 1050, "USD", detail="COMPLETED")
    assert methods(http) == [("GET", PP_ORDER_URL), ("POST", PP_ORDER_URL + "/capture")]
    assert http.calls[-1].request.headers["PayPal-Request-Id"] == "wtp_ref1-capture"


def test_paypal_approved_order_captured_meanwhile_is_read_again(http, paypal):
    http.add(responses.GET, PP_ORDER_URL, json=paypal_order("APPROVED"))
    http.add(responses.POST, PP_ORDER_URL + "/capture", json=unprocessable("ORDER_ALREADY_CAPTURED"), status=422)
    http.add(responses.GET, PP_ORDER_URL, json=paypal_order("COMPLETED", "COMPLETED"))
    assert paypal.look_up(pp_order()).status == CAPTURED


@pytest.mark.parametrize(
    "answers, status, detail",
    [
        ([("GET", paypal_order("PAYER_ACTION_REQUIRED"), 200)], PENDING, "PAYER_ACTION_REQUIRED"),
        ([("GET", paypal_order("CREATED"), 200)], PENDING, "CREATED"),
        (
            [("GET", {"name": "RESOURCE_NOT_FOUND", "details": [{"issue": "INVALID_RESOURCE_ID"}]}, 404)],
            PENDING,
            "not_found",
        ),
        ([("GET", {"name": "INVALID_RESOURCE_ID"}, 404)], PENDING, "not_found"),  # v1's name for it
        ([("GET", paypal_order("COMPLETED", "PENDING"), 200)], PENDING, "capture_pending"),
        ([("GET", paypal_order("COMPLETED", "DECLINED"), 200)], FAILED, "capture_declined"),
        ([("GET", paypal_order("VOIDED"), 200)], FAILED, "VOIDED"),
        (
            [("GET", paypal_order("APPROVED"), 200), ("POST", unprocessable("INSTRUMENT_DECLINED"), 422)],
            FAILED,
            "capture_refused",
        ),
    ],
    ids=[
        "payer action",
        "created",
        "unknown to PayPal",
        "unknown to PayPal, v1's name",
        "capture pending",
        "capture declined",
        "voided",
        "capture refused",
    ],
)
def test_paypal_without_a_completed_capture(http, paypal, answers, status, detail):
    for method, body, code in answers:
        http.add(method, PP_ORDER_URL + ("/capture" if method == "POST" else ""), json=body, status=code)
    lookup = paypal.look_up(pp_order())
    assert (lookup.status, lookup.detail, lookup.gateway_payment_id) == (status, detail, None)


@pytest.mark.parametrize(
    "failure",
    [
        {"json": {"name": "INTERNAL_SERVER_ERROR"}, "status": 500},
        {"json": {"name": "NOT_AUTHORIZED"}, "status": 404},  # a 404 that is not "no such order"
        {"body": requests.ConnectionError("connection refused")},
        {"json": paypal_order("COMPLETED", "COMPLETED", value="10.505")},
    ],
    ids=["500", "404 other", "connection error", "unreadable capture"],
)
def test_paypal_unusable_answer_is_gateway_unavailable(http, paypal, failure):
    http.add(responses.GET, PP_ORDER_URL, **failure)
    with pytest.raises(GatewayUnavailable):
        paypal.look_up(pp_order())


def test_paypal_zero_capture_is_an_invalid_amount(http, paypal):
    http.add(responses.GET, PP_ORDER_URL, json=paypal_order("COMPLETED", "COMPLETED", value="0.00"))
    with pytest.raises(InvalidAmount):
        paypal.look_up(pp_order())


# --- Google Pay: the processor's charge under the payment order id ----------------------------
def google_pay(processor):
    return GooglePayGateway("merchant", "merchant:merchant", [], None, processor, "http://localhost/gp")


def gp_order():
    return PaymentOrder("gpay_Sweep1", "wtp_ref1", "google_pay", "cust_g", 50000, "INR")


@pytest.mark.parametrize("with_store", [True, False], ids=["store", "memory"])
def test_google_pay_simulator_processor_remembers_its_charges(database, with_store):
    processor = SimulatorProcessor()
    if with_store:
        processor.keep_charges(database)
    gateway = google_pay(processor)
    assert gateway.look_up(gp_order()) == Lookup(PENDING, detail="no_charge")
    charge_id = processor.charge("gpay_Sweep1", {"pan": "4111111111111111"}, 50000, "INR")
    assert processor.charge("gpay_Sweep1", {"pan": "4111111111111111"}, 50000, "INR") == charge_id
    assert gateway.look_up(gp_order()) == Lookup(CAPTURED, charge_id, 50000, "INR", detail="succeeded")
    stored = list(database[CHARGES_COLLECTION].find({}))
    assert len(stored) == (1 if with_store else 0)
    assert all("pan" not in json.dumps(record, default=str) for record in stored)  # no card data kept


def test_google_pay_charges_in_the_store_are_seen_by_another_processor(database):
    SimulatorProcessor().keep_charges(database).charge("gpay_Sweep1", {}, 50000, "INR")
    assert google_pay(SimulatorProcessor().keep_charges(database)).look_up(gp_order()).status == CAPTURED


def test_google_pay_processor_that_cannot_be_asked_is_not_looked_up():
    assert google_pay(FakeProcessor()).look_up(gp_order()) is None
