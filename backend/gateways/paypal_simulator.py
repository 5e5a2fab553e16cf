"""Simulator mode: a local stand-in for PayPal's Orders API, approval page and webhooks.

`SimulatedPayPalApi` answers like PayPal (17-character order and capture ids, PAYER_ACTION_REQUIRED
→ APPROVED → COMPLETED) from the `simulator_paypal_orders` collection. Pay approves the order and
sends the buyer back; the service's capture (at verify) completes it and the simulator posts a
`PAYMENT.CAPTURE.COMPLETED` webhook, signed with its own RSA key (one per process) whose
self-signed certificate it serves for `SIMULATOR_CERT_URL` — verified by the same code as live.
"""
import base64
import datetime
import json
import secrets
import threading
import uuid
import zlib
from urllib.parse import urlencode

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from flask import Blueprint, abort, current_app, redirect

from ..db import get_db
from ..errors import GatewayUnavailable, InvalidSignature, PaymentNotCaptured
from .paypal_api import PAYPAL_ID_PATTERN, OrderAlreadyCaptured
from .paypal_webhook import AUTH_ALGO, check_cert_url
from .delivery import deliver
from .pages import simulator_page

paypal_simulator_bp = Blueprint("paypal_simulator", __name__, url_prefix="/simulator/paypal")
SIMULATOR_CERT_URL = "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-SIMULATOR"
WEBHOOK_PATH = "/api/integration/webhook/paypal"
COLLECTION = "simulator_paypal_orders"
ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_signer, _signer_lock = None, threading.Lock()

def paypal_id():
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(17))


def new_signing_pair(common_name="PayPal simulator"):
    """(RSA private key, PEM of its self-signed certificate valid for a year)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM)


def simulator_signer():
    """The simulator's signing pair, made once per process."""
    global _signer
    with _signer_lock:
        if _signer is None:
            _signer = new_signing_pair()
        return _signer


def signed_headers(raw_body, webhook_id, private_key=None, cert_url=SIMULATOR_CERT_URL, sent_at=None):
    """The headers PayPal sends with a webhook, signed over `id|time|webhook_id|crc32(body)`."""
    private_key = private_key or simulator_signer()[0]
    sent_at = sent_at or datetime.datetime.now(datetime.timezone.utc)
    transmission_id, transmission_time = str(uuid.uuid4()), sent_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(raw_body) & 0xffffffff}"
    signature = private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return {"Content-Type": "application/json", "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": transmission_time, "PAYPAL-CERT-URL": cert_url,
            "PAYPAL-AUTH-ALGO": AUTH_ALGO, "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode()}


class SimulatedPayPalApi:
    """PayPal's Orders API as the adapter sees it, kept in the service's own store."""

    def __init__(self, public_base_url, webhook_id):
        self.public_base_url = public_base_url
        self.webhook_id = webhook_id

    def create_order(self, body, request_id):
        orders = get_db()[COLLECTION]
        order = orders.find_one({"request_id": request_id})  # PayPal-Request-Id: a repeat is the same order
        if order is None:
            order = {"_id": paypal_id(), "request_id": request_id, "status": "PAYER_ACTION_REQUIRED",
                     "purchase_units": body["purchase_units"], "capture": None}
            orders.insert_one(order)
        return self._view(order)

    def capture_order(self, order_id, request_id):
        orders = get_db()[COLLECTION]
        order = self._stored(order_id)
        unit = order["purchase_units"][0]
        capture = {"id": paypal_id(), "status": "COMPLETED", "amount": unit["amount"], "final_capture": True,
                   "custom_id": unit.get("custom_id"), "supplementary_data": {"related_ids": {"order_id": order_id}},
                   "create_time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        won = orders.update_one({"_id": order_id, "status": "APPROVED"},
                                {"$set": {"status": "COMPLETED", "capture": capture}}).modified_count
        if not won:
            if self._stored(order_id)["status"] == "COMPLETED":
                raise OrderAlreadyCaptured()
            raise PaymentNotCaptured("PayPal did not capture the payment (ORDER_NOT_APPROVED).")
        self._deliver_webhook("PAYMENT.CAPTURE.COMPLETED", capture)
        return self._view(self._stored(order_id))

    def get_order(self, order_id):
        return self._view(self._stored(order_id))

    def certificate(self, url):
        check_cert_url(url)
        if url != SIMULATOR_CERT_URL:
            raise InvalidSignature("In simulator mode only the simulator's certificate is trusted.")
        return simulator_signer()[1]

    def _stored(self, order_id):
        order = get_db()[COLLECTION].find_one({"_id": order_id})
        if order is None:
            raise GatewayUnavailable("The PayPal simulator has no such order.")
        return order

    def _view(self, order):
        unit = dict(order["purchase_units"][0])
        if order["capture"]:
            unit["payments"] = {"captures": [order["capture"]]}
        link = f"{self.public_base_url}/simulator/paypal/checkout/{order['_id']}"
        return {"id": order["_id"], "intent": "CAPTURE", "status": order["status"], "purchase_units": [unit],
                "links": [{"href": link, "rel": "payer-action", "method": "GET"}]}

    def _deliver_webhook(self, event_type, capture):
        event = {"id": "WH-" + paypal_id(), "event_version": "1.0", "create_time": capture["create_time"],
                 "resource_type": "capture", "resource_version": "2.0", "event_type": event_type,
                 "summary": f"Payment completed for {capture['amount']['currency_code']} {capture['amount']['value']}",
                 "resource": capture, "links": []}
        body = json.dumps(event).encode()
        deliver(WEBHOOK_PATH, body, signed_headers(body, self.webhook_id))


def _simulated_order(order_id):
    if not PAYPAL_ID_PATTERN.match(order_id):
        abort(404)
    order = get_db()[COLLECTION].find_one({"_id": order_id})
    if order is None:
        abort(404)
    return order


def _back(order_id, **extra):
    query = {"paypal_order_id": order_id, "payment_method": "paypal", **extra}
    return redirect(current_app.config["CHECKOUT_RETURN_URL"] + "?" + urlencode(query), code=303)


@paypal_simulator_bp.get("/checkout/<order_id>")
def checkout_page(order_id):
    amount = _simulated_order(order_id)["purchase_units"][0]["amount"]
    return simulator_page("PayPal simulator", "Simulated approval", order_id, amount["value"],
                          amount["currency_code"], "background:#ffc439")


@paypal_simulator_bp.post("/checkout/<order_id>/pay")
def pay(order_id):
    """The buyer approves: PayPal moves the order to APPROVED and sends the buyer back."""
    _simulated_order(order_id)
    get_db()[COLLECTION].update_one({"_id": order_id, "status": "PAYER_ACTION_REQUIRED"},
                                    {"$set": {"status": "APPROVED"}})
    return _back(order_id)


@paypal_simulator_bp.post("/checkout/<order_id>/fail")
def fail(order_id):
    _simulated_order(order_id)
    return _back(order_id, payment_error="payment_failed")
