"""Simulator mode: a local stand-in for Google Pay's payment sheet and for the card processor.

It plays Google with a root signing key and an intermediate signing key (and the merchant key
pair, unless GOOGLE_PAY_PRIVATE_KEY is set), each derived from the deployment's SIMULATOR_SEED, so
every process of one deployment makes the same keys and accepts the others' tokens: its page's Pay button
(`pages.py`) mints a real ECv2 token for a test card and posts it to
/webhook/google-pay, as the merchant's checkout page would, so the same verification code as live
mode runs. Tokens verify only while GOOGLE_PAY_ROOT_SIGNING_KEYS
is unset (the simulator cannot sign as Google's real root keys). The processor moves no money; it
refunds at once (Google Pay itself has no refunds or disputes: the processor's refunds are the only
money going back).
"""

import datetime
import hashlib
import threading
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ...clock import new_id
from ..simulator_seed import DEV_SIMULATOR_SEED
from .token import PROTOCOL_VERSION, mint_token, public_key_text

DEV_GOOGLE_PAY_MERCHANT_ID = "12345678901234567890"  # Google's TEST environment merchant id
TEST_PAN = "4111111111111111"
MESSAGE_LIFETIME_MS = 5 * 60 * 1000
INTERMEDIATE_KEY_LIFETIME_MS = 24 * 3600 * 1000
ROOT_KEY_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000
CHARGES_COLLECTION = "simulator_google_pay_charges"
REFUNDS_COLLECTION = "simulator_google_pay_refunds"
KEY_NAMES = ("root", "intermediate", "merchant")
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
HKDF_SALT = b"wallet-gateway-simulator-v1"
# seed -> {name: key}: derivation is cheap, the cache keeps one object per key
_keys: dict[str, dict[str, ec.EllipticCurvePrivateKey]] = {}
_keys_lock = threading.Lock()


