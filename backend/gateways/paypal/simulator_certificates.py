"""The PayPal simulator's certificate chain, shaped as PayPal's: a root (simulator mode's trust store),
an intermediate, and the certificate of the key that signs webhooks, issued to PayPal's sandbox
webhook signer (a TLS certificate, as DigiCert issues PayPal's). Its certificate URL serves that
certificate and the intermediate, as PayPal's serves its own, and the same `certificates.py` checks
them.

The root and the intermediate sign with P-256 keys and deterministic ECDSA (RFC 6979), so the keys
`simulator_keys.py` derives from SIMULATOR_SEED make the same bytes in every process."""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SIMULATOR_CERT_NAME = "messageverificationcerts.sandbox.paypal.com"
ROOT_NAME = "PayPal simulator root"
INTERMEDIATE_NAME = "PayPal simulator intermediate"
ORGANIZATION = "Wallet gateway simulator"
# Fixed validity, so every process makes the same certificates.
NOT_BEFORE = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
NOT_AFTER = datetime.datetime(2045, 1, 1, tzinfo=datetime.UTC)
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def p256_key(scalar):
    """The P-256 private key for `scalar` (any integer: reduced into 1 .. order - 1)."""
    return ec.derive_private_key(1 + scalar % (P256_ORDER - 1), ec.SECP256R1())


def root_pem(root_key, serial):
    """PEM of the simulator's root certificate (self-signed by `root_key`): the trust store."""
    return _pem(_ca_certificate(root_key, ROOT_NAME, root_key, ROOT_NAME, serial, path_length=None))


def served_pem(root_key, intermediate_key, signing_key, serials):
    """PEM of the certificate of `signing_key` then of the intermediate that issued it: what the
    simulator's certificate URL serves. `serials`: (the intermediate's, the signing certificate's)."""
    intermediate_serial, leaf_serial = serials
    intermediate = _ca_certificate(
        intermediate_key, INTERMEDIATE_NAME, root_key, ROOT_NAME, intermediate_serial, path_length=0
    )
    leaf = (
        _builder(signing_key.public_key(), SIMULATOR_CERT_NAME, INTERMEDIATE_NAME, intermediate_key, leaf_serial)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, key_encipherment=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(SIMULATOR_CERT_NAME)]), critical=False)
    )
    return _pem(_signed(leaf, intermediate_key)) + _pem(intermediate)


def _ca_certificate(key, name, issuer_key, issuer_name, serial, path_length):
    builder = _builder(key.public_key(), name, issuer_name, issuer_key, serial)
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
    builder = builder.add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
    return _signed(builder, issuer_key)


def _builder(public_key, name, issuer_name, issuer_key, serial):
    return (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(issuer_name))
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )


def _signed(builder, issuer_key):
    return builder.sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=True)


def _name(common_name):
    organization = x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION)
    return x509.Name([organization, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_usage(digital_signature=False, key_encipherment=False, key_cert_sign=False, crl_sign=False):
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM)
