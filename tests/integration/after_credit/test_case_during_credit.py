"""A case decided while its payment is being credited (SPEC §9: "One that arrives before the payment was
credited is recorded and applied if that payment is credited later"). The credit reads its payment's
waiting cases before it credits; a webhook that adds an action to one of them meanwhile finds the
payment not credited yet and leaves the action waiting. The credit then applies the case as it read
it: it must also apply what was added, not mark the case done without it."""

import pytest

from tests.helpers import WEBHOOK_PATH, razorpay_event, signed_webhook, unique
from tests.integration.after_credit.support import post_razorpay, razorpay_case_event, wallet
from tests.integration.support import assert_money


def credit_with_a_webhook_during_it(api, client, integration, monkeypatch, payment_id, during):
    """Initiate 100.00 and credit it by a signed `payment.captured` whose credit, just before it marks
    the payment order paid, lets the webhook `during` in (the order in which a race can run them)."""
    initiated = api.initiate("cust_a", "100.00").get_json()
    real_mark_paid = integration.payment_orders.mark_paid

    def mark_paid_after_the_webhook(*args, **kwargs):
        monkeypatch.setattr(integration.payment_orders, "mark_paid", real_mark_paid)
        assert post_razorpay(client, during).status_code == 200
        return real_mark_paid(*args, **kwargs)

    monkeypatch.setattr(integration.payment_orders, "mark_paid", mark_paid_after_the_webhook)
    body, headers = signed_webhook(razorpay_event("payment.captured", initiated["payment_order_id"], payment_id, 10000))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200


@pytest.mark.parametrize(
    "early, during, figures",
    [
        ("payment.dispute.created", "payment.dispute.lost", (40, 0, 0)),  # the chargeback taken, its hold closed
        ("payment.dispute.created", "payment.dispute.won", (100, 0, 0)),  # the hold released
        ("refund.created", "refund.processed", (40, 0, 0)),  # the refund taken back
    ],
)
def test_a_case_decided_while_its_payment_is_credited_is_applied_in_full(
    early, during, figures, api, client, db, integration, monkeypatch
):
    payment_id, case_id = unique("pay"), unique("case")
    entity = "dispute" if "dispute" in early else "refund"
    extra = {"phase": "chargeback"} if entity == "dispute" else {}
    assert (
        post_razorpay(
            client, razorpay_case_event(early, entity, payment_id, 6000, case_id=case_id, **extra)
        ).status_code
        == 200
    )
    decided = razorpay_case_event(during, entity, payment_id, 6000, case_id=case_id, **extra)
    credit_with_a_webhook_during_it(api, client, integration, monkeypatch, payment_id, decided)
    balance, held, _available, debt = wallet(api, "cust_a")
    for value, expected in zip((balance, held, debt), figures, strict=True):
        assert_money(value, expected)
    case = db["gateway_cases"].find_one({"case_id": case_id})
    assert case["waiting"] is False
    assert integration.reconcile() == []


def test_a_case_first_reported_while_the_worker_follows_up_the_credit_is_applied(
    api, client, db, integration, monkeypatch
):
    """The credit's entry is in, its payment order not marked paid yet; the worker's follow-up reads
    the payment's waiting cases (none), then a refund of it is reported: the webhook must find the
    payment credited (the follow-up marks it paid before it reads the cases), or the refund waits
    for good and the wallet keeps the money."""
    payment_id = unique("pay")
    initiated = api.initiate("cust_a", "100.00").get_json()
    real_mark_paid, real_apply_waiting = integration.payment_orders.mark_paid, integration.followups._apply_waiting
    refund = razorpay_case_event("refund.processed", "refund", payment_id, 6000, case_id=unique("rfnd"))

    def apply_waiting_then_a_refund(entry):
        real_apply_waiting(entry)
        assert post_razorpay(client, refund).status_code == 200

    def the_worker_first(*args, **kwargs):
        monkeypatch.setattr(integration.payment_orders, "mark_paid", real_mark_paid)
        monkeypatch.setattr(integration.followups, "_apply_waiting", apply_waiting_then_a_refund)
        integration.recover(grace_seconds=0)
        monkeypatch.setattr(integration.followups, "_apply_waiting", real_apply_waiting)
        return real_mark_paid(*args, **kwargs)

    monkeypatch.setattr(integration.payment_orders, "mark_paid", the_worker_first)
    body, headers = signed_webhook(razorpay_event("payment.captured", initiated["payment_order_id"], payment_id, 10000))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    balance, held, _available, debt = wallet(api, "cust_a")
    for value, expected in zip((balance, held, debt), (40, 0, 0), strict=True):
        assert_money(value, expected)
    assert db["gateway_cases"].count_documents({"waiting": True}) == 0
    assert integration.reconcile() == []
