"""PayPal webhooks in live mode over HTTP, by the certificate their PAYPAL-CERT-URL serves (answered by
`responses`): a chain to the trusted root credits once; a self-signed certificate, a chain to another
root, an expired certificate or intermediate, or a certificate issued to another name is 400
invalid_signature and credits nothing; 100 webhooks naming 100 new certificate URLs fetch at most
CERT_FETCHES_PER_MINUTE_MAX of them.

Certificates are made by tests/paypal_pki_support.py; the app trusts its test root (tests/conftest.py's
PAYPAL_CERT_TRUST_STORE), as production trusts DigiCert Global Root G2.
"""

import json
import re

import pytest
import responses

from backend import create_app
from backend.errors import ConfigError
from backend.gateways.paypal.api import CERT_FETCHES_PER_MINUTE_MAX
from tests.conftest import app_config, drop_store
from tests.helpers import BASE, bearer, snapshot
from tests.integration.support import assert_error, balance_minor
from tests.paypal_pki_support import DAY, LEAF_NAME, Pki, certificate, now, pem, shared_pki
from tests.paypal_support import (
    CAPTURE_ID,
    CAPTURE_READ_URL,
    CERT_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    ORDER_ID,
    ORDERS_URL,
    WEBHOOK_ID,
    capture_answer,
    capture_resource,
    created_order,
    fresh_cert_url,
    signed,
    token_answer,
)

WEBHOOK = f"{BASE}/webhook/paypal"
PAYPAL_KEYS = {"PAYPAL_CLIENT_ID": CLIENT_ID, "PAYPAL_CLIENT_SECRET": CLIENT_SECRET, "PAYPAL_WEBHOOK_ID": WEBHOOK_ID}


def live_config(**overrides):
    return app_config(
        GATEWAY_MODE="live",
        RAZORPAY_KEY_ID="rzp_test_x",
        RAZORPAY_KEY_SECRET="s",
        RAZORPAY_WEBHOOK_SECRET="w",
        **PAYPAL_KEYS,
        **overrides,
    )


@pytest.fixture
def live(http):
    app = create_app(live_config())
    yield app
    drop_store(app)


@pytest.fixture
def topped_up(live, http):
    """(client, db, capture event body) after a ₹10.50 PayPal top-up of cust_a was initiated."""
    client, db = live.test_client(), live.extensions["wallet_db"]
    token_answer(http)
    http.add(responses.POST, ORDERS_URL, json=created_order())
    response = client.post(
        f"{BASE}/wallet/topup/initiate",
        json={"customer_id": "cust_a", "amount": "10.50", "payment_method": "paypal"},
        headers=bearer("cust_a"),
    )
    assert response.status_code == 200, response.get_json()
    reference = db["payment_orders"].find_one({"_id": ORDER_ID})["reference"]
    capture_answer(http, value="10.50", currency="INR", custom_id=reference)  # as PayPal's API has it
    return client, db, capture_completed(reference)


def capture_completed(reference):
    """PayPal's PAYMENT.CAPTURE.COMPLETED for the top-up (its documented shape)."""
    resource = {
        "id": CAPTURE_ID,
        "status": "COMPLETED",
        "amount": {"currency_code": "INR", "value": "10.50"},
        "final_capture": True,
        "custom_id": reference,
        "supplementary_data": {"related_ids": {"order_id": ORDER_ID}},
    }
    event = {
        "id": "WH-2WR32451HC0233532-67976317FL4543714",
        "event_version": "1.0",
        "resource_type": "capture",
        "resource_version": "2.0",
        "event_type": "PAYMENT.CAPTURE.COMPLETED",
        "summary": "Payment completed for INR 10.50 INR",
        "resource": resource,
        "links": [],
    }
    return json.dumps(event).encode()


def serve(http, body, url=CERT_URL):
    http.add(responses.GET, url, body=body, content_type="application/x-x509-ca-cert")


def test_a_certificate_chaining_to_the_trusted_root_credits_once(http, paypal_key, topped_up):
    client, db, body = topped_up
    serve(http, paypal_key.served_pem)
    assert client.post(WEBHOOK, data=body, headers=signed(paypal_key, body)).status_code == 200
    assert client.post(WEBHOOK, data=body, headers=signed(paypal_key, body)).status_code == 200  # a redelivery
    assert balance_minor(db, "cust_a") == 1050
    assert len([c for c in http.calls if c.request.url == CERT_URL]) == 1  # cached


def self_signed(key):
    return pem(certificate(key, LEAF_NAME, key, LEAF_NAME, ca=False))


def under_another_root(key):
    return Pki.make(root_name="Test Root CA", intermediate_name="Test TLS RSA CA").served(key)


def expired(key):
    return shared_pki().served(key, not_before=now() - 400 * DAY, not_after=now() - DAY)


def not_yet_valid(key):
    return shared_pki().served(key, not_before=now() + DAY, not_after=now() + 400 * DAY)


def under_an_expired_intermediate(key):
    pki = shared_pki()
    return pem(pki.leaf(key), pki.intermediate_valid(now() - 400 * DAY, now() - DAY))


