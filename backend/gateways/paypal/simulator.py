"""Simulator mode: a local stand-in for PayPal's Orders API and webhooks.

`SimulatedPayPalApi` answers like PayPal (17-character order and capture ids, PAYER_ACTION_REQUIRED
→ APPROVED → COMPLETED) from its own `simulator_paypal_orders` collection (this module is its only
user). Its approval page (`pages.py`) approves the order and sends the buyer
back; the service's capture (at verify) completes it and the simulator posts a
`PAYMENT.CAPTURE.COMPLETED` webhook, signed with its own RSA key whose self-signed certificate it
serves for `SIMULATOR_CERT_URL` — verified by the same code as live. The key and certificate are
derived from SIMULATOR_SEED, so every process of one deployment signs and verifies alike.
"""
import base64
import datetime
import hashlib
import hmac
import json
import math
import secrets
import threading
import uuid
import zlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from ...errors import GatewayUnavailable, InvalidSignature, PaymentNotCaptured
from ..simulator_seed import DEV_SIMULATOR_SEED
from .api import PAYPAL_ID_PATTERN, OrderAlreadyCaptured
from .webhook import AUTH_ALGO, check_cert_url

# Fixed, documented development values of the simulator's PayPal app.
DEV_PAYPAL_CLIENT_ID = "paypal_simulator_client_id"
DEV_PAYPAL_CLIENT_SECRET = "paypal_simulator_client_secret"
DEV_PAYPAL_WEBHOOK_ID = "WH-SIMULATOR"
SIMULATOR_CERT_URL = "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-SIMULATOR"
COLLECTION = "simulator_paypal_orders"
ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
RSA_BITS, RSA_PUBLIC_EXPONENT = 2048, 65537
# Rounds of Miller–Rabin on a candidate that passed the sieve: FIPS 186-4 (table C.3) asks for 5
# for the 1024-bit primes of a 2048-bit key (error below 2**-100); pure-Python rounds cost ~3 ms.
MILLER_RABIN_ROUNDS = 8
SIEVE_LIMIT = 1 << 14
# A derived certificate's validity: fixed, so every process makes the same certificate.
DERIVED_CERT_NOT_BEFORE = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
DERIVED_CERT_NOT_AFTER = datetime.datetime(2045, 1, 1, tzinfo=datetime.timezone.utc)
_signers: dict[str, tuple[rsa.RSAPrivateKey, bytes]] = {}  # seed -> pair: deriving the key takes about 1 s
_signers_lock = threading.Lock()


def odd_primes_below(limit):
    """The odd primes below `limit` (sieve of Eratosthenes)."""
    sieve = bytearray([1]) * limit
    sieve[:2] = b"\0\0"
    for n in range(2, math.isqrt(limit) + 1):
        if sieve[n]:
            sieve[n * n::n] = bytes(len(range(n * n, limit, n)))
    return [n for n in range(3, limit, 2) if sieve[n]]


SMALL_PRIMES_PRODUCT = math.prod(odd_primes_below(SIEVE_LIMIT))


def paypal_id():
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(17))


