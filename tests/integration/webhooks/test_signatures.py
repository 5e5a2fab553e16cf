"""Razorpay webhooks: only a body signed with the webhook secret credits; every other one credits nothing."""

import hashlib
import hmac
import json

import pytest

from backend.gateways.razorpay.simulator import DEV_RAZORPAY_KEY_SECRET, DEV_RAZORPAY_WEBHOOK_SECRET
from tests.helpers import WEBHOOK_PATH, razorpay_event, signed_webhook, snapshot
from tests.integration.support import assert_error, balance_minor, initiated, ledger


def sign(body, secret=DEV_RAZORPAY_WEBHOOK_SECRET):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def captured(api):
    """(raw body, headers) of a correctly signed `payment.captured` for a ₹500 top-up of cust_a."""
    order_id = initiated(api, "cust_a", 500)
    return signed_webhook(razorpay_event("payment.captured", order_id, "pay_A1", 50000))


def forged_headers(headers, signature):
    forged = {k: v for k, v in headers.items() if k != "X-Razorpay-Signature"}
    if signature is not None:
        forged["X-Razorpay-Signature"] = signature
    return forged


def test_correct_signature_credits(client, db, captured):
    """The control case: the same set-up with the right signature credits the wallet."""
    body, headers = captured
    response = client.post(WEBHOOK_PATH, data=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert balance_minor(db, "cust_a") == 50000


SIGNATURES = {
    "missing header": lambda body, good: None,
    "empty header": lambda body, good: "",
    "wrong signature": lambda body, good: "0" * 64,
    "another secret": lambda body, good: sign(body, "not-the-webhook-secret"),
    "checkout key secret": lambda body, good: sign(body, DEV_RAZORPAY_KEY_SECRET),
    "truncated by one": lambda body, good: good[:-1],
    "truncated to half": lambda body, good: good[:32],
    "extended": lambda body, good: good + "0",
    "base64 of digest": lambda body, good: "q" * 44,
    "non-ascii": lambda body, good: "é" * 64,
    "sha1 of body": lambda body, good: hmac.new(DEV_RAZORPAY_WEBHOOK_SECRET.encode(), body, hashlib.sha1).hexdigest(),
}


@pytest.mark.parametrize("make_signature", SIGNATURES.values(), ids=SIGNATURES.keys())
def test_bad_signature_credits_nothing(client, db, captured, make_signature):
    body, headers = captured
    before = snapshot(db)
    headers = forged_headers(headers, make_signature(body, headers["X-Razorpay-Signature"]))
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "invalid_signature")
    assert snapshot(db) == before
    assert balance_minor(db, "cust_a") == 0


def _tamper_amount(event):
    event["payload"]["payment"]["entity"]["amount"] = 5000000
    return event


def _tamper_order(event):
    event["payload"]["payment"]["entity"]["order_id"] = "order_other"
    return event


BODIES = {
    "amount raised": _tamper_amount,
    "order changed": _tamper_order,
    "re-serialized": lambda event: event,
}


@pytest.mark.parametrize("tamper", BODIES.values(), ids=BODIES.keys())
def test_signature_over_a_different_body_credits_nothing(client, db, captured, tamper):
    body, headers = captured
    other_body = json.dumps(tamper(json.loads(body)), separators=(",", ":")).encode()
    assert other_body != body
    before = snapshot(db)
    assert_error(client.post(WEBHOOK_PATH, data=other_body, headers=headers), 400, "invalid_signature")
    assert snapshot(db) == before
    assert ledger(db) == []


def test_body_with_extra_bytes_after_signing_credits_nothing(client, db, captured):
    body, headers = captured
    before = snapshot(db)
    assert_error(client.post(WEBHOOK_PATH, data=body + b" ", headers=headers), 400, "invalid_signature")
    assert snapshot(db) == before


def test_signature_of_other_event_credits_nothing(api, client, db, captured):
    body, headers = captured
    other_order_id = initiated(api, "cust_a", 1)
    _, other_headers = signed_webhook(razorpay_event("payment.captured", other_order_id, "pay_A2", 100))
    before = snapshot(db)
    headers = forged_headers(headers, other_headers["X-Razorpay-Signature"])
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "invalid_signature")
    assert snapshot(db) == before


def test_bad_signature_then_good_one_credits_once(client, db, captured):
    body, headers = captured
    assert_error(
        client.post(WEBHOOK_PATH, data=body, headers=forged_headers(headers, "0" * 64)), 400, "invalid_signature"
    )
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    assert balance_minor(db, "cust_a") == 50000
    assert len(ledger(db)) == 1


@pytest.mark.parametrize("body", [b"", b"not json", b"\xff\xfe", b"[]", b"null"])
def test_unsigned_garbage_credits_nothing(client, db, body):
    before = snapshot(db)
    headers = {"Content-Type": "application/json", "X-Razorpay-Signature": "0" * 64}
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "invalid_signature")
    assert snapshot(db) == before


def test_rejected_signature_is_audited(client, db, captured):
    """SPEC §7: every webhook, accepted or rejected, leaves an entry in integration_logs."""
    body, headers = captured
    count = db["integration_logs"].count_documents({})
    client.post(WEBHOOK_PATH, data=body, headers=forged_headers(headers, "0" * 64))
    logged = list(db["integration_logs"].find({}))[count:]
    assert [(e["event"], e["outcome"]) for e in logged] == [("webhook.rejected", "rejected")]
    assert logged[0]["error"] == "invalid_signature"


def test_rejected_signature_audit_holds_no_secret(client, db, captured):
    body, headers = captured
    client.post(WEBHOOK_PATH, data=body, headers=forged_headers(headers, "0" * 64))
    text = repr(list(db["integration_logs"].find({})))
    assert DEV_RAZORPAY_WEBHOOK_SECRET not in text
    assert headers["X-Razorpay-Signature"] not in text
