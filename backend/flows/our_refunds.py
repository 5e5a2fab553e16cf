"""Refunds the service asks gateways for: a second payment of a credited top-up, or a payment of a
lapsed top-up that would pass a limit (each given back whole, moving nothing in the wallet), and the
parts of a withdrawal (`flows/withdrawals.py`). The gateway is called outside the ledger's write
path; how a refund ended (its answer, its webhook, or the worker asking again under the same
reference) is applied once: the ending is claimed on the record, then the purpose's handler moves
the money (its ledger entries are keyed, so a repeat changes nothing), then the record is ended. A
telling at odds with the claimed ending moves nothing (a mismatch); a claimed ending a process did
not finish is finished as claimed, never asked of the gateway again."""

import hashlib
import logging

from ..errors import GatewayUnavailable
from ..gateway_refunds import FAILED, OPEN_STATUSES, PROCESSED, REQUESTED, SECOND_PAYMENT, unanswered
from ..gateways.base import REFUND_DONE, REFUND_FAILED, REFUND_PENDING, REFUND_PROCESSED

logger = logging.getLogger("integration.refunds")
RETRY_AFTER_SECONDS = 60


def second_payment_reference(payment_id):
    """Our reference of a second payment's refund: short and of safe characters for every gateway's
    idempotency key and notes, whatever the payment id (a hash of it)."""
    return "sp_" + hashlib.sha256(payment_id.encode()).hexdigest()[:24]


