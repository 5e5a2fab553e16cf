"""Wallet limits at credit (SPEC §10): the limits count the top-ups still open, so a payment of one
that lapsed (the sweep expired it, or its payment failed over SWEEP_EXPIRE_AFTER_SECONDS ago) is
checked when it is reported, and given back at its gateway when it would pass one; what is decided
of a top-up (`credit` or `give_back`) is kept on its payment order once
(backend/payment_order_limits.py), so that two reports of it never credit it and give it back both."""

from ..errors import LapsedTopupRefused
from ..gateway_refunds import LAPSED_PAYMENT
from ..payment_order_limits import CREDIT, GIVE_BACK
from ..payment_orders import REFUSED
from ..wallet_limits import limit_exceeded


class LimitedCredits:
    def __init__(self, wallet, payment_orders, limits, our_refunds, audit, currency, credit):
        """`credit(payment_order, payment_id, source, read, audit_fields)`: the top-ups' own credit
        (once per payment order, `Topups._credit`); `currency`: the one the limits bind."""
        self.wallet, self.payment_orders, self.limits, self.our_refunds = wallet, payment_orders, limits, our_refunds
        self.audit, self.currency, self.credit = audit, currency, credit
        our_refunds.still_wanted[LAPSED_PAYMENT] = self._give_back_due  # asked by the worker once decided

    def applies(self, payment_order):
        """Whether a payment of `payment_order` is credited as decided here: it is not credited yet,
        and limits bind its wallet, or something was decided of it (by a process whose limits were
        set: a configuration changed while it ran)."""
        if payment_order.is_paid:
            return False
        return payment_order.status == REFUSED or payment_order.decision is not None or self._limited(payment_order)

    def _limited(self, payment_order):
        """Whether wallet limits bound `payment_order`'s wallet (they are set, in its currency)."""
        return bool(self.limits.limits_minor) and payment_order.currency == self.currency

    def confirm(self, payment_order, gateway_payment_id, source, audit_fields):
        """A top-up still `created` (the limits count it) is decided `credit` and credited, no lease taken.
        Else, under the customer's limits lease (no initiate counts meanwhile), with the payment order
        and its credit read again: one credited, or decided `credit`, already is credited (once); a
        payment of a lapsed one that passes a limit (and every payment of a `refused` one, or one
        given back already) is given back at its gateway, the top-up `refused`, LapsedTopupRefused
        raised. What is decided is kept on the payment order (`decision`), once: a report so slow
        that its lease ran out finds the other's decision and follows it."""
        orders = self.payment_orders.limits
        if payment_order.status != REFUSED and orders.claim_open(payment_order.id):
            return self.credit(payment_order, gateway_payment_id, source, None, audit_fields)
        customer_id, currency = payment_order.customer_id, payment_order.currency
        with self.limits.held(customer_id) as kept:
            now = self.payment_orders.get(payment_order.id)
            credited = self.wallet.entry_for_key(customer_id, currency, f"topup:{now.id}") is not None
            refused = None if credited or now.decision == CREDIT else self._refusal(now, gateway_payment_id)
            if refused is None and orders.decide(now.id, CREDIT):
                kept()  # no initiate counted between the check and the decision (else 503; it counts now)
                return self.credit(now, gateway_payment_id, source, None, audit_fields)
            refused = refused or self.limits.refusing(now, now.refused_limit)
            record = self.our_refunds.record_give_back(now, gateway_payment_id, LAPSED_PAYMENT, limit=refused["limit"])
            if not orders.decide(now.id, GIVE_BACK):  # decided `credit` by a report whose lease ran out
                self.our_refunds.withdraw_give_back(record)
                return self.credit(now, gateway_payment_id, source, None, audit_fields)
            orders.refuse(now.id, refused["limit"])
        self._audit_refusal(now, refused, gateway_payment_id, audit_fields)
        self.our_refunds.ask_if_requested(record)
        raise limit_exceeded(refused, currency, LapsedTopupRefused)

    def _give_back_due(self, record):
        """Whether the worker may ask the give-back `record` of a lapsed top-up's payment: True when
        the top-up's credit is another payment's, or `give_back` is decided (by the worker now, for a
        report that died before deciding); False when this payment credited it (the record is then
        withdrawn); None while a credit decided by another report is not made yet (ask later)."""
        payment_order = self.payment_orders.get(record["payment_order_id"])
        if payment_order is None:
            return True
        customer_id, currency = payment_order.customer_id, payment_order.currency
        entry = self.wallet.entry_for_key(customer_id, currency, f"topup:{payment_order.id}")
        if entry is not None:
            return entry["reference"].get("gateway_payment_id") != record["gateway_payment_id"]
        if not self.payment_orders.limits.decide(payment_order.id, GIVE_BACK):
            return None
        self.payment_orders.limits.refuse(payment_order.id, record.get("limit"))
        return True

    def _refusal(self, payment_order, payment_id=None):
        """The `headroom` row of the limit a payment (`payment_id`) of uncredited `payment_order` is
        refused for, or None: every payment of a `refused` top-up, one given back before (its top-up
        not marked yet: a crash), or one of a lapsed top-up that would pass a limit now."""
        given_back = self.our_refunds.given_back(payment_id) if payment_id else None
        if given_back is not None or payment_order.status == REFUSED or payment_order.decision == GIVE_BACK:
            limit = payment_order.refused_limit or (given_back or {}).get("limit")
            return self.limits.refusing(payment_order, limit)
        if self._limited(payment_order) and self.limits.lapsed(payment_order):
            return self.limits.passed(payment_order.customer_id, payment_order.currency, payment_order.amount_minor)
        return None

    def refuses_before_charge(self, payment_order):
        """LapsedTopupRefused (audited) when a payment of `payment_order` would be refused now: for a
        payment the service itself makes (a Google Pay token), which is then not charged at all.
        `confirm` decides again, under the lease, once a payment is made."""
        refused = self._refusal(payment_order)
        if refused is not None:
            self._audit_refusal(payment_order, refused, None, {})
            raise limit_exceeded(refused, payment_order.currency, LapsedTopupRefused)

    def _audit_refusal(self, payment_order, refused, payment_id, audit_fields):
        self.audit.record(
            "topup.limit_exceeded",
            "rejected",
            gateway_payment_id=payment_id,
            reason=refused["limit"],
            **payment_order.audit_fields(),
            **audit_fields,
        )
