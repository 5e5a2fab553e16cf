"""The integration: top-ups through a gateway, paying orders from the wallet, refunds into it.

It takes its collaborators in the constructor and never touches `flask.request`; amounts are
integer minor units. Each money movement is one ledger entry (see `wallet_service`) followed by
an idempotent "finalize" write on the payment order or order, which recovery repeats after a crash.
"""
import datetime

from .audit import AuditLog
from .clock import iso, new_id, utcnow
from .errors import (
    AmountDiffersFromOrder, AmountMismatch, IdempotencyKeyReused, IntegrationError, InvalidAmount, OrderAlreadyPaid,
    OrderNotPayable, OrderNotRefundable, PaymentOrderNotFound, RefundExceedsPaid,
)
from .gateways.base import CREDIT_WALLET, RECORD_FAILURE
from .money import is_amount_minor, to_major
from .orders import PAID_STATES, OrderBook
from .payment_orders import PaymentOrders
from .validation import check_json_text
from .wallet_service import CREDIT
from .webhook_events import WebhookEvents


class WalletPaymentIntegration:
    def __init__(self, wallet_service, payment_service, db, *, currency="INR", outbox=None,
                 audit=None, clock=utcnow):
        self.wallet = wallet_service
        self.payments = payment_service
        self.payment_orders = PaymentOrders(db, clock)
        self.orders = OrderBook(db)
        self.webhook_events = WebhookEvents(db, clock)
        self.audit = audit or AuditLog(db, clock)
        self.currency = currency
        self.outbox = outbox
        self.clock = clock

    # --- top-up ------------------------------------------------------------------------------
    def initiate_wallet_topup_payment(self, customer_id, amount_minor, payment_method="razorpay"):
        """Create a gateway order and record it as a `created` payment order."""
        gateway = self.payments.gateway(payment_method)
        reference = new_id("wtp")
        checkout = gateway.create_order(reference, amount_minor, self.currency, customer_id)
        self.payment_orders.create(checkout.gateway_order_id, reference, gateway.name, customer_id,
                                   amount_minor, self.currency)
        self.audit.note("topup.initiated", "ok", customer_id=customer_id, gateway=gateway.name,
                          payment_order_id=checkout.gateway_order_id, amount_minor=amount_minor,
                          currency=self.currency)
        return {
            "payment_order_id": checkout.gateway_order_id,
            "redirect_url": checkout.redirect_url,
            "key_id": gateway.key_id,
            "amount_minor": amount_minor,
            "currency": self.currency,
        }

    def find_payment_order(self, payment_order_id):
        """The `PaymentOrder` with this id, or `PaymentOrderNotFound`."""
        payment_order = self.payment_orders.get(payment_order_id)
        if payment_order is None:
            raise PaymentOrderNotFound()
        return payment_order

    def verify_wallet_topup(self, payment_order, fields):
        """The customer's return from checkout: the gateway confirms, then credit (once).

        Returns the wallet and whether the credit is this payment's (False when the payment order
        was already credited for another payment of it, which the audit log records)."""
        gateway = self.payments.gateway(payment_order.gateway)
        confirmed = gateway.confirm_checkout(payment_order, fields)
        if confirmed.amount_minor is not None:
            self._check_reported_amount(payment_order, confirmed.amount_minor, confirmed.currency,
                                        confirmed.gateway_payment_id, "verify")
        entry = self.confirm_topup(payment_order, confirmed.gateway_payment_id, source="verify")
        wallet = self.wallet.get_wallet(payment_order.customer_id, payment_order.currency)
        return wallet, entry["reference"].get("gateway_payment_id") == confirmed.gateway_payment_id

    def confirm_topup(self, payment_order, gateway_payment_id, source):
        """Credit the amount recorded at initiate, exactly once per payment order."""
        entry, created = self.wallet.credit(
            payment_order.customer_id, payment_order.currency, payment_order.amount_minor,
            kind="topup", key=f"topup:{payment_order.id}",
            reference={"payment_order_id": payment_order.id, "gateway": payment_order.gateway,
                       "gateway_payment_id": gateway_payment_id},
        )
        self._finalize(entry)
        fields = dict(customer_id=entry["customer_id"], payment_order_id=payment_order.id,
                      gateway_payment_id=gateway_payment_id, transaction_id=entry["_id"],
                      amount_minor=entry["amount_minor"], currency=entry["currency"], reason=source)
        if created:
            self.audit.record("wallet.credited", "ok", **fields)
        elif entry["reference"].get("gateway_payment_id") != gateway_payment_id:
            self.audit.record("topup.second_payment", "rejected", **fields)
        return entry

    def _check_reported_amount(self, payment_order, amount_minor, currency, payment_id, source):
        """A gateway-reported amount is a valid amount (else `InvalidAmount`) and the initiated one."""
        valid = is_amount_minor(amount_minor, payment_order.currency)
        if not valid or amount_minor != payment_order.amount_minor or currency != payment_order.currency:
            self.audit.record("topup.amount_mismatch", "rejected", payment_order_id=payment_order.id,
                              customer_id=payment_order.customer_id, gateway_payment_id=payment_id,
                              amount_minor=amount_minor if valid else None, reason=source)
            raise AmountMismatch() if valid else InvalidAmount("The gateway reported an amount that is "
                                                               "not a positive amount within the limit.")

    # --- webhooks ----------------------------------------------------------------------------
    def process_payment_webhook(self, gateway_name, raw_body, headers):
        """Verify, de-duplicate by event id and apply a gateway webhook; returns an outcome word."""
        try:
            check_json_text(raw_body)  # before any gateway's parser recurses into it
            gateway = self.payments.gateway(gateway_name)
            event = gateway.parse_webhook(raw_body, headers)
        except IntegrationError as error:
            self.audit.record("webhook.rejected", "rejected", gateway=gateway_name, error=error.code)
            raise
        log = dict(gateway=gateway_name, event_id=event.event_id, event_type=event.event_type,
                   payment_order_id=event.payment_order_id, gateway_payment_id=event.gateway_payment_id)
        if not self.webhook_events.claim(gateway_name, event):
            self.audit.record("webhook.received", "duplicate", **log)
            return "duplicate"
        try:
            outcome = self._apply_event(gateway, event)
        except Exception:
            # Nothing of a rejected or failed event is kept, so a redelivery is judged afresh.
            self.webhook_events.release(gateway_name, event.event_id)
            raise
        self.webhook_events.close(gateway_name, event.event_id, outcome)
        self.audit.record("webhook.received", outcome, **log)
        return outcome

    def _apply_event(self, gateway, event):
        if event.action not in (CREDIT_WALLET, RECORD_FAILURE):
            return "ignored"
        payment_order = self._event_payment_order(event)
        if payment_order is None or payment_order.gateway != gateway.name:
            return "ignored"
        if event.action == CREDIT_WALLET and payment_order.is_paid:
            return "duplicate"  # credited already: no second charge or credit
        if event.action == RECORD_FAILURE:
            self.payment_orders.mark_failed(payment_order.id, event.failure_reason)
            return "recorded"
        if event.amount_minor is not None:
            self._check_reported_amount(payment_order, event.amount_minor, event.currency,
                                        event.gateway_payment_id, event.event_type)
        payment_id = gateway.charge(event, payment_order) if event.charge_required else event.gateway_payment_id
        self.confirm_topup(payment_order, payment_id, source=event.event_type)
        return "processed"

    def _event_payment_order(self, event):
        if event.payment_order_id is not None:
            return self.payment_orders.get(event.payment_order_id)
        if event.payment_order_reference is not None:
            return self.payment_orders.by_reference(event.payment_order_reference)
        return None

    # --- paying an order ---------------------------------------------------------------------
    def link_payment_to_order(self, order_id, customer_id, amount_minor, operation_id=None):
        """Pay a pending order from the wallet: one debit per order, never below zero. A retry of the
        same request (same `operation_id`) returns that payment, whether it finished it or not."""
        order = self.orders.for_customer(order_id, customer_id)
        if order["payment_status"] != "pending":
            if order["payment_status"] not in PAID_STATES + ("refunded",):
                raise OrderNotPayable()
            earlier = self.wallet.entry_for_key(f"payment:{order_id}") if operation_id else None
            if earlier is None or earlier.get("operation_id") != operation_id or earlier["status"] != "applied":
                raise OrderAlreadyPaid()
            return earlier  # this request's own payment, finished by recovery before the retry
        if amount_minor != order["amount_minor"]:
            raise AmountDiffersFromOrder("The amount must equal the order's amount.")
        entry, created = self.wallet.debit(customer_id, order["currency"], amount_minor, kind="payment",
                                           key=f"payment:{order_id}", reference={"order_id": order_id},
                                           operation_id=operation_id)
        self._finalize(entry)
        retried = not created and operation_id is not None and entry.get("operation_id") == operation_id
        if not created and not retried:
            raise OrderAlreadyPaid()
        self.audit.record("order.paid", "ok", customer_id=customer_id, order_id=order_id,
                          transaction_id=entry["_id"], amount_minor=amount_minor, currency=entry["currency"],
                          reason="retry" if retried else None)
        return entry

    # --- refunds -----------------------------------------------------------------------------
    def process_refund_to_wallet(self, order_id, customer_id, amount_minor, reason="", refund_id=None):
        """Credit part or all of a wallet-paid order back; all refunds together ≤ what was paid."""
        order = self.orders.for_customer(order_id, customer_id)
        if order["payment_status"] == "refunded":
            raise RefundExceedsPaid("This order is already fully refunded.")
        if order["payment_status"] not in PAID_STATES or order.get("paid_via") != "wallet":
            raise OrderNotRefundable()
        entry, created = self.wallet.open_entry(
            customer_id, order["currency"], amount_minor, CREDIT, "refund",
            key=f"refund:{refund_id or new_id('rfnd')}", reference={"order_id": order_id, "reason": reason},
        )
        if entry["reference"].get("order_id") != order_id or entry["amount_minor"] != amount_minor:
            raise IdempotencyKeyReused("This refund id belongs to another refund.")
        if entry["status"] == "pending" and not self.orders.reserve_refund(entry, order=order):
            self.wallet.void(entry)
            raise RefundExceedsPaid()
        entry = self.wallet.settle_or_pending(entry)
        self._finalize(entry)
        if created:
            self.audit.record("order.refunded", "ok", customer_id=customer_id, order_id=order_id,
                              transaction_id=entry["_id"], amount_minor=amount_minor,
                              currency=entry["currency"], reason=reason[:200])
        return entry

    # --- finishing, recovery, reconciliation -------------------------------------------------
    def _finalize(self, entry):
        """The writes that follow a ledger entry: mark its payment order or order, queue the
        customer's confirmation (each idempotent, so recovery can repeat them)."""
        if entry is None or entry.get("finalized"):
            return
        reference = entry["reference"]
        if entry["kind"] == "topup":
            self.payment_orders.mark_paid(reference["payment_order_id"], entry["_id"],
                                          reference.get("gateway_payment_id"))
        elif entry["kind"] == "payment":
            self.orders.mark_paid(entry, self.clock())
        if self.outbox is not None:
            self.outbox.enqueue(entry)
        self.wallet.mark_finalized(entry["_id"])

    def recover(self, grace_seconds=60.0):
        """Finish or undo operations interrupted between two writes; returns what it did."""
        cutoff = self.clock() - datetime.timedelta(seconds=grace_seconds)
        settled = voided = 0
        for entry in self.wallet.stale_pending(cutoff):
            if entry["kind"] == "refund" and not self.orders.reserve_refund(entry, void_if_absent=True):
                self.wallet.void(entry)
                voided += 1
                continue
            if entry["kind"] == "payment" and self._void_unpayable(entry):
                voided += 1
                continue
            self.wallet.settle(entry)
            settled += 1
        decisions = self.wallet.finish_wallet_decisions()
        finalized = 0
        for entry in self.wallet.unfinalized():
            self._finalize(entry)
            finalized += 1
        report = {"settled": settled, "voided": voided, "decisions": decisions, "finalized": finalized}
        if any(report.values()):
            self.audit.record("recovery.ran", "ok", count=sum(report.values()), reason=str(report))
        return report

    def _void_unpayable(self, entry):
        """Void an interrupted, undecided debit whose order is no longer payable by that customer for
        that amount (cancelled, paid by other means, changed); True when voided."""
        why = self.orders.why_not_payable(entry["reference"]["order_id"], entry["customer_id"],
                                          entry["amount_minor"])
        if why is None or not self.wallet.void_undecided(entry):
            return False
        self.audit.record("recovery.payment_voided", "ok", customer_id=entry["customer_id"],
                          order_id=entry["reference"]["order_id"], transaction_id=entry["_id"],
                          amount_minor=entry["amount_minor"], currency=entry["currency"], reason=why)
        return True

    def reconcile(self):
        """Every drift between balances, ledgers and orders (empty when all is well)."""
        drift = [dict(d, problem="wallet_balance") for d in self.wallet.reconcile()]
        return drift + self.orders.refund_drift(self.wallet.applied_refunds_by_order())

    def reconcile_customer(self, customer_id):
        """`reconcile` for one customer's wallets and wallet-paid orders (the support view)."""
        return [d for d in self.reconcile() if d.get("wallet_id", "").startswith(f"{customer_id}:")
                or d.get("customer_id") == customer_id]

    # --- status ------------------------------------------------------------------------------
    def get_integration_status(self, customer_id, currency=None):
        currency = currency or self.currency
        wallet = self.wallet.get_wallet(customer_id, currency)
        totals = wallet.get("totals", {})
        statistics = {"transaction_count": 0}
        for kind in ("topup", "payment", "refund"):
            statistics[f"total_{kind}s"] = to_major(totals.get(f"{kind}_minor", 0), currency)
            statistics[f"{kind}_count"] = totals.get(f"{kind}_count", 0)
            statistics["transaction_count"] += statistics[f"{kind}_count"]
        return {
            "wallet": {"customer_id": customer_id, "balance": to_major(wallet["balance_minor"], currency),
                       "currency": currency},
            "statistics": statistics,
            "recent_transactions": [transaction_view(e) for e in self.wallet.recent_entries(customer_id, currency)],
        }


def transaction_view(entry):
    """A ledger entry as the API shows it."""
    currency = entry["currency"]
    return {
        "transaction_id": entry["_id"],
        "type": entry["type"],
        "kind": entry["kind"],
        "amount": to_major(entry["amount_minor"], currency),
        "currency": currency,
        "balance_after": to_major(entry["balance_after_minor"], currency),
        "reference": {k: v for k, v in entry["reference"].items() if k != "reason"},
        "created_at": iso(entry.get("applied_at") or entry["created_at"]),
    }


def handle_razorpay_webhook(integration, raw_body, headers):
    """Entry point for Razorpay's webhook (raw bytes, request headers)."""
    return integration.process_payment_webhook("razorpay", raw_body, headers)


def handle_paypal_webhook(integration, raw_body, headers):
    """Entry point for PayPal's webhook."""
    return integration.process_payment_webhook("paypal", raw_body, headers)


def handle_google_pay_webhook(integration, raw_body, headers):
    """Entry point for the Google Pay token submission."""
    return integration.process_payment_webhook("google_pay", raw_body, headers)
