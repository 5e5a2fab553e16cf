"""WhatsApp confirmations through an outbox (docs/contract.md, side effects).

A message is queued in `notification_outbox` by the worker's step that finishes a money movement
(`FollowUps.finish`; its `_id` is the ledger entry id, so a repeat queues
nothing new), and sent afterwards by the worker, with exponential back-off and a bounded number of
attempts. Sending never fails or undoes a money movement. Without WhatsApp credentials (the
embedded default) messages are logged.

The worker drains the outbox a batch at a time (`Outbox.drain`): it finds up to BATCH_SIZE_MAX due
messages, claims them with one `update_many` writing a lease token of its own (only those still
due: several workers may drain at once), looks up their customers' numbers in one query, sends
each (one HTTP call a message), and records the outcomes with one `update_many` per distinct
outcome (usually one: all sent), each guarded by its token. A batch of sent messages costs 4 store
round trips (one more when another worker claimed some of those found first, one per other
outcome), where one message at a time cost 3 each. Claimed messages are due again once their lease
(CLAIM_SECONDS) has passed, so those of a worker killed mid-batch are sent by another, at least
once: any it had sent already are sent again. No send starts later than SEND_WINDOW_SECONDS after
the claim: the rest of the batch is handed back, due at once.
"""

import datetime
import logging
import time
import uuid

import requests
from pymongo.errors import BulkWriteError

from .clock import utcnow
from .customers import Customers
from .money import format_major

logger = logging.getLogger("integration.notifications")
ATTEMPTS_MAX = 6
BACKOFF_BASE_SECONDS = 30
# A batch's lease: its messages not settled by then are due again. Sends start only within
# SEND_WINDOW_SECONDS of the claim, and a send's timeout (GATEWAY_TIMEOUT_SECONDS, 10 by default, for
# connecting and again for the answer) is at most SEND_TIMEOUT_MAX_SECONDS, so the last one begun ends
# within the lease and no other worker sends the batch again while it runs.
CLAIM_SECONDS = 120
SEND_WINDOW_SECONDS = 60
SEND_TIMEOUT_MAX_SECONDS = (CLAIM_SECONDS - SEND_WINDOW_SECONDS) / 3
BATCH_SIZE_MAX = 50
DUPLICATE_KEY = 11000
MESSAGES = {
    "topup": "Your wallet was topped up with {amount} {currency}. New balance: {balance} {currency}.",
    "payment": "You paid {amount} {currency} for order {order_id} from your wallet. Balance: {balance} {currency}.",
    "refund": "{amount} {currency} for order {order_id} was refunded to your wallet. Balance: {balance} {currency}.",
    "reversal": "{amount} {currency} for order {order_id} was returned to your wallet: the order changed while "
    "it was being paid. Balance: {balance} {currency}.",
    "topup_reversal": "{amount} {currency} of a top-up was taken back: the payment was refunded or reversed at "
    "the gateway. Balance: {balance} {currency}.{owed}",
    "chargeback": "{amount} {currency} was taken back: a dispute of your top-up payment was decided for the "
    "card holder. Balance: {balance} {currency}.{owed}",
    "debt_repayment": "{amount} {currency} of your new money paid what your wallet owed. Balance: {balance} "
    "{currency}.{owed}",
    "dispute_hold": "{amount} {currency} of your wallet is on hold while a dispute of a top-up payment is open. "
    "Balance: {balance} {currency}.",
    "hold_release": "{amount} {currency} held in your wallet can be spent again. Balance: {balance} {currency}.",
    "withdrawal_hold": "{amount} {currency} is on its way back to your payment method. Balance: {balance} {currency}.",
    "withdrawal": "{amount} {currency} was refunded to your payment method. Balance: {balance} {currency}.",
}


