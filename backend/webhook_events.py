"""Single-use webhook events (`webhook_events`): an event whose delivery makes the service charge a
payment (a Google Pay token, `charge_required`) is claimed here by (gateway, event id) before the
charge, so one token is never charged twice, even when posted for another payment order. Other
events are de-duplicated on their payment order (`PaymentOrders.for_event`, `mark_paid`). This module is the
only one that reads or writes the collection."""

from pymongo.errors import DuplicateKeyError

from .clock import utcnow


class WebhookEvents:
    def __init__(self, db, clock=utcnow):
        self.collection = db["webhook_events"]
        self.clock = clock

    def claim(self, gateway, event):
        """True when no delivery of this event was claimed before (or its claim was released)."""
        try:
            self.collection.insert_one(
                {
                    "gateway": gateway,
                    "event_id": event.event_id,
                    "payment_order_id": event.payment_order_id,
                    "received_at": self.clock(),
                }
            )
            return True
        except DuplicateKeyError:
            return False

    def release(self, gateway, event_id):
        """Forget an event whose processing failed, so a redelivery is processed again."""
        self.collection.delete_one({"gateway": gateway, "event_id": event_id})
