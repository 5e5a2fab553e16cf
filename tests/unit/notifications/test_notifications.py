"""The WhatsApp outbox: queued once per money movement, sent with back-off, never undoing money."""

import datetime
import logging
import uuid

import pytest
import responses

from backend.db import connect, ensure_indexes
from backend.notifications import (
    ATTEMPTS_MAX,
    BACKOFF_BASE_SECONDS,
    CLAIM_SECONDS,
    SEND_WINDOW_SECONDS,
    LogSender,
    NotificationFailed,
    Outbox,
    WhatsAppSender,
    message_text,
)
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


@pytest.mark.parametrize(
    "phone, sent_to",
    [(919800000003, "919800000003"), (" +919800000003 ", "+919800000003"), ("call me", None), (True, None), ({}, None)],
    ids=["an integer", "spaces around", "not digits", "a boolean", "an object"],
)
def test_a_phone_stored_in_another_shape_is_sent_to_or_skipped_never_stuck(database, phone, sent_to):
    """A number stored as an integer is its digits; a value that is no number is skipped. Either way
    the batch is settled (it used to raise TypeError and leave the message `sending` for ever)."""
    database["customers"].insert_one({"customer_id": "cust_odd", "phone": phone})
    sender = FakeSender()
    outbox = outbox_with(database, sender)
    outbox.enqueue_many([dict(ENTRY, _id="txn_odd", customer_id="cust_odd"), ENTRY])
    assert outbox.drain() == 2
    statuses = {m["_id"]: m["status"] for m in database["notification_outbox"].find({})}
    assert statuses == {"txn_odd": "sent" if sent_to else "skipped", "txn_1": "sent"}
    assert [to for to, _text in sender.sent if to != "+919800000002"] == ([sent_to] if sent_to else [])


def test_a_sender_that_breaks_costs_its_message_an_attempt_not_the_batch(database):
    class Broken:
        def send(self, phone, text):
            raise TypeError("a bug in the sender")

    clock = Clock(NOW)
    outbox = outbox_with(database, Broken(), clock)
    outbox.enqueue_many([ENTRY])
    for _ in range(ATTEMPTS_MAX + 2):
        outbox.drain()
        clock.advance(24 * 3600)
    message = database["notification_outbox"].find_one({})
    assert (message["status"], message["attempts"], message["error"]) == ("failed", ATTEMPTS_MAX, "TypeError")


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


# --- a batch at a time ---------------------------------------------------------------------------
def entries(count, customer_id="cust_n"):
    return [dict(ENTRY, _id=f"txn_b{i}", customer_id=customer_id, amount_minor=100 + i) for i in range(count)]


def statuses(database):
    return sorted((m["_id"], m["status"], m["attempts"]) for m in database["notification_outbox"].find())


class ClaimedMeanwhile:
    """The outbox collection as one worker sees it, with another worker draining between the first's
    look for due messages and its claim."""

    def __init__(self, collection, other_worker, batch_size):
        self.collection, self.other_worker, self.batch_size = collection, other_worker, batch_size
        self.other_handled = None

    def update_many(self, *args, **kwargs):
        if self.other_handled is None:
            self.other_handled = self.other_worker.drain(self.batch_size)
        return self.collection.update_many(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.collection, name)


def test_a_batch_is_sent_in_one_drain_and_recorded_as_sent(database):
    sender = FakeSender()
    outbox = outbox_with(database, sender)
    outbox.enqueue_many(entries(7))
    assert outbox.drain(batch_size=5) == 5 and len(sender.sent) == 5
    assert outbox.drain(batch_size=5) == 2 and len(sender.sent) == 7
    assert outbox.drain(batch_size=5) == 0
    assert {status for _, status, _ in statuses(database)} == {"sent"}
    assert all(m["sent_at"] == NOW for m in database["notification_outbox"].find())


def test_messages_another_worker_claimed_first_are_sent_by_it_alone(database):
    first_sender, other_sender = FakeSender(), FakeSender()
    first, other = outbox_with(database, first_sender), outbox_with(database, other_sender)
    first.enqueue_many(entries(10))
    first.messages = ClaimedMeanwhile(first.messages, other, batch_size=4)
    assert first.drain(batch_size=10) == 6  # found 10 due; 4 were the other's by the time it claimed
    assert first.messages.other_handled == 4
    texts = [text for _, text in first_sender.sent + other_sender.sent]
    assert len(texts) == len(set(texts)) == 10  # each message sent once
    assert statuses(database) == [(f"txn_b{i}", "sent", 1) for i in range(10)]


def test_a_mixed_batch_records_each_outcome(database):
    clock = Clock(NOW)
    sender = FakeSender(failures=1)
    outbox = outbox_with(database, sender, clock)
    outbox.enqueue_many([*entries(2), dict(ENTRY, _id="txn_nophone", customer_id="cust_nophone")])
    assert outbox.drain() == 3
    messages = {m["_id"]: m for m in database["notification_outbox"].find()}
    assert (messages["txn_b0"]["status"], messages["txn_b0"]["next_attempt_at"]) == ("pending", NOW + BACK_OFF)
    assert messages["txn_b0"]["error"] == "HTTP 503 code None"
    assert messages["txn_b1"]["status"] == "sent"
    assert (messages["txn_nophone"]["status"], messages["txn_nophone"]["error"]) == ("skipped", "no_phone_on_file")


BACK_OFF = datetime.timedelta(seconds=BACKOFF_BASE_SECONDS)


class Killed(BaseException):
    """The worker's process dying mid-batch (kill -9): nothing after it runs."""


