"""Money rules under repetition, reordering, concurrency and crashes (SPEC §8)."""

import pytest

from backend.errors import RefundExceedsPaid
from tests.faults import SimulatedCrash, crashing_integration
from tests.helpers import (
    WEBHOOK_PATH,
    bearer,
    checkout_signature,
    razorpay_event,
    run_in_threads,
    signed_webhook,
    unique,
)


def initiated(api, customer_id, amount):
    response = api.initiate(customer_id, amount)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["payment_order_id"]


def verify(api, customer_id, order_id, payment_id):
    return api.post(
        "/wallet/topup/verify",
        {"payment_id": payment_id, "order_id": order_id, "signature": checkout_signature(order_id, payment_id)},
        bearer(customer_id),
    )


def test_same_webhook_delivered_20_times_some_concurrently_credits_once(app, api, client):
    order_id = initiated(api, "cust_w", "300")
    body, headers = signed_webhook(
        razorpay_event("payment.captured", order_id, "pay_dup1", 30000), event_id="evt_dup_1"
    )
    sequential = [client.post(WEBHOOK_PATH, data=body, headers=headers).status_code for _ in range(10)]
    concurrent = run_in_threads(
        10, lambda i: app.test_client().post(WEBHOOK_PATH, data=body, headers=headers).status_code
    )
    assert sequential + concurrent == [200] * 20
    assert api.balance("cust_w") == 300
    assert api.db["ledger_entries"].count_documents({"customer_id": "cust_w"}) == 1


def test_same_payment_under_new_event_ids_concurrently_credits_once(app, api):
    order_id = initiated(api, "cust_w2", "10")
    event = razorpay_event("payment.captured", order_id, "pay_dup2", 1000)
    deliveries = [signed_webhook(event) for _ in range(12)]
    codes = run_in_threads(
        12, lambda i: app.test_client().post(WEBHOOK_PATH, data=deliveries[i][0], headers=deliveries[i][1]).status_code
    )
    assert codes == [200] * 12
    assert api.balance("cust_w2") == 10


def test_verify_then_webhook_credits_once(api, client):
    order_id = initiated(api, "cust_v1", "55.50")
    assert verify(api, "cust_v1", order_id, "pay_v1").get_json()["wallet_balance"] == 55.5
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, "pay_v1", 5550))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    assert api.balance("cust_v1") == 55.5


def test_webhook_then_verify_credits_once(api, client):
    order_id = initiated(api, "cust_v2", "55.50")
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, "pay_v2", 5550))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    response = verify(api, "cust_v2", order_id, "pay_v2")
    assert response.status_code == 200
    assert response.get_json()["wallet_balance"] == 55.5
    assert api.balance("cust_v2") == 55.5


def test_payment_captured_then_order_paid_credits_once(api, client):
    order_id = initiated(api, "cust_op", "70")
    for event_type in ("payment.captured", "order.paid"):
        body, headers = signed_webhook(razorpay_event(event_type, order_id, "pay_op", 7000))
        assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    assert api.balance("cust_op") == 70


def test_failure_then_capture_of_same_order_still_credits(api, client, db):
    order_id = initiated(api, "cust_fc", "40")
    failed = razorpay_event("payment.failed", order_id, "pay_f", 4000, status="failed")
    body, headers = signed_webhook(failed)
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    assert db["payment_orders"].find_one({"_id": order_id})["status"] == "failed"
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, "pay_g", 4000))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    assert api.balance("cust_fc") == 40


