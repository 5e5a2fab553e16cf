"""After the credit (SPEC §9): a gateway refunds, reverses or a bank disputes a top-up that credited a
wallet, and the wallet follows: a dispute holds the disputed amount, a won one releases it, and a
refund, a reversal or a lost dispute takes the money back (out of available money, then held money,
the rest as debt: `backend/wallet_figures.py`).

Each case (one refund, reversal or dispute, by the gateway's own id) is recorded with every action
its webhooks asked for (`backend/gateway_cases.py`), and what the case as a whole asks is applied by
ledger entries keyed by the case, so webhooks may come in any order and any number of times: a dispute
lost before its `created` webhook takes the money back and the late webhook holds nothing. A case about
a payment that credited no wallet (yet) waits; `apply_waiting` applies it when that payment credits.
Refunds the service asked for itself (a second payment, a withdrawal) are `our_refunds`' to finish.
"""

from ..gateway_cases import DISPUTE_CASE, REFUND_CASE, REVERSAL_CASE, CaseToldOtherwise, case_key
from ..gateways.base import (
    DISPUTE_LOST,
    DISPUTE_OPENED,
    DISPUTE_RECORDED,
    DISPUTE_RELEASED,
    REFUND_FAILED,
    REFUND_PROCESSED,
    REFUND_RECORDED,
    REVERSED,
    confirmed_by,
)
from ..records import CHARGEBACK, DISPUTE_HOLD, TOPUP_REVERSAL
from ..wallet_figures import hold_id_for, payment_key

CASE_KIND = {
    REFUND_RECORDED: REFUND_CASE,
    REFUND_PROCESSED: REFUND_CASE,
    REFUND_FAILED: REFUND_CASE,
    REVERSED: REVERSAL_CASE,
    DISPUTE_OPENED: DISPUTE_CASE,
    DISPUTE_RELEASED: DISPUTE_CASE,
    DISPUTE_LOST: DISPUTE_CASE,
    DISPUTE_RECORDED: DISPUTE_CASE,
}
REFUND_REVERSAL_TWIN = {REFUND_CASE: REVERSAL_CASE, REVERSAL_CASE: REFUND_CASE}  # one gateway id is one of the two
CLOSING_ACTIONS = frozenset({REFUND_PROCESSED, REFUND_FAILED, REVERSED, DISPUTE_RELEASED, DISPUTE_LOST})
# The actions whose amount moves money: the first told of each counts (`first_told`).
MOVING_ACTIONS = frozenset({REFUND_PROCESSED, REVERSED, DISPUTE_OPENED, DISPUTE_LOST})
# Each read of a case after the first follows an action added meanwhile: one of each action, mostly (a
# later one told with another amount is added too, and moves nothing), so this many reads settle it.
CASE_READS_MAX = len(CASE_KIND) + 1


