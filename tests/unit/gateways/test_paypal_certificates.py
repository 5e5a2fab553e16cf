"""PayPal's webhook certificate checks (backend/gateways/paypal/certificates.py), one test per reason to
refuse, on certificates made by tests/paypal_pki_support.py; the bundled trust store and
PAYPAL_CERT_TRUST_STORE's loading. The same over HTTP: tests/integration/webhooks/test_paypal_certificates.py."""

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from backend.errors import ConfigError, InvalidSignature
from backend.gateways.paypal.certificates import (
    DEFAULT_TRUST_STORE_PATH,
    SERVED_CERTIFICATES_MAX,
    WEBHOOK_CERT_NAMES,
    load_trust_store,
    trust_store_from_pem,
    webhook_public_key,
)
from tests.paypal_pki_support import DAY, LEAF_NAME, Pki, certificate, key_usage, now, pem, rsa_key, shared_pki

# DigiCert Global Root G2, as DigiCert publishes its fingerprint.
DIGICERT_GLOBAL_ROOT_G2_SHA256 = "cb3ccbb76031e5e0138f8dd39a23f9de47ffc35e43c1144cea27d46a5ab1cb5f"


@pytest.fixture(scope="module")
def key():
    return rsa_key()


@pytest.fixture(scope="module")
def trusted():
    return trust_store_from_pem(pem(shared_pki().root))


def refused(served, trust_store, match):
    with pytest.raises(InvalidSignature, match=match):
        webhook_public_key(served, trust_store, now())


def test_a_chain_to_the_trusted_root_gives_the_leafs_key(key, trusted):
    public_key = webhook_public_key(shared_pki().served(key), trusted, now())
    assert public_key.public_numbers() == key.public_key().public_numbers()


@pytest.mark.parametrize("name", sorted(WEBHOOK_CERT_NAMES))
def test_live_and_sandbox_signer_names_are_accepted(key, trusted, name):
    assert webhook_public_key(shared_pki().served(key, subject=name), trusted, now())


def test_self_signed_certificate_in_paypals_name_is_refused(key, trusted):
    refused(pem(certificate(key, LEAF_NAME, key, LEAF_NAME, ca=False)), trusted, "does not chain")


def test_chain_to_another_root_with_the_same_names_is_refused(key, trusted):
    refused(Pki.make().served(key), trusted, "does not chain")


def test_leaf_served_without_its_intermediate_is_refused(key, trusted):
    refused(pem(shared_pki().leaf(key)), trusted, "does not chain")


def test_intermediate_in_the_trust_store_anchors_a_leaf_served_alone(key):
    """If PayPal's URL served its certificate alone, adding the issuing intermediate to the bundle trusts it."""
    pki = shared_pki()
    assert webhook_public_key(pem(pki.leaf(key)), trust_store_from_pem(pem(pki.root, pki.intermediate)), now())


@pytest.mark.parametrize(
    "dates",
    [(-400, -1), (1, 400)],
    ids=["expired", "not yet valid"],
)
def test_leaf_outside_its_dates_is_refused(key, trusted, dates):
    not_before, not_after = (now() + days * DAY for days in dates)
    refused(shared_pki().served(key, not_before=not_before, not_after=not_after), trusted, "not valid now")


def test_expired_intermediate_is_refused(key, trusted):
    pki = shared_pki()
    refused(pem(pki.leaf(key), pki.intermediate_valid(now() - 400 * DAY, now() - DAY)), trusted, "not valid now")


def test_expired_root_in_the_trust_store_is_refused(key):
    """The trust anchor's own dates count too: the verifier checks every certificate of the chain."""
    pki = shared_pki()
    dates = {"not_before": now() - 400 * DAY, "not_after": now() - DAY}
    old_root = certificate(pki.root_key, "Test Root CA", pki.root_key, "Test Root CA", ca=True, **dates)
    refused(pki.served(key), trust_store_from_pem(pem(old_root)), "does not chain")


@pytest.mark.parametrize(
    "subject",
    ["www.paypal.com", "messageverificationcerts.paypal.com.evil.example", "evil.example", "MESSAGEVERIFICATIONCERTS"],
)
def test_certificate_issued_to_another_name_is_refused(key, trusted, subject):
    refused(shared_pki().served(key, subject=subject), trusted, "not issued to PayPal's webhook signer")


def test_paypals_name_in_the_subject_but_another_in_subject_alt_name_is_refused(key, trusted):
    refused(shared_pki().served(key, san="evil.example"), trusted, "does not chain")


def test_key_usage_that_does_not_allow_signatures_is_refused(key, trusted):
    refused(shared_pki().served(key, usage=key_usage(ca=True)), trusted, "key usage")


def test_a_ca_certificate_as_the_signer_is_refused(key, trusted):
    pki = shared_pki()
    as_ca = certificate(key, LEAF_NAME, pki.intermediate_key, "Test TLS RSA CA", ca=True, usage=key_usage(ca=False))
    refused(pem(as_ca, pki.intermediate), trusted, "is a CA certificate")


def test_a_signer_without_an_rsa_key_is_refused(trusted):
    ec_key = ec.generate_private_key(ec.SECP256R1())
    refused(shared_pki().served(ec_key), trusted, "RSA key")


def test_more_certificates_than_a_chain_needs_are_refused(key, trusted):
    pki = shared_pki()
    refused(pem(pki.leaf(key), *[pki.intermediate] * SERVED_CERTIFICATES_MAX), trusted, "too many")


@pytest.mark.parametrize("served", [b"", b"garbage", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_unreadable_pem_is_refused(trusted, served):
    refused(served, trusted, "cannot be read")


# --- the trust store -------------------------------------------------------------------------------


def test_bundled_trust_store_is_digicert_global_root_g2_alone():
    (root,) = x509.load_pem_x509_certificates(DEFAULT_TRUST_STORE_PATH.read_bytes())
    assert hashlib.sha256(root.public_bytes(serialization.Encoding.DER)).hexdigest() == (DIGICERT_GLOBAL_ROOT_G2_SHA256)
    assert root.subject.rfc4514_string() == "CN=DigiCert Global Root G2,OU=www.digicert.com,O=DigiCert Inc,C=US"


def test_empty_setting_is_the_bundled_store_which_refuses_the_test_chain(key):
    refused(shared_pki().served(key), load_trust_store(""), "does not chain")


def test_a_bundle_file_is_every_certificate_in_it(tmp_path, key):
    other, pki = Pki.make(), shared_pki()
    path = tmp_path / "roots.pem"
    path.write_bytes(b"# two roots\n" + pem(other.root, pki.root))
    store = load_trust_store(str(path))
    assert webhook_public_key(pki.served(key), store, now())
    assert webhook_public_key(other.served(key), store, now())


@pytest.mark.parametrize("contents", [None, b"", b"# a comment, no certificate\n"], ids=["missing", "empty", "no PEM"])
def test_unreadable_trust_store_is_a_config_error(tmp_path, contents):
    path = tmp_path / "roots.pem"
    if contents is not None:
        path.write_bytes(contents)
    with pytest.raises(ConfigError, match="PAYPAL_CERT_TRUST_STORE"):
        load_trust_store(str(path))
