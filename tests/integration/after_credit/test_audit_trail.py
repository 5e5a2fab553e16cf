"""The audit trail after the credit (SPEC §7: every money movement and every webhook, accepted or
rejected, leaves an entry in `integration_logs`): a withdrawal's request, and each webhook about a
refund the service asked for itself — `refund.created`, the one that ends it, and redeliveries."""

import datetime
import json

from tests.helpers import BASE, bearer
from tests.integration.after_credit.support import razorpay_topup, redeliver, withdraw


def entries(db, **query):
    return list(db["integration_logs"].find(query, sort=[("created_at", 1), ("_id", 1)]))


def event_id(webhook):
    return webhook[1]["X-Razorpay-Event-Id"]


def test_a_withdrawal_is_audited_once_with_its_hold(api, db):
    razorpay_topup(api, db, "cust_a", "60.00")
    headers = dict(bearer("cust_a"), **{"Idempotency-Key": "withdraw-audit-1"})
    body = withdraw(api, "cust_a", "40.00", headers).get_json()
    assert withdraw(api, "cust_a", "40.00", headers).get_json() == body  # a retry: no second entry
    [requested] = entries(db, event="withdrawal.requested")
    hold = db["ledger_entries"].find_one({"kind": "withdrawal_hold"})
    assert (requested["outcome"], requested["customer_id"], requested["withdrawal_id"]) == (
        "ok",
        "cust_a",
        body["withdrawal_id"],
    )
    assert (requested["transaction_id"], requested["amount_minor"], requested["currency"]) == (hold["_id"], 4000, "INR")


def test_every_webhook_of_our_own_refund_leaves_an_entry(api, client, db, posted):
    razorpay_topup(api, db, "cust_a", "60.00")
    withdrawal_id = withdraw(api, "cust_a", "40.00").get_json()["withdrawal_id"]
    created, processed = posted.webhooks  # the simulator's refund.created, then refund.processed
    assert [json.loads(w[0])["event"] for w in (created, processed)] == ["refund.created", "refund.processed"]
    assert [e["outcome"] for e in entries(db, event_id=event_id(created))] == ["recorded"]
    [processed_entry] = entries(db, event="gateway_refund.processed")
    record = db["gateway_refunds"].find_one({"withdrawal_id": withdrawal_id})
    # what the gateway's support knows the refund by: our reference (its idempotency key), its own id
    assert (processed_entry["refund_reference"], processed_entry["case_id"]) == (
        record["_id"],
        record["gateway_refund_id"],
    )
    for webhook in (created, processed):
        assert redeliver(client, "razorpay", webhook).status_code == 200
    assert [(e["event"], e["outcome"]) for e in entries(db, event_id=event_id(created))] == [
        ("gateway_refund.webhook", "recorded"),
        ("gateway_refund.webhook", "recorded"),
    ]
    [repeat] = entries(db, event_id=event_id(processed))  # the first delivery's record is gateway_refund.processed
    assert (repeat["event"], repeat["outcome"], repeat["withdrawal_id"]) == (
        "gateway_refund.webhook",
        "duplicate",
        withdrawal_id,
    )
    assert len(entries(db, event="gateway_refund.processed")) == 1
    status = api.client.get(f"{BASE}/status/cust_a", headers=bearer("cust_a")).get_json()["wallet"]
    assert (status["balance"], status["held"]) == (20, 0)  # the redeliveries moved nothing


class Crash(Exception):
    pass


def test_a_withdrawal_whose_request_died_before_its_entry_is_audited_when_the_worker_resumes_it(
    api, db, integration, monkeypatch
):
    razorpay_topup(api, db, "cust_a", "60.00")
    record = integration.audit.record

    def dies_at_the_withdrawal_entry(event, *args, **kwargs):
        if event == "withdrawal.requested":
            raise Crash()
        return record(event, *args, **kwargs)

    monkeypatch.setattr(integration.audit, "record", dies_at_the_withdrawal_entry)
    assert withdraw(api, "cust_a", "40.00").status_code == 500  # the hold is in; its entry and the gateway call not
    monkeypatch.setattr(integration.audit, "record", record)
    assert entries(db, event="withdrawal.requested") == []
    db["withdrawals"].update_many({}, {"$set": {"lease_until": datetime.datetime(2000, 1, 1)}})  # the lease ran out
    integration.recover(grace_seconds=0)
    [resumed] = entries(db, event="withdrawal.resumed")
    withdrawal = db["withdrawals"].find_one({})
    assert (resumed["withdrawal_id"], resumed["amount_minor"], resumed["customer_id"]) == (
        withdrawal["_id"],
        4000,
        "cust_a",
    )
    integration.recover(grace_seconds=0)
    assert len(entries(db, event="withdrawal.resumed")) == 1  # taken up once