@pytest.mark.parametrize("amount_minor, currency", [(29999, "INR"), (30001, "INR"), (30000, "USD")])
def test_webhook_with_other_amount_or_currency_credits_nothing(api, client, db, amount_minor, currency):
    order_id = initiated(api, "cust_mm", "300")
    event = razorpay_event("payment.captured", order_id, "pay_mm", amount_minor, currency=currency)
    body, headers = signed_webhook(event)
    response = client.post(WEBHOOK_PATH, data=body, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"] == "amount_mismatch"
    assert api.balance("cust_mm") == 0
    assert db["integration_logs"].count_documents({"event": "topup.amount_mismatch"}) == 1


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


# --- crashes between writes ------------------------------------------------------------------


def funded_customer(integration, amount_minor):
    """A new customer whose wallet holds `amount_minor`, topped up through a payment order."""
    customer_id = unique("cust")
    payment_order_id = integration.initiate_wallet_topup_payment(customer_id, amount_minor)["payment_order_id"]
    integration.topups.confirm(integration.find_payment_order(payment_order_id), "pay_x", "test")
    return customer_id


def crash_each_write(app, db, setup, operation, check):
    """Crash before write 1, 2, ... of `operation` until it completes; recover and check each time."""
    healthy = app.extensions["integration"]
    crash_at = 1
    while True:
        state = setup()
        integration, crashing = crashing_integration(app, db, crash_at)
        try:
            operation(integration, state)
        except SimulatedCrash:
            pass
        healthy.recover(grace_seconds=0)
        assert healthy.reconcile() == [], f"drift after a crash before write {crash_at}"
        check(healthy, state, crash_at)
        if not crashing.crashed:
            return crash_at - 1
        crash_at += 1


def test_crash_during_a_topup_credit_is_healed(app, db, integration):
    def setup():
        customer_id = unique("cust")
        payment_order_id = integration.initiate_wallet_topup_payment(customer_id, 5000)["payment_order_id"]
        return {
            "customer_id": customer_id,
            "payment_order_id": payment_order_id,
            "webhook": signed_webhook(razorpay_event("payment.captured", payment_order_id, "pay_1", 5000)),
        }

    def operation(crashy, state):
        crashy.process_payment_webhook("razorpay", *state["webhook"])

    def check(healthy, state, crash_at):
        balance_minor = healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"]
        paid = db["payment_orders"].find_one({"_id": state["payment_order_id"]})["status"] == "paid"
        assert (balance_minor, paid) in ((0, False), (5000, True)), crash_at
        # A redelivery credits what the crash left undone, unless the event was claimed before it;
        # then the gateway sweep's look-up credits it (through the same path as here).
        healthy.process_payment_webhook("razorpay", *state["webhook"])
        healthy.topups.confirm(healthy.find_payment_order(state["payment_order_id"]), "pay_1", "sweep")
        assert healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"] == 5000

    writes = crash_each_write(app, db, setup, operation, check)
    assert writes == 5  # claim, ledger insert, wallet roll, payment order, audit


def test_crash_during_a_payment_is_healed(app, db, integration, api):
    def setup():
        customer_id = funded_customer(integration, 8000)
        return {"customer_id": customer_id, "order_id": api.add_order(customer_id, 3000)}

    def operation(crashy, state):
        crashy.link_payment_to_order(state["order_id"], state["customer_id"], 3000)

    def check(healthy, state, crash_at):
        balance_minor = healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"]
        status = db["orders"].find_one({"order_id": state["order_id"]})["payment_status"]
        assert (balance_minor, status) in ((8000, "pending"), (5000, "paid")), crash_at
        if status == "pending":
            healthy.link_payment_to_order(state["order_id"], state["customer_id"], 3000)
        assert healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"] == 5000

    writes = crash_each_write(app, db, setup, operation, check)
    assert writes == 5  # ledger insert, wallet roll, order, the entry's settlement, audit


def paid_order(integration, api, customer_id=None, amount_minor=3000, at_the_shop=False):
    """A paid order: from the wallet (funded first), or at the shop's own checkout."""
    customer_id = customer_id or funded_customer(integration, amount_minor + 5000)
    order_id = api.add_order(customer_id, amount_minor)
    if at_the_shop:
        api.db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "paid"}})
    else:
        integration.link_payment_to_order(order_id, customer_id, amount_minor)
    return customer_id, order_id


