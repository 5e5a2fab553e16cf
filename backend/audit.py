"""Audit trail: an `integration_logs` entry and one structured log line per event.

Only the whitelisted fields below are recorded, so secrets, tokens and card data cannot leak here.
"""

import logging

from .clock import iso, utcnow
from .logging_setup import Fields

logger = logging.getLogger("integration")
FIELDS = (
    "customer_id",
    "order_id",
    "payment_order_id",
    "gateway",
    "gateway_payment_id",
    "event_id",
    "event_type",
    "transaction_id",
    "amount_minor",
    "currency",
    "reason",
    "error",
    "count",
    "case",
    "case_id",
    "debt_minor",
    "capped_minor",
    "withdrawal_id",
    "refund_reference",
)


class AuditLog:
    def __init__(self, db, clock=utcnow, on_record=None, request_id=lambda: None, actor=lambda: None):
        """`request_id()`: the id of the request being served, kept with each entry (None outside one);
        `actor()`: who acts in it (`<role>:<sub>` of its token), kept too (None: a webhook, the worker)."""
        self.logs = db["integration_logs"]
        self.clock = clock
        self.on_record = on_record
        self.request_id = request_id
        self.actor = actor

    def record(self, event, outcome, **fields):
        """Store and log `event` with `outcome` (`ok`, `rejected`, `ignored`, `duplicate`, ...)."""
        entry = self._entry(event, outcome, fields)
        self.logs.insert_one(dict(entry))
        self._log(entry)

    def note(self, event, outcome, **fields):
        """Log (and count) `event` without storing it: for events whose own document is already
        the record (a payment order is the record of its initiation)."""
        self._log(self._entry(event, outcome, fields))

    def for_customer(self, customer_id, limit, until=None):
        """The customer's newest `limit` audit entries, newest first, none later than `until` when
        given (the support view, a page at a time)."""
        query = {"customer_id": customer_id}
        if until is not None:
            query["created_at"] = {"$lte": until}
        return list(self.logs.find(query, sort=[("created_at", -1), ("_id", -1)], limit=limit))

    def _entry(self, event, outcome, fields):
        entry = {"event": event, "outcome": outcome, "created_at": self.clock()}
        for name, value in (("request_id", self.request_id()), ("actor", self.actor())):
            if value is not None:
                entry[name] = value
        entry.update({k: v for k, v in fields.items() if k in FIELDS and v is not None})
        return entry

    def _log(self, entry):
        event, outcome = entry["event"], entry["outcome"]
        line = dict(entry, created_at=iso(entry["created_at"]))
        level = logging.WARNING if outcome == "rejected" else logging.INFO
        logger.log(level, Fields(f"{event} {outcome}", line))  # text: the fields as JSON; JSON lines: the fields
        if self.on_record is not None:
            self.on_record(event, outcome)
