"""PayPal's webhook certificate, trusted only once it checks out: the key that signs a webhook comes
from the certificate its PAYPAL-CERT-URL serves, so that certificate must be PayPal's.

The URL serves PEM: PayPal's certificate first, then any intermediates. It is trusted when
- it names PayPal's webhook signer (`WEBHOOK_CERT_NAMES`, the names PayPal's Java SDK required) as its
  subject's common name and in its subjectAltName;
- the chain built from it and the served intermediates ends at a certificate of the trust store
  (PAYPAL_CERT_TRUST_STORE; by default `webhook_trust_store.pem`, DigiCert Global Root G2, the root
  of PayPal's certificates; in simulator mode the simulator's own root);
- every certificate of that chain is within its validity dates now;
- it is a signing certificate, as the Web PKI profile checks a TLS server's (cryptography's
  `x509.verification`): not a CA, its key usage (when stated) allowing digital signatures, its
  extended key usage (when stated) serverAuth, an RSA key of 2048 bits or more.
Anything else is `InvalidSignature` (400 invalid_signature): the webhook is refused, nothing credited.
"""

import functools
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from ...errors import ConfigError, InvalidSignature

# PayPal's webhook signer: live and sandbox (PayPal's Java SDK accepted CN=messageverificationcerts*.paypal.com).
WEBHOOK_CERT_NAMES = frozenset({"messageverificationcerts.paypal.com", "messageverificationcerts.sandbox.paypal.com"})
DEFAULT_TRUST_STORE_PATH = Path(__file__).with_name("webhook_trust_store.pem")
SERVED_CERTIFICATES_MAX = 5  # the leaf and up to 4 intermediates; more is not PayPal's answer
CHAIN_DEPTH_MAX = 4  # intermediates between the leaf and a trusted certificate
TRUST_STORE_SIZE_MAX_BYTES = 1024 * 1024


def load_trust_store(path=""):
    """The trust store of the PEM bundle at `path` (empty: the bundled DigiCert Global Root G2).
    `ConfigError` when the file cannot be read or holds no certificate: the service does not start."""
    if not path:
        return default_trust_store()
    try:
        with open(path, "rb") as handle:
            pem = handle.read(TRUST_STORE_SIZE_MAX_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"PAYPAL_CERT_TRUST_STORE cannot be read ({error.strerror}): {path}") from None
    if len(pem) > TRUST_STORE_SIZE_MAX_BYTES:
        raise ConfigError(f"PAYPAL_CERT_TRUST_STORE is larger than 1 MiB: {path}")
    try:
        return trust_store_from_pem(pem)
    except ValueError:
        raise ConfigError(f"PAYPAL_CERT_TRUST_STORE holds no readable PEM certificate: {path}") from None


@functools.cache
def default_trust_store():
    """The bundled trust store (`webhook_trust_store.pem`), read once per process."""
    return trust_store_from_pem(DEFAULT_TRUST_STORE_PATH.read_bytes())


def trust_store_from_pem(pem):
    """A trust store of every certificate in `pem` (each one a trust anchor); ValueError when none."""
    return Store(x509.load_pem_x509_certificates(pem))


def webhook_public_key(served_pem, trust_store, now):
    """The RSA public key of PayPal's certificate in `served_pem` (what PAYPAL-CERT-URL served),
    once it checks out against `trust_store` at `now` (an aware UTC datetime); else `InvalidSignature`."""
    try:
        served = x509.load_pem_x509_certificates(served_pem)
    except (ValueError, TypeError):
        raise InvalidSignature("The PayPal certificate cannot be read.") from None
    if len(served) > SERVED_CERTIFICATES_MAX:
        raise InvalidSignature("The PayPal certificate URL served too many certificates.")
    leaf, intermediates = served[0], served[1:]
    name = _common_name(leaf)
    if name not in WEBHOOK_CERT_NAMES:
        raise InvalidSignature("The PayPal certificate is not issued to PayPal's webhook signer.")
    for certificate in served:
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise InvalidSignature("A PayPal certificate is not valid now.")
    _check_signer_usage(leaf)
    verifier = (
        PolicyBuilder()
        .store(trust_store)
        .time(now)
        .max_chain_depth(CHAIN_DEPTH_MAX)
        .build_server_verifier(x509.DNSName(name))
    )
    try:
        verifier.verify(leaf, intermediates)  # the chain's signatures, names, dates and extensions
    except VerificationError:
        raise InvalidSignature("The PayPal certificate does not chain to a trusted root.") from None
    public_key = leaf.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise InvalidSignature("The PayPal certificate does not hold an RSA key.")
    return public_key


def _common_name(certificate):
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return names[0].value if len(names) == 1 and isinstance(names[0].value, str) else None


def _check_signer_usage(leaf):
    """Not a CA; a key usage, when stated, allowing digital signatures and not certificate signing."""
    try:
        constraints = _extension(leaf, x509.BasicConstraints)
        usage = _extension(leaf, x509.KeyUsage)
    except (ValueError, x509.DuplicateExtension):
        raise InvalidSignature("The PayPal certificate's extensions cannot be read.") from None
    if constraints is not None and constraints.ca:
        raise InvalidSignature("The PayPal certificate is a CA certificate, not a signer's.")
    if usage is not None and (not usage.digital_signature or usage.key_cert_sign):
        raise InvalidSignature("The PayPal certificate's key usage does not allow signing webhooks.")


def _extension(certificate, extension_type):
    try:
        return certificate.extensions.get_extension_for_class(extension_type).value
    except x509.ExtensionNotFound:
        return None
