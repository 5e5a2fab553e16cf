"""Crash between any two writes (tests/faults.py), then the gateway redelivers and the worker
recovers: the money must end where it would have without the crash."""

import datetime

import pytest

from backend.wallet_accounts import WalletAccounts
from tests.faults import SimulatedCrash, crashing_integration
from tests.integration.after_credit.support import paypal_topup, razorpay_topup, redeliver, simulator, wallet


@pytest.mark.parametrize("crash_at", range(1, 16))
def test_withdrawal_crash_sweep(app, api, client, db, integration, crash_at):
    paypal_topup(api, client, db, "cust_a", "100.00")
    crashing, _ = crashing_integration(app, db, crash_at)
    try:
        WalletAccounts(crashing).withdraw("cust_a", 4000)
    except SimulatedCrash:
        pass
    past = datetime.datetime(2000, 1, 1)
    db["withdrawals"].update_many({}, {"$set": {"lease_until": past}})
    db["gateway_refunds"].update_many({}, {"$set": {"updated_at": past}})
    for _ in range(3):
        integration.recover(grace_seconds=0)
    balance, held, available, debt = wallet(api, "cust_a")
    made = db["withdrawals"].count_documents({})
    expected = (60, 0, 0) if made else (100, 0, 0)
    assert (balance, held, debt) == expected, (crash_at, balance, held, available, debt, made)
    assert integration.reconcile() == []


@pytest.mark.parametrize("crash_at", range(1, 12))
@pytest.mark.parametrize("outcome", ["lost", "won"])
def test_dispute_crash_sweep(app, api, client, db, integration, crash_at, outcome):
    _o, payment = razorpay_topup(api, db, "cust_a", "100.00")
    sim_api, caught = integration.payments.gateway("razorpay").api, []
    deliver = sim_api.deliver_webhook
    sim_api.deliver_webhook = lambda body, headers, wait=False: caught.append((body, dict(headers))) or 200
    rzp = simulator(integration, "razorpay")
    dispute = rzp.open_dispute(payment, 6000, "INR")
    rzp.resolve_dispute(dispute, payment, 6000, "INR", outcome)
    sim_api.deliver_webhook = deliver
    for webhook in caught:
        crashing, _ = crashing_integration(app, db, crash_at)
        try:
            crashing.process_payment_webhook("razorpay", *webhook)
        except SimulatedCrash:
            pass
        integration.recover(grace_seconds=0)
        assert redeliver(client, "razorpay", webhook).status_code == 200
    integration.recover(grace_seconds=0)
    balance, held, available, debt = wallet(api, "cust_a")
    assert (balance, held, debt) == ((40 if outcome == "lost" else 100), 0, 0), (balance, held, debt)
    assert integration.reconcile() == []
