"""Google Pay ECv2 payment tokens: check the signature chain, decrypt, and (as Google) mint.

Follows Google's "Payment data cryptography for merchants" and Tink's PaymentMethodTokenRecipient:
a current root signing key signs the intermediate signing key, which signs the message; each
signature is ECDSA P-256/SHA-256 over LV-encoded strings (LV = 4-byte little-endian length + UTF-8).
The message is then decrypted: ECDH P-256 with the ephemeral key, HKDF-SHA256 (IKM = ephemeral
key ‖ shared secret, empty salt — the same as 32 zero bytes —, info "Google") into an AES-256 key
and an HMAC-SHA256 key; the tag is checked in constant time, then AES-256-CTR with a zero IV.
Every failure is one `InvalidSignature` naming the step, never any key material. No Flask here.
"""

import base64
import binascii
import hashlib
import hmac
import json
import struct

from cryptography.exceptions import InvalidSignature as BadSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ...errors import InvalidSignature

PROTOCOL_VERSION = "ECv2"
SENDER_ID = "Google"
KEY_BYTES = 32  # ECv2: AES-256 key and HMAC-SHA256 key (ECv1 used 16 and 16)
TOKEN_FIELDS = {"protocolVersion", "signature", "intermediateSigningKey", "signedMessage"}
SEALED_FIELDS = {"encryptedMessage", "ephemeralPublicKey", "tag"}
TOKEN_LENGTH_MAX = 16 * 1024
SIGNATURES_MAX = 8


def verify_and_decrypt(token_text, recipient_id, root_keys, private_key, now_ms):
    """The decrypted message (a dict) of a valid ECv2 token for `recipient_id`, else InvalidSignature."""
    token = _json_object(token_text, "token")
    if set(token) != TOKEN_FIELDS:
        _reject("The token must hold exactly protocolVersion, signature, intermediateSigningKey and signedMessage.")
    if token["protocolVersion"] != PROTOCOL_VERSION:
        _reject("Only ECv2 tokens are accepted.")
    intermediate_key = _intermediate_key(token["intermediateSigningKey"], root_keys, now_ms)
    signed_message = _text(token["signedMessage"], "signedMessage")
    signed = length_value(SENDER_ID, recipient_id, PROTOCOL_VERSION, signed_message)
    if not verifies([intermediate_key], [token["signature"]], signed):
        _reject("The token's message signature does not verify for this merchant.")
    message = _json_object(decrypt(signed_message, private_key), "decrypted message")
    if _milliseconds(message.get("messageExpiration"), "messageExpiration") <= now_ms:
        _reject("The token has expired.")
    return message


def _intermediate_key(signing_key, root_keys, now_ms):
    """The intermediate signing key, once a current root key's signature and its expiry check out."""
    if not isinstance(signing_key, dict) or set(signing_key) != {"signedKey", "signatures"}:
        _reject("intermediateSigningKey must hold exactly signedKey and signatures.")
    signed_key = _text(signing_key["signedKey"], "signedKey")
    roots = [public_key(k["keyValue"]) for k in root_keys if _current_root(k, now_ms)]
    if not verifies(roots, signing_key["signatures"], length_value(SENDER_ID, PROTOCOL_VERSION, signed_key)):
        _reject("The intermediate signing key is not signed by a current Google root key.")
    key = _json_object(signed_key, "signedKey")
    if _milliseconds(key.get("keyExpiration"), "keyExpiration") <= now_ms:
        _reject("The intermediate signing key has expired.")
    return public_key(key.get("keyValue"))


def _current_root(key, now_ms):
    """An ECv2 root key whose keyExpiration is in the future (one without it is skipped, as Tink does)."""
    expiration = key.get("keyExpiration")
    return (
        key.get("protocolVersion") == PROTOCOL_VERSION
        and isinstance(expiration, str)
        and expiration.isascii()
        and expiration.isdigit()
        and int(expiration) > now_ms
    )


def decrypt(signed_message, private_key, key_bytes=KEY_BYTES):
    """Open the sealed `signedMessage` with the merchant's private key; returns the plaintext."""
    sealed = _json_object(signed_message, "signedMessage")
    if set(sealed) != SEALED_FIELDS:
        _reject("signedMessage must hold exactly encryptedMessage, ephemeralPublicKey and tag.")
    ephemeral, ciphertext, tag = (_base64(sealed[k], k) for k in ("ephemeralPublicKey", "encryptedMessage", "tag"))
    if len(ephemeral) != 65 or ephemeral[0] != 4:
        _reject("ephemeralPublicKey must be an uncompressed P-256 point.")
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), ephemeral)
        shared_secret = private_key.exchange(ec.ECDH(), peer)
    except ValueError:
        _reject("ephemeralPublicKey is not a P-256 point.")
    aes_key, mac_key = _derive_keys(ephemeral, shared_secret, key_bytes)
    if not hmac.compare_digest(hmac.new(mac_key, ciphertext, hashlib.sha256).digest(), tag):
        _reject("The token's tag does not match: it was altered or is for another merchant key.")
    try:
        return _aes_ctr(aes_key, ciphertext).decode("utf-8")
    except UnicodeDecodeError:
        _reject("The decrypted message is not UTF-8.")