class KilledOnSend(FakeSender):
    def __init__(self, sends_before):
        super().__init__()
        self.sends_before = sends_before

    def send(self, phone, text):
        if len(self.sent) == self.sends_before:
            raise Killed
        super().send(phone, text)


def test_a_batch_of_a_worker_killed_mid_way_is_sent_by_another_once_its_lease_passes(database):
    clock = Clock(NOW)
    killed = outbox_with(database, KilledOnSend(sends_before=2), clock)
    killed.enqueue_many(entries(5))
    with pytest.raises(Killed):
        killed.drain()
    assert {status for _, status, _ in statuses(database)} == {"sending"}
    sender = FakeSender()
    other = outbox_with(database, sender, clock)
    clock.advance(CLAIM_SECONDS - 1)
    assert other.drain() == 0  # still claimed
    clock.advance(1)
    assert other.drain() == 5  # at least once: the two sent before the kill are sent again
    assert len(sender.sent) == 5
    assert statuses(database) == [(f"txn_b{i}", "sent", 2) for i in range(5)]


class FailingClock(Clock):
    """Raises on its `fail_at`-th reading (a bug outside the sender, in the drain's loop), then reads on."""

    def __init__(self, now, fail_at):
        super().__init__(now)
        self.readings, self.fail_at = 0, fail_at

    def __call__(self):
        self.readings += 1
        if self.readings == self.fail_at:
            raise RuntimeError("a bug, not a failed send")
        return super().__call__()


def test_an_unexpected_error_keeps_what_was_sent_and_hands_the_rest_back(database):
    clock = FailingClock(NOW, fail_at=5)  # queueing, claiming, then one per message: the third one's fails
    outbox = outbox_with(database, FakeSender(), clock)
    outbox.enqueue_many(entries(5))
    with pytest.raises(RuntimeError):
        outbox.drain()
    assert statuses(database) == [
        ("txn_b0", "sent", 1),
        ("txn_b1", "sent", 1),
        ("txn_b2", "sending", 1),  # the one being sent: claimed until its lease passes
        ("txn_b3", "pending", 0),  # not tried: due again at once, no attempt counted
        ("txn_b4", "pending", 0),
    ]
    sender = FakeSender()
    outbox.sender = sender
    assert outbox.drain() == 2 and [text for _, text in sender.sent] == [message_text(e) for e in entries(5)[3:]]


class SlowSender(FakeSender):
    """Each send takes `seconds` of the clock."""

    def __init__(self, clock, seconds):
        super().__init__()
        self.clock, self.seconds = clock, seconds

    def send(self, phone, text):
        super().send(phone, text)
        self.clock.advance(self.seconds)


def test_no_send_starts_after_the_send_window_and_the_rest_is_handed_back(database):
    clock = Clock(NOW)
    sender = SlowSender(clock, seconds=SEND_WINDOW_SECONDS * 2 // 3)
    outbox = outbox_with(database, sender, clock)
    outbox.enqueue_many(entries(5))
    assert outbox.drain() == 2  # sends at 0 and 40 s; at 80 s the window (60 s) is over
    assert [status for _, status, _ in statuses(database)] == ["sent", "sent", "pending", "pending", "pending"]
    assert [attempts for _, _, attempts in statuses(database)][2:] == [0, 0, 0]
    assert outbox.drain() == 2 and outbox.drain() == 1 and len(sender.sent) == 5
    assert SEND_WINDOW_SECONDS * 2 <= CLAIM_SECONDS  # a send begun in the window ends within the lease


class SlowLastSend(FakeSender):
    """Its first send lasts until just before the send window closes, its second the longest a send
    may (a connect and an answer, each at the timeout's cap); meanwhile another worker drains."""

    def __init__(self, clock, other):
        super().__init__()
        self.clock, self.other = clock, other

    def send(self, phone, text):
        super().send(phone, text)
        if len(self.sent) == 1:
            self.clock.advance(SEND_WINDOW_SECONDS - 1)
        else:
            self.clock.advance(2 * WhatsAppSender("t", "p", "https://x", "v1", timeout_seconds=35).timeout_seconds)
            self.other.drain()


def test_a_send_as_slow_as_the_timeout_allows_ends_within_the_lease_and_nothing_is_sent_twice(database):
    clock, other_sender = Clock(NOW), FakeSender()
    other = outbox_with(database, other_sender, clock)
    first = outbox_with(database, SlowLastSend(clock, other), clock)
    first.enqueue_many(entries(2))
    first.drain()
    texts = [text for _, text in first.sender.sent + other_sender.sent]
    assert len(texts) == 2 and len(set(texts)) == 2, (texts, statuses(database))


def test_the_last_attempt_says_the_message_is_given_up_at_error(database, caplog):
    """Found by an on-call walk-through: the sixth and last failure read as the five before it."""
    clock = Clock(NOW)
    outbox = outbox_with(database, FakeSender(failures=ATTEMPTS_MAX), clock)
    outbox.enqueue_many([ENTRY])
    with caplog.at_level(logging.WARNING, logger="integration"):
        for _ in range(ATTEMPTS_MAX):
            outbox.drain()
            clock.advance(24 * 3600)
    lines = [r for r in caplog.records if "not sent" in r.getMessage()]
    assert [r.levelno for r in lines] == [logging.WARNING] * (ATTEMPTS_MAX - 1) + [logging.ERROR]
    assert f"(attempt {ATTEMPTS_MAX}, the last: given up)" in lines[-1].getMessage()