class OurRefunds:
    def __init__(self, payments, records, audit):
        self.payments, self.records, self.audit = payments, records, audit
        self.on_end = {}  # purpose -> handler(record, status), called before the record ends
        self.still_wanted = {}  # purpose -> check(record): True to ask, False to withdraw, None to wait

    def second_payment_status(self, payment_id):
        """The status of the refund of a second payment (`requested` … `processed`), or None."""
        record = self.records.get(second_payment_reference(payment_id))
        return record and record["status"]

    def give_back(self, payment_order, payment_id, purpose=SECOND_PAYMENT):
        """Give back a payment that credits nothing, whole: `record_give_back`, then ask; its status."""
        return self.ask_if_requested(self.record_give_back(payment_order, payment_id, purpose))

    def given_back(self, payment_id):
        """The record of the refund giving back payment `payment_id` whole (any purpose), or None."""
        return self.records.get(second_payment_reference(payment_id))

    def record_give_back(self, payment_order, payment_id, purpose, **fields):
        """Record the refund of a payment that credits nothing, whole, once per payment whatever the
        purpose: a second payment of a top-up another payment credited, or a payment of a lapsed
        top-up over a limit (`LAPSED_PAYMENT`, with the `limit`). Audited `topup.<purpose>_refund`."""
        reference = second_payment_reference(payment_id)
        record, created = self.records.create(
            reference, purpose, payment_order.gateway, payment_order, payment_id, payment_order.amount_minor, **fields
        )
        if created:
            self.audit.record(
                f"topup.{purpose}_refund",
                "ok",
                gateway_payment_id=payment_id,
                reason=purpose,
                **payment_order.audit_fields(),
            )
        return record

    def withdraw_give_back(self, record):
        """Take back the give-back `record` of a payment credited after all (another report decided
        first): deleted while it is not asked yet; else logged and audited for a person."""
        if self.records.withdraw(record["_id"]):
            return
        logger.error("refund %s: a payment credited to the wallet is being given back too", record["_id"])
        self._audit("gateway_refund.conflict", "rejected", record, withdrawal_id=None)

    def ask_if_requested(self, record):
        """Ask for the refund of `record` unless the gateway has it already; its status."""
        return (self.ask(record) if record["status"] == REQUESTED else record)["status"]

    def ask(self, record):
        """Ask the gateway for the refund (again: the same reference gets the same refund); the record
        after. An unreachable gateway leaves it `requested` for the worker. One whose ending was
        claimed (told how it ended, then the process stopped) is not asked again: that ending is
        finished."""
        if record.get("ending"):
            return self._end(record, record["ending"])
        adapter = self.payments.gateway(record["gateway"])
        if not hasattr(adapter, "refund"):
            return self._end(record, FAILED)
        try:
            answer = adapter.refund(
                record["gateway_payment_id"], record["amount_minor"], record["currency"], record["_id"]
            )
        except GatewayUnavailable:
            self.records.touch(record["_id"])
            return record
        except ValueError:  # a refund the gateway's API cannot even express: refused
            logger.warning("refund %s could not be asked of %s", record["_id"], record["gateway"])
            return self._end(record, FAILED)
        return self.settle(record, answer)

    def settle(self, record, answer):
        """Apply a `GatewayRefund` the gateway answered; the record after. An answer for another amount
        or currency than was asked is no answer about this refund: nothing ends (`disagrees`)."""
        if self.disagrees(record, answer.amount_minor, answer.currency, "answer"):
            self.records.touch(record["_id"])
            return record
        if answer.status == REFUND_PENDING:
            self.records.accepted(record["_id"], answer.refund_id)
            return self.records.get(record["_id"])  # its webhook may have ended it during the call
        return self._end(record, PROCESSED if answer.status == REFUND_DONE else FAILED, answer.refund_id)

    def on_event(self, gateways, event):
        """A refund webhook about one of our refunds asked of one of `gateways` (the webhook's own, and
        those it processes), named by our reference or else by the gateway's refund id: applied here
        (an outcome word); None when it is not ours (the refund is the gateway's own: `after_credit`
        applies it)."""
        record = self.records.get(event.refund_reference, gateways, refund_id=event.case_id)
        if record is None and event.refund_reference is None:  # ours, its answer not recorded yet?
            record = self.answered_by(self._unanswered(gateways, event), event.case_id)
        if record is None:
            return None
        if self._told_otherwise(record, event):
            return "mismatch"
        ending = {REFUND_PROCESSED: PROCESSED, REFUND_FAILED: FAILED}.get(event.action)
        if ending is not None and self.disagrees(record, event.amount_minor, event.currency, event.event_type):
            return "rejected"
        if ending is not None and record["status"] in OPEN_STATUSES:
            ended = self._end(record, ending, event.case_id, event)  # audited `gateway_refund.<status>`
            return "processed" if _ending(ended) == ending else "mismatch"
        if ending is not None and _ending(record) != ending:
            self._contradicted(record, ending, event)
            return "mismatch"
        outcome = "recorded" if ending is None else "duplicate"  # refund.created; a redelivery
        self._audit(
            "gateway_refund.webhook",
            outcome,
            record,
            amount_minor=None,
            currency=None,
            event_id=event.event_id,
            event_type=event.event_type,
        )
        return outcome

    def answered_by(self, candidates, refund_id):
        """Of `candidates` (our open refunds with no refund id yet, of one payment and amount), the one
        the gateway says it made as `refund_id` (`find_refund` by our reference, which never makes
        one); None when none is: the refund is the gateway's own. GatewayUnavailable when the gateway
        cannot say (a webhook is then delivered again, a report settled again)."""
        for record in candidates:
            find = getattr(self.payments.gateway(record["gateway"]), "find_refund", None)
            answer = find(record["gateway_payment_id"], record["_id"]) if find else None
            if answer is not None and answer.refund_id == refund_id:
                return record
        return None

    def _unanswered(self, gateways, event):
        """Our open refunds of the event's payment, amount and currency that have no refund id yet."""
        records = self.records.named_or_of(gateways, [], [event.gateway_payment_id])
        return unanswered(records, event.gateway_payment_id, event.amount_minor, event.currency)

    def _told_otherwise(self, record, event):
        """Whether the webhook names another payment than our refund `record` is of, or another refund id
        than the gateway gave it (a gateway's mistake or a forged webhook, never this refund ending):
        nothing moves; audited `gateway_case.mismatch` (alerted), for a person."""
        refund_id = record.get("gateway_refund_id")
        other_payment = event.gateway_payment_id != record["gateway_payment_id"]
        if not other_payment and (refund_id is None or event.case_id in (None, refund_id)):
            return False
        told = f"{event.event_type}: payment {event.gateway_payment_id}, refund {event.case_id}"
        self._mismatch(record, told, event, f" (it is of payment {record['gateway_payment_id']}, refund {refund_id})")
        return True

    def disagrees(self, record, amount_minor, currency, source):
        """Whether the gateway speaks of another amount or currency than `record` asked for (a proxy's
        or the gateway's mistake, never this refund ending): logged, kept on the record (`mismatch`) and
        audited `gateway_refund.mismatch` once per answer, for a person; the refund stays open, its
        money held (the worker asks again each minute, and the same answer is not audited again)."""
        if (amount_minor, currency) == (record["amount_minor"], record["currency"]):
            return False
        if not self.records.note_mismatch(record["_id"], amount_minor, currency):
            return True
        logger.error(
            "refund %s: %s said %s %s, asked %s %s",
            record["_id"],
            source,
            amount_minor,
            currency,
            record["amount_minor"],
            record["currency"],
        )
        self._audit(
            "gateway_refund.mismatch",
            "rejected",
            record,
            amount_minor=amount_minor,
            currency=currency,
            reason=source[:64],
        )
        return True

    def retry_due(self, limit, older_than_seconds=RETRY_AFTER_SECONDS):
        """The worker: open refunds nobody heard of for a while, asked again (found by reference, or
        requested again under it); how many were asked."""
        due = self.records.due(older_than_seconds, limit)
        for record in due:
            self.records.touch(record["_id"])  # first: whatever happens, the next record's turn comes
            try:
                self._ask_again(record)
            except Exception:  # one refund's trouble never stops the others' (it is logged, and retried)
                logger.exception("refund %s: asking %s again failed", record["_id"], record["gateway"])
        return len(due)

    def _ask_again(self, record):
        if record.get("ending"):  # its money began to move as claimed, and the process stopped: finish it
            return self.ask(record)
        check = self.still_wanted.get(record["purpose"])
        wanted = True if check is None else check(record)
        if wanted is None:
            return None  # not decided yet: asked on a later round
        if not wanted:
            return self.withdraw_give_back(record)
        adapter = self.payments.gateway(record["gateway"])
        find = getattr(adapter, "find_refund", None)
        try:
            answer = find(record["gateway_payment_id"], record["_id"]) if find else None
        except GatewayUnavailable:
            return
        if answer is None:
            self.ask(record)
        else:
            self.settle(record, answer)

    def _end(self, record, status, refund_id=None, event=None):
        """End the open refund `record` as `status` (told by `event`, or by the gateway's answer): the
        ending is claimed first, then its handler moves the money, then the record ends; the record
        after. Told otherwise than claimed before (two tellings at once), nothing moves: a mismatch."""
        if record["status"] not in OPEN_STATUSES:
            return record  # ended before: a repeat changes nothing
        if self.records.claim_end(record["_id"], status) is None:
            current = self.records.get(record["_id"])
            if _ending(current) != status:
                self._contradicted(current, status, event)
            return current
        handler = self.on_end.get(record["purpose"])
        if handler is not None:
            handler(record, status)
        ended = self.records.end(record["_id"], status, refund_id)
        if ended is None:
            return dict(record, status=status)
        self._audit(f"gateway_refund.{status}", "ok" if status == PROCESSED else "rejected", ended)
        return ended

    def _contradicted(self, record, status, event):
        """The gateway told our refund `record` ended as `status` after telling it ended otherwise (a
        gateway's mistake or a forged webhook): the first telling counts, this one moves nothing;
        logged and audited `gateway_case.mismatch` (alerted), for a person."""
        source = event.event_type if event is not None else "the gateway's answer or report"
        self._mismatch(record, f"{source}: {status}, after {_ending(record)}", event)

    def _mismatch(self, record, told, event, context=""):
        """Log what the gateway `told` at odds with our refund `record` (and the `context` that shows
        it), and audit it `gateway_case.mismatch` (alerted): nothing moved, for a person."""
        logger.error("refund %s: %s%s", record["_id"], told, context)
        event_id = event.event_id if event is not None else None
        self._audit("gateway_case.mismatch", "rejected", record, event_id=event_id, reason=told[:200])

    def _audit(self, event, outcome, record, **fields):
        """Audit `event` of the refund `record`, with its fields (`fields` override or add)."""
        of_record = dict(
            customer_id=record["customer_id"],
            payment_order_id=record["payment_order_id"],
            gateway=record["gateway"],
            gateway_payment_id=record["gateway_payment_id"],
            amount_minor=record["amount_minor"],
            currency=record["currency"],
            withdrawal_id=record.get("withdrawal_id"),
            reason=record["purpose"],
            refund_reference=record["_id"],  # what the gateway's support knows it by (its idempotency key)
            case_id=record.get("gateway_refund_id"),
        )
        self.audit.record(event, outcome, **dict(of_record, **fields))


def _ending(record):
    """How our refund `record` ended, or was claimed to end (None while no one told)."""
    return record.get("ending") or (None if record["status"] in OPEN_STATUSES else record["status"])
