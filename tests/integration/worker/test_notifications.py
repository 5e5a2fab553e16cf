"""The outbox wired into the money flow: every movement queues a confirmation (when the worker
finishes it); failures move no money; workers draining at once send each message once."""

from backend.notifications import Outbox
from tests.helpers import FakeSender, run_in_threads
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


def test_workers_draining_at_once_send_each_message_once(db):
    db["customers"].insert_one({"customer_id": "cust_many_w", "phone": "+919800000004"})
    workers = [Outbox(db, FakeSender()) for _ in range(4)]
    workers[0].enqueue_many(
        {
            "_id": f"txn_w{i}",
            "customer_id": "cust_many_w",
            "currency": "INR",
            "kind": "topup",
            "amount_minor": 100 + i,
            "balance_after_minor": 1000 + i,
            "reference": {},
        }
        for i in range(200)
    )

    def drain_until_it_claims_none(index):
        batches = []
        while handled := workers[index].drain(batch_size=20):
            batches.append(handled)
        return batches

    batches = run_in_threads(len(workers), drain_until_it_claims_none)
    texts = [text for worker in workers for _, text in worker.sender.sent]
    assert len(texts) == len(set(texts)) == 200, batches  # none twice, none left
    assert sum(map(sum, batches)) == 200
    assert db["notification_outbox"].count_documents({"status": "sent", "attempts": 1}) == 200
