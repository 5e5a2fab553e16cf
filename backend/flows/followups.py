"""What follows each ledger entry (its payment order or order marked, the customer's confirmation
queued), finished by the worker after the request that made the entry, and after a crash (recovery).
Every step is idempotent, so it may run beside that request, and again."""

import datetime
import logging
from dataclasses import replace

from pymongo.errors import PyMongoError

from ..errors import GatewayUnavailable, OperationPending, StoreUnavailable
from ..orders import in_life, is_whole_number
from ..payment_orders import PAID
from ..records import (
    CAPTURE,
    CREDIT,
    HOLD_RELEASE,
    PAYMENT,
    REFUND,
    SETTLED_GIVEN_BACK,
    SETTLED_PAID,
    TOPUP,
    LedgerEntry,
)
from ..wallet_service import FINISH_BATCH_MAX
from .payments import CLAIM_AFTER_SECONDS

logger = logging.getLogger("integration.followups")
FOLLOW_UP_RETRY_FIRST_SECONDS = 60
FOLLOW_UP_RETRY_MAX_SECONDS = 3600


class FollowUps:
    def __init__(
        self,
        wallet,
        history,
        orders,
        payment_orders,
        topups,
        order_payments,
        settlements,
        outbox,
        audit,
        clock,
        holds=None,
        after_credit=None,
        order_holds=None,
    ):
        """`holds` (a `WalletHolds`): pays a credited wallet's debt; `after_credit`: applies the refunds
        and disputes that came before a top-up's credit; without them, neither is done here."""
        self.wallet, self.holds, self.history, self.orders = wallet, holds, history, orders
        self.after_credit, self.order_holds = after_credit, order_holds
        self.payment_orders, self.settlements = payment_orders, settlements
        self.topups, self.order_payments, self.outbox, self.audit, self.clock = (
            topups,
            order_payments,
            outbox,
            audit,
            clock,
        )

    @classmethod
    def of(cls, integration, settlements):
        """The follow-ups of `integration`'s flows, over its repositories."""
        i = integration
        return cls(
            i.wallet,
            i.history,
            i.orders,
            i.payment_orders,
            i.topups,
            i.order_payments,
            settlements,
            i.outbox,
            i.audit,
            i.clock,
            i.holds,
            i.after_credit,
            i.order_holds,
        )

    def finish(self, limit=FINISH_BATCH_MAX, grace_seconds=CLAIM_AFTER_SECONDS):
        """The follow-ups of up to `limit` entries not yet finalized, oldest first: roll their wallets
        forward, mark their payment order or order (or roll the order's refunds forward), queue the
        customer's confirmation, then mark them finalized. Each step is idempotent, so this may run
        beside the requests that made the entries, and again after a crash; a payment its request
        has not decided is left to it for `grace_seconds` (`PaymentSettlements.claim`). Returns the
        entries finished (a payment left to its request is not, and stays for the next run)."""
        entries = self.wallet.unfinalized(limit)
        if not entries:
            return []
        self.wallet.catch_up_wallets(entries)
        done = self._followed_up(entries)
        left, failed = set(), {}
        for entry in sorted(entries, key=lambda e: (e["wallet_id"], e["sequence"])):
            try:
                if not self._follow_up(entry, entry["_id"] in done, grace_seconds):
                    left.add(entry["_id"])  # its request may still be deciding it
            except (PyMongoError, StoreUnavailable, GatewayUnavailable, OperationPending):
                raise  # the store, or a gateway: every entry would fail alike; the run stops
            except Exception:  # one entry's trouble (a document no code expects) never holds the others up
                failed[entry["_id"]] = retry_at = self._retry_at(entry)
                failures = entry.get("follow_up_failures", 0) + 1
                logger.exception(
                    "follow-ups of entry %s failed (%d times); tried again at %s", entry["_id"], failures, retry_at
                )
        entries = [e for e in entries if e["_id"] not in left and e["_id"] not in failed]
        if self.outbox is not None:  # a payment given back is not confirmed as paid: its reversal says what happened
            self.outbox.enqueue_many(e for e in entries if not self._given_back(e))
        self.wallet.mark_finalized((e["_id"] for e in entries), put_off=failed)
        return entries

    def _retry_at(self, entry):
        """When a failed entry's follow-ups are tried again: FOLLOW_UP_RETRY_FIRST_SECONDS after its
        first failure, twice as long after each next one, at most FOLLOW_UP_RETRY_MAX_SECONDS (so
        entries that keep failing never fill the batches the others wait behind)."""
        failures = min(entry.get("follow_up_failures", 0), 16)
        delay = min(FOLLOW_UP_RETRY_FIRST_SECONDS * 2**failures, FOLLOW_UP_RETRY_MAX_SECONDS)
        return self.clock() + datetime.timedelta(seconds=delay)

    def _apply_waiting(self, entry):
        """The cases of a credited top-up's payment that came before its credit (idempotent)."""
        reference = entry["reference"]
        payment_order = self.payment_orders.get(reference["payment_order_id"])
        if payment_order is not None and reference.get("gateway_payment_id"):
            credited = replace(payment_order, status=PAID, gateway_payment_id=reference["gateway_payment_id"])
            self.after_credit.apply_waiting(credited)

    def _settle(self, entry, grace_seconds, settle):
        """A payment's or capture's follow-up: undecided, decided here by `settle` once claimed; a capture
        decided, finished by `settle` (its order marked, or its reversal credited and its order pending
        again); a payment decided given back, its reversal credited (once). False when its request may
        still be deciding it."""
        if entry.get("settled") is None:
            claimed = self.settlements.claim(entry, grace_seconds)
            if claimed is None:
                return False
            settle(claimed)
            entry["settled"] = claimed.get("settled")
        elif entry["kind"] == CAPTURE:
            settle(entry)  # idempotent
        elif entry["settled"] == SETTLED_GIVEN_BACK:
            self.order_payments.give_back(entry)
        return True

    def _followed_up(self, entries):
        """Ids of `entries` whose follow-up writes are visible already (the request made them, as it
        does unless it was interrupted), read in two queries for the whole batch."""
        topups = [e for e in entries if e["kind"] == TOPUP]
        paid = self.payment_orders.paid_ids([e["reference"]["payment_order_id"] for e in topups])
        done = {e["_id"] for e in topups if e["reference"]["payment_order_id"] in paid}
        done |= {e["_id"] for e in entries if e["kind"] == PAYMENT and e.get("settled") == SETTLED_PAID}
        refunds = [e for e in entries if e["kind"] == REFUND]
        orders = self.orders.by_ids([e["reference"]["order_id"] for e in refunds])
        for entry in refunds:
            order = orders.get(entry["reference"]["order_id"], {})
            seq = order.get("refund_seq")  # the shop's document: a count, or else not followed up yet
            if not in_life(order, entry["wallet_id"], entry["reference"].get("order_life")) or (
                is_whole_number(seq) and seq >= entry["refund_seq"]
            ):
                done.add(entry["_id"])
        return done

    @staticmethod
    def _given_back(entry: LedgerEntry) -> bool:
        """True for a payment whose order was not paid by it (the debit was given back)."""
        return entry["kind"] in (PAYMENT, CAPTURE) and entry.get("settled") == SETTLED_GIVEN_BACK

    def _follow_up(self, entry, followed_up, grace_seconds):
        """Follow `entry` up (`finish`); False when it is a payment or capture its request may still
        be deciding (left for the next run). `followed_up`: its payment order or order marked already."""
        if entry.get("debt_after_minor") and entry["type"] == CREDIT and self.holds is not None:
            self.holds.repay_debt(entry)  # once per credit: a repeat finds its repayment
        if entry["kind"] == TOPUP and not followed_up:
            self.topups.mark_paid(entry)  # before its waiting cases are read: a case recorded later finds it paid
        if entry["kind"] == TOPUP and self.after_credit is not None:
            self._apply_waiting(entry)
        if followed_up:
            return True
        if entry["kind"] == CAPTURE and self.order_holds is not None:
            return self._settle(entry, grace_seconds, self.order_holds.settle_capture)
        if entry["kind"] == HOLD_RELEASE and self.order_holds is not None and "order_id" in entry["reference"]:
            self.order_holds.authorizations.unclaim(entry["reference"]["order_id"], entry["reference"]["hold_id"])
        elif entry["kind"] == PAYMENT:
            return self._settle(entry, grace_seconds, self.order_payments.settle)
        elif entry["kind"] == REFUND:
            reference = entry["reference"]
            self.orders.catch_up_refunds(
                reference["order_id"], self.history, entry["wallet_id"], reference.get("order_life")
            )
        return True

    def recover(self, grace_seconds=60.0, batches_max=100):
        """Finish every entry whose follow-ups are not known done (see `finish`); those older
        than `grace_seconds` were interrupted (a crash between two writes) and are audited."""
        cutoff = self.clock() - datetime.timedelta(seconds=grace_seconds)
        finished = interrupted = 0
        for _ in range(batches_max):
            entries = self.finish(grace_seconds=grace_seconds)
            finished += len(entries)
            interrupted += sum(1 for e in entries if e["created_at"] <= cutoff)
            if len(entries) < FINISH_BATCH_MAX:  # the last batch, or one with payments left to their requests
                break
        if interrupted:
            self.audit.record(
                "recovery.ran", "ok", count=interrupted, reason=f"finished {interrupted} interrupted operation(s)"
            )
        return {"finished": finished, "interrupted": interrupted}
