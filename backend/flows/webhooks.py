"""Webhook intake: a gateway's webhook verified (signature over the raw body), de-duplicated by
its event id and applied: a capture credits its top-up once, a failure is recorded."""

from ..errors import IntegrationError, InvalidAmount
from ..gateways.base import AFTER_CREDIT_ACTIONS, CREDIT_WALLET, RECORD_FAILURE, ConfirmedPayment, confirmed_by
from ..money import is_amount_minor
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

        An event is claimed on its payment order (its id added to `webhook_event_ids` by the same
        write that reads the payment order), so a redelivery finds it there; an event that makes the
        service charge (a Google Pay token) is also claimed in `webhook_events`, so no token is
        charged twice, even for another payment order. A processed credit is recorded once, as
        `wallet.credited` with the event's id; every other outcome as
        `webhook.received`. The claim is released when processing fails, so a redelivery is judged
        afresh; a process that dies mid-way leaves it claimed, and the gateway sweep settles the
        payment order with the gateway (docs/sweep.md)."""
        try:
            check_json_text(raw_body)  # before any gateway's parser recurses into it
            gateway = self.payments.gateway(gateway_name)
            event = gateway.parse_webhook(raw_body, headers)
        except IntegrationError as error:
            self.audit.record("webhook.rejected", "rejected", gateway=gateway_name, error=error.code)
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
        payment_order, fresh = self._claim_event(gateway_name, event)
        if payment_order is None or not fresh:
            outcome = "ignored" if payment_order is None else "duplicate"
            self.audit.record("webhook.received", outcome, **log)
            return outcome
        log.update(payment_order_id=payment_order.id, customer_id=payment_order.customer_id)
        try:
            outcome, credited = self._apply_event(gateway, event, payment_order)
        except Exception:
            self.payment_orders.release_event(payment_order.id, event.event_id)
            if event.charge_required:
                self.single_use_events.release(gateway_name, event.event_id)
            raise
        if credited:
            self.audit.note("webhook.received", outcome, **log)  # its record is the `wallet.credited` entry
        else:
            self.audit.record("webhook.received", outcome, **log)
        return outcome

    def _claim_event(self, gateway_name, event):
        """(payment order, fresh) for an event that credits or records a failure: its payment order
        with the event claimed on it, and whether to apply it. (None, False) for other events and
        unknown payment orders; AmountMismatch when only the amount differs from an unpaid one."""
        if event.action not in (CREDIT_WALLET, RECORD_FAILURE):
            return None, False
        reported = event.amount_minor
        if event.action == CREDIT_WALLET and reported is not None and not is_amount_minor(reported, event.currency):
            return self._check_event_amount(gateway_name, event), False  # never put in a query
        gateways = confirmed_by(self.payments.gateways, gateway_name)  # Google Pay's, for PayPal's webhooks
        payment_order, fresh = self.payment_orders.claim_event(gateways, event)
        if payment_order is None and event.action == CREDIT_WALLET and reported is not None:
            return self._check_event_amount(gateway_name, event), False
        if payment_order is None:
            return None, False
        if not fresh and event.action == CREDIT_WALLET and not payment_order.is_paid and not event.charge_required:
            # Claimed before, yet not credited: that delivery failed and its process died before it
            # released the claim (or it is still running). Apply it; the ledger's key keeps it once.
            fresh = True
        if fresh and event.charge_required and not self.single_use_events.claim(gateway_name, event):
            self.payment_orders.release_event(payment_order.id, event.event_id)
            fresh = False  # a token already posted, for this payment order or another
        return payment_order, fresh

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

    def _apply_event(self, gateway, event, payment_order):
        """(outcome, whether this event credited the wallet) for a claimed event of `payment_order`."""
        if event.action == CREDIT_WALLET and payment_order.is_paid:
            paid_by = payment_order.gateway_payment_id
            if not event.charge_required and paid_by and event.gateway_payment_id not in (None, paid_by):
                self.topups.give_back_second_payment(payment_order, event.gateway_payment_id)
                return "second_payment", False
            return "duplicate", False  # credited already: no second charge or credit
        if event.action == RECORD_FAILURE:
            self.payment_orders.mark_failed(payment_order.id, event.failure_reason)
            return "recorded", False
        payment_id = self._charge(gateway, event, payment_order) if event.charge_required else event.gateway_payment_id
        _entry, created = self.topups.confirm(
            payment_order, payment_id, source=event.event_type, event_id=event.event_id, event_type=event.event_type
        )
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
