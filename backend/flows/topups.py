"""Top-ups: initiate one at a gateway, verify the customer's return, credit a confirmed payment
exactly once per payment order (`topup:<payment_order_id>`), for the amount recorded at initiate."""

import contextlib
from dataclasses import replace

from ..clock import new_id
from ..errors import AmountMismatch, InvalidAmount, LimitExceeded, PaymentOrderNotFound
from ..idempotency import retried
from ..money import is_amount_minor
from ..payment_orders import PAID
from ..prefetched_wallets import read_wallet
from ..records import TOPUP
from ..wallet_limits import nothing_to_keep
from .limited_credits import LimitedCredits
from .outcomes import pending_on_store_error


class Topups:
    def __init__(
        self, wallet, payments, payment_orders, audit, currency, after_credit=None, our_refunds=None, limits=None
    ):
        """`after_credit`: applies what a gateway said of a payment before it credited; `our_refunds`:
        gives a second payment of a credited top-up back at its gateway (SPEC §9)."""
        self.wallet, self.payments, self.payment_orders, self.audit = wallet, payments, payment_orders, audit
        self.currency, self.after_credit, self.our_refunds = currency, after_credit, our_refunds
        self.limits = limits  # `WalletLimits`: balance and load limits checked at initiate (§10)
        self.limited = None  # the limits at credit: a payment of a lapsed top-up checked, or given back
        if limits is not None and our_refunds is not None:
            credit = lambda *args: self._credit(*args)  # noqa: E731 (late bound: what `Topups._credit` is)
            self.limited = LimitedCredits(wallet, payment_orders, limits, our_refunds, audit, currency, credit)

    @classmethod
    def of(cls, integration):
        """The top-ups of `integration`, over its repositories."""
        i = integration
        return cls(i.wallet, i.payments, i.payment_orders, i.audit, i.currency, i.after_credit, i.our_refunds, i.limits)

    def initiate(self, customer_id, amount_minor, payment_method="razorpay", currency=None, operation_id=None):
        """Create a gateway order in `currency` (None: the default one) and record it as a `created`
        payment order. `operation_id`: the request's (`IdempotencyStore.run`); a retry of a request
        that failed after its payment order was recorded answers that payment order."""
        gateway = self.payments.gateway(payment_method)
        currency = currency or self.currency
        earlier = self.payment_orders.keyed_by(customer_id, operation_id) if retried(operation_id) else None
        if earlier is not None:
            payment_order, keyed = earlier
            return _initiated(payment_order, keyed["redirect_url"], self.payments.gateway(payment_order.gateway))
        reference = new_id("wtp")
        with self._within_limits(customer_id, currency, amount_minor) as kept:
            checkout = gateway.create_order(reference, amount_minor, currency, customer_id)
            kept()  # the limits were counted without any other initiate of the customer since
            keyed = {"operation_id": str(operation_id), "redirect_url": checkout.redirect_url} if operation_id else None
            payment_order = self.payment_orders.create(
                checkout.gateway_order_id, reference, gateway.name, customer_id, amount_minor, currency, keyed
            )
        self.audit.note(
            "topup.initiated",
            "ok",
            customer_id=customer_id,
            gateway=gateway.name,
            payment_order_id=checkout.gateway_order_id,
            amount_minor=amount_minor,
            currency=currency,
        )
        return _initiated(payment_order, checkout.redirect_url, gateway)

    @contextlib.contextmanager
    def _within_limits(self, customer_id, currency, amount_minor):
        """The wallet's limits let this top-up start (else LimitExceeded, audited, nothing kept). The
        limits are in the default currency and bound its wallets only (docs/deployment.md)."""
        if self.limits is None or currency != self.currency:
            yield nothing_to_keep
            return
        try:
            with self.limits.checked(customer_id, currency, amount_minor) as kept:
                yield kept
        except LimitExceeded as refused:
            self.audit.record(
                "topup.limit_exceeded",
                "rejected",
                customer_id=customer_id,
                amount_minor=amount_minor,
                currency=currency,
                reason=refused.details["limit"],
            )
            raise

    def offered_gateways(self):
        """The adapters offered here, by payment method."""
        return self.payments.gateways

    def find(self, payment_order_id):
        """The `PaymentOrder` with this id, or `PaymentOrderNotFound`."""
        payment_order = self.payment_orders.get(payment_order_id)
        if payment_order is None:
            raise PaymentOrderNotFound()
        return payment_order

    def verify(self, payment_order, fields):
        """The customer's return from checkout: the gateway confirms, then credit (once). Returns the
        wallet (`balance_minor`, `currency`), whether the credit is this payment's (False when the
        payment order was credited already for another payment of it, or before this return, which
        brought no payment of its own), and, for a second payment, its refund's status."""
        confirmed = self.payments.gateway(payment_order.gateway).confirm_checkout(payment_order, fields)
        if confirmed.amount_minor is not None:
            self.check_reported_amount(
                payment_order, confirmed.amount_minor, confirmed.currency, confirmed.gateway_payment_id, "verify"
            )
        entry, created = self.confirm(payment_order, confirmed.gateway_payment_id, source="verify")
        # Read after the credit's own follow-ups: the debt it repaid, the refunds and disputes that waited for it.
        wallet = self.wallet.get_wallet(payment_order.customer_id, payment_order.currency)
        same_payment = entry["reference"].get("gateway_payment_id") == confirmed.gateway_payment_id
        second_payment = None
        if not same_payment and self.our_refunds is not None:
            second_payment = self.our_refunds.second_payment_status(confirmed.gateway_payment_id)
        return wallet, same_payment and not confirmed.earlier, second_payment

    def confirm(self, payment_order, gateway_payment_id, source, read=None, **audit_fields):
        """Credit the amount recorded at initiate, exactly once per payment order; (entry, created).
        The audit entry (`wallet.credited`, or `topup.second_payment` for another payment of a
        credited top-up) carries `audit_fields` too (a webhook's event id and type, the id kept on
        the payment order). `read`: the webhook's `EventRead`, whose wallets and cases the credit
        uses instead of reading them again. With wallet limits set (and for every `refused` top-up),
        an unpaid top-up is credited as `LimitedCredits` decides (backend/flows/limited_credits.py):
        LapsedTopupRefused when a payment of a lapsed top-up does not fit them."""
        if self.limited is not None and self.limited.applies(payment_order):
            return self.limited.confirm(payment_order, gateway_payment_id, source, audit_fields)
        return self._credit(payment_order, gateway_payment_id, source, read, audit_fields)

    def refuses_before_charge(self, payment_order):
        """LapsedTopupRefused when a payment the service itself would make (a Google Pay token) of
        `payment_order` would be given back: it is then not charged (`LimitedCredits`)."""
        if self.limited is not None:
            self.limited.refuses_before_charge(payment_order)

    def _credit(self, payment_order, gateway_payment_id, source, read, audit_fields):
        wallet = read_wallet(read.wallets, payment_order.customer_id, payment_order.currency) if read else None
        entry, created = self.wallet.credit(
            payment_order.customer_id,
            payment_order.currency,
            payment_order.amount_minor,
            kind=TOPUP,
            key=f"topup:{payment_order.id}",
            reference={
                "payment_order_id": payment_order.id,
                "gateway": payment_order.gateway,
                "gateway_payment_id": gateway_payment_id,
            },
            wallet=wallet,
        )
        with pending_on_store_error(entry):
            if created or not payment_order.is_paid:
                self.mark_paid(entry, audit_fields.get("event_id"))
            self._audit(entry, created, payment_order, gateway_payment_id, source, audit_fields)
            if not created and entry["reference"].get("gateway_payment_id") != gateway_payment_id:
                self.give_back_second_payment(payment_order, gateway_payment_id)
            if created and self.after_credit is not None:
                credited = replace(payment_order, status=PAID, gateway_payment_id=gateway_payment_id)
                self.after_credit.apply_waiting(credited, read.cases if read else None)
        return entry, created

    def give_back_second_payment(self, payment_order, gateway_payment_id):
        """A payment of a top-up another payment credited: refunded at its gateway, once (§9)."""
        if self.our_refunds is not None and gateway_payment_id:
            self.our_refunds.give_back(payment_order, gateway_payment_id)

    def mark_paid(self, entry, event_id=None):
        """The follow-up of a top-up credit: its payment order is `paid` by it (idempotent), with the
        webhook event `event_id` that credited it, when one did."""
        reference = entry["reference"]
        self.payment_orders.mark_paid(
            reference["payment_order_id"], entry["_id"], reference.get("gateway_payment_id"), event_id
        )

    def check_reported_amount(self, payment_order, amount_minor, currency, payment_id, source):
        """A gateway-reported amount is a valid amount (else `InvalidAmount`) and the initiated one
        (else `AmountMismatch`); a refusal is audited (`topup.amount_mismatch`)."""
        valid = is_amount_minor(amount_minor, payment_order.currency)
        if valid and amount_minor == payment_order.amount_minor and currency == payment_order.currency:
            return
        self.audit.record(
            "topup.amount_mismatch",
            "rejected",
            payment_order_id=payment_order.id,
            customer_id=payment_order.customer_id,
            gateway_payment_id=payment_id,
            amount_minor=amount_minor if valid else None,
            currency=currency if isinstance(currency, str) else None,  # as reported: its amount is in it
            reason=source,
        )
        raise (
            AmountMismatch()
            if valid
            else InvalidAmount("The gateway reported an amount that is not a positive amount within the limit.")
        )

    def _audit(self, entry, created, payment_order, gateway_payment_id, source, audit_fields):
        fields = dict(
            audit_fields,
            customer_id=entry["customer_id"],
            payment_order_id=payment_order.id,
            gateway=payment_order.gateway,
            gateway_payment_id=gateway_payment_id,
            transaction_id=entry["_id"],
            amount_minor=entry["amount_minor"],
            currency=entry["currency"],
            reason=source,
        )
        if created:
            self.audit.record("wallet.credited", "ok", **fields)
        elif entry["reference"].get("gateway_payment_id") != gateway_payment_id:
            self.audit.record("topup.second_payment", "rejected", **fields)


def _initiated(payment_order, redirect_url, gateway):
    """What initiate answers of `payment_order`."""
    return {
        "payment_order_id": payment_order.id,
        "redirect_url": redirect_url,
        "key_id": gateway.key_id,
        "amount_minor": payment_order.amount_minor,
        "currency": payment_order.currency,
    }
