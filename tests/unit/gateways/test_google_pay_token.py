"""Google Pay ECv2 tokens: a minted token opens; one test per reason a token is refused."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from backend.errors import InvalidSignature
from backend.gateways.google_pay import token as gpt

RECIPIENT = "merchant:12345678901234567890"
NOW_MS = 1_800_000_000_000
HOUR_MS = 3600 * 1000


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


ROOT, INTERMEDIATE, MERCHANT, OTHER = new_key(), new_key(), new_key(), new_key()


def root_keys(key=ROOT, expiration_ms=NOW_MS + HOUR_MS, version="ECv2"):
    return [
        {
            "keyValue": gpt.public_key_text(key.public_key()),
            "protocolVersion": version,
            "keyExpiration": str(expiration_ms),
        }
    ]


def message(**overrides):
    fields = {
        "messageExpiration": str(NOW_MS + HOUR_MS),
        "messageId": "msg_1",
        "paymentMethod": "CARD",
        "paymentMethodDetails": {
            "authMethod": "PAN_ONLY",
            "pan": "4111111111111111",
            "expirationMonth": 12,
            "expirationYear": 2030,
        },
    }
    fields.update(overrides)
    return fields


def mint(msg=None, recipient=RECIPIENT, root=ROOT, merchant=MERCHANT, key_expiration_ms=NOW_MS + HOUR_MS):
    return gpt.mint_token(msg or message(), recipient, root, INTERMEDIATE, merchant.public_key(), key_expiration_ms)


def open_token(token_text, keys=None):
    return gpt.verify_and_decrypt(token_text, RECIPIENT, keys or root_keys(), MERCHANT, NOW_MS)


def resealed(change_sealed):
    """A token whose sealed message was changed, then signed again by the intermediate key."""
    token = json.loads(mint())
    sealed = json.loads(token["signedMessage"])
    change_sealed(sealed)
    token["signedMessage"] = json.dumps(sealed)
    signed = gpt.length_value("Google", RECIPIENT, "ECv2", token["signedMessage"])
    token["signature"] = gpt.sign(INTERMEDIATE, signed)
    return json.dumps(token)


def flip_first_byte(text):
    raw = bytearray(base64.b64decode(text))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def test_minted_token_verifies_and_decrypts():
    assert open_token(mint()) == message()


def test_decryption_matches_googles_published_ecv1_vector():
    """Tink's PaymentMethodTokenRecipientTest vector (Google-made): same LV, ECDSA, ECDH, HKDF with an
    empty salt, HMAC tag and AES-CTR construction as ECv2, with ECv1's 16-byte keys."""
    signed_message = (
        '{"tag":"ZVwlJt7dU8Plk0+r8rPF8DmPTvDiOA1UAoNjDV+SqDE\\u003d","ephemeralPublicKey":"BPhVspn70Zj2Kkgu9t8+ApEuU'
        'WsI/zos5whGCQBlgOkuYagOis7qsrcbQrcprjvTZO3XOU+Qbcc28FSgsRtcgQE\\u003d","encryptedMessage":"12jUObueVTdy"}'
    )
    signature = "MEQCIDxBoUCoFRGReLdZ/cABlSSRIKoOEFoU3e27c14vMZtfAiBtX3pGMEpnw6mSAbnagCCgHlCk3NcFwWYEyxIE6KGZVA=="
    google_key = gpt.public_key(
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEPYnHwS8uegWAewQtlxizmLFynwHcxRT1PK07cDA6"
        "/C4sXrVI1SzZCUx8U8S0LjMrT6ird/VW7be3Mz6t/srtRQ=="
    )
    merchant_key = serialization.load_der_private_key(
        base64.b64decode(
            "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCPSuFr4iSIaQprjjchHPyDu2NXFe0vDBoTpPkYaK9dehRANCAATnaFz/vQKu"
            "O90pxsINyVNWojabHfbx9qIJ6uD7Q7ZSxmtyo/Ez3/o2kDT8g0pIdyVIYktCsq65VoQIDWSh2Bdm"
        ),
        password=None,
    )
    signed = gpt.length_value("Google", "someRecipient", "ECv1", signed_message)
    assert gpt.verifies([google_key], [signature], signed)
    assert gpt.decrypt(signed_message, merchant_key, key_bytes=16) == "plaintext"


