"""The PayPal adapter in live mode: Orders v2 and OAuth over `requests`, answered by `responses`; webhook
signatures.

Response bodies have the shape of PayPal's documented answers (tests/paypal_support.py). Every test
runs inside a `responses` mock, so an unexpected request fails instead of going to the internet. The
app in live mode: tests/integration/gateways/test_paypal_live_mode.py.
"""

import base64
import dataclasses
import datetime
import json
import re
import zlib
from urllib.parse import parse_qs

import pytest
import requests
import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import NameOID

from backend.errors import GatewayUnavailable, InvalidSignature, PaymentNotCaptured
from backend.gateways.base import CREDIT_WALLET, IGNORE, RECORD_FAILURE
from backend.gateways.paypal.adapter import PayPalGateway
from backend.gateways.paypal.api import CERT_CACHE_SIZE_MAX, CERT_FETCHES_PER_MINUTE_MAX, PayPalApi
from backend.gateways.paypal.simulator_keys import new_signing_pair
from backend.payment_orders import PaymentOrder
from tests.paypal_support import (
    API,
    CAPTURE_ID,
    CAPTURE_READ_URL,
    CERT_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    ORDER_ID,
    ORDERS_URL,
    TOKEN_URL,
    WEBHOOK_ID,
    capture_answer,
    capture_event,
    capture_resource,
    created_order,
    fresh_cert_url,
    signed,
    token_answer,
)

TIMEOUT = 7.5


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.seconds = 1000.0

    def __call__(self):
        return self.seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def gateway(http, clock, paypal_key):
    api = PayPalApi(API, CLIENT_ID, CLIENT_SECRET, TIMEOUT, monotonic=clock, trust_store=paypal_key.trust_store)
    return PayPalGateway(
        api,
        WEBHOOK_ID,
        CLIENT_ID,
        return_url="https://wallet.example/checkout/paypal/return",
        cancel_url="https://wallet.example/checkout/paypal/cancel",
    )


def captured_order(status="COMPLETED", value="10.50", currency="USD", capture_id=CAPTURE_ID):
    capture = {
        "id": capture_id,
        "status": status,
        "amount": {"currency_code": currency, "value": value},
        "final_capture": True,
        "custom_id": "wtp_ref1",
        "seller_protection": {"status": "ELIGIBLE"},
        "create_time": "2024-01-01T00:00:00Z",
    }
    return {
        "id": ORDER_ID,
        "status": "COMPLETED",
        "purchase_units": [{"reference_id": "wtp_ref1", "payments": {"captures": [capture]}}],
    }


def unprocessable(issue):
    return {
        "name": "UNPROCESSABLE_ENTITY",
        "message": "The requested action could not be performed.",
        "details": [{"issue": issue, "description": issue.replace("_", " ").lower()}],
        "debug_id": "f3a9b8c7d6e5",
    }


def payment_order(reference="wtp_ref1"):
    return PaymentOrder(ORDER_ID, reference, "paypal", "cust_a", 1050, "USD")


def calls_to(http, url):
    return [c for c in http.calls if c.request.url.split("?")[0] == url]


# --- OAuth token -------------------------------------------------------------------------------
def test_token_fetched_with_client_credentials(http, gateway):
    token_answer(http, token="A21AAFirst")
    http.add(responses.POST, ORDERS_URL, json=created_order())
    gateway.create_order("wtp_ref1", 1050, "USD", "cust_a")
    token_request = http.calls[0].request
    expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token_request.headers["Authorization"] == expected
    assert parse_qs(token_request.body) == {"grant_type": ["client_credentials"]}
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert token_request.req_kwargs["timeout"] == TIMEOUT
    assert http.calls[1].request.headers["Authorization"] == "Bearer A21AAFirst"


def test_token_cached_between_calls(http, gateway):
    token_answer(http)
    http.add(responses.POST, ORDERS_URL, json=created_order())
    gateway.create_order("wtp_ref1", 1050, "USD", "cust_a")
    gateway.create_order("wtp_ref2", 1050, "USD", "cust_a")
    assert len(calls_to(http, TOKEN_URL)) == 1
    assert len(calls_to(http, ORDERS_URL)) == 2


