"""Webhook intake: a gateway's webhook verified (signature over the raw body), de-duplicated by
its event id and applied: a capture credits its top-up once, a failure is recorded."""

from dataclasses import replace

from ..errors import IntegrationError, InvalidAmount, InvalidSignature, LapsedTopupRefused
from ..gateways.base import AFTER_CREDIT_ACTIONS, CREDIT_WALLET, RECORD_FAILURE, ConfirmedPayment, confirmed_by
from ..money import is_amount_minor
from ..payment_orders import EventRead
from ..validation import check_json_text


class WebhookIntake:
    def __init__(self, topups, payments, payment_orders, single_use_events, audit, after_credit=None):
        """`after_credit` (`flows.after_credit.AfterCredit`): refunds, reversals and disputes (§9)."""
        self.topups, self.payments, self.payment_orders = topups, payments, payment_orders
        self.single_use_events, self.audit, self.after_credit = single_use_events, audit, after_credit

    @classmethod
    def of(cls, integration, single_use_events):
        """The webhook intake of `integration`, over its repositories."""
        i = integration
        return cls(i.topups, i.payments, i.payment_orders, single_use_events, i.audit, i.after_credit)

    def process(self, gateway_name, raw_body, headers):
        """Verify, de-duplicate by event id and apply a gateway webhook; returns an outcome word.

        An event is read with its payment order (`PaymentOrders.for_event`); the write that applies it
        keeps its id on the payment order (`webhook_event_ids`), so a redelivery finds it there and is
        a `duplicate`, as is an event whose id another payment order kept, whatever it names; an
        event that makes the service charge (a Google Pay token) is also claimed in `webhook_events`
        for its payment order before the charge, for good, so no token is ever charged for another
        payment order: whatever failed (the charge itself, which may have taken the money, or what
        came after it), the token may be posted again for its own payment order alone, whose charge
        the processor keeps once by its key. A processed credit is recorded once, as
        `wallet.credited` with the event's id; every other outcome as `webhook.received`. Concurrent
        deliveries of one event both apply it, and the ledger's `topup:` key credits once; a process
        that dies mid-way has kept nothing, so a redelivery is applied afresh, as is the gateway
        sweep's look-up of the payment order (docs/sweep.md)."""
        try:
            check_json_text(raw_body)  # before any gateway's parser recurses into it
            gateway = self.payments.gateway(gateway_name)
            event = gateway.parse_webhook(raw_body, headers)
            delivery_id = getattr(gateway, "delivery_id", None)
            if delivery_id and not self.single_use_events.delivered(gateway_name, delivery_id(headers), raw_body):
                raise InvalidSignature("This delivery was signed for another body.")
        except IntegrationError as error:
            self.audit.record(
                "webhook.rejected", "rejected", gateway=gateway_name, error=error.code, reason=error.message[:200]
            )
            raise
        log = dict(
            gateway=gateway_name,
            event_id=event.event_id,
            event_type=event.event_type,
            payment_order_id=event.payment_order_id,
            gateway_payment_id=event.gateway_payment_id,
        )
        if event.action in AFTER_CREDIT_ACTIONS and self.after_credit is not None:
            if event.amount_minor is not None and not is_amount_minor(event.amount_minor, event.currency):
                self.audit.record("webhook.rejected", "rejected", error=InvalidAmount.code, **log)
                raise InvalidAmount("The gateway reported an amount that is not a positive amount within the limit.")
            outcome = self.after_credit.apply(gateway_name, event)  # once per case, by the gateway's id
            self.audit.note("webhook.received", outcome, **log)
            return outcome
        read = self._read_event(gateway_name, event)
        if read is not None:  # whose it is: the support view lists the customer's deliveries
            log.update(payment_order_id=read.payment_order.id, customer_id=read.payment_order.customer_id)
        if read is None or not read.fresh:
            outcome = "ignored" if read is None else "duplicate"
            self.audit.record("webhook.received", outcome, **log)
            return outcome
        if event.action == RECORD_FAILURE:
            log.update(reason=event.failure_reason)  # what the gateway said (the support view shows it)
        outcome, credited = self._apply_event(gateway, event, read)
        if credited:
            self.audit.note("webhook.received", outcome, **log)  # its record is the `wallet.credited` entry
        else:
            self.audit.record("webhook.received", outcome, **log)
        return outcome

    def _read_event(self, gateway_name, event):
        """The `EventRead` of an event that credits or records a failure, `fresh` when it is to be
        applied; None for other events and unknown payment orders. An event reporting another amount
        or currency than its payment order's is AmountMismatch (audited) while that one is unpaid,
        and not fresh (a duplicate) once it is paid."""
        if event.action not in (CREDIT_WALLET, RECORD_FAILURE):
            return None
        reported = event.amount_minor
        if event.action == CREDIT_WALLET and reported is not None and not is_amount_minor(reported, event.currency):
            paid = self._check_event_amount(gateway_name, event)  # never put in a query
            return None if paid is None else EventRead(paid, fresh=False, wallets={}, cases=None)
        gateways = confirmed_by(self.payments.gateways, gateway_name)  # Google Pay's, for PayPal's webhooks
        read = self.payment_orders.for_event(gateways, event)
        if read is None or read.elsewhere:  # None: not ours; elsewhere: its id was applied to another
            return read
        payment_order = read.payment_order
        if event.action == CREDIT_WALLET and reported is not None:
            if (reported, event.currency) != (payment_order.amount_minor, payment_order.currency):
                if not payment_order.is_paid:
                    self.topups.check_reported_amount(
                        payment_order, reported, event.currency, event.gateway_payment_id, event.event_type
                    )
                return replace(read, fresh=False)
        if not read.fresh and event.action == CREDIT_WALLET and not payment_order.is_paid and not event.charge_required:
            # Kept, yet not credited: claimed by an earlier version, whose process died before it
            # released the claim. Apply it; the ledger's key keeps it once.
            read = replace(read, fresh=True)
        if read.fresh and event.charge_required and not self.single_use_events.claim(gateway_name, event):
            return replace(read, fresh=False)  # a token already posted, for this payment order or another
        return read

    def _check_event_amount(self, gateway_name, event):
        """A credit event whose amount or currency differs from its payment order's: the payment order
        when it is credited already (the event is a duplicate), None when there is none; for an
        unpaid one AmountMismatch or InvalidAmount (audited), before anything is written."""
        payment_order = self.payment_orders.by_event(confirmed_by(self.payments.gateways, gateway_name), event)
        if payment_order is not None and not payment_order.is_paid:
            self.topups.check_reported_amount(
                payment_order, event.amount_minor, event.currency, event.gateway_payment_id, event.event_type
            )
        return payment_order

    def _apply_event(self, gateway, event, read):
        """(outcome, whether this event credited the wallet) for a fresh event of `read.payment_order`."""
        payment_order = read.payment_order
        if event.action == CREDIT_WALLET and payment_order.is_paid:
            paid_by = payment_order.gateway_payment_id
            if not event.charge_required and paid_by and event.gateway_payment_id not in (None, paid_by):
                self.topups.give_back_second_payment(payment_order, event.gateway_payment_id)
                return "second_payment", False
            return "duplicate", False  # credited already: no second charge or credit
        if event.action == RECORD_FAILURE:
            self.payment_orders.mark_failed(payment_order.id, event.failure_reason, event.event_id)
            return "recorded", False
        try:
            if event.charge_required:
                self.topups.refuses_before_charge(payment_order)  # a token over a limit is never charged
            payment_id = (
                self._charge(gateway, event, payment_order) if event.charge_required else event.gateway_payment_id
            )
            if payment_id != event.gateway_payment_id:
                read = replace(read, cases=None)  # the cases read were of another payment id: read them again
            _entry, created = self.topups.confirm(
                payment_order,
                payment_id,
                source=event.event_type,
                read=read,
                event_id=event.event_id,
                event_type=event.event_type,
            )
        except LapsedTopupRefused:
            return "over_limit", False  # given back at its gateway, or never charged (`Topups`)
        return "processed", created

    def _charge(self, gateway, event, payment_order):
        """Charge (or capture) the event's payment; its payment id. What the gateway reports it took
        (a `ConfirmedPayment`) must be the initiated amount and currency (else AmountMismatch, audited)."""
        charged = gateway.charge(event, payment_order)
        if not isinstance(charged, ConfirmedPayment):
            return charged
        self.topups.check_reported_amount(
            payment_order, charged.amount_minor, charged.currency, charged.gateway_payment_id, event.event_type
        )
        return charged.gateway_payment_id
