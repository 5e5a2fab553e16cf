"""Simulator mode: a local stand-in for PayPal's Orders API and webhooks.

`SimulatedPayPalApi` answers like PayPal (17-character order and capture ids, PAYER_ACTION_REQUIRED
→ APPROVED → COMPLETED) from its own `simulator_paypal_orders` collection (this module its only
writer; `simulator_cases.py` reads a capture's amount there). Its approval page (`pages.py`)
approves the order and sends the buyer back; the service's capture (at verify) completes it and the
simulator posts a `PAYMENT.CAPTURE.COMPLETED` webhook, signed with its own RSA key whose
certificate (and intermediate) it serves for `SIMULATOR_CERT_URL` — verified by the same code as
live, against the simulator's own root, simulator mode's trust store (`simulator_certificates.py`).
The keys and certificates are derived from SIMULATOR_SEED, so every process of one deployment signs
and verifies alike. After the credit, its `cases` (`simulator_cases.py`) refund captures and play
PayPal's own refunds, reversals and disputes, each with its signed webhook. Its `books`
(`simulator_books.py`) serve what it captured and refunded as PayPal's transaction search (SPEC §11).
"""

import base64
import datetime
import json
import uuid
import zlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from ...errors import GatewayUnavailable, InvalidSignature, PaymentNotCaptured
from ..simulator_seed import DEV_SIMULATOR_SEED
from .api import PAYPAL_ID_PATTERN, OrderAlreadyCaptured
from .shapes import new_paypal_id as paypal_id
from .simulator_books import PayPalBooks
from .simulator_cases import PayPalCases
from .simulator_keys import simulator_signer, simulator_trust_store
from .webhook import AUTH_ALGO, check_cert_url

# Fixed, documented development values of the simulator's PayPal app.
DEV_PAYPAL_CLIENT_ID = "paypal_simulator_client_id"
DEV_PAYPAL_CLIENT_SECRET = "paypal_simulator_client_secret"
DEV_PAYPAL_WEBHOOK_ID = "WH-SIMULATOR"
SIMULATOR_CERT_URL = "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-SIMULATOR"
COLLECTION = "simulator_paypal_orders"


def signed_headers(raw_body, webhook_id, private_key=None, cert_url=SIMULATOR_CERT_URL, sent_at=None, seed=None):
    """The headers PayPal sends with a webhook, signed over `id|time|webhook_id|crc32(body)`; by
    `private_key`, else by the simulator's key for `seed`."""
    private_key = private_key or simulator_signer(seed)[0]
    sent_at = sent_at or datetime.datetime.now(datetime.UTC)
    transmission_id, transmission_time = str(uuid.uuid4()), sent_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(raw_body) & 0xFFFFFFFF}"
    signature = private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return {
        "Content-Type": "application/json",
        "PAYPAL-TRANSMISSION-ID": transmission_id,
        "PAYPAL-TRANSMISSION-TIME": transmission_time,
        "PAYPAL-CERT-URL": cert_url,
        "PAYPAL-AUTH-ALGO": AUTH_ALGO,
        "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
    }


