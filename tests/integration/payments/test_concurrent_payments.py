"""Payments at once: a wallet never goes below zero and an order is paid once (SPEC §8)."""

from tests.helpers import bearer, run_in_threads


def test_40_concurrent_payments_against_a_wallet_covering_10(app, api):
    api.topup("cust_c", "1000")
    orders = [api.add_order("cust_c", 10000) for _ in range(40)]
    codes = run_in_threads(
        40,
        lambda i: (
            app.test_client()
            .post(
                "/api/integration/order/pay-with-wallet",
                json={"order_id": orders[i], "customer_id": "cust_c", "amount": 100},
                headers=bearer("cust_c"),
            )
            .status_code
        ),
    )
    assert sorted(codes) == [200] * 10 + [402] * 30
    assert api.balance("cust_c") == 0
    assert api.db["orders"].count_documents({"payment_status": "paid"}) == 10
    assert app.extensions["integration"].reconcile() == []


def test_same_order_paid_concurrently_is_paid_once(app, api):
    api.topup("cust_s", "500")
    order_id = api.add_order("cust_s", 10000)
    codes = run_in_threads(
        10,
        lambda i: (
            app.test_client()
            .post(
                "/api/integration/order/pay-with-wallet",
                json={"order_id": order_id, "customer_id": "cust_s", "amount": 100},
                headers=bearer("cust_s"),
            )
            .status_code
        ),
    )
    assert sorted(codes) == [200] + [409] * 9
    assert api.balance("cust_s") == 400