def test_token_refreshed_shortly_before_expiry(http, gateway, clock):
    token_answer(http, expires_in=3600)
    http.add(responses.POST, ORDERS_URL, json=created_order())
    gateway.create_order("wtp_ref1", 1050, "USD", "cust_a")
    clock.seconds += 3600 - 61
    gateway.create_order("wtp_ref2", 1050, "USD", "cust_a")
    assert len(calls_to(http, TOKEN_URL)) == 1
    clock.seconds += 2  # now within a minute of expiry
    gateway.create_order("wtp_ref3", 1050, "USD", "cust_a")
    assert len(calls_to(http, TOKEN_URL)) == 2


# --- create order ------------------------------------------------------------------------------
def test_create_order_request_body(http, gateway):
    token_answer(http)
    http.add(responses.POST, ORDERS_URL, json=created_order())
    gateway.create_order("wtp_ref1", 1050, "USD", "cust_a")
    request = calls_to(http, ORDERS_URL)[0].request
    sent = json.loads(request.body)
    assert sent["intent"] == "CAPTURE"
    unit = sent["purchase_units"][0]
    assert unit["custom_id"] == "wtp_ref1"
    assert unit["amount"] == {"currency_code": "USD", "value": "10.50"}
    assert request.headers["PayPal-Request-Id"] == "wtp_ref1"
    assert request.req_kwargs["timeout"] == TIMEOUT
    experience = sent["payment_source"]["paypal"]["experience_context"]
    assert experience["return_url"] == "https://wallet.example/checkout/paypal/return"
    assert experience["cancel_url"] == "https://wallet.example/checkout/paypal/cancel"


@pytest.mark.parametrize(
    "amount_minor, value", [(1050, "10.50"), (5, "0.05"), (100, "1.00"), (1000000000, "10000000.00"), (99999, "999.99")]
)
def test_create_order_amount_value_is_exact_string(http, gateway, amount_minor, value):
    token_answer(http)
    http.add(responses.POST, ORDERS_URL, json=created_order())
    gateway.create_order("wtp_ref1", amount_minor, "INR", "cust_a")
    amount = json.loads(calls_to(http, ORDERS_URL)[0].request.body)["purchase_units"][0]["amount"]
    assert amount == {"currency_code": "INR", "value": value}


@pytest.mark.parametrize("rel", ["approve", "payer-action"])
def test_approve_link_is_redirect_url(http, gateway, rel):
    token_answer(http)
    http.add(responses.POST, ORDERS_URL, json=created_order(rel=rel))
    checkout = gateway.create_order("wtp_ref1", 1050, "USD", "cust_a")
    assert checkout.gateway_order_id == ORDER_ID
    assert checkout.redirect_url == f"https://www.sandbox.paypal.com/checkoutnow?token={ORDER_ID}"


@pytest.mark.parametrize(
    "answer",
    [
        {"id": ORDER_ID, "links": []},
        {"links": created_order()["links"]},
        dict(created_order(), id="../x"),
        dict(created_order(), id=5),
    ],
    ids=repr,
)
def test_create_order_without_id_or_approve_link_is_gateway_unavailable(http, gateway, answer):
    token_answer(http)
    http.add(responses.POST, ORDERS_URL, json=answer)
    with pytest.raises(GatewayUnavailable):
        gateway.create_order("wtp_ref1", 1050, "USD", "cust_a")


FAILURES = {
    "500": {"json": {"name": "INTERNAL_SERVER_ERROR", "message": "An internal server error occurred."}, "status": 500},
    "503 html": {"body": "<html>Service Unavailable</html>", "status": 503, "content_type": "text/html"},
    "401": {"json": {"name": "AUTHENTICATION_FAILURE", "message": "Authentication failed"}, "status": 401},
    "400": {"json": {"name": "INVALID_REQUEST", "details": [{"issue": "INVALID_PARAMETER_VALUE"}]}, "status": 400},
    "200 not json": {"body": "maintenance", "status": 200, "content_type": "text/plain"},
    "connection error": {"body": requests.ConnectionError("connection refused")},
    "timeout": {"body": requests.Timeout("read timed out")},
}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_token_failure_is_gateway_unavailable(http, gateway, failure):
    http.add(responses.POST, TOKEN_URL, **failure)
    with pytest.raises(GatewayUnavailable):
        gateway.create_order("wtp_ref1", 1050, "USD", "cust_a")
    assert calls_to(http, ORDERS_URL) == []


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_create_order_failure_is_gateway_unavailable(http, gateway, failure):
    token_answer(http)
    http.add(responses.POST, ORDERS_URL, **failure)
    with pytest.raises(GatewayUnavailable):
        gateway.create_order("wtp_ref1", 1050, "USD", "cust_a")