class SeedStream:
    """Deterministic bytes from a seed: HKDF-Extract (HMAC-SHA256) of the seed, then HMAC-SHA256 in
    counter mode (NIST SP 800-108) per label, unbounded unlike HKDF-Expand's 255 blocks."""

    def __init__(self, seed, salt=b"wallet-gateway-simulator-v1"):
        self.key = hmac.new(salt, seed.encode("utf-8"), hashlib.sha256).digest()

    def read(self, label, index, length):
        """`length` bytes for (`label`, `index`)."""
        blocks = (hmac.new(self.key, b"%s|%d|%d" % (label, index, block), hashlib.sha256).digest()
                  for block in range(-(-length // 32)))
        return b"".join(blocks)[:length]

    def integer(self, label, index, bits):
        return int.from_bytes(self.read(label, index, -(-bits // 8)), "big") >> (-bits % 8)


def is_probable_prime(n, stream, label, rounds=MILLER_RABIN_ROUNDS):
    """Miller–Rabin with `rounds` bases drawn from the seed stream (deterministic for a seed)."""
    if n < 5 or n % 2 == 0:
        return n in (2, 3)
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for i in range(rounds):
        a = 2 + stream.integer(label + b"/base", i, n.bit_length() + 64) % (n - 3)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def derived_prime(stream, label, bits):
    """The first prime of the seed stream's candidates for `label`: `bits` long with the top two
    bits set (so a product of two has exactly 2 × `bits`), odd, and p - 1 coprime with e."""
    for index in range(1_000_000):
        candidate = stream.integer(label, index, bits) | (3 << (bits - 2)) | 1
        if candidate % RSA_PUBLIC_EXPONENT == 1 or math.gcd(candidate, SMALL_PRIMES_PRODUCT) != 1:
            continue
        if is_probable_prime(candidate, stream, label + b"/%d" % index):
            return candidate
    raise RuntimeError("no prime found")  # unreachable in practice: 1 in ~360 candidates is prime


def derived_rsa_key(seed, bits=RSA_BITS):
    """The RSA private key (e = 65537, `bits` long) derived from `seed`: the same in every process."""
    stream = SeedStream(seed)
    p = derived_prime(stream, b"paypal-simulator/rsa/p", bits // 2)
    q = derived_prime(stream, b"paypal-simulator/rsa/q", bits // 2)
    if abs(p - q).bit_length() < bits // 2 - 100:  # never with honest randomness; refuse rather than weaken
        raise RuntimeError("derived RSA primes too close")
    d = pow(RSA_PUBLIC_EXPONENT, -1, math.lcm(p - 1, q - 1))
    numbers = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                    rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(RSA_PUBLIC_EXPONENT, p * q))
    return numbers.private_key()


def new_signing_pair(common_name="PayPal simulator", seed=None):
    """(RSA private key, PEM of its self-signed certificate).

    With `seed`: the key derived from it and a certificate with a serial derived from it, valid
    2025-01-01 to 2045-01-01, byte for byte the same in every process. Without: a random key and
    a certificate valid from yesterday for a year (a stranger's key, for tests)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    if seed is None:
        key = rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_BITS)
        now = datetime.datetime.now(datetime.timezone.utc)
        serial, not_before, not_after = (x509.random_serial_number(), now - datetime.timedelta(days=1),
                                         now + datetime.timedelta(days=365))
    else:
        key = derived_rsa_key(seed)
        serial = SeedStream(seed).integer(b"paypal-simulator/cert/serial", 0, 150) | 1  # positive, < 2**159
        not_before, not_after = DERIVED_CERT_NOT_BEFORE, DERIVED_CERT_NOT_AFTER
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(serial).not_valid_before(not_before).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))  # PKCS#1 v1.5: deterministic, so the same key makes the same bytes
    return key, cert.public_bytes(serialization.Encoding.PEM)


def simulator_signer(seed=None):
    """The simulator's signing pair for `seed` (SIMULATOR_SEED; the development default when None),
    derived once per process and seed."""
    seed = seed or DEV_SIMULATOR_SEED
    with _signers_lock:
        if seed not in _signers:
            _signers[seed] = new_signing_pair(seed=seed)
        return _signers[seed]


def signed_headers(raw_body, webhook_id, private_key=None, cert_url=SIMULATOR_CERT_URL, sent_at=None, seed=None):
    """The headers PayPal sends with a webhook, signed over `id|time|webhook_id|crc32(body)`; by
    `private_key`, else by the simulator's key for `seed`."""
    private_key = private_key or simulator_signer(seed)[0]
    sent_at = sent_at or datetime.datetime.now(datetime.timezone.utc)
    transmission_id, transmission_time = str(uuid.uuid4()), sent_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(raw_body) & 0xffffffff}"
    signature = private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return {"Content-Type": "application/json", "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": transmission_time, "PAYPAL-CERT-URL": cert_url,
            "PAYPAL-AUTH-ALGO": AUTH_ALGO, "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode()}


class SimulatedPayPalApi:
    """PayPal's Orders API as the adapter sees it, kept in the service's own store.

    `approve_url`: the simulator's approval page, the order id appended; `deliver_webhook(body,
    headers)` posts a webhook to the service; `seed`: SIMULATOR_SEED, whose key signs webhooks."""

    def __init__(self, db, approve_url, webhook_id, deliver_webhook, seed=None):
        self.orders = db[COLLECTION]
        self.approve_url = approve_url.rstrip("/")
        self.webhook_id = webhook_id
        self.deliver_webhook = deliver_webhook
        self.seed = seed or DEV_SIMULATOR_SEED

    def create_order(self, body, request_id):
        order = self.orders.find_one({"request_id": request_id})  # PayPal-Request-Id: a repeat is the same order
        if order is None:
            order = {"_id": paypal_id(), "request_id": request_id, "status": "PAYER_ACTION_REQUIRED",
                     "purchase_units": body["purchase_units"], "capture": None}
            self.orders.insert_one(order)
        return self._view(order)

    def capture_order(self, order_id, request_id):
        order = self._stored(order_id)
        unit = order["purchase_units"][0]
        capture = {"id": paypal_id(), "status": "COMPLETED", "amount": unit["amount"], "final_capture": True,
                   "custom_id": unit.get("custom_id"), "supplementary_data": {"related_ids": {"order_id": order_id}},
                   "create_time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        won = self.orders.update_one({"_id": order_id, "status": "APPROVED"},
                                     {"$set": {"status": "COMPLETED", "capture": capture}}).modified_count
        if not won:
            if self._stored(order_id)["status"] == "COMPLETED":
                raise OrderAlreadyCaptured()
            raise PaymentNotCaptured("PayPal did not capture the payment (ORDER_NOT_APPROVED).")
        self._deliver_webhook("PAYMENT.CAPTURE.COMPLETED", capture)
        return self._view(self._stored(order_id))

    def get_order(self, order_id):
        return self._view(self._stored(order_id))

    def look_up_order(self, order_id):
        """The order, or None when the simulator has no such order (PayPal's 404)."""
        order = self.find_order(order_id)
        return self._view(order) if order is not None else None

    def certificate(self, url):
        check_cert_url(url)
        if url != SIMULATOR_CERT_URL:
            raise InvalidSignature("In simulator mode only the simulator's certificate is trusted.")
        return simulator_signer(self.seed)[1]

    # --- the buyer's side (the approval page) --------------------------------------------------
    def find_order(self, order_id):
        """The simulated order with this id, or None (the id is checked before the query)."""
        if not PAYPAL_ID_PATTERN.match(order_id):
            return None
        return self.orders.find_one({"_id": order_id})

    def approve(self, order_id):
        """The buyer approves: PAYER_ACTION_REQUIRED → APPROVED."""
        self.orders.update_one({"_id": order_id, "status": "PAYER_ACTION_REQUIRED"}, {"$set": {"status": "APPROVED"}})

    def _stored(self, order_id):
        order = self.orders.find_one({"_id": order_id})
        if order is None:
            raise GatewayUnavailable("The PayPal simulator has no such order.")
        return order

    def _view(self, order):
        unit = dict(order["purchase_units"][0])
        if order["capture"]:
            unit["payments"] = {"captures": [order["capture"]]}
        link = f"{self.approve_url}/{order['_id']}"
        return {"id": order["_id"], "intent": "CAPTURE", "status": order["status"], "purchase_units": [unit],
                "links": [{"href": link, "rel": "payer-action", "method": "GET"}]}

    def _deliver_webhook(self, event_type, capture):
        event = {"id": "WH-" + paypal_id(), "event_version": "1.0", "create_time": capture["create_time"],
                 "resource_type": "capture", "resource_version": "2.0", "event_type": event_type,
                 "summary": f"Payment completed for {capture['amount']['currency_code']} {capture['amount']['value']}",
                 "resource": capture, "links": []}
        body = json.dumps(event).encode()
        self.deliver_webhook(body, signed_headers(body, self.webhook_id, seed=self.seed))
