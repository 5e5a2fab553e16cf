"""POST /webhook/razorpay: its acknowledgement, the events it credits once, ignores or refuses (SPEC §5)."""

import pytest

from tests.helpers import WEBHOOK_PATH, razorpay_event, signed_webhook, snapshot
from tests.integration.support import assert_error, balance_minor, confirm_by_webhook, initiated, ledger


# --- 5. POST /webhook/razorpay -----------------------------------------------------------------
def test_webhook_success_shape(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    response = confirm_by_webhook(client, order_id, 10000)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["success"] is True
    assert set(body) <= {"success", "outcome"}
    assert balance_minor(db, "cust_a") == 10000


def test_webhook_order_paid_event_credits(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    body, headers = signed_webhook(razorpay_event("order.paid", order_id, "pay_A1", 10000))
    response = client.post(WEBHOOK_PATH, data=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["success"] is True
    assert balance_minor(db, "cust_a") == 10000


def test_webhook_same_event_twice_credits_once(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, "pay_A1", 10000))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    again = client.post(WEBHOOK_PATH, data=body, headers=headers)
    assert again.status_code == 200
    assert again.get_json()["success"] is True
    assert balance_minor(db, "cust_a") == 10000
    assert len(ledger(db)) == 1


@pytest.mark.parametrize("first", ["payment.captured", "payment.failed"])
def test_an_event_id_applied_to_one_payment_order_is_a_duplicate_for_another(api, client, db, first):
    """SPEC §5: webhooks are de-duplicated by the gateway's event id, whatever the event names."""
    first_order, second_order = initiated(api, "cust_a", 100), initiated(api, "cust_a", 50)
    body, headers = signed_webhook(razorpay_event(first, first_order, "pay_E1", 10000), event_id="evt_shared")
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    credited = balance_minor(db, "cust_a")
    before = snapshot(db)
    body, headers = signed_webhook(
        razorpay_event("payment.captured", second_order, "pay_E2", 5000), event_id="evt_shared"
    )
    again = client.post(WEBHOOK_PATH, data=body, headers=headers)
    assert again.status_code == 200 and again.get_json()["success"] is True
    assert balance_minor(db, "cust_a") == credited and snapshot(db) == before
    audit = db["integration_logs"].find_one({"event_id": "evt_shared", "payment_order_id": second_order})
    assert (audit["event"], audit["outcome"]) == ("webhook.received", "duplicate")
    body, headers = signed_webhook(razorpay_event("payment.captured", second_order, "pay_E2", 5000))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200  # its own event credits
    assert balance_minor(db, "cust_a") == credited + 5000


def test_webhook_new_event_id_for_same_payment_credits_once(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    assert confirm_by_webhook(client, order_id, 10000, payment_id="pay_A1").status_code == 200
    assert confirm_by_webhook(client, order_id, 10000, payment_id="pay_A1").status_code == 200
    assert confirm_by_webhook(client, order_id, 10000, payment_id="pay_A2").status_code == 200
    assert balance_minor(db, "cust_a") == 10000
    assert len(ledger(db)) == 1


def test_webhook_ignored_event_answers_2xx(client, db):
    body, headers = signed_webhook({"entity": "event", "event": "payment.authorized", "payload": {}})
    response = client.post(WEBHOOK_PATH, data=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["success"] is True
    assert ledger(db) == []


def test_webhook_for_unknown_payment_order_credits_nothing(client, db):
    response = confirm_by_webhook(client, "order_unknown", 10000)
    assert response.status_code == 200, response.get_json()
    assert ledger(db) == [] and list(db["wallets"].find({})) == []


def test_webhook_failure_then_capture_still_credits(api, client, db):
    order_id = initiated(api, "cust_a", 100)
    body, headers = signed_webhook(razorpay_event("payment.failed", order_id, "pay_F1", 10000, status="failed"))
    assert client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    assert balance_minor(db, "cust_a") == 0
    assert confirm_by_webhook(client, order_id, 10000, payment_id="pay_A1").status_code == 200
    assert balance_minor(db, "cust_a") == 10000


@pytest.mark.parametrize("amount_minor, currency", [(9999, "INR"), (10001, "INR"), (1, "INR"), (10000, "USD")])
def test_webhook_amount_mismatch_credits_nothing(api, client, db, amount_minor, currency):
    order_id = initiated(api, "cust_a", 100)
    wallets, entries, orders = list(db["wallets"].find({})), ledger(db), list(db["payment_orders"].find({}))
    event = razorpay_event("payment.captured", order_id, "pay_A1", amount_minor, currency=currency)
    body, headers = signed_webhook(event)
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "amount_mismatch")
    assert (list(db["wallets"].find({})), ledger(db), list(db["payment_orders"].find({}))) == (wallets, entries, orders)
    logged = list(db["integration_logs"].find({"event": "topup.amount_mismatch", "payment_order_id": order_id}))
    assert len(logged) == 1


def test_webhook_amount_mismatch_writes_nothing(api, client, db):
    """SPEC §8.4: the rejected webhook changes nothing (it is only logged in integration_logs)."""
    order_id = initiated(api, "cust_a", 100)
    before = snapshot(db)
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, "pay_A1", 9999))
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "amount_mismatch")
    assert snapshot(db) == before


def test_webhook_amount_mismatch_replayed_is_still_rejected(api, client, db):
    """The same rejected event delivered again is not turned into a 2xx 'duplicate'."""
    order_id = initiated(api, "cust_a", 100)
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, "pay_A1", 9999))
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "amount_mismatch")
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "amount_mismatch")
    assert balance_minor(db, "cust_a") == 0


@pytest.mark.parametrize(
    "event",
    [
        {"event": "payment.captured"},
        {"event": "payment.captured", "payload": {}},
        {"event": "payment.captured", "payload": {"payment": {"entity": {"id": "pay_1", "order_id": "order_1"}}}},
        {
            "event": "payment.captured",
            "payload": {
                "payment": {"entity": {"id": "pay_1", "order_id": "order_1", "amount": "100.00", "currency": "INR"}}
            },
        },
        {
            "event": "payment.captured",
            "payload": {
                "payment": {"entity": {"id": "pay_1", "order_id": "order_1", "amount": 100.5, "currency": "INR"}}
            },
        },
        {
            "event": "payment.captured",
            "payload": {
                "payment": {"entity": {"id": "pay_1", "order_id": "order_1", "amount": True, "currency": "INR"}}
            },
        },
        {"no_event": True},
        ["payment.captured"],
    ],
)
def test_webhook_signed_but_malformed(client, db, event):
    before = snapshot(db)
    body, headers = signed_webhook(event)
    assert_error(client.post(WEBHOOK_PATH, data=body, headers=headers), 400, "invalid_request")
    assert snapshot(db) == before
