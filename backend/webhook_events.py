"""Single-use webhook events (`webhook_events`): an event whose delivery makes the service charge a
payment (a Google Pay token, `charge_required`) is claimed here by (gateway, event id), for its
payment order and for good, before the charge, so one token is never charged for another payment
order (posted again for its own, the processor's key keeps its charge once). Other
events are de-duplicated on their payment order (`PaymentOrders.for_event`, `mark_paid`). A gateway
whose signature binds a delivery id to the body only weakly (PayPal: a CRC-32) has each delivery's
body digest kept a day (`webhook_deliveries`, a TTL index), and another body under the id is refused.
This module is the only one that reads or writes the two collections."""

import hashlib

from pymongo.errors import DuplicateKeyError

from .clock import utcnow


class WebhookEvents:
    def __init__(self, db, clock=utcnow):
        self.collection = db["webhook_events"]
        self.deliveries = db["webhook_deliveries"]
        self.clock = clock

    def claim(self, gateway, event):
        """True when no delivery of this event was claimed before, or it was claimed for the same payment
        order (a token posted again after its charge or credit failed)."""
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
            earlier = self.collection.find_one({"gateway": gateway, "event_id": event.event_id}, ["payment_order_id"])
            return earlier is not None and earlier.get("payment_order_id") == event.payment_order_id

    def delivered(self, gateway, delivery_id, raw_body):
        """True unless the gateway's delivery `delivery_id` came before with another body (its digest is
        kept a day, far longer than the 5 minutes a PayPal signature is taken)."""
        key, digest = f"{gateway}:{delivery_id}", hashlib.sha256(raw_body).hexdigest()
        try:
            self.deliveries.insert_one({"_id": key, "body_sha256": digest, "received_at": self.clock()})
        except DuplicateKeyError:
            earlier = self.deliveries.find_one({"_id": key}) or {"body_sha256": digest}  # (expired meanwhile)
            return earlier["body_sha256"] == digest
        return True
