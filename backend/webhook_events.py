"""Webhook events (`webhook_events`), de-duplicated by (gateway, event id): claimed as
`processing`, closed with their outcome, or released when processing failed so a redelivery is
judged afresh. This module is the only one that reads or writes them."""
from pymongo.errors import DuplicateKeyError

from .clock import utcnow

PROCESSING = "processing"


class WebhookEvents:
    def __init__(self, db, clock=utcnow):
        self.collection = db["webhook_events"]
        self.clock = clock

    def claim(self, gateway, event):
        """True when this delivery should be processed: the event is new, or an earlier delivery
        of it is mid-flight or failed (safe to repeat: every credit is keyed in the ledger)."""
        try:
            self.collection.insert_one({
                "gateway": gateway, "event_id": event.event_id, "event_type": event.event_type,
                "payment_order_id": event.payment_order_id, "status": PROCESSING,
                "received_at": self.clock(),
            })
            return True
        except DuplicateKeyError:
            existing = self.collection.find_one({"gateway": gateway, "event_id": event.event_id})
            return existing is None or existing["status"] == PROCESSING

    def close(self, gateway, event_id, outcome):
        """Record the outcome of a processed event; a repeat of it is then a no-op."""
        self.collection.update_one({"gateway": gateway, "event_id": event_id},
                                   {"$set": {"status": outcome, "processed_at": self.clock()}})

    def release(self, gateway, event_id):
        """Forget an event whose processing failed, so a redelivery is processed again."""
        self.collection.delete_one({"gateway": gateway, "event_id": event_id, "status": PROCESSING})
