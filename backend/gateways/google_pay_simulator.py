"""Simulator mode: a local stand-in for Google Pay's payment sheet and for the card processor.

It plays Google with a root signing key and an intermediate signing key made once per process
(and the merchant key pair, unless GOOGLE_PAY_PRIVATE_KEY is set): Pay mints a real ECv2 token
for a test card and posts it to /webhook/google-pay, as the merchant's checkout page would, so
the same verification code as live mode runs. Tokens verify only while GOOGLE_PAY_ROOT_SIGNING_KEYS
is unset (the simulator cannot sign as Google's real root keys). The processor moves no money.
"""
import datetime
import hashlib
import json
import threading
import time
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric import ec
from flask import Blueprint, current_app, redirect

from ..clock import new_id
from ..money import format_major
from .delivery import deliver
from .google_pay_token import PROTOCOL_VERSION, mint_token, public_key_text
from .pages import payment_order_or_404, simulator_page

google_pay_simulator_bp = Blueprint("google_pay_simulator", __name__, url_prefix="/simulator/google-pay")
WEBHOOK_PATH = "/api/integration/webhook/google-pay"
TEST_PAN = "4111111111111111"
MESSAGE_LIFETIME_MS = 5 * 60 * 1000
INTERMEDIATE_KEY_LIFETIME_MS = 24 * 3600 * 1000
ROOT_KEY_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000
_keys = {}
_keys_lock = threading.Lock()

def simulator_keys():
    """The simulator's `root`, `intermediate` and `merchant` P-256 private keys, made once per process."""
    with _keys_lock:
        if not _keys:
            _keys.update({name: ec.generate_private_key(ec.SECP256R1())
                          for name in ("root", "intermediate", "merchant")})
        return dict(_keys)


def simulator_root_keys():
    """The simulator's root key as keys.json entries."""
    expiration_ms = _now_ms() + ROOT_KEY_LIFETIME_MS
    return [{"keyValue": public_key_text(simulator_keys()["root"].public_key()),
             "protocolVersion": PROTOCOL_VERSION, "keyExpiration": str(expiration_ms)}]


def simulator_token(gateway, message_id=None):
    """A real ECv2 token for a test card, signed as the simulator's Google, for `gateway`'s merchant."""
    keys, now_ms = simulator_keys(), _now_ms()
    message = {
        "messageExpiration": str(now_ms + MESSAGE_LIFETIME_MS),
        "messageId": message_id or new_id("gpmsg", 24),
        "paymentMethod": "CARD",
        "paymentMethodDetails": {"authMethod": "PAN_ONLY", "pan": TEST_PAN, "expirationMonth": 12,
                                 "expirationYear": datetime.date.today().year + 3},
    }
    return mint_token(message, gateway.recipient_id, keys["root"], keys["intermediate"],
                      gateway.private_key.public_key(), now_ms + INTERMEDIATE_KEY_LIFETIME_MS)


def payment_data(token):
    """Google Pay's PaymentData as the browser receives it, around `token`."""
    return {"apiVersion": 2, "apiVersionMinor": 0, "paymentMethodData": {
        "type": "CARD", "description": "Visa •••• 1111", "info": {"cardNetwork": "VISA", "cardDetails": "1111"},
        "tokenizationData": {"type": "DIRECT", "token": token}}}


class SimulatorProcessor:
    """Charges nothing; the charge id comes from the idempotency key, so a repeat gets the same one."""

    def charge(self, idempotency_key, payment_method_details, amount_minor, currency):
        return "gpch_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


@google_pay_simulator_bp.get("/checkout/<order_id>")
def checkout_page(order_id):
    payment_order = payment_order_or_404(order_id, "google_pay")
    return simulator_page("Google Pay simulator", "Simulated payment sheet", order_id,
                          format_major(payment_order["amount_minor"], payment_order["currency"]),
                          payment_order["currency"], "background:#000;color:#fff", label="Payment order",
                          details="<br>Card Visa •••• 1111 (test)")


@google_pay_simulator_bp.post("/checkout/<order_id>/pay")
def pay(order_id):
    payment_order_or_404(order_id, "google_pay")
    gateway = current_app.extensions["integration"].payments.gateway("google_pay")
    body = {"payment_order_id": order_id, "paymentData": payment_data(simulator_token(gateway))}
    # Like a merchant's checkout page: post the token, wait for the answer, then send the buyer back.
    status = deliver(WEBHOOK_PATH, json.dumps(body).encode(), {"Content-Type": "application/json"}, wait=True)
    query = {"payment_order_id": order_id, "payment_method": "google_pay"}
    if status != 200:
        query["payment_error"] = "payment_rejected"
    return _back(query)


@google_pay_simulator_bp.post("/checkout/<order_id>/fail")
def fail(order_id):
    payment_order_or_404(order_id, "google_pay")
    return _back({"payment_order_id": order_id, "payment_method": "google_pay", "payment_error": "payment_failed"})


def _back(query):
    return redirect(current_app.config["CHECKOUT_RETURN_URL"] + "?" + urlencode(query), code=303)


def _now_ms():
    return int(time.time() * 1000)
