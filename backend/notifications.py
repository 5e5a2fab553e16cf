"""WhatsApp confirmations through an outbox (docs/contract.md, side effects).

A message is queued in `notification_outbox` by the worker's step that finishes a money movement
(`FollowUps.finish`; its `_id` is the ledger entry id, so a repeat queues
nothing new), and sent afterwards by the worker, with exponential back-off and a bounded number of
attempts. Sending never fails or undoes a money movement. Without WhatsApp credentials (the
embedded default) messages are logged.
"""

import datetime
import logging

import requests
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError

from .clock import utcnow
from .customers import Customers
from .money import format_major

logger = logging.getLogger("integration.notifications")
ATTEMPTS_MAX = 6
BACKOFF_BASE_SECONDS = 30
CLAIM_SECONDS = 60
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
        """Send what is due; returns how many messages were handled."""
        handled = 0
        while handled < batch_size:
            message = self._claim()
            if message is None:
                break
            self._send(message)
            handled += 1
        return handled

    def _claim(self):
        now = self.clock()
        due = {
            "$or": [
                {"status": "pending", "next_attempt_at": {"$lte": now}},
                {"status": "sending", "claimed_until": {"$lte": now}},
            ]
        }
        claim = {
            "$set": {"status": "sending", "claimed_until": now + datetime.timedelta(seconds=CLAIM_SECONDS)},
            "$inc": {"attempts": 1},
        }
        return self.messages.find_one_and_update(due, claim, return_document=ReturnDocument.AFTER)

    def _send(self, message):
        phone = self.customers.phone(message["customer_id"])
        if not phone:
            self._set(message, status="skipped", error="no_phone_on_file")
            return
        try:
            self.sender.send(phone, message["text"])
        except NotificationFailed as error:
            if message["attempts"] >= ATTEMPTS_MAX:
                self._set(message, status="failed", error=str(error)[:200])
            else:
                delay = datetime.timedelta(seconds=BACKOFF_BASE_SECONDS * 2 ** (message["attempts"] - 1))
                self._set(message, status="pending", error=str(error)[:200], next_attempt_at=self.clock() + delay)
            logger.warning("notification %s not sent (attempt %s): %s", message["_id"], message["attempts"], error)
            return
        self._set(message, status="sent", sent_at=self.clock())

    def _set(self, message, **fields):
        self.messages.update_one({"_id": message["_id"], "status": "sending"}, {"$set": fields})


class LogSender:
    """The embedded default: write the message to the log instead of sending it."""

    def send(self, phone, text):
        logger.info("whatsapp (not sent, no credentials) to %s: %s", _masked(phone), text)


class WhatsAppSender:
    """WhatsApp Cloud API text messages."""

    def __init__(self, token, phone_number_id, api_base, api_version, timeout_seconds=10.0):
        self.url = f"{api_base.rstrip('/')}/{api_version}/{phone_number_id}/messages"
        self.token = token
        self.timeout_seconds = timeout_seconds

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
