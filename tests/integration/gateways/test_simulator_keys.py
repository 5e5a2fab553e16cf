"""Simulator keys come from SIMULATOR_SEED: every process of one deployment verifies the others'
Google Pay tokens and PayPal webhooks; another seed's are refused.

Two apps made separately (each deriving its keys afresh) and another OS process that signs with
the same configuration; and the derivation itself: pinned, P-256 scalars in range, a valid
2048-bit RSA key, a certificate byte for byte the same with a fixed validity."""

import datetime
import hashlib
import json
import os
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from backend import create_app
from backend.config import load_config
from backend.errors import InvalidSignature
from backend.gateways.google_pay import simulator as google_pay_simulator
from backend.gateways.google_pay.simulator import (
    P256_ORDER,
    payment_data,
    simulator_keys,
    simulator_root_keys,
    simulator_token,
)
from backend.gateways.paypal import simulator as paypal_simulator
from backend.gateways.paypal import simulator_keys as paypal_simulator_keys
from backend.gateways.paypal.certificates import webhook_public_key
from backend.gateways.paypal.simulator import DEV_PAYPAL_WEBHOOK_ID, paypal_id, signed_headers
from backend.gateways.paypal.simulator_certificates import SIMULATOR_CERT_NAME
from backend.gateways.paypal.simulator_keys import (
    new_signing_pair,
    simulator_root_pem,
    simulator_signer,
    simulator_trust_store,
)
from backend.gateways.paypal.webhook import verify_webhook
from backend.gateways.simulator_seed import DEV_SIMULATOR_SEED
from tests.conftest import app_config
from tests.helpers import BASE, bearer
from tests.integration.support import assert_error, balance_minor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OTHER_SEED = "another deployment's seed"
# sha256 of the development seed's public keys and certificates. A change to the derivation makes
# processes of different versions refuse each other's tokens and webhooks: change these knowingly.
# (The PayPal simulator's certificate became a chain, its certificate and intermediate, under its
# own root, the trust store of simulator mode, in issue 20.)
PINNED = {
    "google_pay_root": "965331ae9776bc0847872ef72c3dc59da5ace849150a607abdfeb4f3955ea4a0",
    "paypal_certificate": "4e9b673cc94580f50bac54b0fc855dcef07dc3b50e01bfb491e7a369bb774b56",
    "paypal_root": "6a389af88c983e7a7b8e745696ab7f96375e285f3ae05fa39eeb4b370edb5537",
}