class AfterCredit:
    def __init__(self, holds, payment_orders, cases, audit, our_refunds=None, payments=None):
        self.holds, self.payment_orders, self.cases, self.audit = holds, payment_orders, cases, audit
        self.our_refunds, self.payments = our_refunds, payments

    @classmethod
    def of(cls, integration, cases):
        """The after-credit flow of `integration`, over its repositories."""
        i = integration
        return cls(i.holds, i.payment_orders, cases, i.audit, i.our_refunds, i.payments)

    def apply(self, gateway, event):
        """Record and apply a verified after-credit webhook event; returns an outcome word:
        `processed` (the ledger moved), `recorded` (nothing to move now), `rejected`, `mismatch` (the
        event names another payment, or another amount or currency, than its case was told first:
        audited, nothing moved)."""
        owners = self._owners(gateway)  # a Google Pay top-up through PayPal is PayPal's payment
        kind = CASE_KIND[event.action]
        if self.our_refunds is not None and kind == REFUND_CASE:
            outcome = self.our_refunds.on_event(owners, event)
            if outcome is not None:
                return outcome
        if kind in REFUND_REVERSAL_TWIN and self._known_as_its_twin(gateway, owners, kind, event):
            told = dict(gateway=gateway, kind=kind, case_id=event.case_id, gateway_payment_id=event.gateway_payment_id)
            reason = f"{event.event_type} names a {REFUND_REVERSAL_TWIN[kind]} already told by that id: nothing moved"
            self._audit("gateway_case.mismatch", "rejected", told, reason)
            return "mismatch"
        try:
            case = self.cases.record(gateway, kind, event, closes=event.action in CLOSING_ACTIONS)
        except CaseToldOtherwise as other:
            other_payment = other.case.get("gateway_payment_id") not in (None, event.gateway_payment_id)
            return self._mismatch(owners, other.case, event, "another payment" if other_payment else "another currency")
        told = first_told(case["actions"], event.action)
        if told is not None and (told["amount_minor"], told["currency"]) != (event.amount_minor, event.currency):
            return self._mismatch(owners, case, event, "another amount")
        payment_order = self.payment_orders.credited_by(owners, event.gateway_payment_id)
        if payment_order is None:
            self._audit("gateway_case.waiting", "recorded", case, event.event_type)
            return "recorded"
        return self.apply_case(case, payment_order, event.event_type)

    def apply_waiting(self, payment_order, cases=None):
        """Apply the cases that came before `payment_order`'s credit (its payment's refunds, disputes):
        right after the credit, and again by the credit's follow-up (a crash in between, or a case
        recorded while the credit was being made). `cases`: the cases of its payment as read before
        the credit (`PaymentOrders.for_event`), else they are read now."""
        processor = getattr(self._adapter(payment_order.gateway), "processed_by", None)
        names = (payment_order.gateway, processor) if processor else (payment_order.gateway,)
        if cases is None:
            cases = self.cases.waiting_for(names, payment_order.gateway_payment_id)
        whose = {(name, payment_order.gateway_payment_id) for name in names}
        waiting = (c for c in cases if c.get("waiting") and (c["gateway"], c["gateway_payment_id"]) in whose)
        for case in waiting:
            self.apply_case(case, payment_order, "credited_later")

    def taken_back_minor(self, gateway, refund_id):
        """What the ledger took back for `gateway`'s refund `refund_id` of its own: the amount told, cut
        to what the payment had left to take (0 when nothing was left: no entry); None while the case
        is applied to no wallet (its payment credited none yet)."""
        case = self.cases.get(case_key(gateway, REFUND_CASE, refund_id))
        if not case or not case.get("customer_id"):
            return None
        entry = self.holds.wallet.entry_for_key(case["customer_id"], case["currency"], f"takeback:{case['_id']}")
        return entry.get("claimed_minor", entry["amount_minor"]) if entry else 0

    def _known_as_its_twin(self, gateway, owners, kind, event):
        """Whether the gateway's id of this refund or reversal is a case of the other kind already (or,
        for a reversal, a refund of ours): one id is one money movement, never taken back twice."""
        if self.cases.get(case_key(gateway, REFUND_REVERSAL_TWIN[kind], event.case_id)) is not None:
            return True
        ours = self.our_refunds.records if self.our_refunds is not None and kind == REVERSAL_CASE else None
        return ours is not None and ours.get(None, owners, refund_id=event.case_id) is not None

    def _owners(self, gateway):
        """The gateways whose payments `gateway`'s webhooks are about: its own, and those it processes."""
        return confirmed_by(self.payments.gateways, gateway) if self.payments is not None else (gateway,)

    def _adapter(self, name):
        return self.payments.gateways.get(name) if self.payments is not None else None

    def apply_case(self, case, payment_order, source):
        """What the case as a whole asks of the wallet `payment_order` credited, once. A case read before
        a webhook added an action to it (while its payment was being credited: the webhook found it not
        credited yet and left the action waiting) is applied again as it is now, until it is unchanged."""
        outcome = "recorded"
        for _ in range(CASE_READS_MAX):
            if case.get("currency") != payment_order.currency:
                self._audit("gateway_case.currency_mismatch", "rejected", case, source, payment_order)
                return "rejected"
            entry, created = self._move(case, payment_order)
            if entry is None:
                self._audit("gateway_case.recorded", "recorded", case, source, payment_order)
            else:
                self._audit(
                    f"wallet.{entry['kind']}", "ok" if created else "duplicate", case, source, payment_order, entry
                )
                outcome = "processed" if created or outcome == "processed" else "duplicate"
            if self.cases.applied(case, payment_order.customer_id):
                break
            case = self.cases.get(case["_id"])
        return outcome

    def _move(self, case, payment_order):
        """(the ledger entry the case asks for, whether this call made it); (None, False) when nothing moves.
        Only actions in the top-up's currency count; each amount is at most what the top-up credited,
        and all take-backs of the payment together too (`wallet_figures.plan_take_back`'s cap)."""
        currency = payment_order.currency
        first: dict[str, dict] = {}
        for action in case["actions"]:  # the first told of each counts (`apply` refuses another told later)
            first.setdefault(action["action"], action)
        actions = {
            name: min(action["amount_minor"] or 0, payment_order.amount_minor)
            for name, action in first.items()
            if action.get("currency", currency) == currency
        }
        args = (payment_order.customer_id, currency)
        reference = {
            "gateway": case["gateway"],
            "case": case["kind"],
            "case_id": case["case_id"],
            "payment_order_id": payment_order.id,
            "gateway_payment_id": case["gateway_payment_id"],
        }
        # Keyed by the top-up's gateway, as its withdrawal parts are: a Google Pay top-up's cases are PayPal's.
        cap = (payment_key(payment_order.gateway, case["gateway_payment_id"]), payment_order.amount_minor)
        if case["kind"] == DISPUTE_CASE:
            hold_key = f"dispute_hold:{case['_id']}"
            hold_id = hold_id_for(hold_key)
            if DISPUTE_LOST in actions:
                return self.holds.take_back(
                    *args, actions[DISPUTE_LOST], CHARGEBACK, f"chargeback:{case['_id']}", reference, hold_id, True, cap
                )
            if DISPUTE_RELEASED in actions:
                return self.holds.release(*args, hold_id, f"release:{case['_id']}", reference)
            if DISPUTE_OPENED in actions:
                return self.holds.hold(
                    *args, actions[DISPUTE_OPENED], DISPUTE_HOLD, hold_key, reference, up_to_available=True, cap=cap
                )
            return None, False
        taken = REVERSED if REVERSED in actions else REFUND_PROCESSED
        if taken not in actions:
            return None, False
        key = f"takeback:{case['_id']}"
        return self.holds.take_back(*args, actions[taken], TOPUP_REVERSAL, key, reference, cap=cap)

    def _mismatch(self, owners, case, event, what):
        """An event at odds with its case (`apply`): nothing moved; audited the first time it is told
        (a webhook delivered again, or a report settled again, says nothing new), with the customer
        whose wallet the case's payment credited, when one did."""
        said = f"{event.action}: {event.gateway_payment_id}, {event.amount_minor} {event.currency}"
        if said not in case.get("told_otherwise", ()):  # audited, then kept: a crash between repeats the audit
            credited = self.payment_orders.credited_by(owners, case.get("gateway_payment_id"))
            reason = f"{event.event_type} told {what} than the case was told first: {said}"
            self._audit("gateway_case.mismatch", "rejected", case, reason, credited)
            self.cases.told_otherwise(case["_id"], said)
        return "mismatch"

    def _audit(self, action, outcome, case, source, payment_order=None, entry=None):
        fields = dict(
            gateway=case["gateway"],
            case=case["kind"],
            case_id=case["case_id"],
            gateway_payment_id=case.get("gateway_payment_id"),
            reason=source,
        )
        if payment_order is not None:
            fields.update(customer_id=payment_order.customer_id, payment_order_id=payment_order.id)
        if entry is not None:
            fields.update(
                transaction_id=entry["_id"],
                amount_minor=entry["amount_minor"],
                currency=entry["currency"],
                debt_minor=entry.get("debt_delta_minor", 0),
                capped_minor=entry.get("capped_minor"),
            )
        self.audit.record(action, outcome, **fields)


def first_told(actions, name):
    """The first action `name` a case was told of, when its amount moves money (MOVING_ACTIONS), else None."""
    return next((a for a in actions if a["action"] == name), None) if name in MOVING_ACTIONS else None
