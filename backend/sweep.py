"""The gateway sweep: top-ups nobody confirmed, looked up at their gateway.

A payment order still `created` `stale_after_seconds` after initiate (no webhook arrived, the
customer never came back to verify) is looked up at its gateway through the adapter's
`look_up(payment_order)` (`backend/gateways/base.py`):
- CAPTURED: after the same reported-amount check as verify and webhooks, credited through
  `Topups.confirm(..., source="sweep")` (backend/flows/topups.py): the ledger key
  `topup:<payment order id>` makes it once, whoever else (a webhook, verify, another sweep) credits;
- FAILED: marked `failed` (a later capture webhook or verify still credits it);
- PENDING (nothing captured): looked up again later, each time after about its age again (so an
  abandoned one is asked ~10 times, not every run), and marked `expired` once it is
  `expire_after_seconds` old. An expired one is never swept again; only a fresh confirmation by the
  gateway credits it (docs/sweep.md).
A gateway without `look_up`, or whose `look_up` answers None, is left alone: its payment orders
are neither credited nor expired by the sweep. A look-up that fails (gateway unavailable) changes
nothing and is tried again after the lease. Anything else that goes wrong with one payment order (an
adapter's or the SDK's own bug, a store hiccup) is logged with its traceback, audited
(`sweep.pending`, outcome `error`) and leaves it to be tried again after the lease: the run goes on
with the next one. Only a failure to write that audit entry (the store is down) stops the run.

Each payment order is first leased to one sweep (`SweepQueue.claim`, backend/sweep_queue.py), so two workers
sweeping at once never look one up at the same time. Every step is idempotent: a crash anywhere
leaves the payment order `created` (the next run, after the lease, looks it up again) or a ledger
entry behind it that the next run's credit, or recovery, finishes. Every outcome is audited
(`sweep.credited`, `sweep.failed`, `sweep.expired`, `sweep.pending`), and so counted in metrics.

The worker calls `sweep_from_config(integration, config)`.
"""

import datetime
import logging

from .errors import AmountMismatch, IntegrationError, InvalidAmount
from .gateways.base import CAPTURED, FAILED

LEASE_SECONDS = 120  # longer than one look-up and credit (two gateway calls within their timeouts)
OUTCOMES = ("credited", "failed", "expired", "pending", "mismatch", "unavailable", "error", "skipped")
logger = logging.getLogger("integration.sweep")


