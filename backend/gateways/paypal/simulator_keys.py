"""The PayPal simulator's keys, derived from SIMULATOR_SEED so that every process of one deployment signs
and verifies alike: the RSA key that signs webhooks and its certificate chain (`simulator_signer`) up to
the simulator's root (`simulator_trust_store`, simulator mode's trust store); or a stranger's fresh
key and self-signed certificate (`new_signing_pair`, for tests)."""

import datetime
import hashlib
import hmac
import math
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ..simulator_seed import DEV_SIMULATOR_SEED
from .certificates import trust_store_from_pem
from .simulator_certificates import p256_key, root_pem, served_pem

RSA_BITS, RSA_PUBLIC_EXPONENT = 2048, 65537
# Rounds of Miller–Rabin on a candidate that passed the sieve: FIPS 186-4 (table C.3) asks for 5
# for the 1024-bit primes of a 2048-bit key (error below 2**-100); pure-Python rounds cost ~3 ms.
MILLER_RABIN_ROUNDS = 8
SIEVE_LIMIT = 1 << 14
CA_KEY_LABELS = (b"paypal-simulator/ca/root", b"paypal-simulator/ca/intermediate")  # P-256 keys
SERIAL_BITS = 150  # derived serial numbers: positive, below 2**159
# seed -> (signing key, PEM its certificate URL serves): deriving the RSA key takes about 1 s
_signers: dict[str, tuple[rsa.RSAPrivateKey, bytes]] = {}
_signers_lock = threading.Lock()


def odd_primes_below(limit):
    """The odd primes below `limit` (sieve of Eratosthenes)."""
    sieve = bytearray([1]) * limit
    sieve[:2] = b"\0\0"
    for n in range(2, math.isqrt(limit) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytes(len(range(n * n, limit, n)))
    return [n for n in range(3, limit, 2) if sieve[n]]


SMALL_PRIMES_PRODUCT = math.prod(odd_primes_below(SIEVE_LIMIT))


class SeedStream:
    """Deterministic bytes from a seed: HKDF-Extract (HMAC-SHA256) of the seed, then HMAC-SHA256 in
    counter mode (NIST SP 800-108) per label, unbounded unlike HKDF-Expand's 255 blocks."""

    def __init__(self, seed, salt=b"wallet-gateway-simulator-v1"):
        self.key = hmac.new(salt, seed.encode("utf-8"), hashlib.sha256).digest()

    def read(self, label, index, length):
        """`length` bytes for (`label`, `index`)."""
        blocks = (
            hmac.new(self.key, b"%s|%d|%d" % (label, index, block), hashlib.sha256).digest()
            for block in range(-(-length // 32))
        )
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
    numbers = rsa.RSAPrivateNumbers(
        p,
        q,
        d,
        rsa.rsa_crt_dmp1(d, p),
        rsa.rsa_crt_dmq1(d, q),
        rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(RSA_PUBLIC_EXPONENT, p * q),
    )
    return numbers.private_key()


def new_signing_pair(common_name="PayPal simulator"):
    """(A random RSA private key, PEM of its self-signed certificate valid from yesterday for a year):
    a stranger's key, which no trust store knows (tests sign with it to be refused)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    key = rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_BITS)
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


def derived_ca(seed):
    """(root key, intermediate key, serials of root, intermediate and signing certificate) for `seed`:
    P-256 keys, derived at once (unlike the RSA key)."""
    stream = SeedStream(seed)
    root_key, intermediate_key = (p256_key(stream.integer(label, 0, 320)) for label in CA_KEY_LABELS)
    serials = tuple(stream.integer(b"paypal-simulator/cert/serial", index, SERIAL_BITS) | 1 for index in range(3))
    return root_key, intermediate_key, serials


def simulator_signer(seed=None):
    """(RSA key that signs the simulator's webhooks, PEM its certificate URL serves: its certificate
    and the intermediate) for `seed` (SIMULATOR_SEED; the development default when None), derived
    once per process and seed; the same bytes in every process (PKCS#1 v1.5 and RFC 6979 ECDSA
    signatures are deterministic)."""
    seed = seed or DEV_SIMULATOR_SEED
    with _signers_lock:
        if seed not in _signers:
            signing_key = derived_rsa_key(seed)
            root_key, intermediate_key, serials = derived_ca(seed)
            _signers[seed] = signing_key, served_pem(root_key, intermediate_key, signing_key, serials[1:])
        return _signers[seed]


def simulator_root_pem(seed=None):
    """PEM of the simulator's root certificate for `seed`: where its certificate chain ends."""
    root_key, _intermediate_key, serials = derived_ca(seed or DEV_SIMULATOR_SEED)
    return root_pem(root_key, serials[0])


def simulator_trust_store(seed=None):
    """Simulator mode's trust store: the simulator's root for `seed`, and nothing else."""
    return trust_store_from_pem(simulator_root_pem(seed))
