"""The load of `make bench` (scripts/bench_http.py): keep-alive clients, phases, and the requests.

Each client is a thread with one keep-alive `http.client` connection. A phase runs every client for
so many seconds or so many requests and keeps each request's latency. `Requests` builds the
requests of each operation with tokens minted for the server's JWT_SECRET; every request carries an
`X-Forwarded-For` address as nginx would pass it (the service runs with TRUSTED_PROXY_COUNT=1, as
deployed), a new one every ADDRESS_REQUESTS requests of a client, so that rate limits are on and
counting, as in production, without any client meeting them.
"""

import datetime
import hashlib
import hmac
import http.client
import itertools
import json
import math
import threading
import time
import uuid

import jwt
from bench_server import ORDER_AMOUNT_MINOR, customer_id, order_id

BASE = "/api/integration"
WEBHOOK_SECRET = "bench_webhook_secret"
STATUS_CUSTOMER = "bench_status"  # a wallet of STATUS_ENTRIES credits: GET status returns a full page
STATUS_ENTRIES = 20
ADMIN = "bench_admin"
TOPUP_AMOUNT = "10.00"  # each initiate of an initiate phase (credited by the next webhook phase)
TOPUP_AMOUNT_MINOR = 1000
REFUND_AMOUNT = "0.01"
TOPUP_SETUP = "100000.00"  # per customer, before the runs: far more than its payments cost
STATUS_TOPUP = "1.00"
ADDRESS_REQUESTS = 20  # under every limit: 30/min on money POSTs, 300/min elsewhere


class Client:
    """One keep-alive connection; `call` returns (status or None on a connection error, body)."""

    def __init__(self, port):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method, path, body=None, headers=None):
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            data = response.read()
            if response.will_close:
                self.connection.close()
            return response.status, data
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return None, b""

    def close(self):
        self.connection.close()


def run_phase(port, clients, request_for, seconds=None, per_client=None, on_response=None):
    """Each client sends `request_for(client, n)` -> (method, path, body, headers), n = 0, 1, ...,
    for `seconds` or `per_client` requests. Returns latencies (ms), errors, elapsed seconds, and
    the first error's status and body (None when there was none)."""
    latencies, errors, first_error = [[] for _ in range(clients)], [0] * clients, []
    start = threading.Barrier(clients + 1)
    connections = [Client(port) for _ in range(clients)]

    def work(index):
        client, own = connections[index], latencies[index]
        start.wait()
        deadline = time.perf_counter() + seconds if seconds else None
        n = 0
        while (n < per_client) if per_client is not None else (time.perf_counter() < deadline):
            method, path, body, headers = request_for(index, n)
            began = time.perf_counter()
            status, data = client.call(method, path, body, headers)
            own.append((time.perf_counter() - began) * 1000)
            if status != 200:
                errors[index] += 1
                first_error.append((status, data[:300]))
            elif on_response:
                on_response(index, n, data)
            n += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    for connection in connections:
        connection.close()
    return [value for own in latencies for value in own], sum(errors), elapsed, (first_error or [None])[0]


def top_up(port, requests, client, amount, customer=None):
    """initiate + signed webhook, one request each, through client `client`'s address."""
    steps = (
        (
            lambda c, n: requests.initiate(client, n, amount, customer),
            lambda c, n, data: requests.keep_payment_order(client, n, data),
        ),
        (lambda c, n: requests.webhook(client, n, int(amount.replace(".", ""))), None),
    )
    for request_for, on_response in steps:
        _, errors, _, first = run_phase(port, 1, request_for, per_client=1, on_response=on_response)
        if errors:
            raise SystemExit(f"a setup top-up failed: {first}")


def fill_wallets(port, requests, clients):
    """Before anything is measured: each client's customer gets TOPUP_SETUP, and STATUS_CUSTOMER
    STATUS_ENTRIES credits (GET status returns a full page of them)."""
    for client in range(clients):
        top_up(port, requests, client, TOPUP_SETUP)
    for _ in range(STATUS_ENTRIES):
        top_up(port, requests, 0, STATUS_TOPUP, customer=STATUS_CUSTOMER)


def percentile(ordered, p):
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


def summary(latencies, errors, elapsed):
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "seconds": round(elapsed, 2),
        "rate": len(ordered) / elapsed,
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "errors": errors,
    }


