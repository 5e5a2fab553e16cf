"""The outbox wired into the money flow: every movement queues a confirmation (when the worker
finishes it); failures move no money."""

from tests.helpers import FakeSender
from tests.integration.support import cancelled_while_paying


def test_money_moves_even_when_every_send_fails(api, integration, db):
    integration.outbox.sender = FakeSender(failures=100)
    db["customers"].insert_one({"customer_id": "cust_fail", "phone": "+919800000003"})
    api.topup("cust_fail", "20")
    integration.followups.finish()
    integration.outbox.drain()
    assert api.balance("cust_fail") == 20
    assert db["notification_outbox"].find_one({"customer_id": "cust_fail"})["status"] == "pending"


def test_pay_and_refund_each_queue_a_confirmation(api, db, integration):
    api.topup("cust_q", "20")
    order_id = api.add_order("cust_q", 1000)
    api.pay(order_id, "cust_q", 10)
    api.refund(order_id, "cust_q", 5)
    assert db["notification_outbox"].count_documents({}) == 0  # queued by the worker, after the request
    integration.followups.finish()
    texts = sorted(m["text"] for m in db["notification_outbox"].find({"customer_id": "cust_q"}))
    assert [t.split(" INR")[0] for t in texts] == ["5.00", "You paid 10.00", "Your wallet was topped up with 20.00"]


def test_a_payment_given_back_is_confirmed_as_returned_not_as_paid(api, db, integration, monkeypatch):
    api.topup("cust_gb", "20")
    order_id = api.add_order("cust_gb", 1000)
    cancelled_while_paying(monkeypatch, integration, db, order_id)
    assert api.pay(order_id, "cust_gb", 10).status_code == 409  # given back
    monkeypatch.undo()
    integration.followups.finish()
    texts = [m["text"] for m in db["notification_outbox"].find({"customer_id": "cust_gb"})]
    assert not any(t.startswith("You paid") for t in texts), texts
    assert len(texts) == 2  # the top-up, and the payment returned
