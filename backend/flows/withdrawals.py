"""Withdrawals (SPEC §9): money goes back to the payment methods of the customer's own top-ups.

The amount is planned over the customer's credited top-ups, newest first, each at most what is left
of it (less what was refunded or taken back from it) and within the refund window
(`flows/withdrawal_plans.py`); it is held in the
wallet at once (it leaves `available`), each part is refunded through its gateway under its own
reference (`flows/our_refunds.py`, outside the ledger's write path), and each part's end moves the
ledger once: a refund made takes its part out of the hold (as money that left through the gateway:
`wallet_figures.plan_take_back`), a refund refused releases its part back into `available`.

A request that dies after recording the withdrawal is taken up by the worker once its lease is past
(`resume`): holding and asking are keyed by the withdrawal, so they happen once."""

from pymongo.errors import PyMongoError

from ..clock import new_id
from ..errors import (
    InsufficientFunds,
    StoreUnavailable,
    WithdrawalNotFound,
    WithdrawalPending,
)
from ..gateway_refunds import FAILED, OPEN_STATUSES, PROCESSED, REQUESTED, WITHDRAWAL_PART
from ..records import WITHDRAWAL, WITHDRAWAL_HOLD
from ..wallet_figures import hold_id_for, payment_key, spendable_minor
from ..withdrawal_book import ASKED, HOLDING, REFUSED
from .outcomes import withdrawal_pending_on_store_error
from .withdrawal_plans import WithdrawalPlans

COMPLETED, PARTIALLY_COMPLETED, PENDING = "completed", "partially_completed", "pending"


