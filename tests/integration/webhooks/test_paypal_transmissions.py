"""PayPal signs `transmission id|time|webhook id|CRC-32 of the body`, and CRC-32 is linear: holding one
signed delivery (from a log, a proxy, a misrouted copy), anyone can build another body with the same
CRC-32 and post it under the same headers within the 5 minutes the signature is taken. Found by a
red-team pass: a forged PAYMENT.CAPTURE.COMPLETED credited a top-up never paid. The service keeps each
transmission's body digest and refuses another body under it."""

import json
import zlib

from backend.gateways.paypal.simulator import DEV_PAYPAL_WEBHOOK_ID, paypal_id, signed_headers
from tests.helpers import BASE, bearer, unique

PAD_LENGTH = 64


def same_crc_padding(prefix, suffix, target_crc):
    """A pad of 'a'/'A' letters such that crc32(prefix + pad + suffix) == target_crc: CRC-32 is affine
    over GF(2), so the flips to make are a solution of a linear system (Gaussian elimination)."""
    base = b"a" * PAD_LENGTH
    crc_base = zlib.crc32(prefix + base + suffix)
    basis: dict[int, tuple[int, int]] = {}  # leading bit -> (crc difference, flips that make it)
    for index in range(PAD_LENGTH):
        flipped = base[:index] + b"A" + base[index + 1 :]
        vector, flips = zlib.crc32(prefix + flipped + suffix) ^ crc_base, 1 << index
        for bit in sorted(basis, reverse=True):
            if vector >> bit & 1:
                vector, flips = vector ^ basis[bit][0], flips ^ basis[bit][1]
        if vector:
            basis[vector.bit_length() - 1] = (vector, flips)
    wanted, flips = crc_base ^ target_crc, 0
    for bit in sorted(basis, reverse=True):
        if wanted >> bit & 1:
            wanted, flips = wanted ^ basis[bit][0], flips ^ basis[bit][1]
    assert wanted == 0
    pad = bytes(ord("A") if flips >> index & 1 else ord("a") for index in range(PAD_LENGTH))
    assert zlib.crc32(prefix + pad + suffix) == target_crc
    return pad


def post(client, body, headers):
    return client.post(f"{BASE}/webhook/paypal", data=body, headers=headers)


def test_another_body_with_the_crc_of_a_signed_delivery_is_refused_and_credits_nothing(api, client, db):
    attacker = unique("mallory")
    payment_order_id = api.initiate(attacker, "10.00", method="paypal").get_json()["payment_order_id"]
    seen = json.dumps({"id": "WH-" + paypal_id(), "event_type": "CHECKOUT.ORDER.APPROVED", "resource": {}}).encode()
    headers = signed_headers(seen, DEV_PAYPAL_WEBHOOK_ID)
    assert post(client, seen, headers).status_code == 200  # the genuine delivery, an event ignored
    capture = {
        "id": paypal_id(),
        "status": "COMPLETED",
        "amount": {"currency_code": "INR", "value": "10.00"},
        "supplementary_data": {"related_ids": {"order_id": payment_order_id}},
    }
    event = {"id": "WH-" + paypal_id(), "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": capture}
    prefix, suffix = json.dumps(dict(event, pad="@@PAD@@")).encode().split(b"@@PAD@@")
    forged = prefix + same_crc_padding(prefix, suffix, zlib.crc32(seen)) + suffix
    answer = post(client, forged, headers)
    assert (answer.status_code, answer.get_json()["error"]) == (400, "invalid_signature")
    wallet = client.get(f"{BASE}/status/{attacker}", headers=bearer(attacker)).get_json()["wallet"]
    assert wallet["balance"] == 0
    assert db["payment_orders"].find_one({"_id": payment_order_id})["status"] == "created"
    assert post(client, seen, headers).status_code == 200  # the same delivery again is still taken