@pytest.mark.parametrize("version", ["ECv1", "ECv2SigningOnly", "ecv2", 2])
def test_rejects_other_protocol_version(version):
    token = json.loads(mint())
    token["protocolVersion"] = version
    with pytest.raises(InvalidSignature, match="Only ECv2"):
        open_token(json.dumps(token))


def test_rejects_intermediate_key_signed_by_unknown_root():
    with pytest.raises(InvalidSignature, match="not signed by a current Google root key"):
        open_token(mint(root=OTHER))


def test_rejects_expired_root_key():
    with pytest.raises(InvalidSignature, match="not signed by a current Google root key"):
        open_token(mint(), keys=root_keys(expiration_ms=NOW_MS))


def test_rejects_root_key_of_another_protocol_version():
    with pytest.raises(InvalidSignature, match="not signed by a current Google root key"):
        open_token(mint(), keys=root_keys(version="ECv1"))


def test_rejects_expired_intermediate_key():
    with pytest.raises(InvalidSignature, match="intermediate signing key has expired"):
        open_token(mint(key_expiration_ms=NOW_MS))


def test_rejects_message_signed_by_another_key():
    token = json.loads(mint())
    token["signature"] = gpt.sign(OTHER, gpt.length_value("Google", RECIPIENT, "ECv2", token["signedMessage"]))
    with pytest.raises(InvalidSignature, match="message signature does not verify"):
        open_token(json.dumps(token))


@pytest.mark.parametrize(
    "minted_for, verified_as",
    [
        ("merchant:98765432109876543210", RECIPIENT),
        (RECIPIENT, "merchant:98765432109876543210"),
        (RECIPIENT, "gateway:12345678901234567890"),
    ],
)
def test_rejects_token_for_another_recipient(minted_for, verified_as):
    with pytest.raises(InvalidSignature, match="message signature does not verify"):
        gpt.verify_and_decrypt(mint(recipient=minted_for), verified_as, root_keys(), MERCHANT, NOW_MS)


def test_rejects_tampered_signed_message():
    token = json.loads(mint())
    token["signedMessage"] = token["signedMessage"] + " "
    with pytest.raises(InvalidSignature, match="message signature does not verify"):
        open_token(json.dumps(token))


def test_rejects_tampered_encrypted_message():
    def tamper(sealed):
        sealed["encryptedMessage"] = flip_first_byte(sealed["encryptedMessage"])

    with pytest.raises(InvalidSignature, match="tag does not match"):
        open_token(resealed(tamper))


def test_rejects_tampered_tag():
    def tamper(sealed):
        sealed["tag"] = flip_first_byte(sealed["tag"])

    with pytest.raises(InvalidSignature, match="tag does not match"):
        open_token(resealed(tamper))


def test_rejects_token_encrypted_for_another_merchant_key():
    with pytest.raises(InvalidSignature, match="tag does not match"):
        open_token(mint(merchant=OTHER))


@pytest.mark.parametrize("expiration", [str(NOW_MS), str(NOW_MS - 1), None, NOW_MS + HOUR_MS, "soon"])
def test_rejects_expired_or_unreadable_message_expiration(expiration):
    with pytest.raises(InvalidSignature, match="expired|messageExpiration"):
        open_token(mint(message(messageExpiration=expiration)))


@pytest.mark.parametrize("change", ["extra", "missing"])
def test_rejects_extra_or_missing_top_level_fields(change):
    token = json.loads(mint())
    if change == "extra":
        token["extra"] = "x"
    else:
        del token["signature"]
    with pytest.raises(InvalidSignature, match="exactly protocolVersion"):
        open_token(json.dumps(token))


def test_rejects_duplicate_keys():
    text = mint()
    with pytest.raises(InvalidSignature, match="not JSON"):
        open_token(text[:-1] + ', "protocolVersion": "ECv2"}')


@pytest.mark.parametrize("text", ["", "not json", "[]", "x" * (gpt.TOKEN_LENGTH_MAX + 1), None, 5])
def test_rejects_what_is_not_a_token(text):
    with pytest.raises(InvalidSignature):
        open_token(text)


def test_rejection_messages_carry_no_key_material():
    token = mint(merchant=OTHER)
    with pytest.raises(InvalidSignature) as caught:
        open_token(token)
    sealed = json.loads(json.loads(token)["signedMessage"])
    for value in sealed.values():
        assert value[:16] not in caught.value.message