# --- capture -----------------------------------------------------------------------------------
CAPTURE_URL = f"{ORDERS_URL}/{ORDER_ID}/capture"


def test_capture_completed_is_confirmed_payment(http, gateway):
    token_answer(http)
    http.add(responses.POST, CAPTURE_URL, json=captured_order(), status=201)
    confirmed = gateway.confirm_checkout(payment_order(), {})
    assert (confirmed.gateway_payment_id, confirmed.amount_minor, confirmed.currency) == (CAPTURE_ID, 1050, "USD")
    request = calls_to(http, CAPTURE_URL)[0].request
    assert request.headers["PayPal-Request-Id"] == "wtp_ref1-capture"
    assert request.req_kwargs["timeout"] == TIMEOUT


@pytest.mark.parametrize("status", ["PENDING", "DECLINED", "FAILED"])
def test_capture_not_completed_is_payment_not_captured(http, gateway, status):
    token_answer(http)
    http.add(responses.POST, CAPTURE_URL, json=captured_order(status=status), status=201)
    with pytest.raises(PaymentNotCaptured):
        gateway.confirm_checkout(payment_order(), {})


@pytest.mark.parametrize("issue", ["ORDER_NOT_APPROVED", "INSTRUMENT_DECLINED", "PAYER_ACTION_REQUIRED"])
def test_capture_refused_is_payment_not_captured(http, gateway, issue):
    token_answer(http)
    http.add(responses.POST, CAPTURE_URL, json=unprocessable(issue), status=422)
    with pytest.raises(PaymentNotCaptured):
        gateway.confirm_checkout(payment_order(), {})


def test_already_captured_reads_the_orders_capture(http, gateway):
    token_answer(http)
    http.add(responses.POST, CAPTURE_URL, json=unprocessable("ORDER_ALREADY_CAPTURED"), status=422)
    http.add(responses.GET, f"{ORDERS_URL}/{ORDER_ID}", json=captured_order())
    confirmed = gateway.confirm_checkout(payment_order(), {})
    assert (confirmed.gateway_payment_id, confirmed.amount_minor) == (CAPTURE_ID, 1050)


def test_credited_payment_order_is_not_captured_again(http, gateway):
    paid = dataclasses.replace(payment_order(), status="paid", gateway_payment_id=CAPTURE_ID)
    assert gateway.confirm_checkout(paid, {}).gateway_payment_id == CAPTURE_ID
    assert len(http.calls) == 0


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_capture_failure_is_gateway_unavailable(http, gateway, failure):
    token_answer(http)
    http.add(responses.POST, CAPTURE_URL, **failure)
    with pytest.raises(GatewayUnavailable):
        gateway.confirm_checkout(payment_order(), {})


@pytest.mark.parametrize("value", ["10.5x", "10.505", "NaN", ""])
def test_capture_with_unreadable_amount_is_gateway_unavailable(http, gateway, value):
    token_answer(http)
    http.add(responses.POST, CAPTURE_URL, json=captured_order(value=value), status=201)
    with pytest.raises(GatewayUnavailable):
        gateway.confirm_checkout(payment_order(), {})


@pytest.fixture
def cert_served(http, paypal_key):
    """PayPal's certificate, its token, and the capture the events tell of as PayPal's API has it."""
    http.add(responses.GET, CERT_URL, body=paypal_key[1], content_type="application/x-x509-ca-cert")
    token_answer(http)
    capture_answer(http)


def cert_calls(http):
    return [c for c in http.calls if "/v1/notifications/certs/" in c.request.url]


def test_valid_signature_verifies(http, gateway, paypal_key, cert_served):
    body = capture_event()
    event = gateway.parse_webhook(body, signed(paypal_key, body))
    assert (event.action, event.event_id, event.gateway_payment_id) == (
        CREDIT_WALLET,
        "WH-58D329510W468432D-8HN650336L201105X",
        CAPTURE_ID,
    )
    assert (event.amount_minor, event.currency) == (1050, "USD")
    assert (event.payment_order_id, event.payment_order_reference) == (ORDER_ID, "wtp_ref1")
    assert calls_to(http, CERT_URL)[0].request.req_kwargs["timeout"] == TIMEOUT


