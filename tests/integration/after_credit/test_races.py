"""Races after the credit (SPEC §9, invariant 3): the same refund webhook redelivered 50 times at once
takes back once; a withdrawal racing a payment for the last of the balance never overdraws, in
threads (either store) and in processes (a MongoDB server shared by them)."""

import multiprocessing
import os

import pytest

from tests.helpers import bearer, run_in_threads
from tests.integration.after_credit.support import redeliver, simulator, topup, wallet, withdraw
from tests.integration.support import assert_money

REAL_SERVER = os.environ.get("MONGODB_URI", "").startswith("mongodb")


@pytest.mark.parametrize("gateway", ["razorpay", "paypal"])
def test_fifty_redeliveries_of_one_refund_at_once_take_back_once(gateway, api, client, db, integration):
    _order, payment_id = topup(gateway, api, client, db, "cust_a", "100.00")
    sim_api, caught = integration.payments.gateway(gateway).api, []
    sim_api.deliver_webhook = lambda body, headers, wait=False: caught.append((body, dict(headers))) or 200
    simulator(integration, gateway).dashboard_refund(payment_id, 3000, "INR")
    processed = caught[-1]  # Razorpay's refund.processed; PayPal's only PAYMENT.CAPTURE.REFUNDED
    codes = run_in_threads(50, lambda _i: redeliver(client, gateway, processed).status_code)
    assert codes == [200] * 50
    assert_money(wallet(api, "cust_a")[0], 70)
    kinds = [e["kind"] for e in db["ledger_entries"].find({"customer_id": "cust_a"})]
    assert kinds.count("topup_reversal") == 1
    assert integration.reconcile() == []


def test_a_withdrawal_racing_a_payment_for_the_last_of_the_balance_never_overdraws(api, client, db, integration):
    topup("razorpay", api, client, db, "cust_a", "100.00")
    order_id = api.add_order("cust_a", 8000)

    def race(index):
        if index == 0:
            return api.pay(order_id, "cust_a", 80).status_code
        return withdraw(api, "cust_a", "80.00").status_code

    codes = run_in_threads(2, race)
    assert sorted(codes) in ([200, 402], [202, 402]), codes
    balance, held, available, debt = wallet(api, "cust_a")
    assert (balance, held, debt) == (20, 0, 0) and available == 20
    assert integration.reconcile() == []


def race_in_a_process(config, index, results):
    from backend import create_app

    client = create_app(config).test_client()
    if index % 2 == 0:
        response = client.post(
            "/api/integration/order/pay-with-wallet",
            headers=bearer("cust_mp"),
            json={"order_id": f"ord_race_{index}", "customer_id": "cust_mp", "amount": 60},
        )
    else:
        response = client.post(
            "/api/integration/wallet/withdraw", headers=bearer("cust_mp"), json={"customer_id": "cust_mp", "amount": 60}
        )
    results.put(response.status_code)


@pytest.mark.skipif(not REAL_SERVER, reason="needs a MongoDB server shared by processes (MONGODB_URI)")
def test_withdrawals_and_payments_in_processes_never_overdraw(app, api, client, db, integration):
    for _ in range(3):
        topup("razorpay", api, client, db, "cust_mp", "100.00")  # 300.00 over three top-ups
    for index in range(0, 8, 2):
        api.add_order("cust_mp", 6000, order_id=f"ord_race_{index}")
    config = {key: app.config[key] for key in ("MONGODB_URI", "MONGODB_DB", "JWT_SECRET")}
    config.update(TESTING=True, SEED_DEMO_DATA="false", GATEWAY_MODE="simulator", RECOVER_ON_START="false")
    config.update(SIMULATOR_WEBHOOK_DELIVERY="inline", PUBLIC_BASE_URL="http://localhost")
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=race_in_a_process, args=(config, i, results)) for i in range(8)]
    for worker in workers:
        worker.start()
    codes = sorted(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    moved = sum(1 for code in codes if code in (200, 202))
    assert moved == 5 and codes.count(402) == 3, codes  # 5 × 60.00 of 300.00
    balance, held, _available, debt = wallet(api, "cust_mp")
    assert (balance, held, debt) == (0, 0, 0)
    assert integration.reconcile() == []


def test_a_chargeback_reported_twice_at_once_takes_the_top_up_back_once(api, client, db, integration):
    """PayPal reports a chargeback as a reversal and as a lost dispute: both delivered at once, 20 times."""
    doubled = 0
    for round_ in range(20):
        customer = f"cust_{round_}"
        _order, capture = topup("paypal", api, client, db, customer, "100.00")
        topup("paypal", api, client, db, customer, "100.00")
        sim_api, caught = integration.payments.gateway("paypal").api, []
        deliver = sim_api.deliver_webhook
        sim_api.deliver_webhook = lambda body, headers, wait=False, kept=caught: (
            kept.append((body, dict(headers))) or 200
        )
        cases = simulator(integration, "paypal")
        cases.reverse_capture(capture, 10000, "INR")
        cases.resolve_dispute(f"PP-D-{round_:08d}", capture, 10000, "INR", "RESOLVED_BUYER_FAVOUR")
        pair = caught[-2:]
        sim_api.deliver_webhook = deliver
        run_in_threads(2, lambda i, both=pair: redeliver(client, "paypal", both[i]).status_code)
        taken = db["ledger_entries"].find({"customer_id": customer, "kind": {"$in": ["topup_reversal", "chargeback"]}})
        doubled += sum(e["amount_minor"] for e in taken) > 10000
    assert doubled == 0, f"{doubled} of 20 races took a 100.00 top-up back twice"
    assert integration.reconcile() == []


def test_two_withdrawals_at_once_never_ask_more_of_a_payment_than_it_paid(api, client, db, integration):
    over = 0
    for round_ in range(10):
        customer = f"cust_{round_}"
        topup("razorpay", api, client, db, customer, "100.00")
        topup("razorpay", api, client, db, customer, "100.00")
        run_in_threads(2, lambda _i, who=customer: withdraw(api, who, "100.00").status_code)
        per_payment = {}
        for record in db["gateway_refunds"].find({"customer_id": customer, "status": {"$ne": "failed"}}):
            per_payment[record["gateway_payment_id"]] = (
                per_payment.get(record["gateway_payment_id"], 0) + record["amount_minor"]
            )
        over += max(per_payment.values()) > 10000
    assert over == 0, f"{over} of 10 races asked one 100.00 payment for 200.00"
    assert integration.reconcile() == []
