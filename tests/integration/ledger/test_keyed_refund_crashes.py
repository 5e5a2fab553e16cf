"""A keyed refund crashed before each of its writes, then repeated with its key (before and after
recovery): one refund, the repeats answer alike, the ledger balances."""

import pytest

from backend.idempotency import IdempotencyStore
from backend.money import to_major
from tests.faults import SimulatedCrash, crashing_integration
from tests.helpers import BASE, bearer, unique
from tests.integration.orders_support import paid_order

ADMIN = bearer("admin_1", "admin")
PATH = f"{BASE}/order/refund-to-wallet"


@pytest.mark.parametrize("at_the_shop", [False, True])
@pytest.mark.parametrize("other_key_first", [False, True])
def test_keyed_refund_crashed_at_each_write_then_repeated(app, db, integration, api, at_the_shop, other_key_first):
    crash_at = 1
    while True:
        customer, order_id = paid_order(integration, api, amount_minor=3000, at_the_shop=at_the_shop)
        before = integration.wallet.get_wallet(customer, "INR")["balance_minor"]
        key = unique("key")
        body = {"order_id": order_id, "customer_id": customer, "amount": 10, "reason": "crash"}
        crashy, crashing = crashing_integration(app, db, crash_at)

        def action(keyed, crashy=crashy, order_id=order_id, customer=customer):
            entry = crashy.process_refund_to_wallet(order_id, customer, 1000, "crash", refund_id=keyed)
            return {
                "success": True,
                "transaction_id": entry["_id"],
                "new_balance": to_major(entry["balance_after_minor"], "INR"),
                "currency": "INR",
            }, 200

        try:  # the request as the route runs it, its process dying before write `crash_at`
            admins_request = {"role": "admin", "body": body}  # what an admin's key is fingerprinted from
            IdempotencyStore(crashing).run_keyed(f"admin_1\n{PATH}", key, admins_request, action)
        except SimulatedCrash:
            pass
        if other_key_first:  # another admin refunds the rest before the retry
            other = api.client.post(
                PATH, json=dict(body, amount=25), headers=dict(ADMIN, **{"Idempotency-Key": unique("o")})
            )
            assert other.status_code in (200, 409), (crash_at, other.get_json())
        first = api.client.post(PATH, json=body, headers=dict(ADMIN, **{"Idempotency-Key": key}))
        second = api.client.post(PATH, json=body, headers=dict(ADMIN, **{"Idempotency-Key": key}))
        assert (second.status_code, second.get_json()) == (first.status_code, first.get_json()), crash_at
        integration.recover(grace_seconds=0)
        third = api.client.post(PATH, json=body, headers=dict(ADMIN, **{"Idempotency-Key": key}))
        assert (third.status_code, third.get_json()) == (first.status_code, first.get_json()), crash_at
        assert integration.reconcile() == [], crash_at
        refunds = list(db["ledger_entries"].find({"kind": "refund", "reference.order_id": order_id}))
        assert sum(e["amount_minor"] for e in refunds) <= 3000, crash_at
        mine = [e for e in refunds if e.get("operation_id") and e["amount_minor"] == 1000]
        assert len(mine) <= 1, crash_at
        if first.status_code == 200:
            assert len(mine) == 1 and first.get_json()["transaction_id"] == mine[0]["_id"], crash_at
        else:
            assert not mine, (crash_at, first.get_json())
        after = integration.wallet.get_wallet(customer, "INR")["balance_minor"]
        assert after - before == sum(e["amount_minor"] for e in refunds), crash_at
        order = db["orders"].find_one({"order_id": order_id})
        assert order.get("refunded_minor", 0) == sum(e["amount_minor"] for e in refunds), (crash_at, order)
        if not crashing.crashed:
            break
        crash_at += 1
    assert crash_at >= 4