def test_certificate_fetched_once(http, gateway, paypal_key, cert_served):
    body = capture_event()
    gateway.parse_webhook(body, signed(paypal_key, body))
    gateway.parse_webhook(body, signed(paypal_key, body))
    assert len(calls_to(http, CERT_URL)) == 1


def test_fresh_certificate_urls_are_fetched_at_most_a_few_a_minute(http, gateway, paypal_key, cert_served, clock):
    """A webhook anyone can send names a certificate URL on PayPal's host: at most
    CERT_FETCHES_PER_MINUTE_MAX new URLs are fetched a minute; beyond that the webhook is refused
    (invalid_signature, PayPal redelivers) without a request, while a cached certificate still verifies."""
    http.add(responses.GET, re.compile(r"https://api-m\.paypal\.com/v1/notifications/certs/CERT-fresh-.*"), status=404)
    body = capture_event()
    gateway.parse_webhook(body, signed(paypal_key, body))  # PayPal's certificate: fetched and cached
    for number in range(CERT_FETCHES_PER_MINUTE_MAX - 1):
        with pytest.raises(GatewayUnavailable):  # fetched: PayPal's host does not serve it
            gateway.parse_webhook(body, signed(paypal_key, body, cert_url=fresh_cert_url(number)))
    for number in range(100, 110):
        with pytest.raises(InvalidSignature):
            gateway.parse_webhook(body, signed(paypal_key, body, cert_url=fresh_cert_url(number)))
    assert len(cert_calls(http)) == CERT_FETCHES_PER_MINUTE_MAX
    assert gateway.parse_webhook(body, signed(paypal_key, body)).action == CREDIT_WALLET  # cached
    clock.seconds += 60
    with pytest.raises(GatewayUnavailable):
        gateway.parse_webhook(body, signed(paypal_key, body, cert_url=fresh_cert_url(200)))
    assert len(cert_calls(http)) == CERT_FETCHES_PER_MINUTE_MAX + 1


def test_the_certificate_in_use_stays_cached_while_others_come_and_go(http, gateway, paypal_key, cert_served, clock):
    served = re.compile(r"https://api-m\.paypal\.com/v1/notifications/certs/CERT-fresh-.*")
    http.add(responses.GET, served, body=paypal_key[1])
    body = capture_event()
    for number in range(CERT_CACHE_SIZE_MAX * 2):
        gateway.parse_webhook(body, signed(paypal_key, body))
        gateway.parse_webhook(body, signed(paypal_key, body, cert_url=fresh_cert_url(number)))
        clock.seconds += 60
    assert len(calls_to(http, CERT_URL)) == 1
    assert len(gateway.api._certs) <= CERT_CACHE_SIZE_MAX


def test_signature_by_another_key_rejected(http, gateway, paypal_key, cert_served):
    body = capture_event()
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(body, signed(new_signing_pair(), body))


def test_body_changed_by_one_byte_rejected(http, gateway, paypal_key, cert_served):
    body = capture_event()
    headers = signed(paypal_key, body)
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(body.replace(b'"10.50"', b'"10.51"'), headers)


def test_wrong_webhook_id_rejected(http, gateway, paypal_key, cert_served):
    body = capture_event()
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(body, signed(paypal_key, body, webhook_id="WH-SOMEONE-ELSES"))


OTHER_CERT_URLS = {
    "another host": "https://evil.example/v1/notifications/certs/CERT-1",
    "http": "http://api-m.paypal.com/v1/notifications/certs/CERT-1",
    "paypal.com lookalike": "https://api-m.paypal.com.evil.example/v1/notifications/certs/CERT-1",
    "userinfo": "https://api-m.paypal.com@evil.example/v1/notifications/certs/CERT-1",
    "port": "https://api-m.paypal.com:8443/v1/notifications/certs/CERT-1",
    "www host": "https://www.paypal.com/v1/notifications/certs/CERT-1",
    "other path": "https://api-m.paypal.com/v1/oauth2/token",
    "dot segments": "https://api-m.paypal.com/v1/notifications/certs/../../oauth2/token",
    # found by a red-team pass: escaped dot segments passed the check and were fetched as `..`
    "escaped dot segments": "https://api-m.paypal.com/v1/notifications/certs/%2e%2e/%2E%2E/oauth2/token",
    "query": "https://api-m.paypal.com/v1/notifications/certs/CERT-1?next=https://evil.example",
}