def message_text(entry):
    currency = entry["currency"]
    debt_minor = entry.get("debt_after_minor", 0)
    return MESSAGES[entry["kind"]].format(
        amount=format_major(entry["amount_minor"], currency),
        balance=format_major(entry["balance_after_minor"], currency),
        currency=currency,
        order_id=entry["reference"].get("order_id", ""),
        owed=f" Your wallet owes {format_major(debt_minor, currency)} {currency}." if debt_minor else "",
    )


def worth_a_message(entry):
    """Entries the customer is told of (not the markers that move nothing)."""
    return entry["kind"] in MESSAGES and entry["amount_minor"] > 0


class NotificationFailed(Exception):
    """A send that may be retried."""


class Outbox:
    def __init__(self, db, sender, clock=utcnow):
        self.messages = db["notification_outbox"]
        self.customers = Customers(db)
        self.sender = sender
        self.clock = clock

    def enqueue_many(self, entries):
        """Queue the confirmation of each ledger entry (once per entry: a repeat queues nothing new)."""
        now = self.clock()
        messages = [
            {
                "_id": entry["_id"],
                "customer_id": entry["customer_id"],
                "text": message_text(entry),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for entry in entries
            if worth_a_message(entry)
        ]
        if not messages:
            return
        try:
            self.messages.insert_many(messages, ordered=False)
        except BulkWriteError as error:
            if any(e.get("code") != DUPLICATE_KEY for e in error.details.get("writeErrors", [])):
                raise

    def drain(self, batch_size=BATCH_SIZE_MAX):
        """Claim up to `batch_size` due messages, send them, record how each went; returns how many
        were handled (sent, skipped, to be retried or given up; not those handed back unsent)."""
        lease, claimed_at, claimed = self._claim(batch_size)
        if not claimed:
            return 0
        phones = self.customers.phones({message["customer_id"] for message in claimed})
        send_until = claimed_at + datetime.timedelta(seconds=SEND_WINDOW_SECONDS)
        outcomes = []  # (status, error) of each message handled, in `claimed`'s order
        try:
            for message in claimed:
                if self.clock() >= send_until:
                    break
                outcomes.append(self._attempt(message, phones.get(message["customer_id"])))
        except Exception:  # not a failed send (that is an outcome): record the others, hand the rest back
            self._settle(lease, claimed, outcomes, claimed_at, in_flight=1)
            raise
        self._settle(lease, claimed, outcomes, claimed_at, in_flight=0)
        return len(outcomes)

    def drain_backlog(self, seconds):
        """`drain` batch after batch while they come full (a backlog), for up to `seconds`; how many
        were handled."""
        handled, until = 0, time.monotonic() + seconds
        while True:
            batch = self.drain()
            handled += batch
            if batch < BATCH_SIZE_MAX or time.monotonic() >= until:
                return handled

    def _claim(self, batch_size):
        """(lease token, when, the messages this worker claimed): up to `batch_size` due ones, each
        with its attempt counted."""
        now = self.clock()
        due = {
            "$or": [
                {"status": "pending", "next_attempt_at": {"$lte": now}},
                {"status": "sending", "claimed_until": {"$lte": now}},
            ]
        }
        found = list(self.messages.find(due, limit=batch_size))
        if not found:
            return None, now, []
        lease, ids = uuid.uuid4().hex, [message["_id"] for message in found]
        claim = {
            "$set": {
                "status": "sending",
                "claimed_until": now + datetime.timedelta(seconds=CLAIM_SECONDS),
                "lease": lease,
            },
            "$inc": {"attempts": 1},
        }
        claimed = self.messages.update_many({"_id": {"$in": ids}, **due}, claim)
        if claimed.modified_count == len(ids):  # all of them, still as found: no need to read them again
            return lease, now, [dict(message, attempts=message["attempts"] + 1) for message in found]
        return lease, now, list(self.messages.find({"_id": {"$in": ids}, "lease": lease}))

    def _attempt(self, message, phone):
        """Send `message` to `phone`: (its next status, the error if any)."""
        if not phone:
            return "skipped", "no_phone_on_file"
        try:
            self.sender.send(phone, message["text"])
        except Exception as error:  # a refusal, or a sender's bug: this message's failed attempt, not the batch's end
            given_up = message["attempts"] >= ATTEMPTS_MAX
            if isinstance(error, NotificationFailed):
                reason = str(error)[:200]
                logger.log(
                    logging.ERROR if given_up else logging.WARNING,
                    "notification %s not sent (attempt %s%s): %s",
                    message["_id"],
                    message["attempts"],
                    ", the last: given up" if given_up else "",
                    error,
                )
            else:
                logger.exception("notification %s not sent (attempt %s)", message["_id"], message["attempts"])
                reason = type(error).__name__
            return ("failed" if given_up else "pending"), reason
        return "sent", None

    def _settle(self, lease, claimed, outcomes, claimed_at, in_flight):
        """Record the outcomes, one `update_many` per distinct one (usually one: all sent), and hand
        back the messages not tried (due at once, their attempt not counted); the `in_flight` one
        after those handled keeps its claim (and its attempt) until the lease passes. Only messages
        still under `lease` are written."""
        now = self.clock()
        groups: dict[tuple, list] = {}  # (status, error, attempts) -> the ids of the messages with it
        for message, (status, error) in zip(claimed, outcomes, strict=False):
            attempts = message["attempts"] if status == "pending" else None  # a retry's delay depends on it
            groups.setdefault((status, error, attempts), []).append(message["_id"])
        for message in claimed[len(outcomes) + in_flight :]:
            groups.setdefault(("handed back", None, None), []).append(message["_id"])
        for (status, error, attempts), ids in groups.items():
            update = outcome_update(status, error, attempts, now, claimed_at)
            self.messages.update_many({"_id": {"$in": ids}, "lease": lease}, update)


def outcome_update(status, error, attempts, now, claimed_at):
    """The update recording a message's outcome at `now` (`attempts`: a retried message's)."""
    if status == "sent":
        return {"$set": {"status": "sent", "sent_at": now}}
    if status == "handed back":
        return {"$set": {"status": "pending", "next_attempt_at": claimed_at}, "$inc": {"attempts": -1}}
    fields = {"status": status, "error": error}
    if status == "pending":  # tried again after an exponential back-off
        fields["next_attempt_at"] = now + datetime.timedelta(seconds=BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))
    return {"$set": fields}


