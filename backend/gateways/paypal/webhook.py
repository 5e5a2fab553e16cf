"""PayPal webhook signatures, checked offline (PayPal's preferred way), the same in live and simulator mode.

PayPal signs `transmission_id|transmission_time|webhook_id|crc32(raw body)` (CRC-32 unsigned, in
decimal) with SHA256withRSA; the certificate is at `PAYPAL-CERT-URL`, which must be an https URL
on one of PayPal's API hosts, so a forged webhook cannot make us fetch from another host; what it
serves is trusted only once its chain, dates, name and key usage check out (`certificates.py`).
"""

import base64
import binascii
import datetime
import zlib
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature as BadRsaSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from ...errors import InvalidSignature
from .certificates import webhook_public_key

CERT_HOSTS = frozenset({"api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com"})
CERT_PATH_PREFIX = "/v1/notifications/certs/"
AUTH_ALGO = "SHA256withRSA"
TRANSMISSION_SKEW_MAX_SECONDS = 300  # reject a transmission time more than 5 minutes off our clock
HEADER_LENGTH_MAX = 2048
HEADERS = (
    "PAYPAL-TRANSMISSION-ID",
    "PAYPAL-TRANSMISSION-TIME",
    "PAYPAL-TRANSMISSION-SIG",
    "PAYPAL-CERT-URL",
    "PAYPAL-AUTH-ALGO",
)


def verify_webhook(raw_body, headers, webhook_id, certificate, now, trust_store):
    """Raise `InvalidSignature` unless PayPal signed this raw body for `webhook_id`.

    `certificate(url)` returns the PEM at an allowed cert URL (fetched and cached in live mode,
    the simulator's own chain in simulator mode); it is trusted only if it chains to `trust_store`
    (a `cryptography.x509.verification.Store`); `now` is an aware UTC datetime.
    """
    transmission_id, transmission_time, signature, cert_url, algo = (_header(headers, name) for name in HEADERS)
    if algo != AUTH_ALGO:
        raise InvalidSignature("PAYPAL-AUTH-ALGO must be SHA256withRSA.")
    check_cert_url(cert_url)
    sent_at = _parse_time(transmission_time)
    if abs((now - sent_at).total_seconds()) > TRANSMISSION_SKEW_MAX_SECONDS:
        raise InvalidSignature("PAYPAL-TRANSMISSION-TIME is more than 5 minutes off.")
    try:
        signature_bytes = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSignature("PAYPAL-TRANSMISSION-SIG is not base64.") from None
    public_key = webhook_public_key(certificate(cert_url), trust_store, now)
    message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(raw_body) & 0xFFFFFFFF}"
    try:
        public_key.verify(signature_bytes, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except BadRsaSignature:
        raise InvalidSignature("The PayPal webhook signature does not match.") from None


def transmission_id(headers):
    """The delivery's PAYPAL-TRANSMISSION-ID (what its signature covers besides the body's CRC-32)."""
    return _header(headers, HEADERS[0])


def check_cert_url(url):
    """Only https URLs on PayPal's API hosts, under the certs path: no userinfo, port, query or tricks."""
    parts = urlsplit(url)
    if (
        parts.scheme != "https"
        or parts.netloc not in CERT_HOSTS
        or parts.query
        or parts.fragment
        or not parts.path.startswith(CERT_PATH_PREFIX)
        or ".." in parts.path
        or not url.isascii()
        or any(c in url for c in "%\\ \t\r\n")  # `%`: an escaped `..` is `..` to the server
    ):
        raise InvalidSignature("PAYPAL-CERT-URL is not a PayPal certificate URL.")


def _header(headers, name):
    value = headers.get(name)
    if not isinstance(value, str) or not value or len(value) > HEADER_LENGTH_MAX or not value.isascii():
        raise InvalidSignature(f"Missing or malformed {name} header.")
    return value


def _parse_time(text):
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidSignature("PAYPAL-TRANSMISSION-TIME is not a timestamp.") from None
    if moment.tzinfo is None:
        raise InvalidSignature("PAYPAL-TRANSMISSION-TIME has no time zone.")
    return moment