@pytest.mark.parametrize("cert_url", OTHER_CERT_URLS.values(), ids=OTHER_CERT_URLS.keys())
def test_cert_url_not_paypal_rejected_without_a_request(http, gateway, paypal_key, cert_url):
    http.add(responses.GET, cert_url.split("?")[0], body=paypal_key[1])
    body = capture_event()
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(body, signed(paypal_key, body, cert_url=cert_url))
    assert len(http.calls) == 0


def test_expired_certificate_rejected(http, gateway, paypal_key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "messageverificationcerts.paypal.com")])
    now = datetime.datetime.now(datetime.UTC)
    expired = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(paypal_key[0].public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=400))
        .not_valid_after(now - datetime.timedelta(days=1))
        .sign(paypal_key[0], hashes.SHA256())
    )
    http.add(responses.GET, CERT_URL, body=expired.public_bytes(serialization.Encoding.PEM))
    body = capture_event()
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(body, signed(paypal_key, body))


def test_cert_redirect_not_followed(http, gateway, paypal_key):
    http.add(responses.GET, CERT_URL, status=302, headers={"Location": "https://evil.example/cert.pem"})
    http.add(responses.GET, "https://evil.example/cert.pem", body=paypal_key[1])
    body = capture_event()
    with pytest.raises(GatewayUnavailable):
        gateway.parse_webhook(body, signed(paypal_key, body))
    assert [c.request.url for c in http.calls] == [CERT_URL]


HEADER_NAMES = [
    "PAYPAL-TRANSMISSION-ID",
    "PAYPAL-TRANSMISSION-TIME",
    "PAYPAL-TRANSMISSION-SIG",
    "PAYPAL-CERT-URL",
    "PAYPAL-AUTH-ALGO",
]


@pytest.mark.parametrize("name", HEADER_NAMES)
def test_missing_header_rejected(http, gateway, paypal_key, cert_served, name):
    body = capture_event()
    headers = {k: v for k, v in signed(paypal_key, body).items() if k != name}
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(body, headers)


