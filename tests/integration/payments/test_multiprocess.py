"""Invariant 3 across processes: several processes paying from one wallet on a real server.

Needs a MongoDB-wire server (MONGODB_URI=mongodb://...; `make test-real-driver` provides one):
the embedded mongomock store lives inside one process, so there is nothing to share there.
"""

import multiprocessing
import os

import pytest

from tests.helpers import bearer

PROCESSES = 4
ORDERS_PER_PROCESS = 10
REAL_SERVER = os.environ.get("MONGODB_URI", "").startswith("mongodb")


def pay_orders(config, order_ids, results):
    from backend import create_app

    client = create_app(config).test_client()
    for order_id in order_ids:
        response = client.post(
            "/api/integration/order/pay-with-wallet",
            headers=bearer("cust_mp"),
            json={"order_id": order_id, "customer_id": "cust_mp", "amount": 100},
        )
        results.put(response.status_code)


@pytest.mark.skipif(not REAL_SERVER, reason="needs a MongoDB server shared by processes (MONGODB_URI)")
def test_processes_paying_from_one_wallet_never_overdraw(app, api, integration):
    api.topup("cust_mp", "1000")
    orders = [api.add_order("cust_mp", 10000) for _ in range(PROCESSES * ORDERS_PER_PROCESS)]
    config = {key: app.config[key] for key in ("MONGODB_URI", "MONGODB_DB", "JWT_SECRET")}
    config.update(TESTING=True, SEED_DEMO_DATA="false", GATEWAY_MODE="simulator", RECOVER_ON_START="false")
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [
        context.Process(target=pay_orders, args=(config, orders[i::PROCESSES], results)) for i in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    codes = sorted(results.get(timeout=120) for _ in orders)
    for worker in workers:
        worker.join(timeout=60)
    assert codes == [200] * 10 + [402] * 30
    assert api.balance("cust_mp") == 0
    assert integration.reconcile() == []