class SimulatedPayPalApi:
    """PayPal's Orders API as the adapter sees it, kept in the service's own store.

    It plays PayPal: a webhook that verifies under its key is what happened, even to a capture it did
    not make (SPEC §6: tests and developers sign their own), so nothing is read back.

    `approve_url`: the simulator's approval page, the order id appended; `deliver_webhook(body,
    headers)` posts a webhook to the service; `seed`: SIMULATOR_SEED, whose key signs webhooks.
    `cases` (a `PayPalCases`): its refunds, and PayPal's own refunds, reversals and disputes, which
    tests play through it. `books` (a `PayPalBooks`): its transaction search, which tests make
    disagree with the ledger; `credited`: the service's credited top-ups (`GatewayEnv.credited`),
    which its books hold as its own."""

    reads_back_webhooks = False

    def __init__(self, db, approve_url, webhook_id, deliver_webhook, seed=None, credited=None):
        self.orders = db[COLLECTION]
        self.approve_url = approve_url.rstrip("/")
        self.webhook_id = webhook_id
        self.deliver_webhook = deliver_webhook
        self.seed = seed or DEV_SIMULATOR_SEED
        self.trust_store = simulator_trust_store(self.seed)  # its root alone: no other chain is trusted
        self.cases = PayPalCases(self, db)
        self.books = PayPalBooks(self, db, credited)

    def create_order(self, body, request_id):
        order = self.orders.find_one({"request_id": request_id})  # PayPal-Request-Id: a repeat is the same order
        if order is None:
            order = {
                "_id": paypal_id(),
                "request_id": request_id,
                "status": "PAYER_ACTION_REQUIRED",
                "purchase_units": body["purchase_units"],
                "capture": None,
            }
            self.orders.insert_one(order)
        return self._view(order)

    def capture_order(self, order_id, request_id):
        order = self._stored(order_id)
        unit = order["purchase_units"][0]
        capture = {
            "id": paypal_id(),
            "status": "COMPLETED",
            "amount": unit["amount"],
            "final_capture": True,
            "custom_id": unit.get("custom_id"),
            "supplementary_data": {"related_ids": {"order_id": order_id}},
            "create_time": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        won = self.orders.update_one(
            {"_id": order_id, "status": "APPROVED"}, {"$set": {"status": "COMPLETED", "capture": capture}}
        ).modified_count
        if not won:
            if self._stored(order_id)["status"] == "COMPLETED":
                raise OrderAlreadyCaptured()
            raise PaymentNotCaptured("PayPal did not capture the payment (ORDER_NOT_APPROVED).")
        amount = f"{capture['amount']['currency_code']} {capture['amount']['value']}"
        self.post_event("PAYMENT.CAPTURE.COMPLETED", "capture", capture, f"Payment completed for {amount}")
        return self._view(self._stored(order_id))

    def get_order(self, order_id):
        return self._view(self._stored(order_id))

    def look_up_order(self, order_id):
        """The order, or None when the simulator has no such order (PayPal's 404)."""
        order = self.find_order(order_id)
        return self._view(order) if order is not None else None

    def refund_capture(self, capture_id, body, request_id):
        """As `PayPalApi.refund_capture` (see `PayPalCases.refund_capture`)."""
        return self.cases.refund_capture(capture_id, body, request_id)

    def refunds_of_capture(self, capture_id):
        """As `PayPalApi.refunds_of_capture`: the refunds the simulator made of the capture."""
        return self.cases.refunds_of_capture(capture_id)

    def transactions(self, start_date, end_date, page, page_size, balance_affecting_only=True):
        """As `PayPalApi.transactions`: a page of the simulator's books (see `PayPalBooks`)."""
        return self.books.transactions(start_date, end_date, page, page_size, balance_affecting_only)

    def certificate(self, url):
        """The simulator's certificate and intermediate (PEM), served for SIMULATOR_CERT_URL only."""
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
        return {
            "id": order["_id"],
            "intent": "CAPTURE",
            "status": order["status"],
            "purchase_units": [unit],
            "links": [{"href": link, "rel": "payer-action", "method": "GET"}],
        }

    def post_event(self, event_type, resource_type, resource, summary):
        """Post a PayPal webhook event about `resource`, signed with the simulator's key; returns
        the delivery's answer (the HTTP status when delivered inline)."""
        event = {
            "id": "WH-" + paypal_id(),
            "event_version": "1.0",
            "create_time": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "resource_type": resource_type,
            "resource_version": "2.0",
            "event_type": event_type,
            "summary": summary,
            "resource": resource,
            "links": [],
        }
        body = json.dumps(event).encode()
        return self.deliver_webhook(body, signed_headers(body, self.webhook_id, seed=self.seed))