def resigned(paypal_key, body, headers):
    """`headers` with a signature that is right for their transmission id and time."""
    message = "|".join(
        [
            headers["PAYPAL-TRANSMISSION-ID"],
            headers["PAYPAL-TRANSMISSION-TIME"],
            WEBHOOK_ID,
            str(zlib.crc32(body) & 0xFFFFFFFF),
        ]
    )
    signature = paypal_key[0].sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return dict(headers, **{"PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode()})


NAIVE_NOW = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.mark.parametrize(
    "name, value",
    [
        ("PAYPAL-AUTH-ALGO", "SHA1withRSA"),
        ("PAYPAL-TRANSMISSION-TIME", "yesterday"),
        ("PAYPAL-TRANSMISSION-TIME", NAIVE_NOW),
    ],
)
def test_malformed_header_rejected_even_when_signed(http, gateway, paypal_key, cert_served, name, value):
    body = capture_event()
    headers = resigned(paypal_key, body, dict(signed(paypal_key, body), **{name: value}))
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(body, headers)


def test_signature_not_base64_rejected(http, gateway, paypal_key, cert_served):
    body = capture_event()
    headers = dict(signed(paypal_key, body), **{"PAYPAL-TRANSMISSION-SIG": "not base64!"})
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(body, headers)


@pytest.mark.parametrize("minutes", [-6, 6, -60 * 24])
def test_transmission_time_over_5_minutes_off_rejected(http, gateway, paypal_key, cert_served, minutes):
    body = capture_event()
    sent_at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=minutes)
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(body, signed(paypal_key, body, sent_at=sent_at))


def test_signer_follows_paypal_scheme(paypal_key):
    """The simulator's signer signs `id|time|webhook_id|crc32` with SHA256withRSA, as PayPal does."""
    body = capture_event()
    headers = signed(paypal_key, body)
    message = "|".join(
        [
            headers["PAYPAL-TRANSMISSION-ID"],
            headers["PAYPAL-TRANSMISSION-TIME"],
            WEBHOOK_ID,
            str(zlib.crc32(body) & 0xFFFFFFFF),
        ]
    )
    paypal_key[0].public_key().verify(
        base64.b64decode(headers["PAYPAL-TRANSMISSION-SIG"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


# --- webhook events ----------------------------------------------------------------------------
@pytest.mark.parametrize("event_type", ["PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED"])
def test_denied_capture_is_failed_event(http, gateway, paypal_key, cert_served, event_type):
    body = capture_event(event_type)
    event = gateway.parse_webhook(body, signed(paypal_key, body))
    assert (event.action, event.payment_order_id) == (RECORD_FAILURE, ORDER_ID)


@pytest.mark.parametrize("event_type", ["CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.PENDING"])
def test_other_events_ignored(http, gateway, paypal_key, cert_served, event_type):
    body = capture_event(event_type)
    assert gateway.parse_webhook(body, signed(paypal_key, body)).action == IGNORE


def test_event_without_order_id_names_the_reference(http, gateway, paypal_key, cert_served):
    http.replace(responses.GET, CAPTURE_READ_URL, json=capture_resource(order_id=None))
    body = capture_event(order_id=None)
    event = gateway.parse_webhook(body, signed(paypal_key, body))
    assert (event.payment_order_id, event.payment_order_reference) == (None, "wtp_ref1")


# --- a webhook's capture, read back from PayPal ------------------------------------------------
# PayPal signs a webhook's body only by its CRC-32: whoever saw one signed delivery can make another
# body match it (a red-team pass credited a top-up never paid that way). What credits is the capture
# as PayPal's API has it.
@pytest.mark.parametrize(
    "answer",
    [
        {"status": 404, "json": {"name": "RESOURCE_NOT_FOUND", "message": "The specified resource does not exist."}},
        {"json": capture_resource(status="DECLINED")},
        {"json": {**capture_resource(), "id": "0XX00000XX0000000"}},
    ],
    ids=["unknown to PayPal", "declined", "another capture"],
)
def test_a_capture_paypal_does_not_show_completed_credits_nothing(http, gateway, paypal_key, cert_served, answer):
    http.replace(responses.GET, CAPTURE_READ_URL, **answer)
    body = capture_event()
    with pytest.raises(InvalidSignature, match="PayPal does not show this capture as completed"):
        gateway.parse_webhook(body, signed(paypal_key, body))


def test_what_credits_is_the_capture_as_paypal_has_it_not_the_body(http, gateway, paypal_key, cert_served):
    http.replace(responses.GET, CAPTURE_READ_URL, json=capture_resource(value="1.00", custom_id="wtp_other"))
    body = capture_event(value="10.50")
    event = gateway.parse_webhook(body, signed(paypal_key, body))
    assert (event.amount_minor, event.payment_order_reference) == (100, "wtp_other")
    assert calls_to(http, CAPTURE_READ_URL)[0].request.headers["Authorization"] == "Bearer A21AAFakeToken"


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500, "json": {}},
        {"body": requests.ConnectionError("down")},
        {"json": capture_resource(status="PENDING")},  # not completed yet at PayPal: told again later
        {"json": {k: v for k, v in capture_resource().items() if k != "amount"}},  # unreadable (was a 500)
    ],
)
def test_paypal_not_answering_about_the_capture_credits_nothing_for_now(
    http, gateway, paypal_key, cert_served, failure
):
    http.replace(responses.GET, CAPTURE_READ_URL, **failure)
    body = capture_event()
    with pytest.raises(GatewayUnavailable):  # 502: PayPal delivers the webhook again
        gateway.parse_webhook(body, signed(paypal_key, body))


def test_a_failed_capture_is_not_read_back(http, gateway, paypal_key, cert_served):
    body = capture_event(event_type="PAYMENT.CAPTURE.DENIED")
    assert gateway.parse_webhook(body, signed(paypal_key, body)).action == RECORD_FAILURE
    assert calls_to(http, CAPTURE_READ_URL) == []


@pytest.mark.parametrize("currency_code", [["INR"], {"code": "INR"}, None, 5])
def test_capture_amount_with_a_non_text_currency_is_unreadable(currency_code):
    from backend.gateways.paypal.adapter import parse_amount

    with pytest.raises(ValueError):
        parse_amount({"currency_code": currency_code, "value": "10.00"})
