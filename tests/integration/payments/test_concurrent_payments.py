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


def test_a_payment_that_read_the_order_pending_while_another_paid_it_is_told_order_already_paid(
    api, db, integration, monkeypatch
):
    """Found by a red-team pass over several processes: a payment whose read of the order came before
    another request paid it found that payment's debit in its place and was told 409
    `order_not_payable`; SPEC §5 names `order_already_paid`, as a later payment is told."""
    api.topup("cust_s", "500")
    order_id = api.add_order("cust_s", 10000)
    real, paid_meanwhile = integration.orders.with_wallets, []

    def another_pays_meanwhile(*args, **kwargs):
        read = real(*args, **kwargs)
        if not paid_meanwhile:  # the first read: another request pays the order before this one goes on
            paid_meanwhile.append(None)
            paid_meanwhile[0] = api.pay(order_id, "cust_s", 100)
        return read

    with monkeypatch.context() as patch:
        patch.setattr(integration.orders, "with_wallets", another_pays_meanwhile)
        late = api.pay(order_id, "cust_s", 100)
    assert paid_meanwhile[0].status_code == 200
    assert (late.status_code, late.get_json()["error"]) == (409, "order_already_paid")
    assert api.pay(order_id, "cust_s", 100).get_json()["error"] == "order_already_paid"
    assert api.balance("cust_s") == 400 and integration.reconcile() == []