class Withdrawals:
    def __init__(self, stores, book, leases, window_days):
        """`stores`: the integration (its wallet, holds, payment orders, our refunds and audit; the plan
        reads more of it); `book`: the withdrawals; `leases`: `CustomerLeases`."""
        self.wallet, self.holds, self.payment_orders = stores.wallet, stores.holds, stores.payment_orders
        self.our_refunds, self.records, self.audit = stores.our_refunds, stores.our_refunds.records, stores.audit
        self.book, self.leases = book, leases
        self.plans = WithdrawalPlans(stores, book, window_days)
        self.our_refunds.on_end[WITHDRAWAL_PART] = self._part_ended

    def withdraw(self, customer_id, currency, amount_minor, withdrawal_id=None):
        """Refund `amount_minor` to the customer's top-ups; the withdrawal as `view` shows it.
        InsufficientFunds beyond `available` (checked first), WithdrawalExceedsRefundable beyond
        what the top-ups can take back; nothing is written for either."""
        existing = self.book.get(withdrawal_id) if withdrawal_id else None
        if existing is not None:  # a retry of a request that died mid-way: carried on, not checked again
            with withdrawal_pending_on_store_error(withdrawal_id):
                if existing["stage"] == HOLDING:
                    self._carry_out(existing)
                return self.view(withdrawal_id)
        withdrawal, recording = None, False
        try:
            with self.leases.held(customer_id, "withdrawal"):  # one plan at a time sees the others' parts
                if spendable_minor(self.wallet.get_wallet(customer_id, currency)) < amount_minor:
                    raise InsufficientFunds()
                parts = self.plans.plan(customer_id, currency, amount_minor)
                withdrawal_id, recording = withdrawal_id or new_id("wdr"), True
                withdrawal, _ = self.book.create(withdrawal_id, customer_id, currency, amount_minor, parts)
                self._prepare(withdrawal)
        except (PyMongoError, StoreUnavailable):
            if not recording:
                raise  # nothing recorded: nothing will move
            # recorded, or its insert's outcome unknown (no read-back can tell a write still in flight):
            # the worker carries a recorded one on; GET answers 404 for one that never was
            raise WithdrawalPending(withdrawal_id) from None
        with withdrawal_pending_on_store_error(withdrawal_id):
            self._ask(withdrawal)
            return self.view(withdrawal_id)

    def view(self, withdrawal_id):
        """`{withdrawal_id, customer_id, status, amount_minor, currency, refunds: [...]}`, or WithdrawalNotFound."""
        withdrawal = self.book.get(withdrawal_id)
        if withdrawal is None:
            raise WithdrawalNotFound()
        records = {r["_id"]: r for r in self.records.of_withdrawal(withdrawal_id)}
        refunds = []
        for part in withdrawal["parts"]:
            record = records.get(part["reference"], {})
            status = record.get("status", FAILED if withdrawal["stage"] == REFUSED else REQUESTED)
            refunds.append(dict(part, status=status, gateway_refund_id=record.get("gateway_refund_id")))
        return {
            "withdrawal_id": withdrawal_id,
            "customer_id": withdrawal["customer_id"],
            "status": _status([r["status"] for r in refunds]),
            "amount_minor": withdrawal["amount_minor"],
            "currency": withdrawal["currency"],
            "refunds": refunds,
        }

    def resume(self, limit=20):
        """The worker: withdrawals whose request died before every part was asked; how many it took up."""
        taken = 0
        for due in self.book.due(limit):
            withdrawal = self.book.claim(due["_id"])
            if withdrawal is not None:
                taken += 1
                self._audit("withdrawal.resumed", withdrawal)  # its request may have died before its entry
                try:
                    self._carry_out(withdrawal)
                except InsufficientFunds:
                    pass  # spent meanwhile: refused, nothing asked of any gateway
        return taken

    def _carry_out(self, withdrawal):
        """Hold the amount and record each part (once), then ask each part of its gateway (once)."""
        self._prepare(withdrawal)
        self._ask(withdrawal)

    def _prepare(self, withdrawal):
        """Hold the amount (once per withdrawal: audited as `withdrawal.requested`) and record each part
        to ask (once per part)."""
        wid = withdrawal["_id"]
        try:
            hold, created = self.holds.hold(
                withdrawal["customer_id"],
                withdrawal["currency"],
                withdrawal["amount_minor"],
                WITHDRAWAL_HOLD,
                f"withdrawal:{wid}",
                {"withdrawal_id": wid},
            )
        except InsufficientFunds:
            self.book.advance(wid, REFUSED)
            raise
        if created:
            self._audit("withdrawal.requested", withdrawal, hold["_id"])
        for number, part in enumerate(withdrawal["parts"], start=1):
            self.records.create(
                part["reference"],
                WITHDRAWAL_PART,
                part["gateway"],
                self.payment_orders.get(part["payment_order_id"]),
                part["gateway_payment_id"],
                part["amount_minor"],
                withdrawal_id=wid,
                part=number,
            )

    def _audit(self, event, withdrawal, transaction_id=None):
        self.audit.record(
            event,
            "ok",
            customer_id=withdrawal["customer_id"],
            withdrawal_id=withdrawal["_id"],
            transaction_id=transaction_id,
            amount_minor=withdrawal["amount_minor"],
            currency=withdrawal["currency"],
        )

    def _ask(self, withdrawal):
        """Ask each part not asked yet of its gateway; the withdrawal is then `asked`."""
        for record in self.records.of_withdrawal(withdrawal["_id"]):
            if record["status"] == REQUESTED:
                self.our_refunds.ask(record)
        self.book.advance(withdrawal["_id"], ASKED)

    def quote(self, customer_id, currency):
        """What the customer can withdraw now: `{available_minor, refundable_minor, withdrawable_minor}`
        (the least of what is spendable and what the top-ups can take back)."""
        available = spendable_minor(self.wallet.get_wallet(customer_id, currency))
        refundable = sum(left for _po, left in self.plans.refundable_topups(customer_id, currency))
        return {
            "available_minor": available,
            "refundable_minor": refundable,
            "withdrawable_minor": min(available, refundable),
        }

    def _part_ended(self, record, status):
        """A part's refund ended at its gateway: made, its part leaves the wallet; refused, it comes back."""
        wid = record["withdrawal_id"]
        hold_id = hold_id_for(f"withdrawal:{wid}")
        reference = {
            "withdrawal_id": wid,
            "gateway": record["gateway"],
            "payment_order_id": record["payment_order_id"],
            "gateway_payment_id": record["gateway_payment_id"],
        }
        args = (record["customer_id"], record["currency"])
        if status == PROCESSED:
            counted = (payment_key(record["gateway"], record["gateway_payment_id"]), None)  # towards its cap
            self.holds.take_back(
                *args,
                record["amount_minor"],
                WITHDRAWAL,
                f"withdrawal:{record['_id']}",
                reference,
                hold_id,
                cap=counted,
            )
        else:
            self.holds.release(*args, hold_id, f"release:{record['_id']}", reference, record["amount_minor"])


def _status(statuses):
    if any(s in OPEN_STATUSES for s in statuses):
        return PENDING
    if all(s == PROCESSED for s in statuses):
        return COMPLETED
    return FAILED if all(s == FAILED for s in statuses) else PARTIALLY_COMPLETED