def mint_token(
    message, recipient_id, root_private_key, intermediate_private_key, merchant_public_key, key_expiration_ms
):
    """Build a real ECv2 token as Google would (the simulator and tests play Google with it)."""
    signed_key = json.dumps(
        {"keyValue": public_key_text(intermediate_private_key.public_key()), "keyExpiration": str(key_expiration_ms)}
    )
    signed_message = json.dumps(encrypt(json.dumps(message).encode(), merchant_public_key))
    return json.dumps(
        {
            "signature": sign(
                intermediate_private_key, length_value(SENDER_ID, recipient_id, PROTOCOL_VERSION, signed_message)
            ),
            "intermediateSigningKey": {
                "signedKey": signed_key,
                "signatures": [sign(root_private_key, length_value(SENDER_ID, PROTOCOL_VERSION, signed_key))],
            },
            "protocolVersion": PROTOCOL_VERSION,
            "signedMessage": signed_message,
        }
    )


def encrypt(plaintext, merchant_public_key):
    """The sealed message {encryptedMessage, ephemeralPublicKey, tag} for the merchant's key."""
    ephemeral_key = ec.generate_private_key(ec.SECP256R1())
    ephemeral = ephemeral_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    aes_key, mac_key = _derive_keys(ephemeral, ephemeral_key.exchange(ec.ECDH(), merchant_public_key), KEY_BYTES)
    ciphertext = _aes_ctr(aes_key, plaintext)
    return {
        "encryptedMessage": _b64(ciphertext),
        "ephemeralPublicKey": _b64(ephemeral),
        "tag": _b64(hmac.new(mac_key, ciphertext, hashlib.sha256).digest()),
    }


def length_value(*parts):
    """LV encoding: each part as a 4-byte little-endian length followed by its UTF-8 bytes."""
    encoded = [part.encode("utf-8") for part in parts]
    return b"".join(struct.pack("<I", len(part)) + part for part in encoded)


def verifies(keys, signatures, data):
    """True when any of the base64 DER `signatures` verifies `data` under any of `keys`."""
    if not isinstance(signatures, list) or not 1 <= len(signatures) <= SIGNATURES_MAX:
        _reject("A token signature list must hold 1 to 8 signatures.")
    for signature in signatures:
        raw = _base64(signature, "signature")
        for key in keys:
            try:
                key.verify(raw, data, ec.ECDSA(hashes.SHA256()))
                return True
            except BadSignature:
                continue
    return False


def sign(private_key, data):
    return _b64(private_key.sign(data, ec.ECDSA(hashes.SHA256())))


def public_key(text):
    """A P-256 public key from base64 DER SubjectPublicKeyInfo (keys.json's `keyValue`)."""
    try:
        key = serialization.load_der_public_key(_base64(text, "keyValue"))
    except ValueError:
        _reject("A signing key is not a DER public key.")
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        _reject("A signing key is not a P-256 key.")
    return key


def public_key_text(key):
    return _b64(key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def _derive_keys(ephemeral, shared_secret, key_bytes):
    keys = HKDF(hashes.SHA256(), 2 * key_bytes, salt=None, info=SENDER_ID.encode()).derive(ephemeral + shared_secret)
    return keys[:key_bytes], keys[key_bytes:]


def _aes_ctr(key, data):
    cipher = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor()  # CTR: same both ways
    return cipher.update(data) + cipher.finalize()


def _json_object(text, what):
    text = _text(text, what)
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
        json.dumps(value, ensure_ascii=False).encode()  # a lone surrogate (`\ud800`) is not storable text
    except (ValueError, RecursionError):  # (UnicodeEncodeError is a ValueError)
        _reject(f"The {what} is not JSON.")
    if not isinstance(value, dict):
        _reject(f"The {what} is not a JSON object.")
    return value


def _unique_keys(pairs):
    if len({key for key, _ in pairs}) != len(pairs):
        raise ValueError("duplicate key")
    return dict(pairs)


def _no_constant(name):
    raise ValueError(name)


def _text(value, what):
    if not isinstance(value, str) or not 0 < len(value) <= TOKEN_LENGTH_MAX:
        _reject(f"The {what} must be a non-empty string of at most {TOKEN_LENGTH_MAX} characters.")
    return value


def _milliseconds(value, what):
    """Expirations are decimal strings of epoch milliseconds."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 16:
        _reject(f"{what} must be a string of epoch milliseconds.")
    return int(value)


def _base64(value, what):
    try:
        return base64.b64decode(_text(value, what), validate=True)
    except (binascii.Error, ValueError):
        _reject(f"{what} is not base64.")


def _b64(raw):
    return base64.b64encode(raw).decode("ascii")


def _reject(message):
    raise InvalidSignature(message)
