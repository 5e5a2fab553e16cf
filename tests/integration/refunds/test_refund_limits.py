"""Refunds never exceed what was paid: one after another, at once (paid from the wallet or at the shop),
and a retried refund that emptied the order returns itself (SPEC §8)."""

import pytest

from backend.errors import OrderNotRefundable, RefundExceedsPaid
from tests.helpers import bearer, run_in_threads
from tests.integration.orders_support import paid_order


def test_refunds_stop_at_the_amount_paid(api):
    api.topup("cust_r", "100")
    order_id = api.add_order("cust_r", 10000)
    assert api.pay(order_id, "cust_r", 100).status_code == 200
    assert api.refund(order_id, "cust_r", 60).status_code == 200
    second = api.refund(order_id, "cust_r", 60)
    assert second.status_code == 409 and second.get_json()["error"] == "refund_exceeds_paid"
    assert api.refund(order_id, "cust_r", 40).status_code == 200
    after_full = api.refund(order_id, "cust_r", "0.01")
    assert after_full.get_json()["error"] == "refund_exceeds_paid"
    assert api.balance("cust_r") == 100
    assert api.db["orders"].find_one({"order_id": order_id})["payment_status"] == "refunded"


def test_concurrent_refunds_never_exceed_the_amount_paid(app, api):
    api.topup("cust_cr", "100")
    order_id = api.add_order("cust_cr", 10000)
    assert api.pay(order_id, "cust_cr", 100).status_code == 200
    codes = run_in_threads(
        10,
        lambda i: (
            app.test_client()
            .post(
                "/api/integration/order/refund-to-wallet",
                json={"order_id": order_id, "customer_id": "cust_cr", "amount": 30, "reason": "race"},
                headers=bearer("admin_1", "admin"),
            )
            .status_code
        ),
    )
    assert sorted(codes) == [200] * 3 + [409] * 7
    assert api.balance("cust_cr") == 90
    assert app.extensions["integration"].reconcile() == []


@pytest.mark.parametrize("at_the_shop", [False, True], ids=["paid from the wallet", "paid at the shop"])
def test_concurrent_refunds_of_any_paid_order_never_exceed_what_was_paid(app, api, integration, at_the_shop):
    customer_id, order_id = paid_order(integration, api, amount_minor=10000, at_the_shop=at_the_shop)
    before_minor = integration.wallet.get_wallet(customer_id, "INR")["balance_minor"]
    codes = run_in_threads(
        10,
        lambda i: (
            app.test_client()
            .post(
                "/api/integration/order/refund-to-wallet",
                json={"order_id": order_id, "customer_id": customer_id, "amount": 30, "reason": "race"},
                headers=bearer("admin_1", "admin"),
            )
            .status_code
        ),
    )
    assert sorted(codes) == [200] * 3 + [409] * 7
    assert integration.wallet.get_wallet(customer_id, "INR")["balance_minor"] - before_minor == 9000
    order = api.db["orders"].find_one({"order_id": order_id})
    assert (order["refund_seq"], order["refunded_minor"], order["payment_status"]) == (3, 9000, "partially_refunded")
    assert integration.reconcile() == []


def test_a_retried_refund_that_emptied_the_order_returns_itself(integration, api):
    customer_id, order_id = paid_order(integration, api)
    first = integration.process_refund_to_wallet(order_id, customer_id, 3000, "all of it", refund_id="rf_all")
    again = integration.process_refund_to_wallet(order_id, customer_id, 3000, "all of it", refund_id="rf_all")
    assert again["_id"] == first["_id"]
    with pytest.raises(RefundExceedsPaid):
        integration.process_refund_to_wallet(order_id, customer_id, 1, "more", refund_id="rf_more")
    assert integration.reconcile() == []


def test_an_orders_refunds_stay_in_one_wallet_when_its_customer_changes(api, db, integration, monkeypatch):
    api.topup("cust_a", "100")
    order_id = api.add_order("cust_a", 3000)
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "paid"}})  # at the shop
    with monkeypatch.context() as interrupted:  # a refund whose order was not rolled forward (a crash)
        interrupted.setattr(integration.orders, "roll_refund", lambda entry: None)
        integration.process_refund_to_wallet(order_id, "cust_a", 3000, "all", refund_id="rf_a")
    db["orders"].update_one({"order_id": order_id}, {"$set": {"customer_id": "cust_b"}})  # the shop reassigns it
    with pytest.raises(OrderNotRefundable):
        integration.process_refund_to_wallet(order_id, "cust_b", 3000, "again", refund_id="rf_b")
    integration.recover(grace_seconds=0)
    assert db["ledger_entries"].count_documents({"kind": "refund"}) == 1
    assert integration.reconcile() == []
