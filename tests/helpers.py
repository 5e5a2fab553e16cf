"""Test helpers: tokens, signed gateway messages, store snapshots, small API actions."""

import datetime
import hashlib
import hmac
import json
import threading
import uuid

import jwt

from backend.gateways.razorpay.simulator import DEV_RAZORPAY_KEY_SECRET, DEV_RAZORPAY_WEBHOOK_SECRET
from backend.notifications import NotificationFailed

TEST_JWT_SECRET = "test-secret-0123456789-0123456789-abcdef"
WEBHOOK_PATH = "/api/integration/webhook/razorpay"
BASE = "/api/integration"


def token(sub, role="customer", secret=TEST_JWT_SECRET, expires_in_seconds=3600, **extra):
    now = datetime.datetime.now(datetime.UTC)
    claims = {"sub": sub, "role": role, "exp": now + datetime.timedelta(seconds=expires_in_seconds)}
    claims.update(extra)
    return jwt.encode(claims, secret, algorithm="HS256")


def bearer(sub, role="customer"):
    return {"Authorization": f"Bearer {token(sub, role)}"}


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def checkout_signature(order_id, payment_id, secret=DEV_RAZORPAY_KEY_SECRET):
    return hmac.new(secret.encode(), f"{order_id}|{payment_id}".encode(), hashlib.sha256).hexdigest()


def razorpay_event(event_type, order_id, payment_id, amount_minor, currency="INR", status="captured"):
    entity = {
        "id": payment_id,
        "entity": "payment",
        "amount": amount_minor,
        "currency": currency,
        "status": status,
        "order_id": order_id,
        "notes": [],
    }
    payload = {"payment": {"entity": entity}}
    contains = ["payment"]
    if event_type == "order.paid":
        payload["order"] = {
            "entity": {
                "id": order_id,
                "amount": amount_minor,
                "amount_paid": amount_minor,
                "amount_due": 0,
                "status": "paid",
            }
        }
        contains.append("order")
    return {
        "entity": "event",
        "account_id": "acc_test",
        "event": event_type,
        "contains": contains,
        "payload": payload,
        "created_at": 1700000000,
    }


def signed_webhook(event, secret=DEV_RAZORPAY_WEBHOOK_SECRET, event_id=None):
    """(raw body, headers) as Razorpay would send them."""
    body = json.dumps(event).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Razorpay-Signature": signature,
        "X-Razorpay-Event-Id": event_id or unique("evt"),
    }
    return body, headers


def snapshot(db):
    """Every collection's documents except the audit log, for 'nothing was written' checks."""
    names = sorted(n for n in db.list_collection_names() if n != "integration_logs")
    return {name: sorted(map(repr, db[name].find({}))) for name in names}


class Api:
    """Small actions over the Flask test client."""

    def __init__(self, client, db):
        self.client = client
        self.db = db

    def post(self, path, body, headers=None, **kwargs):
        return self.client.post(BASE + path, json=body, headers=headers or {}, **kwargs)

    def initiate(self, customer_id, amount, method="razorpay", headers=None):
        return self.post(
            "/wallet/topup/initiate",
            {"customer_id": customer_id, "amount": amount, "payment_method": method},
            headers or bearer(customer_id),
        )

    def topup(self, customer_id, amount):
        """Initiate and confirm by a signed `payment.captured` webhook; returns the payment order id."""
        response = self.initiate(customer_id, amount)
        assert response.status_code == 200, response.get_json()
        data = response.get_json()
        event = razorpay_event("payment.captured", data["payment_order_id"], unique("pay"), round(data["amount"] * 100))
        body, headers = signed_webhook(event)
        assert self.client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
        return data["payment_order_id"]

    def add_order(self, customer_id, amount_minor, currency="INR", order_id=None):
        order_id = order_id or unique("ord")
        self.db["orders"].insert_one(
            {
                "order_id": order_id,
                "customer_id": customer_id,
                "amount_minor": amount_minor,
                "currency": currency,
                "payment_status": "pending",
            }
        )
        return order_id

    def pay(self, order_id, customer_id, amount, headers=None):
        return self.post(
            "/order/pay-with-wallet",
            {"order_id": order_id, "customer_id": customer_id, "amount": amount},
            headers or bearer(customer_id),
        )

    def refund(self, order_id, customer_id, amount, reason="test", headers=None):
        return self.post(
            "/order/refund-to-wallet",
            {"order_id": order_id, "customer_id": customer_id, "amount": amount, "reason": reason},
            headers or bearer("admin_1", "admin"),
        )

    def status(self, customer_id, headers=None):
        return self.client.get(f"{BASE}/status/{customer_id}", headers=headers or bearer(customer_id))

    def balance(self, customer_id):
        return self.status(customer_id).get_json()["wallet"]["balance"]


class FakeSender:
    """A WhatsApp sender that records messages, failing the first `failures` sends."""

    def __init__(self, failures=0):
        self.sent = []
        self.failures = failures

    def send(self, phone, text):
        if self.failures:
            self.failures -= 1
            raise NotificationFailed("HTTP 503 code None")
        self.sent.append((phone, text))


def run_in_threads(count, target):
    """Run `target(i)` in `count` threads started together; returns results in order."""
    results = [None] * count
    barrier = threading.Barrier(count)

    def worker(index):
        barrier.wait()
        results[index] = target(index)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


class Clock:
    """A clock for the code under test: `now` until a test moves it (`advance`)."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)