class GatewaySweep:
    def __init__(self, integration, clock=None, lease_seconds=LEASE_SECONDS):
        """`integration`: a `WalletPaymentIntegration` (its top-ups flow, payment orders and audit)."""
        self.topups = integration.topups
        self.payment_orders = integration.payment_orders
        self.queue = integration.payment_orders.sweep
        self.audit = integration.audit
        self.clock = clock or integration.clock
        self.lease_seconds = lease_seconds

    def gateways(self):
        """The offered gateways that can be asked about a payment order, by name."""
        return {
            name: gateway
            for name, gateway in self.topups.offered_gateways().items()
            if callable(getattr(gateway, "look_up", None))
        }

    def run(self, stale_after_seconds, expire_after_seconds, batch_max):
        """Sweep at most `batch_max` due payment orders, oldest first; the count of each outcome."""
        counts = dict.fromkeys(OUTCOMES, 0)
        gateways = self.gateways()
        if not gateways:
            return counts
        due = self.queue.due(stale_after_seconds, gateways, batch_max, now=self.clock())
        for candidate in due:
            payment_order = self.queue.claim(candidate.id, self.lease_seconds, now=self.clock())
            if payment_order is None:
                continue  # confirmed, failed or expired meanwhile, or another sweep has it
            counts[self._sweep_guarded(gateways[payment_order.gateway], payment_order, expire_after_seconds)] += 1
        if any(counts.values()):
            summary = ", ".join(f"{outcome}={n}" for outcome, n in counts.items() if n)
            self.audit.record("sweep.ran", "ok", count=sum(counts.values()), reason=summary)
        return counts

    def _sweep_guarded(self, gateway, payment_order, expire_after_seconds):
        """`sweep_one`, except that an unexpected failure is logged and audited as `error` (the
        payment order stays leased until the lease ends, then is looked up again)."""
        try:
            return self.sweep_one(gateway, payment_order, expire_after_seconds)
        except Exception as error:  # one bad payment order must not stop the others' sweep
            logger.exception("sweep of payment order %s failed", payment_order.id)
            self.audit.record(
                "sweep.pending",
                "error",
                error="unexpected_error",
                reason=type(error).__name__,
                **payment_order.audit_fields(),
            )
            return "error"

    def sweep_one(self, gateway, payment_order, expire_after_seconds):
        """Look one claimed payment order up and act on the answer; returns the outcome."""
        fields = payment_order.audit_fields()
        try:
            lookup = gateway.look_up(payment_order)
        except IntegrationError as error:  # unreachable, or an answer it could not read: try again later
            self.audit.record("sweep.pending", "unavailable", error=error.code, **fields)
            return "unavailable"
        if lookup is None:
            return "skipped"
        if lookup.status == CAPTURED:
            return self._credit(payment_order, lookup, fields)
        if lookup.status == FAILED:
            self.payment_orders.mark_failed(payment_order.id, lookup.detail or "failed")
            self.audit.record("sweep.failed", "ok", reason=lookup.detail, **fields)
            return "failed"
        now = self.clock()
        age = (now - payment_order.created_at).total_seconds()
        if age >= expire_after_seconds:
            if not self.queue.expire(payment_order.id, lookup.detail, now=now):
                self._defer(payment_order, now, age)  # confirmed meanwhile, or decided `credit`: later
                return "skipped"
            self.audit.record("sweep.expired", "ok", reason=lookup.detail, **fields)
            return "expired"
        self._defer(payment_order, now, age, until_at_most=expire_after_seconds - age)
        self.audit.record("sweep.pending", "pending", reason=lookup.detail, **fields)
        return "pending"

    def _credit(self, payment_order, lookup, fields):
        fields = dict(fields, gateway_payment_id=lookup.gateway_payment_id)
        try:
            if lookup.amount_minor is not None:
                self.topups.check_reported_amount(
                    payment_order, lookup.amount_minor, lookup.currency, lookup.gateway_payment_id, "sweep"
                )
        except (AmountMismatch, InvalidAmount) as error:
            # Money was taken, but not the amount initiated: never credited by the sweep, never
            # expired; asked again ever more rarely, each time audited (`topup.amount_mismatch`).
            now = self.clock()
            self._defer(payment_order, now, (now - payment_order.created_at).total_seconds())
            self.audit.record("sweep.credited", "rejected", error=error.code, **fields)
            return "mismatch"
        entry, _created = self.topups.confirm(payment_order, lookup.gateway_payment_id, source="sweep")
        mine = entry["reference"].get("gateway_payment_id") == lookup.gateway_payment_id
        self.audit.record("sweep.credited", "ok" if mine else "duplicate", transaction_id=entry["_id"], **fields)
        return "credited"

    def _defer(self, payment_order, now, age_seconds, until_at_most=None):
        """Next look-up after about the payment order's age again (at least the lease; at most
        `until_at_most` seconds, the time left before it expires)."""
        delay = age_seconds if until_at_most is None else min(age_seconds, until_at_most)
        delay = max(self.lease_seconds, delay)
        self.queue.defer(payment_order.id, now + datetime.timedelta(seconds=delay))


def sweep_from_config(integration, config, clock=None):
    """One sweep run with the configured ages and batch size (the worker's call); the counts."""
    return GatewaySweep(integration, clock).run(
        config["SWEEP_STALE_AFTER_SECONDS"], config["SWEEP_EXPIRE_AFTER_SECONDS"], config["SWEEP_BATCH_MAX"]
    )
