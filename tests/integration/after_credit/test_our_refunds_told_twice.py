"""A refund the service asked for (a withdrawal's part) that the gateway tells ended one way and then
the other (`refund.processed` and `refund.failed` of one refund: a gateway's mistake or a forged
webhook): the first telling counts and moves the money once; the other moves nothing and is a
mismatch for a person (audited `gateway_case.mismatch`, alerted), also when both arrive at once. An
ending claimed by a process that stopped before the money moved is finished as claimed, by the
worker or the withdrawal's retry, never asked of the gateway again."""

import contextlib
import datetime

import pytest

from backend.gateways.base import REFUND_REFUSED, GatewayRefund
from backend.gateways.razorpay.simulator import REFUNDS_COLLECTION as RAZORPAY_REFUNDS
from backend.wallet_accounts import WalletAccounts
from tests.integration.after_credit.support import (
    assert_wallet,
    our_refund_event,
    pending_withdrawal,
    post_razorpay,
    razorpay_topup,
    withdrawal_status,
)

ENDINGS = {"refund.processed": ((90, 0), "completed"), "refund.failed": ((100, 0), "failed")}
OTHER = {"refund.processed": "refund.failed", "refund.failed": "refund.processed"}


class Crash(Exception):
    pass


def mismatches(db):
    return db["integration_logs"].count_documents({"event": "gateway_case.mismatch", "outcome": "rejected"})


def withdrawing(api, db, integration):
    """cust_a's pending withdrawal of 10.00 from a 100.00 top-up: (its body, the payment id)."""
    _order, payment_id = razorpay_topup(api, db, "cust_a", "100.00")
    body, _record, _kept = pending_withdrawal(api, db, integration, payment_id)
    return body, payment_id


def while_ending(integration, during):
    """Run `during()` while the withdrawal part's money is moving (after its ending was claimed, before
    the record ends), as a second webhook handled at the same instant in another process would."""
    handler = integration.our_refunds.on_end["withdrawal"]

    def ending(record, status):
        during()
        handler(record, status)

    integration.our_refunds.on_end["withdrawal"] = ending


@pytest.mark.parametrize("first", sorted(ENDINGS))
def test_the_other_ending_told_at_the_same_instant_moves_nothing(first, api, client, db, integration):
    body, payment_id = withdrawing(api, db, integration)
    second = []
    while_ending(
        integration, lambda: second.append(post_razorpay(client, our_refund_event(db, OTHER[first], payment_id, 1000)))
    )
    assert post_razorpay(client, our_refund_event(db, first, payment_id, 1000)).status_code == 200
    assert [response.status_code for response in second] == [200]
    (balance, held), status = ENDINGS[first]
    assert_wallet(api, "cust_a", balance, held)
    assert withdrawal_status(api, "cust_a", body["withdrawal_id"]) == status
    assert mismatches(db) == 1
    assert integration.reconcile() == []


@pytest.mark.parametrize("first", sorted(ENDINGS))
def test_the_other_ending_told_later_moves_nothing(first, api, client, db, integration):
    body, payment_id = withdrawing(api, db, integration)
    assert post_razorpay(client, our_refund_event(db, first, payment_id, 1000)).status_code == 200
    assert post_razorpay(client, our_refund_event(db, OTHER[first], payment_id, 1000)).status_code == 200
    (balance, held), status = ENDINGS[first]
    assert_wallet(api, "cust_a", balance, held)
    assert withdrawal_status(api, "cust_a", body["withdrawal_id"]) == status
    assert mismatches(db) == 1
    assert post_razorpay(client, our_refund_event(db, first, payment_id, 1000)).status_code == 200
    assert mismatches(db) == 1  # its own ending told again is a redelivery, not a mismatch
    assert integration.reconcile() == []


def test_an_ending_begun_before_a_crash_is_finished_as_claimed(api, client, db, integration):
    body, payment_id = withdrawing(api, db, integration)
    handler = integration.our_refunds.on_end["withdrawal"]
    integration.our_refunds.on_end["withdrawal"] = lambda record, status: (_ for _ in ()).throw(Crash())
    with contextlib.suppress(Crash):  # the process stops after claiming `processed`, before any money moved
        post_razorpay(client, our_refund_event(db, "refund.processed", payment_id, 1000))
    integration.our_refunds.on_end["withdrawal"] = handler
    assert post_razorpay(client, our_refund_event(db, "refund.failed", payment_id, 1000)).status_code == 200
    assert_wallet(api, "cust_a", 100, 10)  # the failure told after moved nothing: still held
    assert mismatches(db) == 1
    db["gateway_refunds"].update_many({}, {"$set": {"updated_at": datetime.datetime(2000, 1, 1)}})
    integration.recover(grace_seconds=0)  # the worker: its refund not heard of for a minute
    assert_wallet(api, "cust_a", 90, 0)
    assert withdrawal_status(api, "cust_a", body["withdrawal_id"]) == "completed"
    assert integration.reconcile() == []


@pytest.mark.parametrize("retried_by", ["the client", "the worker"])
def test_a_part_refused_then_stopped_before_its_money_moved_is_not_asked_again(
    retried_by, api, db, integration, monkeypatch
):
    _order, _payment_id = razorpay_topup(api, db, "cust_a", "100.00")
    adapter, asked = integration.payments.gateway("razorpay"), []
    make_refund = adapter.refund

    def refused_once(payment_id, amount_minor, currency, reference):  # e.g. the merchant's balance too low
        asked.append(reference)
        if len(asked) == 1:
            return GatewayRefund("", REFUND_REFUSED, amount_minor, currency)
        return make_refund(payment_id, amount_minor, currency, reference)  # asked again, it would refund

    monkeypatch.setattr(adapter, "refund", refused_once)
    handler = integration.our_refunds.on_end["withdrawal"]
    integration.our_refunds.on_end["withdrawal"] = lambda record, status: (_ for _ in ()).throw(Crash())
    with contextlib.suppress(Crash):  # the process stops after claiming `failed`, before the part came back
        WalletAccounts(integration).withdraw("cust_a", 1000, withdrawal_id="wdr_stopped")
    integration.our_refunds.on_end["withdrawal"] = handler
    if retried_by == "the client":
        WalletAccounts(integration).withdraw("cust_a", 1000, withdrawal_id="wdr_stopped")
    long_ago = datetime.datetime(2000, 1, 1)
    db["withdrawals"].update_many({}, {"$set": {"lease_until": long_ago}})
    db["gateway_refunds"].update_many({}, {"$set": {"updated_at": long_ago}})
    integration.recover(grace_seconds=0)
    assert len(asked) == 1 and db[RAZORPAY_REFUNDS].count_documents({}) == 0  # refused once, never made
    assert_wallet(api, "cust_a", 100, 0)  # its part given back, as the gateway's refusal said
    assert withdrawal_status(api, "cust_a", "wdr_stopped") == "failed"
    assert integration.reconcile() == []
