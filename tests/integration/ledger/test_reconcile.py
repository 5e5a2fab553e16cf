"""Reconcile: the ledger against the wallets and the orders' refunded figures."""


def test_reconcile_reports_an_order_whose_refunds_differ_from_the_ledger(api, db, integration):
    api.topup("cust_rd", "50")
    order_id = api.add_order("cust_rd", 5000)
    assert api.pay(order_id, "cust_rd", 50).status_code == 200
    assert api.refund(order_id, "cust_rd", 20).status_code == 200
    assert integration.reconcile() == []
    db["orders"].update_one({"order_id": order_id}, {"$inc": {"refunded_minor": 1}})
    assert integration.reconcile() == [
        {
            "problem": "order_refunds",
            "order_id": order_id,
            "customer_id": "cust_rd",
            "paid_minor": 5000,
            "refunded_minor": 2001,
            "ledger_refunds_minor": 2000,
        }
    ]


def test_reconcile_under_live_traffic_reports_no_drift(api, integration, monkeypatch):
    api.topup("cust_r", "100")
    order_id = api.add_order("cust_r", 5000)
    integration.link_payment_to_order(order_id, "cust_r", 5000)
    wallet, reconciler = integration.wallet, integration.reconciler
    real_sums, real_refunds = reconciler._sums, reconciler._refunds_by_order

    def sums_then_a_top_up():
        sums = real_sums()
        wallet.credit("cust_r", "INR", 500, "topup", "topup:concurrent", {"payment_order_id": "x"})
        return sums

    def refunds_then_a_refund():
        refunds = real_refunds()
        integration.process_refund_to_wallet(order_id, "cust_r", 1000, "concurrent", refund_id="rf1")
        return refunds

    monkeypatch.setattr(reconciler, "_sums", sums_then_a_top_up)
    monkeypatch.setattr(reconciler, "_refunds_by_order", refunds_then_a_refund)
    assert integration.reconcile() == []