class LogSender:
    """The embedded default: write the message to the log instead of sending it."""

    def send(self, phone, text):
        logger.info("whatsapp (not sent, no credentials) to %s: %s", _masked(phone), text)


class WhatsAppSender:
    """WhatsApp Cloud API text messages."""

    def __init__(self, token, phone_number_id, api_base, api_version, timeout_seconds=10.0):
        self.url = f"{api_base.rstrip('/')}/{api_version}/{phone_number_id}/messages"
        self.token = token
        self.timeout_seconds = min(timeout_seconds, SEND_TIMEOUT_MAX_SECONDS)

    def send(self, phone, text):
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": phone,
            "type": "text",
            "text": {"preview_url": False, "body": text},
        }
        try:
            response = requests.post(
                self.url, json=body, timeout=self.timeout_seconds, headers={"Authorization": f"Bearer {self.token}"}
            )
        except requests.RequestException as error:
            raise NotificationFailed(type(error).__name__) from None
        if response.status_code >= 300:
            code = _error_code(response)
            raise NotificationFailed(f"HTTP {response.status_code} code {code}")


def _error_code(response):
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def _masked(phone):
    return phone[:3] + "…" + phone[-2:] if len(phone) > 5 else "…"


def sender_from_config(config):
    if config["WHATSAPP_TOKEN"] and config["WHATSAPP_PHONE_NUMBER_ID"]:
        return WhatsAppSender(
            config["WHATSAPP_TOKEN"],
            config["WHATSAPP_PHONE_NUMBER_ID"],
            config["WHATSAPP_API_BASE"],
            config["WHATSAPP_API_VERSION"],
            config["GATEWAY_TIMEOUT_SECONDS"],
        )
    return LogSender()
