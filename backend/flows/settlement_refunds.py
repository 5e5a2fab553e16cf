"""The refund rows of a gateway's settlement report (SPEC §11), matched for `flows/settlement.py`.

- A refund we asked for matches (one still pending is finished as made); one of another payment,
  amount or refund id than ours, or that ended `failed` here, is an open `amount_mismatch`.
- A refund of the gateway's own matches when its case took the money back, else it is
  `refund_not_applied`: applied now through the after-the-credit path (once per case), then
  `resolved`. What the ledger took back is checked against the row: less (the take-backs of a
  payment together never pass what it credited) is an open `amount_mismatch` for the rest, as is a
  case told another payment or amount first by its webhook.
- Each settling also resolves the open `refund_not_applied` of every day whose case was applied since
  (its payment credited later), noting an open `amount_mismatch` when that take-back fell short."""

import datetime

from ..errors import GatewayUnavailable
from ..gateway_cases import REFUND_CASE, case_key
from ..gateway_refunds import OPEN_STATUSES as OUR_REFUND_OPEN
from ..gateway_refunds import PROCESSED as OUR_REFUND_PROCESSED
from ..gateway_refunds import ReportRecords
from ..gateways.base import (
    REFUND_DONE,
    REFUND_PROCESSED,
    SETTLED_REFUND,
    GatewayRefund,
    SettlementRow,
    WebhookEvent,
    confirmed_by,
)
from ..settlement_books import AMOUNT_MISMATCH, OPEN, REFUND_NOT_APPLIED, RESOLVED, exception_key, subject_of
from .after_credit import first_told

OPEN_BATCH = 1_000  # open refund_not_applied exceptions a settling looks at again, per batch


def row_of(exception):
    """The report row a `refund_not_applied` exception was noted of, as far as it kept it."""
    return SettlementRow(
        SETTLED_REFUND,
        exception["payment_id"],
        exception["gateway_amount_minor"],
        exception["currency"],
        refund_id=subject_of(exception),
        payment_order_id=exception.get("payment_order_id"),
    )