def derive_p256_key(seed, info):
    """The P-256 private key whose scalar is HKDF-SHA256(seed, info) mod n, in [1, n-1] (never 0).

    48 bytes of HKDF output are reduced, so the bias of the reduction is below 2**-128."""
    okm = HKDF(algorithm=hashes.SHA256(), length=48, salt=HKDF_SALT, info=info).derive(seed.encode("utf-8"))
    scalar = int.from_bytes(okm, "big") % (P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def simulator_keys(seed=None):
    """The simulator's `root`, `intermediate` and `merchant` P-256 private keys for `seed`
    (SIMULATOR_SEED; the development default when None): the same in every process."""
    seed = seed or DEV_SIMULATOR_SEED
    with _keys_lock:
        if seed not in _keys:
            _keys[seed] = {name: derive_p256_key(seed, f"google-pay-simulator/{name}".encode()) for name in KEY_NAMES}
        return dict(_keys[seed])


def simulator_root_keys(seed=None):
    """The simulator's root key for `seed` as keys.json entries."""
    expiration_ms = _now_ms() + ROOT_KEY_LIFETIME_MS
    return [
        {
            "keyValue": public_key_text(simulator_keys(seed)["root"].public_key()),
            "protocolVersion": PROTOCOL_VERSION,
            "keyExpiration": str(expiration_ms),
        }
    ]


def simulator_token(gateway, message_id=None, seed=None):
    """A real ECv2 token for a test card, signed as the simulator's Google, for `gateway`'s merchant.

    Signed with the keys of `seed`, by default the seed of the gateway's simulator processor
    (built from the app's SIMULATOR_SEED)."""
    seed = seed or getattr(gateway.processor, "seed", None)
    keys, now_ms = simulator_keys(seed), _now_ms()
    message = {
        "messageExpiration": str(now_ms + MESSAGE_LIFETIME_MS),
        "messageId": message_id or new_id("gpmsg", 24),
        "paymentMethod": "CARD",
        "paymentMethodDetails": {
            "authMethod": "PAN_ONLY",
            "pan": TEST_PAN,
            "expirationMonth": 12,
            "expirationYear": datetime.date.today().year + 3,
        },
    }
    return mint_token(
        message,
        gateway.recipient_id,
        keys["root"],
        keys["intermediate"],
        gateway.private_key.public_key(),
        now_ms + INTERMEDIATE_KEY_LIFETIME_MS,
    )


def payment_data(token):
    """Google Pay's PaymentData as the browser receives it, around `token`."""
    return {
        "apiVersion": 2,
        "apiVersionMinor": 0,
        "paymentMethodData": {
            "type": "CARD",
            "description": "Visa •••• 1111",
            "info": {"cardNetwork": "VISA", "cardDetails": "1111"},
            "tokenizationData": {"type": "DIRECT", "token": token},
        },
    }


class SimulatorProcessor:
    """Charges nothing; the charge id comes from the idempotency key, so a repeat gets the same one.
    Refunds at once, the same way (`refuse_refunds`: a switch tests flip to have refunds refused).

    `seed`: the SIMULATOR_SEED whose keys the simulator's Pay button signs tokens with."""

    def __init__(self, seed=None):
        self.seed = seed or DEV_SIMULATOR_SEED
        self.refuse_refunds = False

    # Its charges and refunds, each keyed by its idempotency key (a charge's: the payment order
    # id): the store's `simulator_google_pay_charges` / `_refunds` once `keep_charges(db)` (so any
    # process finds them), else this instance's memory (a processor built without a store, as some
    # unit tests do).
    charges = None
    refunds = None

    def keep_charges(self, db):
        """Keep charges and refunds in `db` (this module their only user); returns self."""
        self.charges, self.refunds = db[CHARGES_COLLECTION], db[REFUNDS_COLLECTION]
        return self

    def _memory(self, kind):
        return self.__dict__.setdefault(f"_{kind}_in_memory", {})

    def charge(self, idempotency_key, payment_method_details, amount_minor, currency):
        charge_id = "gpch_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        record = {"id": charge_id, "status": "succeeded", "amount_minor": amount_minor, "currency": currency}
        self._keep(self.charges, "charges", idempotency_key, record)
        return charge_id

    def find_charge(self, idempotency_key):
        """The charge made under `idempotency_key` (`{id, status, amount_minor, currency}`), or None."""
        return self._find(self.charges, "charges", idempotency_key, ("id", "status", "amount_minor", "currency"))

    def refund(self, charge_id, amount_minor, currency, idempotency_key):
        """Refund `amount_minor` of the charge `charge_id` at once, once per `idempotency_key` (a
        repeat answers the first refund): `{id, charge_id, status, amount_minor, currency}`, status
        `succeeded`, or `failed` when refused (`refuse_refunds`, or beyond what is left of a charge
        it made; a charge id it never made is refundable, as the simulator's own)."""
        found = self.find_refund(idempotency_key)
        if found is not None:
            return found
        left_minor = self._refundable_minor(charge_id)
        refused = self.refuse_refunds or (left_minor is not None and amount_minor > left_minor)
        record = {
            "id": "gprf_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24],
            "charge_id": charge_id,
            "status": "failed" if refused else "succeeded",
            "amount_minor": amount_minor,
            "currency": currency,
        }
        self._keep(self.refunds, "refunds", idempotency_key, record)
        return self.find_refund(idempotency_key)

    def find_refund(self, idempotency_key):
        """The refund made under `idempotency_key` (as `refund` answers it), or None."""
        return self._find(
            self.refunds, "refunds", idempotency_key, ("id", "charge_id", "status", "amount_minor", "currency")
        )

    def _refundable_minor(self, charge_id):
        """What is left of a charge it made; None (no bound) for one it did not."""
        if self.charges is None:
            charge = next((c for c in self._memory("charges").values() if c["id"] == charge_id), None)
            refunds = [r for r in self._memory("refunds").values() if r["charge_id"] == charge_id]
        else:
            charge = self.charges.find_one({"id": charge_id})
            refunds = list(self.refunds.find({"charge_id": charge_id})) if self.refunds is not None else []
        if charge is None:
            return None
        return charge["amount_minor"] - sum(r["amount_minor"] for r in refunds if r["status"] == "succeeded")

    def _keep(self, collection, kind, idempotency_key, record):
        """The first record of a key stays, as a processor's idempotency does."""
        if collection is not None:
            collection.update_one(
                {"_id": idempotency_key}, {"$setOnInsert": dict(record, created_at=_now_ms())}, upsert=True
            )
        else:
            self._memory(kind).setdefault(idempotency_key, record)

    def _find(self, collection, kind, idempotency_key, fields):
        record = (
            self._memory(kind).get(idempotency_key)
            if collection is None
            else collection.find_one({"_id": idempotency_key})
        )
        return {k: record[k] for k in fields} if record else None


def _now_ms():
    return int(time.time() * 1000)