FORGED = {
    "self-signed in PayPal's name": self_signed,
    "another root, same names": under_another_root,
    "expired": expired,
    "not yet valid": not_yet_valid,
    "expired intermediate": under_an_expired_intermediate,
    "issued to another name": lambda key: shared_pki().served(key, subject="www.paypal.com"),
    "PayPal's name in the subject, another in subjectAltName": lambda key: shared_pki().served(key, san="evil.example"),
    "leaf without its intermediate": lambda key: pem(shared_pki().leaf(key)),
}


@pytest.mark.parametrize("forge", FORGED.values(), ids=FORGED.keys())
def test_a_certificate_that_does_not_check_out_is_refused_and_credits_nothing(http, paypal_key, topped_up, forge):
    """Each is signed with the certificate's own key, so only the certificate check can refuse it."""
    client, db, body = topped_up
    serve(http, forge(paypal_key.private_key))
    before = snapshot(db)
    assert_error(client.post(WEBHOOK, data=body, headers=signed(paypal_key, body)), 400, "invalid_signature")
    assert snapshot(db) == before
    assert balance_minor(db, "cust_a") == 0


def test_the_same_event_credits_once_its_certificate_checks_out(http, paypal_key, topped_up):
    """A refused delivery leaves nothing behind: PayPal's redelivery, with its real certificate, credits."""
    client, db, body = topped_up
    forged_url = CERT_URL.replace("a5cafa77", "0f0f0f0f")
    serve(http, self_signed(paypal_key.private_key), forged_url)
    serve(http, paypal_key.served_pem)
    refused = client.post(WEBHOOK, data=body, headers=signed(paypal_key, body, cert_url=forged_url))
    assert_error(refused, 400, "invalid_signature")
    assert client.post(WEBHOOK, data=body, headers=signed(paypal_key, body)).status_code == 200
    assert balance_minor(db, "cust_a") == 1050


def test_a_hundred_new_certificate_urls_fetch_at_most_the_bound(http, paypal_key, topped_up):
    """Worst case: every URL serves a certificate that checks out. Only CERT_FETCHES_PER_MINUTE_MAX
    are fetched; the rest are refused at once, and the top-up is credited once."""
    client, db, body = topped_up
    http.add(
        responses.GET,
        re.compile(r"https://api-m\.paypal\.com/v1/notifications/certs/CERT-fresh-\d{4}"),
        body=paypal_key.served_pem,
    )
    statuses = [
        client.post(WEBHOOK, data=body, headers=signed(paypal_key, body, cert_url=fresh_cert_url(number))).status_code
        for number in range(100)
    ]
    fetches = [c for c in http.calls if "/notifications/certs/" in c.request.url]
    assert len(fetches) == CERT_FETCHES_PER_MINUTE_MAX
    assert statuses == [200] * CERT_FETCHES_PER_MINUTE_MAX + [400] * (100 - CERT_FETCHES_PER_MINUTE_MAX)
    assert balance_minor(db, "cust_a") == 1050


def test_the_default_trust_store_is_digicerts_not_the_test_root(http, paypal_key):
    """PAYPAL_CERT_TRUST_STORE empty: the bundled DigiCert Global Root G2, which did not issue the tests' chain."""
    app = create_app(live_config(PAYPAL_CERT_TRUST_STORE=""))
    client = app.test_client()
    serve(http, paypal_key.served_pem)
    body = capture_completed("wtp_unknown")
    assert_error(client.post(WEBHOOK, data=body, headers=signed(paypal_key, body)), 400, "invalid_signature")
    drop_store(app)


@pytest.mark.parametrize("contents", [None, b"", b"not a certificate"], ids=["missing", "empty", "no PEM"])
def test_a_trust_store_that_cannot_be_read_stops_the_start(tmp_path, contents):
    path = tmp_path / "roots.pem"
    if contents is not None:
        path.write_bytes(contents)
    with pytest.raises(ConfigError, match="PAYPAL_CERT_TRUST_STORE"):
        create_app(live_config(PAYPAL_CERT_TRUST_STORE=str(path)))


def test_a_signed_capture_paypal_does_not_know_credits_nothing(http, paypal_key, topped_up):
    """PayPal signs a body only by its CRC-32, so whoever saw one signed delivery can make another body
    match it (a red-team pass credited a top-up never paid so). A webhook's capture is read back from
    PayPal's API first: one PayPal does not show as COMPLETED credits nothing, and PayPal's own
    delivery, once the capture is there, credits."""
    client, db, body = topped_up
    serve(http, paypal_key.served_pem)
    http.replace(responses.GET, CAPTURE_READ_URL, status=404, json={"name": "RESOURCE_NOT_FOUND"})
    before = snapshot(db)
    refused = client.post(WEBHOOK, data=body, headers=signed(paypal_key, body))
    assert_error(refused, 400, "invalid_signature")
    assert refused.get_json()["message"] == "PayPal does not show this capture as completed; nothing was credited."
    assert snapshot(db) == before and balance_minor(db, "cust_a") == 0
    assert db["integration_logs"].find_one({"event": "webhook.rejected", "gateway": "paypal"}) is not None
    reference = db["payment_orders"].find_one({"_id": ORDER_ID})["reference"]
    http.replace(responses.GET, CAPTURE_READ_URL, json=capture_resource(currency="INR", custom_id=reference))
    assert client.post(WEBHOOK, data=body, headers=signed(paypal_key, body)).status_code == 200
    assert balance_minor(db, "cust_a") == 1050
