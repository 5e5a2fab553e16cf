"""Hostile but correctly signed refund / dispute webhooks: every one is a 200 or a 400, never a 500,
and nothing moves for an unreadable one."""

import pytest

from tests.integration.after_credit.support import post_razorpay, razorpay_case_event

PAYMENT = "pay_hostile1"

HOSTILE = {
    "amount_huge": dict(amount=10**20),
    "amount_2_63": dict(amount=2**63),
    "amount_float": dict(amount=100.0),
    "amount_bool": dict(amount=True),
    "amount_zero": dict(amount=0),
    "amount_negative": dict(amount=-100),
    "amount_string": dict(amount="100"),
    "currency_lower": dict(currency="inr"),
    "currency_obj": dict(currency={"$gt": ""}),
    "payment_id_obj": dict(payment_id={"$ne": None}),
    "payment_id_long": dict(payment_id="p" * 65),
    "notes_list": dict(notes=["x"]),
    "notes_ref_obj": dict(notes={"reference": {"$ne": None}}),
    "notes_ref_long": dict(notes={"reference": "r" * 500}),
}


@pytest.mark.parametrize(
    "event_type", ["refund.processed", "refund.failed", "payment.dispute.created", "payment.dispute.lost"]
)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_case_fields_never_500(client, db, event_type, name):
    entity_name = "refund" if event_type.startswith("refund") else "dispute"
    fields = dict(payment_id=PAYMENT, amount=10000, currency="INR")
    fields.update(HOSTILE[name])
    event = razorpay_case_event(
        event_type,
        entity_name,
        fields.pop("payment_id"),
        fields.pop("amount"),
        fields.pop("currency"),
        **({"notes": HOSTILE[name]["notes"]} if "notes" in HOSTILE[name] else {}),
    )
    response = post_razorpay(client, event)
    assert response.status_code in (200, 400), (response.status_code, response.get_data(as_text=True)[:300])


@pytest.mark.parametrize(
    "payload",
    [
        {"refund": []},
        {"refund": {"entity": "x"}},
        {"refund": {"entity": None}},
        {"dispute": {"entity": {"id": 1}}},
        [],
        None,
        "x",
    ],
)
def test_hostile_payload_shapes_never_500(client, payload):
    for event_type in ("refund.processed", "payment.dispute.lost"):
        event = {"entity": "event", "event": event_type, "payload": payload, "created_at": 1}
        response = post_razorpay(client, event)
        assert response.status_code in (200, 400), (response.status_code, response.get_data(as_text=True)[:300])
