"""The WhatsApp outbox: queued once per money movement, sent with back-off, never undoing money."""

import datetime
import uuid

import pytest
import responses

from backend.db import connect, ensure_indexes
from backend.notifications import ATTEMPTS_MAX, LogSender, NotificationFailed, Outbox, WhatsAppSender
from tests.helpers import Clock, FakeSender

NOW = datetime.datetime(2026, 11, 26, 12, 0, 0)
ENTRY = {
    "_id": "txn_1",
    "customer_id": "cust_n",
    "currency": "INR",
    "kind": "payment",
    "amount_minor": 25050,
    "balance_after_minor": 1000,
    "reference": {"order_id": "ord_9"},
}


@pytest.fixture
def database():
    database = connect("mongomock://localhost", f"notify_{uuid.uuid4().hex[:10]}")
    ensure_indexes(database)
    database["customers"].insert_one({"customer_id": "cust_n", "phone": "+919800000002"})
    return database


def outbox_with(database, sender, clock=None):
    return Outbox(database, sender, clock or Clock(NOW))


def test_a_movement_is_queued_once(database):
    outbox = outbox_with(database, FakeSender())
    outbox.enqueue_many([ENTRY])
    outbox.enqueue_many([ENTRY])
    assert database["notification_outbox"].count_documents({}) == 1


def test_the_message_says_what_moved(database):
    sender = FakeSender()
    outbox = outbox_with(database, sender)
    outbox.enqueue_many([ENTRY])
    assert outbox.drain() == 1
    assert sender.sent == [
        ("+919800000002", "You paid 250.50 INR for order ord_9 from your wallet. Balance: 10.00 INR.")
    ]
    assert database["notification_outbox"].find_one({"_id": "txn_1"})["status"] == "sent"


def test_a_customer_without_a_phone_is_skipped(database):
    sender = FakeSender()
    outbox = outbox_with(database, sender)
    outbox.enqueue_many([dict(ENTRY, customer_id="cust_nophone")])
    outbox.drain()
    assert sender.sent == []
    assert database["notification_outbox"].find_one({})["status"] == "skipped"


def test_a_failed_send_is_retried_after_a_back_off(database):
    clock = Clock(NOW)
    sender = FakeSender(failures=1)
    outbox = outbox_with(database, sender, clock)
    outbox.enqueue_many([ENTRY])
    assert outbox.drain() == 1 and sender.sent == []
    assert outbox.drain() == 0  # not due yet
    clock.advance(5 * 60)
    assert outbox.drain() == 1
    assert len(sender.sent) == 1


def test_sending_stops_after_the_last_attempt(database):
    clock = Clock(NOW)
    outbox = outbox_with(database, FakeSender(failures=100), clock)
    outbox.enqueue_many([ENTRY])
    for _ in range(ATTEMPTS_MAX + 2):
        outbox.drain()
        clock.advance(24 * 3600)
    message = database["notification_outbox"].find_one({})
    assert (message["status"], message["attempts"]) == ("failed", ATTEMPTS_MAX)


def test_log_sender_sends_nothing_anywhere(caplog):
    with caplog.at_level("INFO"):
        LogSender().send("+919800000002", "hello")
    assert "not sent" in caplog.text and "+919800000002" not in caplog.text


@responses.activate
def test_whatsapp_cloud_api_request():
    url = "https://graph.facebook.com/v21.0/12345/messages"
    responses.add(responses.POST, url, json={"messaging_product": "whatsapp", "messages": [{"id": "wamid.1"}]})
    WhatsAppSender("tok_secret", "12345", "https://graph.facebook.com", "v21.0").send("+919800000002", "hi")
    request = responses.calls[0].request
    assert request.headers["Authorization"] == "Bearer tok_secret"
    assert request.body == (
        b'{"messaging_product": "whatsapp", "recipient_type": "individual", '
        b'"to": "+919800000002", "type": "text", "text": {"preview_url": false, "body": "hi"}}'
    )


@responses.activate
def test_whatsapp_throttling_is_a_retryable_failure():
    url = "https://graph.facebook.com/v21.0/12345/messages"
    responses.add(responses.POST, url, status=429, json={"error": {"code": 130429, "message": "throttled"}})
    with pytest.raises(NotificationFailed, match="130429"):
        WhatsAppSender("tok", "12345", "https://graph.facebook.com", "v21.0").send("+91", "hi")
