"""Certificates for the PayPal webhook tests, made here with cryptography: a root CA, an intermediate
and PayPal's webhook certificate issued by it, shaped as DigiCert issues PayPal's (a TLS certificate
naming messageverificationcerts.paypal.com), and the ways one goes wrong (`leaf`'s arguments).

One test PKI per process (`shared_pki`): its root, written to a file (`trust_store_path`), is the
PAYPAL_CERT_TRUST_STORE of every test app (tests/conftest.py), as DigiCert's root is production's.
`paypal_test_key` is a key with its certificate under it: the `paypal_key` fixture."""

import atexit
import datetime
import functools
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from backend.gateways.paypal.certificates import trust_store_from_pem

LEAF_NAME = "messageverificationcerts.paypal.com"
DAY = datetime.timedelta(days=1)


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def now():
    return datetime.datetime.now(datetime.UTC)


def pem(*certificates):
    """The PEM of `certificates`, in order (what a certificate URL serves: the leaf first)."""
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def name(common_name, organization="Test PKI"):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def key_usage(ca):
    """keyCertSign and cRLSign for a CA; digitalSignature and keyEncipherment (a TLS RSA leaf) else."""
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def certificate(key, subject, issuer_key, issuer, ca, not_before=None, not_after=None, san=None, usage=None):
    """A certificate of `key`'s public key for `subject` (a common name), issued by `issuer_key`
    under the name `issuer`; valid from yesterday for a year unless told; a leaf (not `ca`) names
    `san` (default: its subject) and says serverAuth, as a TLS certificate does."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now() - DAY)
        .not_valid_after(not_after or now() + 365 * DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(usage or key_usage(ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san or subject)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class Pki:
    """A root CA and an intermediate it issued (both valid from yesterday for a year)."""

    root_key: rsa.RSAPrivateKey
    root: x509.Certificate
    intermediate_key: rsa.RSAPrivateKey
    intermediate: x509.Certificate

    @classmethod
    def make(cls, root_name="Test Root CA", intermediate_name="Test TLS RSA CA"):
        root_key, intermediate_key = rsa_key(), rsa_key()
        root = certificate(root_key, root_name, root_key, root_name, ca=True)
        intermediate = certificate(intermediate_key, intermediate_name, root_key, root_name, ca=True)
        return cls(root_key, root, intermediate_key, intermediate)

    def intermediate_valid(self, not_before, not_after):
        """The intermediate again (same key and name) with other validity dates."""
        return certificate(
            self.intermediate_key,
            _common_name(self.intermediate),
            self.root_key,
            _common_name(self.root),
            ca=True,
            not_before=not_before,
            not_after=not_after,
        )

    def leaf(self, key, subject=LEAF_NAME, **options):
        """A certificate for `key` issued by the intermediate (see `certificate` for `options`)."""
        return certificate(key, subject, self.intermediate_key, _common_name(self.intermediate), ca=False, **options)

    def served(self, key, **options):
        """What PayPal's certificate URL serves: the leaf for `key`, then the intermediate."""
        return pem(self.leaf(key, **options), self.intermediate)


def _common_name(cert):
    return cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


@functools.cache
def shared_pki():
    """This process's test PKI, whose root every test app trusts."""
    return Pki.make()


@functools.cache
def trust_store_path():
    """A file holding the test PKI's root (a PAYPAL_CERT_TRUST_STORE), removed when the process ends."""
    folder = tempfile.mkdtemp(prefix="paypal-test-pki-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = os.path.join(folder, "root.pem")
    with open(path, "wb") as handle:
        handle.write(pem(shared_pki().root))
    return path


class PayPalKey(NamedTuple):
    """PayPal's signing key as the tests see it: [0] the key, [1] what its certificate URL serves
    (its certificate and the intermediate), and the trust store (the test root) they verify to."""

    private_key: rsa.RSAPrivateKey
    served_pem: bytes
    trust_store: object


def paypal_test_key():
    """A new key with its certificate under the test PKI."""
    key = rsa_key()
    return PayPalKey(key, shared_pki().served(key), trust_store_from_pem(pem(shared_pki().root)))