def fingerprint(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def fresh_key_caches(monkeypatch):
    """Forget this process's derived keys, so each app below derives its own."""

    def forget():
        monkeypatch.setattr(google_pay_simulator, "_keys", {})
        monkeypatch.setattr(paypal_simulator_keys, "_signers", {})

    forget()
    return forget


MADE_APPS = []


@pytest.fixture(autouse=True)
def drop_databases():
    """Drop the databases of the apps a test made (they are real ones under `make test-real-driver`)."""
    yield
    while MADE_APPS:
        database = MADE_APPS.pop().extensions["wallet_db"]
        client = getattr(database, "client", None)
        if client is not None:
            client.drop_database(database.name)


def make_app(**overrides):
    app = create_app(app_config(**overrides))
    MADE_APPS.append(app)
    return app


def gateway(app, name):
    return app.extensions["integration"].payments.gateway(name)


def initiate(client, customer, amount, method):
    response = client.post(
        f"{BASE}/wallet/topup/initiate",
        headers=bearer(customer),
        json={"customer_id": customer, "amount": amount, "payment_method": method},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["payment_order_id"]


def paypal_capture_body(db, order_id, value):
    resource = {
        "id": paypal_id(),
        "status": "COMPLETED",
        "final_capture": True,
        "amount": {"currency_code": "INR", "value": value},
        "custom_id": db["payment_orders"].find_one({"_id": order_id})["reference"],
        "supplementary_data": {"related_ids": {"order_id": order_id}},
    }
    return json.dumps(
        {
            "id": "WH-" + paypal_id(),
            "event_version": "1.0",
            "resource_type": "capture",
            "event_type": "PAYMENT.CAPTURE.COMPLETED",
            "resource": resource,
            "links": [],
        }
    ).encode()


def post_google_pay(client, order_id, token):
    return client.post(
        f"{BASE}/webhook/google-pay", json={"payment_order_id": order_id, "paymentData": payment_data(token)}
    )


def post_paypal(client, body, headers):
    return client.post(f"{BASE}/webhook/paypal", data=body, headers=headers)


def signer_app_signs(app, paypal_body):
    """(Google Pay token, PayPal webhook headers) made by `app`'s simulators, as its pages would."""
    paypal_api = gateway(app, "paypal").api
    return (
        simulator_token(gateway(app, "google_pay")),
        signed_headers(paypal_body, paypal_api.webhook_id, seed=paypal_api.seed),
    )


# --- two apps in this process ----------------------------------------------------------------------


def test_two_apps_with_the_same_config_accept_each_others_tokens_and_webhooks(fresh_key_caches):
    verifier = make_app()
    client, db = verifier.test_client(), verifier.extensions["wallet_db"]
    google_order, paypal_order = (
        initiate(client, "cust_k", 100, "google_pay"),
        initiate(client, "cust_k", "25.50", "paypal"),
    )
    body = paypal_capture_body(db, paypal_order, "25.50")
    verifier_pem = gateway(verifier, "paypal").api.certificate(paypal_simulator.SIMULATOR_CERT_URL)
    fresh_key_caches()
    signer = make_app(MONGODB_DB=db.name)  # the same deployment: another process's app, keys derived afresh
    token, headers = signer_app_signs(signer, body)
    signer_pem = gateway(signer, "paypal").api.certificate(paypal_simulator.SIMULATOR_CERT_URL)
    assert signer_pem is not verifier_pem and signer_pem == verifier_pem  # derived twice, alike
    assert gateway(signer, "google_pay").private_key is not gateway(verifier, "google_pay").private_key

    assert post_google_pay(client, google_order, token).status_code == 200
    assert post_paypal(client, body, headers).status_code == 200
    assert balance_minor(db, "cust_k") == 12550


def test_an_app_with_another_seed_is_refused(fresh_key_caches):
    verifier = make_app()
    client, db = verifier.test_client(), verifier.extensions["wallet_db"]
    google_order, paypal_order = (
        initiate(client, "cust_k", 100, "google_pay"),
        initiate(client, "cust_k", "25.50", "paypal"),
    )
    body = paypal_capture_body(db, paypal_order, "25.50")
    signer = make_app(MONGODB_DB=db.name, SIMULATOR_SEED=OTHER_SEED)
    token, headers = signer_app_signs(signer, body)

    assert_error(post_google_pay(client, google_order, token), 400, "invalid_signature")
    assert_error(post_paypal(client, body, headers), 400, "invalid_signature")
    assert balance_minor(db, "cust_k") == 0


# --- another OS process ----------------------------------------------------------------------------

SIGNER = """
import json, sys
from backend import create_app
from backend.gateways.google_pay.simulator import simulator_token
from backend.gateways.paypal.simulator import signed_headers
signed = []
for request in json.load(sys.stdin):
    payments = create_app(request["config"]).extensions["integration"].payments
    paypal_api = payments.gateway("paypal").api
    signed.append({"token": simulator_token(payments.gateway("google_pay")),
                   "headers": signed_headers(request["body"].encode(), paypal_api.webhook_id, seed=paypal_api.seed)})
json.dump(signed, sys.stdout)
"""
# (seed of the signing process, seed of the verifying app, accepted); None: the default
CROSS_PROCESS_CASES = (
    (None, None, True),
    ("a deployment's seed", "a deployment's seed", True),
    (None, OTHER_SEED, False),
    (OTHER_SEED, None, False),
)


def signed_in_another_process(requests):
    """[(token, headers)] for [(config, body)], made by the apps of ONE other process."""
    payload = [
        {
            "config": {**config, "MONGODB_URI": "mongomock://localhost", "RECOVER_ON_START": "false"},
            "body": body.decode(),
        }
        for config, body in requests
    ]
    result = subprocess.run(
        [sys.executable, "-c", SIGNER], cwd=ROOT, capture_output=True, text=True, timeout=120, input=json.dumps(payload)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return [(signed["token"], signed["headers"]) for signed in json.loads(result.stdout)]


def seeded(seed):
    return {} if seed is None else {"SIMULATOR_SEED": seed}


def test_another_process_is_accepted_with_the_same_seed_only():
    cases = []
    for signer_seed, verifier_seed, accepted in CROSS_PROCESS_CASES:
        verifier = make_app(**seeded(verifier_seed))
        client, db = verifier.test_client(), verifier.extensions["wallet_db"]
        google_order = initiate(client, "cust_p", 100, "google_pay")
        body = paypal_capture_body(db, initiate(client, "cust_p", "25.50", "paypal"), "25.50")
        cases.append((client, db, google_order, body, app_config(**seeded(signer_seed)), accepted))
    signed = signed_in_another_process([(config, body) for _c, _d, _g, body, config, _a in cases])

    for (client, db, google_order, body, _config, accepted), (token, headers) in zip(cases, signed, strict=True):
        google, paypal = post_google_pay(client, google_order, token), post_paypal(client, body, headers)
        if accepted:
            assert (google.status_code, paypal.status_code) == (200, 200), (google.get_json(), paypal.get_json())
            assert balance_minor(db, "cust_p") == 12550
        else:
            assert_error(google, 400, "invalid_signature")
            assert_error(paypal, 400, "invalid_signature")
            assert balance_minor(db, "cust_p") == 0


# --- the derivation -------------------------------------------------------------------------------


def test_simulator_seed_setting_defaults_to_the_documented_development_value():
    assert load_config({"GATEWAY_MODE": "simulator"})["SIMULATOR_SEED"] == DEV_SIMULATOR_SEED == "simulator_seed"
    assert load_config({"GATEWAY_MODE": "simulator", "SIMULATOR_SEED": "x"})["SIMULATOR_SEED"] == "x"


def test_google_pay_keys_are_derived_from_the_seed(fresh_key_caches):
    keys = simulator_keys()
    fresh_key_caches()
    again, other = simulator_keys(DEV_SIMULATOR_SEED), simulator_keys(OTHER_SEED)
    scalars = {name: key.private_numbers().private_value for name, key in keys.items()}
    assert scalars == {name: key.private_numbers().private_value for name, key in again.items()}
    assert len(set(scalars.values())) == 3 and all(0 < value < P256_ORDER for value in scalars.values())
    assert not set(scalars.values()) & {key.private_numbers().private_value for key in other.values()}
    root = simulator_root_keys()[0]["keyValue"]
    assert (
        root == simulator_root_keys(DEV_SIMULATOR_SEED)[0]["keyValue"] != simulator_root_keys(OTHER_SEED)[0]["keyValue"]
    )
    assert fingerprint(root.encode()) == PINNED["google_pay_root"]


def test_paypal_key_and_certificate_are_derived_from_the_seed(fresh_key_caches):
    key, pem = simulator_signer()
    fresh_key_caches()
    again_key, again_pem = simulator_signer(DEV_SIMULATOR_SEED)
    assert again_pem == pem and again_key.private_numbers() == key.private_numbers()
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048 and key.public_key().public_numbers().e == 65537
    certificate = x509.load_pem_x509_certificate(pem)
    assert certificate.public_key().public_numbers() == key.public_key().public_numbers()
    assert certificate.not_valid_before_utc == datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    assert certificate.not_valid_after_utc == datetime.datetime(2045, 1, 1, tzinfo=datetime.UTC)
    other_key, other_pem = simulator_signer(OTHER_SEED)
    assert other_pem != pem and other_key.private_numbers() != key.private_numbers()
    assert x509.load_pem_x509_certificate(other_pem).serial_number != certificate.serial_number
    assert fingerprint(pem) == PINNED["paypal_certificate"]
    assert fingerprint(simulator_root_pem()) == PINNED["paypal_root"]
    # without a seed: a stranger's random key (tests sign with it to be refused)
    assert new_signing_pair()[0].private_numbers() != key.private_numbers()


def test_paypal_certificate_chains_to_the_simulator_root_of_its_seed_only():
    """What the simulator's certificate URL serves (its certificate, named as PayPal's sandbox
    webhook signer, then the intermediate) verifies to its seed's root, not to another seed's."""
    key, pem = simulator_signer()
    leaf, intermediate = x509.load_pem_x509_certificates(pem)
    assert leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == SIMULATOR_CERT_NAME
    assert leaf.issuer == intermediate.subject != intermediate.issuer
    assert x509.load_pem_x509_certificate(simulator_root_pem()).subject == intermediate.issuer
    now = datetime.datetime.now(datetime.UTC)
    public_key = webhook_public_key(pem, simulator_trust_store(), now)
    assert public_key.public_numbers() == key.public_key().public_numbers()
    with pytest.raises(InvalidSignature):
        webhook_public_key(pem, simulator_trust_store(OTHER_SEED), now)


def test_signed_headers_default_to_the_development_seed():
    body = b'{"id": "WH-1"}'
    headers = signed_headers(body, DEV_PAYPAL_WEBHOOK_ID)
    verify_webhook(
        body,
        headers,
        DEV_PAYPAL_WEBHOOK_ID,
        lambda url: simulator_signer(DEV_SIMULATOR_SEED)[1],
        datetime.datetime.now(datetime.UTC),
        simulator_trust_store(DEV_SIMULATOR_SEED),
    )
