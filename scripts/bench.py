"""Benchmark: money operations through the HTTP layer (Flask test client), printing figures.

    .venv/bin/python scripts/bench.py [operations] [threads]

Uses the store named by MONGODB_URI (default: the embedded mongomock store, whose every query
scans its collection and whose calls are serialized: figures there say nothing of MongoDB).
"""
import os
import statistics
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from backend import create_app  # noqa: E402
from tests.helpers import bearer, razorpay_event, signed_webhook  # noqa: E402


def timed(calls, threads, action):
    latencies, lock, next_index = [], threading.Lock(), iter(range(calls))

    def worker():
        client = app.test_client()
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            started = time.perf_counter()
            action(client, index)
            with lock:
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return calls / elapsed, statistics.median(latencies) * 1000, latencies[int(len(latencies) * 0.99) - 1] * 1000


def topup(client, index):
    customer_id = f"bench_{index % 50}"
    response = client.post("/api/integration/wallet/topup/initiate", headers=bearer(customer_id),
                           json={"customer_id": customer_id, "amount": "100.00"})
    order_id = response.get_json()["payment_order_id"]
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, f"pay_b{index}", 10000))
    assert client.post("/api/integration/webhook/razorpay", data=body, headers=headers).status_code == 200


def pay(client, index):
    customer_id = f"bench_{index % 50}"
    response = client.post("/api/integration/order/pay-with-wallet", headers=bearer(customer_id),
                           json={"order_id": f"bord_{index}", "customer_id": customer_id, "amount": 1})
    assert response.status_code == 200, response.get_json()


if __name__ == "__main__":
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    app = create_app({"TESTING": True, "MONGODB_DB": f"bench_{uuid.uuid4().hex[:8]}", "SEED_DEMO_DATA": "false",
                      "JWT_SECRET": "test-secret-0123456789-0123456789-abcdef", "RATE_LIMITS_ENABLED": "false",
                      "MONGODB_URI": os.environ.get("MONGODB_URI", "mongomock://localhost")})
    app.extensions["wallet_db"]["orders"].insert_many(
        [{"order_id": f"bord_{i}", "customer_id": f"bench_{i % 50}", "amount_minor": 100, "currency": "INR",
          "payment_status": "pending"} for i in range(calls)])
    store = "embedded mongomock" if app.config["EMBEDDED_STORE"] else app.config["MONGODB_URI"]
    print(f"store: {store}; {calls} operations per kind, {threads} threads")
    for name, action in (("top-up (initiate + signed webhook)", topup), ("pay-with-wallet", pay)):
        rate, p50, p99 = timed(calls, threads, action)
        print(f"{name:36s} {rate:8.1f} ops/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
    print("reconcile drift:", app.extensions["integration"].reconcile())