class Requests:
    """The requests of each operation, one customer per client (`bench_c<client>`).

    Per client: the payment orders initiated and not yet credited (the webhook phase credits them,
    oldest first), the next pending order to pay (`bench_o<client>_<i>`, written before the run),
    and the orders paid (the refund phase refunds 0.01 of them in turn)."""

    def __init__(self, jwt_secret, clients):
        expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)

        def bearer(sub, role):
            token = jwt.encode({"sub": sub, "role": role, "exp": expires}, jwt_secret, algorithm="HS256")
            return f"Bearer {token}"

        self.auth = [bearer(customer_id(c), "customer") for c in range(clients)]
        self.status_auth = bearer(STATUS_CUSTOMER, "customer")
        self.admin_auth = bearer(ADMIN, "admin")
        self.initiated = [[] for _ in range(clients)]  # payment order ids not credited yet
        self.next_order = [0] * clients
        self.paying = [None] * clients
        self.paid = [[] for _ in range(clients)]
        self.refunds = [0] * clients
        self.addresses = itertools.count(1)
        self.address = [None] * clients
        self.address_left = [0] * clients

    def forwarded_for(self, client):
        """The client's current address; a new one every ADDRESS_REQUESTS requests."""
        if self.address_left[client] == 0:
            number = next(self.addresses)
            self.address[client] = f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"
            self.address_left[client] = ADDRESS_REQUESTS
        self.address_left[client] -= 1
        return self.address[client]

    def get(self, client, path, authorization=None):
        headers = {"X-Forwarded-For": self.forwarded_for(client)}
        if authorization:
            headers["Authorization"] = authorization
        return "GET", path, None, headers

    def post(self, client, path, body, authorization=None, idempotent=True):
        headers = {"Content-Type": "application/json", "X-Forwarded-For": self.forwarded_for(client)}
        if authorization:
            headers["Authorization"] = authorization
        if idempotent:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return "POST", BASE + path, json.dumps(body).encode(), headers

    def floor(self, client, n):
        return self.get(client, "/floor")

    def floor_waiting(self, wait_ms, pieces):
        """Requests of the floor answering after `pieces` sleeps that add up to `wait_ms`."""
        return lambda client, n: self.get(client, f"/floor/wait?ms={wait_ms:.2f}&pieces={pieces}")

    def health(self, client, n):
        return self.get(client, BASE + "/health")

    def status(self, client, n):
        return self.get(client, f"{BASE}/status/{STATUS_CUSTOMER}", self.status_auth)

    def initiate(self, client, n, amount=TOPUP_AMOUNT, customer=None):
        return self.post(
            client,
            "/wallet/topup/initiate",
            {"customer_id": customer or customer_id(client), "amount": amount, "payment_method": "razorpay"},
            self.status_auth if customer == STATUS_CUSTOMER else self.auth[client],
        )

    def keep_payment_order(self, client, n, data):
        self.initiated[client].append(json.loads(data)["payment_order_id"])

    def webhook(self, client, n, amount_minor=TOPUP_AMOUNT_MINOR):
        """Razorpay's signed `payment.captured` for the client's oldest payment order not credited."""
        payment_order_id = self.initiated[client].pop(0)
        entity = {
            "id": f"pay_{uuid.uuid4().hex[:14]}",
            "entity": "payment",
            "amount": amount_minor,
            "currency": "INR",
            "status": "captured",
            "order_id": payment_order_id,
            "notes": [],
        }
        event = {
            "entity": "event",
            "account_id": "acc_bench",
            "event": "payment.captured",
            "contains": ["payment"],
            "payload": {"payment": {"entity": entity}},
            "created_at": int(time.time()),
        }
        body = json.dumps(event).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Razorpay-Signature": hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest(),
            "X-Razorpay-Event-Id": f"evt_{uuid.uuid4().hex[:14]}",
            "X-Forwarded-For": self.forwarded_for(client),
        }
        return "POST", BASE + "/webhook/razorpay", body, headers

    def pay(self, client, n):
        """Pays the client's next pending order (1.00), with an Idempotency-Key."""
        self.paying[client] = order_id(client, self.next_order[client])
        self.next_order[client] += 1
        body = {"order_id": self.paying[client], "customer_id": customer_id(client), "amount": ORDER_AMOUNT_MINOR / 100}
        return self.post(client, "/order/pay-with-wallet", body, self.auth[client])

    def keep_paid(self, client, n, data):
        self.paid[client].append(self.paying[client])

    def refund(self, client, n):
        """Refunds 0.01 of the client's paid orders in turn (admin token), with an Idempotency-Key."""
        orders = self.paid[client]
        self.refunds[client] += 1
        body = {
            "order_id": orders[self.refunds[client] % len(orders)],
            "customer_id": customer_id(client),
            "amount": REFUND_AMOUNT,
            "reason": "bench",
        }
        return self.post(client, "/order/refund-to-wallet", body, self.admin_auth)
