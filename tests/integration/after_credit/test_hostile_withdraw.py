"""Hostile withdraw input: 400 / 403 / 404, never a 500, and nothing written."""

import pytest

from tests.helpers import BASE, bearer
from tests.integration.after_credit.support import razorpay_topup

BODIES = [
    {"customer_id": "cust_a", "amount": True},
    {"customer_id": "cust_a", "amount": 0},
    {"customer_id": "cust_a", "amount": -1},
    {"customer_id": "cust_a", "amount": "1e3"},
    {"customer_id": "cust_a", "amount": 1e309},
    {"customer_id": "cust_a", "amount": "10000000.01"},
    {"customer_id": "cust_a", "amount": 0.001},
    {"customer_id": "cust_a", "amount": {"$gt": 0}},
    {"customer_id": "cust_a", "amount": [1]},
    {"customer_id": "cust_a", "amount": None},
    {"customer_id": {"$ne": None}, "amount": 1},
    {"customer_id": "cust_a" * 20, "amount": 1},
    {"customer_id": "cust_a"},
    [],
    "x",
]


@pytest.mark.parametrize("index", range(len(BODIES)))
def test_hostile_withdraw_body(api, client, db, index):
    razorpay_topup(api, db, "cust_a", "100.00")
    response = client.post(f"{BASE}/wallet/withdraw", json=BODIES[index], headers=bearer("cust_a"))
    assert response.status_code in (400, 403), (response.status_code, response.get_json())
    assert db["withdrawals"].count_documents({}) == 0


@pytest.mark.parametrize("wid", ["x" * 65, "a$b", "..", "wdr_nope"])
def test_hostile_withdrawal_ids(client, wid):
    response = client.get(f"{BASE}/wallet/withdrawals/{wid}", headers=bearer("cust_a"))
    assert response.status_code in (400, 404), response.status_code


def test_withdrawal_of_another_customer_is_403_not_its_body(api, client, db):
    razorpay_topup(api, db, "cust_a", "100.00")
    wid = api.post("/wallet/withdraw", {"customer_id": "cust_a", "amount": 10}, bearer("cust_a")).get_json()[
        "withdrawal_id"
    ]
    response = client.get(f"{BASE}/wallet/withdrawals/{wid}", headers=bearer("cust_b"))
    assert response.status_code == 403
    response = client.get(f"{BASE}/wallet/cust_a/withdrawable", headers=bearer("cust_b"))
    assert response.status_code == 403
