"""The whole money flow over HTTP through the Flask test client."""


def test_topup_pay_refund_status(api, client):
    api.topup("cust_a", "1000.50")
    assert api.balance("cust_a") == 1000.50
    order_id = api.add_order("cust_a", 25000)
    paid = api.pay(order_id, "cust_a", 250)
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json()["remaining_balance"] == 750.50
    refunded = api.refund(order_id, "cust_a", "100.25")
    assert refunded.status_code == 200, refunded.get_json()
    assert refunded.get_json()["new_balance"] == 850.75
    status = api.status("cust_a").get_json()
    assert [t["kind"] for t in status["recent_transactions"]] == ["refund", "payment", "topup"]
    assert status["statistics"]["transaction_count"] == 3