class RefundRows:
    def __init__(self, payments, after_credit, our_refunds, books):
        self.payments, self.after_credit, self.our_refunds, self.books = payments, after_credit, our_refunds, books

    def match(self, gateway, day, rows):
        """Match a page of `gateway`'s refund rows of `day`; how many matched. The rest are noted as
        exceptions, healed where they heal."""
        owners = confirmed_by(self.payments.gateways, gateway)
        records = self.our_refunds.records.named_or_of(
            owners, [row.reference for row in rows if row.reference], [row.gateway_payment_id for row in rows]
        )
        ours = ReportRecords(records)
        matched, known = 0, []
        for row in rows:
            try:
                record = ours.of_row(row)
                if record is None and not row.reference:  # ours, its answer lost?
                    record = self.our_refunds.answered_by(ours.unanswered(row), row.refund_id)
            except GatewayUnavailable:  # ours, or the gateway's own? Nothing taken back: a later settling decides
                self.books.note_row(gateway, day, REFUND_NOT_APPLIED, row, OPEN)
                continue
            if record is not None:  # one we asked for (named by our reference, or by the refund id it got)
                record, agreed = self._our_refund(gateway, day, row, record)
                ours.keep(record)
                matched += agreed
                known.append(exception_key(gateway, day, REFUND_NOT_APPLIED, row.refund_id))
            else:
                matched += self._gateways_own(gateway, day, row, known)
        self.books.resolve(known)  # rows an earlier settling could not tell from the gateway's own
        return matched

    def applied_since(self, gateway):
        """Open `refund_not_applied` exceptions of `gateway`, any day, whose case was applied since (its
        payment credited later: `AfterCredit.apply_waiting` took the money back when a webhook or a
        capture this settling healed credited it): resolved, and what its take-back fell short of the
        row's amount an open `amount_mismatch`. Every open one read, a batch at a time (three commands,
        and two reads for each applied one)."""
        after = None
        while batch := self.books.open_of_kind(gateway, REFUND_NOT_APPLIED, OPEN_BATCH, after):
            opened = {case_key(gateway, REFUND_CASE, subject_of(row)): row for row in batch}
            applied = sorted(self.after_credit.cases.applied_of(list(opened)))
            for case_id in applied:  # as a row of the day would be: taken back in full, or the rest open
                exception = opened[case_id]
                day = datetime.date.fromisoformat(exception["date"])
                taken_minor = self.after_credit.taken_back_minor(gateway, subject_of(exception))
                if taken_minor is not None:
                    self._taken_short(gateway, day, row_of(exception), taken_minor)
            # resolved after its mismatch is noted: a settling stopped in between notes it again
            self.books.resolve([opened[case_id]["_id"] for case_id in applied])
            if len(batch) < OPEN_BATCH:
                break
            after = batch[-1]["_id"]

    def _gateways_own(self, gateway, day, row, known):
        """A refund the gateway made itself (its dashboard): applied once by its case; 1 when it
        matched (taken back in full before), else 0 with what it is noted."""
        event = WebhookEvent(
            f"settlement:{row.refund_id}",
            "settlement.refund",
            REFUND_PROCESSED,
            gateway_payment_id=row.gateway_payment_id,
            amount_minor=row.amount_minor,
            currency=row.currency,
            case_id=row.refund_id,
        )
        outcome = self.after_credit.apply(gateway, event)
        if outcome == "mismatch":  # its case was told another payment or amount first
            self._refund_mismatch(gateway, day, row)
            return 0
        taken_minor = self.after_credit.taken_back_minor(gateway, row.refund_id)
        if taken_minor is None:  # its payment credited no wallet (yet), or another currency's
            self.books.note_row(gateway, day, REFUND_NOT_APPLIED, row, OPEN)
            return 0
        if outcome == "processed":
            self.books.note_row(gateway, day, REFUND_NOT_APPLIED, row, RESOLVED)
        else:  # applied before: by its webhook, or by a settling's heal
            known.append(exception_key(gateway, day, REFUND_NOT_APPLIED, row.refund_id))
        short = self._taken_short(gateway, day, row, taken_minor)
        return 0 if short or outcome == "processed" else 1  # matched: taken back in full before

    def _taken_short(self, gateway, day, row, taken_minor):
        """Whether the ledger took back less than the row's refund (all take-backs of a payment together
        take at most what it credited): then an open `amount_mismatch`, the ledger's amount what it took."""
        if taken_minor >= row.amount_minor:
            return False
        self.books.note_row(gateway, day, AMOUNT_MISMATCH, row, OPEN, ledger=(taken_minor, row.currency))
        return True

    def _refund_mismatch(self, gateway, day, row):
        """An open `amount_mismatch` for a gateway's refund whose case was told of first with another
        payment or amount (`AfterCredit.apply`): the ledger's amount is what the case was told then."""
        case = self.after_credit.cases.get(case_key(gateway, REFUND_CASE, row.refund_id))
        told = first_told(case["actions"], REFUND_PROCESSED) if case else None
        if told is None or case.get("waiting") or case.get("gateway_payment_id") != row.gateway_payment_id:
            told = {"amount_minor": 0, "currency": row.currency}  # nothing of this payment was taken (yet)
        self.books.note_row(gateway, day, AMOUNT_MISMATCH, row, OPEN, ledger=(told["amount_minor"], told["currency"]))

    def _our_refund(self, gateway, day, row, record):
        """(record after, True) when the report agrees with our refund (one still open is finished as
        made, once); else an open `amount_mismatch`: ended `failed` (its money given back), or of
        another payment, amount or refund id than the row."""
        agrees = (record["gateway_payment_id"], record["amount_minor"], record["currency"]) == (
            row.gateway_payment_id,
            row.amount_minor,
            row.currency,
        ) and record.get("gateway_refund_id") in (None, row.refund_id)
        if agrees and record["status"] in OUR_REFUND_OPEN:
            record = self.our_refunds.settle(
                record, GatewayRefund(row.refund_id or "", REFUND_DONE, row.amount_minor, row.currency)
            )
        if agrees and record["status"] == OUR_REFUND_PROCESSED:
            return record, True
        self.books.note(
            gateway,
            day,
            AMOUNT_MISMATCH,
            row.refund_id,
            OPEN,
            payment_id=row.gateway_payment_id,
            payment_order_id=record["payment_order_id"],
            gateway_amount_minor=row.amount_minor,
            ledger_amount_minor=record["amount_minor"] if record["status"] == OUR_REFUND_PROCESSED else 0,
            currency=row.currency,
            ledger_currency=record["currency"],
        )
        return record, False
