"""A fresh app and database per test. Set MONGODB_URI=mongodb://... to run against a real server."""

import os
import uuid

import pytest
import responses

from backend import create_app
from tests.helpers import TEST_JWT_SECRET, Api
from tests.paypal_pki_support import paypal_test_key, trust_store_path


def app_config(**overrides):
    config = {
        "TESTING": True,
        "APP_ENV": "development",
        "MONGODB_URI": os.environ.get("MONGODB_URI", "mongomock://localhost"),
        "MONGODB_DB": f"test_{uuid.uuid4().hex[:12]}",
        "JWT_SECRET": TEST_JWT_SECRET,
        "GATEWAY_MODE": "simulator",
        "PUBLIC_BASE_URL": "http://localhost",
        "SIMULATOR_WEBHOOK_DELIVERY": "inline",
        "SEED_DEMO_DATA": "false",
        # Live mode's PayPal webhook certificates chain to the test PKI's root (`paypal_key`), as
        # production's to DigiCert's (the bundled default, PAYPAL_CERT_TRUST_STORE="").
        "PAYPAL_CERT_TRUST_STORE": trust_store_path(),
    }
    config.update(overrides)
    return config


@pytest.fixture
def app():
    yield from app_with()


def app_with(**settings):
    """An app of `app_config(**settings)`, its database dropped after: the body of a module's own
    `app` fixture (`yield from app_with(SUPPORTED_CURRENCIES="INR,USD")`)."""
    app = create_app(app_config(**settings))
    yield app
    drop_store(app)


def drop_store(app):
    """Drop the app's database on a real server (the embedded store goes with the app)."""
    database = app.extensions["wallet_db"]
    client = getattr(database, "client", None)
    if client is not None:
        client.drop_database(database.name)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    return app.extensions["wallet_db"]


@pytest.fixture
def integration(app):
    return app.extensions["integration"]


@pytest.fixture
def api(client, db):
    return Api(client, db)


@pytest.fixture
def http():
    """Outgoing HTTP through `requests`, answered only by the responses a test registers: every
    request must match one, so nothing reaches the internet."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture(scope="module")
def paypal_key():
    """PayPal's signing key, as far as these tests are concerned (the PayPal tests of tests/unit/gateways
    and tests/integration/gateways; one per module): [0] the key, [1] what its certificate URL serves
    (its certificate, issued to messageverificationcerts.paypal.com, and the intermediate), and
    `.trust_store`, the test root every test app trusts (tests/paypal_pki_support.py)."""
    return paypal_test_key()