@pytest.mark.parametrize("at_the_shop", [False, True], ids=["paid from the wallet", "paid at the shop"])
def test_crash_during_a_refund_is_healed(app, db, integration, api, at_the_shop):
    def setup():
        customer_id, order_id = paid_order(integration, api, at_the_shop=at_the_shop)
        return {
            "customer_id": customer_id,
            "order_id": order_id,
            "before_minor": integration.wallet.get_wallet(customer_id, "INR")["balance_minor"],
        }

    def operation(crashy, state):
        crashy.process_refund_to_wallet(state["order_id"], state["customer_id"], 1000, "crash", refund_id=unique("rf"))

    def check(healthy, state, crash_at):
        balance_minor = healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"] - state["before_minor"]
        order = db["orders"].find_one({"order_id": state["order_id"]})
        assert (balance_minor, order.get("refunded_minor", 0)) in ((0, 0), (1000, 1000)), crash_at
        if balance_minor == 0:
            healthy.process_refund_to_wallet(
                state["order_id"], state["customer_id"], 1000, "retry", refund_id=unique("rf")
            )
        with pytest.raises(RefundExceedsPaid):  # 1000 of 3000 refunded: 2001 more never fits
            healthy.process_refund_to_wallet(state["order_id"], state["customer_id"], 2001, "too much")
        assert healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"] - state["before_minor"] == 1000
        assert healthy.reconcile() == []

    writes = crash_each_write(app, db, setup, operation, check)
    # ledger insert, wallet roll, order, audit; the first refund of an order paid at the shop first
    # pins the wallet its refunds go to
    assert writes == (5 if at_the_shop else 4)


def test_crash_while_finishing_movements_is_healed(app, db, integration, api, monkeypatch):
    """The worker's follow-ups of an interrupted refund (its wallet and order not rolled forward) and
    of two finished movements (outbox, `finalized`), crashed before each of their writes: recovery
    finishes them, each confirmation is queued once."""

    def setup():
        customer_id, order_id = paid_order(integration, api)
        with monkeypatch.context() as interrupted:
            interrupted.setattr(integration.wallet, "roll", lambda entry: None)
            interrupted.setattr(integration.orders, "roll_refund", lambda entry: None)
            integration.process_refund_to_wallet(order_id, customer_id, 500, "part", refund_id=unique("rf"))
        return {"customer_id": customer_id, "order_id": order_id}

    def operation(crashy, state):
        crashy.finish_entries()

    def check(healthy, state, crash_at):
        entries = list(db["ledger_entries"].find({"customer_id": state["customer_id"]}))
        assert [e["finalized"] for e in entries] == [True] * 3, crash_at
        assert db["notification_outbox"].count_documents({"_id": {"$in": [e["_id"] for e in entries]}}) == 3
        order = db["orders"].find_one({"order_id": state["order_id"]})
        assert (order["payment_status"], order["refunded_minor"]) == ("partially_refunded", 500)
        assert healthy.wallet.get_wallet(state["customer_id"], "INR")["balance_minor"] == 5000 + 500

    integration.recover(grace_seconds=0)  # entries other tests left: finished first
    writes = crash_each_write(app, db, setup, operation, check)
    assert writes == 4  # wallet roll, order roll, outbox, finalized


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


def test_verify_of_a_second_payment_for_a_credited_order_credits_nothing_and_says_so(api, db):
    order_id = initiated(api, "cust_2p", "30")
    assert verify(api, "cust_2p", order_id, "pay_first").get_json()["message"] == "Payment verified; wallet credited."
    second = verify(api, "cust_2p", order_id, "pay_second")
    assert second.status_code == 200
    assert "already credited" in second.get_json()["message"]
    assert api.balance("cust_2p") == 30
    assert db["integration_logs"].count_documents({"event": "topup.second_payment"}) == 1


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


def test_a_retried_refund_that_emptied_the_order_returns_itself(integration, api):
    customer_id, order_id = paid_order(integration, api)
    first = integration.process_refund_to_wallet(order_id, customer_id, 3000, "all of it", refund_id="rf_all")
    again = integration.process_refund_to_wallet(order_id, customer_id, 3000, "all of it", refund_id="rf_all")
    assert again["_id"] == first["_id"]
    with pytest.raises(RefundExceedsPaid):
        integration.process_refund_to_wallet(order_id, customer_id, 1, "more", refund_id="rf_more")
    assert integration.reconcile() == []
