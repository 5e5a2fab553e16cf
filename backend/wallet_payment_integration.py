"""The integration: top-ups through a gateway, paying orders from the wallet, refunds into it.

It takes its collaborators in the constructor and never touches `flask.request`; amounts are
integer minor units. Each money movement is one ledger entry (see `wallet_service`) followed by
idempotent writes on its payment order or order, which the worker's `finish_entries` repeats (and
completes with the customer's confirmation) after the request, or after a crash: docs/ledger.md.
"""
import contextlib
import datetime

from pymongo.errors import PyMongoError

from .audit import AuditLog
from .clock import iso, new_id, utcnow
from .errors import (
    AmountDiffersFromOrder, AmountMismatch, IdempotencyKeyReused, IntegrationError, InvalidAmount, OperationPending,
    OrderAlreadyPaid, OrderNotPayable, OrderNotRefundable, PaymentOrderNotFound, RefundExceedsPaid, StoreUnavailable,
)
from .gateways.base import CREDIT_WALLET, RECORD_FAILURE
from .money import is_amount_minor, to_major
from .orders import PAID_STATES, OrderBook, RefundSlot, in_life, order_currency, paid_by, payment_key
from .payment_orders import PaymentOrders
from .validation import check_json_text
from .wallet_service import FINISH_BATCH_MAX, WalletService, wallet_id
from .webhook_events import WebhookEvents

LIVES_MAX = 5  # a payment request meets at most this many ended lives of its order before it gives up


class WalletPaymentIntegration:
    def __init__(self, wallet_service, payment_service, db, *, currency="INR", outbox=None,
                 audit=None, clock=utcnow):
        self.wallet = wallet_service
        self.payments = payment_service
        self.payment_orders = PaymentOrders(db, clock)
        self.orders = OrderBook(db)
        self.single_use_events = WebhookEvents(db, clock)
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

        Returns the wallet (`balance_minor`, `currency`) and whether the credit is this payment's
        (False when the payment order was already credited for another payment of it, which the
        audit log records, or before this return, which brought no payment of its own)."""
        gateway = self.payments.gateway(payment_order.gateway)
        confirmed = gateway.confirm_checkout(payment_order, fields)
        if confirmed.amount_minor is not None:
            self._check_reported_amount(payment_order, confirmed.amount_minor, confirmed.currency,
                                        confirmed.gateway_payment_id, "verify")
        entry, created = self.confirm_topup(payment_order, confirmed.gateway_payment_id, source="verify")
        wallet = ({"balance_minor": entry["balance_after_minor"], "currency": entry["currency"]} if created else
                  self.wallet.get_wallet(payment_order.customer_id, payment_order.currency))
        same_payment = entry["reference"].get("gateway_payment_id") == confirmed.gateway_payment_id
        return wallet, same_payment and not confirmed.earlier

    def confirm_topup(self, payment_order, gateway_payment_id, source, **audit_fields):
        """Credit the amount recorded at initiate, exactly once per payment order; (entry, created).
        The audit entry (`wallet.credited`, or `topup.second_payment` for another payment of a
        credited top-up) carries `audit_fields` too (a webhook's event id and type)."""
        entry, created = self.wallet.credit(
            payment_order.customer_id, payment_order.currency, payment_order.amount_minor,
            kind="topup", key=f"topup:{payment_order.id}",
            reference={"payment_order_id": payment_order.id, "gateway": payment_order.gateway,
                       "gateway_payment_id": gateway_payment_id},
        )
        with pending_on_store_error(entry):
            if created or not payment_order.is_paid:
                self._mark_topup_paid(entry)
            self._audit_topup(entry, created, payment_order, gateway_payment_id, source, audit_fields)
        return entry, created

    def _audit_topup(self, entry, created, payment_order, gateway_payment_id, source, audit_fields):
        fields = dict(audit_fields, customer_id=entry["customer_id"], payment_order_id=payment_order.id,
                      gateway=payment_order.gateway, gateway_payment_id=gateway_payment_id,
                      transaction_id=entry["_id"], amount_minor=entry["amount_minor"],
                      currency=entry["currency"], reason=source)
        if created:
            self.audit.record("wallet.credited", "ok", **fields)
        elif entry["reference"].get("gateway_payment_id") != gateway_payment_id:
            self.audit.record("topup.second_payment", "rejected", **fields)

    def _mark_topup_paid(self, entry):
        reference = entry["reference"]
        self.payment_orders.mark_paid(reference["payment_order_id"], entry["_id"], reference.get("gateway_payment_id"))

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
        log = dict(gateway=gateway_name, event_id=event.event_id, event_type=event.event_type,
                   payment_order_id=event.payment_order_id, gateway_payment_id=event.gateway_payment_id)
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
        payment_order, fresh = self.payment_orders.claim_event(gateway_name, event)
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
        payment_order = self.payment_orders.by_event(gateway_name, event)
        if payment_order is not None and not payment_order.is_paid:
            self._check_reported_amount(payment_order, event.amount_minor, event.currency,
                                        event.gateway_payment_id, event.event_type)
        return payment_order

    def _apply_event(self, gateway, event, payment_order):
        """(outcome, whether this event credited the wallet) for a claimed event of `payment_order`."""
        if event.action == CREDIT_WALLET and payment_order.is_paid:
            return "duplicate", False  # credited already: no second charge or credit
        if event.action == RECORD_FAILURE:
            self.payment_orders.mark_failed(payment_order.id, event.failure_reason)
            return "recorded", False
        payment_id = gateway.charge(event, payment_order) if event.charge_required else event.gateway_payment_id
        _entry, created = self.confirm_topup(payment_order, payment_id, source=event.event_type,
                                             event_id=event.event_id, event_type=event.event_type)
        return "processed", created

    # --- paying an order ---------------------------------------------------------------------
    def link_payment_to_order(self, order_id, customer_id, amount_minor, operation_id=None):
        """Pay a pending order from the wallet: one debit per life of the order (a reopened order is
        a new life, paid anew), never below zero. A retry of the same request (same `operation_id`)
        returns that payment, whether it finished it or not."""
        order = self.orders.for_customer(order_id, customer_id)
        currency = order_currency(order)
        if order["payment_status"] != "pending":
            return self._paid_already(order, operation_id)
        if amount_minor != order["amount_minor"]:
            raise AmountDiffersFromOrder("The amount must equal the order's amount.")
        for _ in range(LIVES_MAX):
            ticket = order.get("payment_ticket")
            entry, created = self.wallet.debit(customer_id, currency, amount_minor, kind="payment",
                                               key=payment_key(order_id, ticket),
                                               reference={"order_id": order_id, "order_life": ticket},
                                               operation_id=operation_id)
            if created or not entry.get("settled"):
                break
            if entry.get("operation_id") == operation_id and operation_id is not None:
                return self._retried(entry)
            # The key belongs to a payment of an ended life (the shop replaced a paid order's
            # document, dropping the wallet's fields): give the order a life of its own.
            order = self.orders.new_ticket(order)
            if order is None or order["payment_status"] != "pending" or order["amount_minor"] != amount_minor:
                raise OrderNotPayable()
        else:
            raise StoreUnavailable("The order keeps changing; nothing was debited. Try again.")
        with pending_on_store_error(entry):
            if not self._settle_payment(entry):
                raise OrderNotPayable("The order changed while it was being paid; the amount was returned "
                                      "to the wallet.")
            retried = not created and operation_id is not None and entry.get("operation_id") == operation_id
            if not created and not retried:
                raise OrderAlreadyPaid()
            self.audit.record("order.paid", "ok", customer_id=customer_id, order_id=order_id,
                              transaction_id=entry["_id"], amount_minor=amount_minor, currency=entry["currency"],
                              reason="retry" if retried else None)
        return entry

    def _paid_already(self, order, operation_id):
        """A payment of an order that is not pending: this request's own payment when it is a retry
        of the one that paid it (or gave it back), else OrderAlreadyPaid / OrderNotPayable."""
        if order["payment_status"] not in PAID_STATES + ("refunded",):
            raise OrderNotPayable()
        earlier = (self.wallet.entry_for_operation(order["customer_id"], order["currency"], operation_id,
                                                   order["order_id"]) if operation_id else None)
        if earlier is None:
            raise OrderAlreadyPaid()
        return self._retried(earlier, order)

    def _retried(self, earlier, order=None):
        """The outcome of a payment request retried after its debit `earlier` was settled."""
        order = order or self.orders.orders.find_one({"order_id": earlier["reference"]["order_id"]}) or {}
        if earlier.get("settled") == "given_back" or (earlier.get("settled") is None and
                                                      not paid_by(order, earlier["_id"])):
            raise OrderNotPayable("The order was paid otherwise; this payment was returned to the wallet.")
        return earlier  # this request's own payment, finished before the retry

    def _settle_payment(self, entry):
        """Mark the order paid by the debit `entry`; when it is no longer payable by it (cancelled,
        paid otherwise, reopened, or changed since it was read), give the amount back. The outcome
        is then recorded on the entry (`settled`: paid | given_back), so a later life of the order,
        or a shop that replaced the order's document, never meets an undecided debit. True when paid."""
        if self.orders.mark_paid(entry, self.clock()) or not self.orders.give_back(entry):
            self.wallet.settle(entry, "paid")
            return True
        order_id = entry["reference"]["order_id"]
        reversal, created = self.wallet.credit(
            entry["customer_id"], entry["currency"], entry["amount_minor"], kind="reversal",
            key=f"reversal:{entry['_id']}", reference={"order_id": order_id, "reversal_of": entry["_id"]})
        self.wallet.settle(entry, "given_back")
        if created:
            why = self.orders.why_not_payable(order_id, entry["customer_id"], entry["amount_minor"]) or "order_changed"
            self.audit.record("payment.reversed", "ok", customer_id=entry["customer_id"], order_id=order_id,
                              transaction_id=reversal["_id"], amount_minor=entry["amount_minor"],
                              currency=entry["currency"], reason=why)
        return False

    # --- refunds -----------------------------------------------------------------------------
    def process_refund_to_wallet(self, order_id, customer_id, amount_minor, reason="", refund_id=None):
        """Credit part or all of a paid order (paid from the wallet or at the shop's checkout) back
        to the wallet; all refunds of the order's life together never exceed what was paid. A retry
        with the same `refund_id` returns that refund, even once it no longer fits (it is counted already)."""
        order = self.orders.for_customer(order_id, customer_id)
        currency = order_currency(order, OrderNotRefundable)
        key = f"refund:{refund_id or new_id('rfnd')}"
        try:
            if order["payment_status"] == "refunded":
                raise RefundExceedsPaid("This order is already fully refunded.")
            if order["payment_status"] not in PAID_STATES:
                raise OrderNotRefundable()
            self.orders.refund_fields(order, amount_minor)  # a refund that does not fit writes nothing
            wid = wallet_id(customer_id, currency)
            if order.get("refund_wallet_id") != wid:
                pinned_wid, order = self.orders.refund_wallet(order, wid)
                if pinned_wid != wid:
                    raise OrderNotRefundable("This order's refunds go to the wallet that paid it or had its "
                                             "first refund, not this one.")
            slot = RefundSlot(self.orders, self.wallet, order, wid)
            entry, created = self.wallet.credit(customer_id, currency, amount_minor, "refund", key=key,
                                                reference={"order_id": order_id, "reason": reason}, slot=slot)
        except RefundExceedsPaid:
            entry = refund_id and self.wallet.entry_for_key(customer_id, currency, key)
            if not entry:
                raise
            created = False
        if entry["reference"].get("order_id") != order_id or entry["amount_minor"] != amount_minor:
            raise IdempotencyKeyReused("This refund id belongs to another refund.")
        if created:
            with pending_on_store_error(entry):
                self.audit.record("order.refunded", "ok", customer_id=customer_id, order_id=order_id,
                                  transaction_id=entry["_id"], amount_minor=amount_minor,
                                  currency=entry["currency"], reason=reason[:200])
        return entry

    # --- finishing, recovery, reconciliation -------------------------------------------------
    def finish_entries(self, limit=FINISH_BATCH_MAX):
        """The follow-ups of up to `limit` entries not yet finalized, oldest first: roll their wallets
        forward, mark their payment order or order (or roll the order's refunds forward), queue the
        customer's confirmation, then mark them finalized. Each step is idempotent, so this may run
        beside the requests that made the entries, and again after a crash. Returns the entries."""
        entries = self.wallet.unfinalized(limit)
        if not entries:
            return []
        self.wallet.catch_up_wallets(entries)
        done = self._followed_up(entries)
        for entry in sorted(entries, key=lambda e: (e["wallet_id"], e["sequence"])):
            if entry["_id"] in done:
                continue
            if entry["kind"] == "topup":
                self._mark_topup_paid(entry)
            elif entry["kind"] == "payment":
                self._settle_payment(entry)
            elif entry["kind"] == "refund":
                self.orders.catch_up_refunds(entry["reference"]["order_id"], self.wallet, entry["wallet_id"],
                                             entry["reference"].get("order_life"))
        if self.outbox is not None:  # a payment given back is not confirmed as paid: its reversal says what happened
            self.outbox.enqueue_many(e for e in entries if not self._given_back(e))
        self.wallet.mark_finalized(e["_id"] for e in entries)
        return entries

    def _followed_up(self, entries):
        """Ids of `entries` whose follow-up writes are visible already (the request made them, as it
        does unless it was interrupted), read in two queries for the whole batch."""
        topups = [e for e in entries if e["kind"] == "topup"]
        paid = self.payment_orders.paid_ids([e["reference"]["payment_order_id"] for e in topups])
        done = {e["_id"] for e in topups if e["reference"]["payment_order_id"] in paid}
        done |= {e["_id"] for e in entries if e["kind"] == "payment" and e.get("settled")}
        refunds = [e for e in entries if e["kind"] == "refund"]
        orders = self.orders.by_ids([e["reference"]["order_id"] for e in refunds])
        for entry in refunds:
            order = orders.get(entry["reference"]["order_id"], {})
            if (not in_life(order, entry["wallet_id"], entry["reference"].get("order_life"))
                    or order.get("refund_seq", 0) >= entry["refund_seq"]):
                done.add(entry["_id"])
        return done

    @staticmethod
    def _given_back(entry):
        """True for a payment whose order was not paid by it (the debit was given back)."""
        return entry["kind"] == "payment" and entry.get("settled") == "given_back"

    def recover(self, grace_seconds=60.0, batches_max=100):
        """Finish every entry whose follow-ups are not known done (see `finish_entries`); those older
        than `grace_seconds` were interrupted (a crash between two writes) and are audited."""
        cutoff = self.clock() - datetime.timedelta(seconds=grace_seconds)
        finished = interrupted = 0
        for _ in range(batches_max):
            entries = self.finish_entries()
            finished += len(entries)
            interrupted += sum(1 for e in entries if e["created_at"] <= cutoff)
            if len(entries) < FINISH_BATCH_MAX:
                break
        if interrupted:
            self.audit.record("recovery.ran", "ok", count=interrupted,
                              reason=f"finished {interrupted} interrupted operation(s)")
        return {"finished": finished, "interrupted": interrupted}

    def reconcile(self):
        """Every drift between balances, ledgers and orders (empty when all is well)."""
        drift = [dict(d, problem="wallet_balance") for d in self.wallet.reconcile()]
        return drift + self.orders.refund_drift(self.wallet.refunds_by_order(), self.wallet)

    def reconcile_customer(self, customer_id):
        """`reconcile` for one customer's wallets and orders (the support view)."""
        drift = [dict(d, problem="wallet_balance") for d in self.wallet.reconcile_customer(customer_id)]
        return drift + self.orders.refund_drift_of_customer(customer_id, self.wallet)

    # --- status ------------------------------------------------------------------------------
    def get_integration_status(self, customer_id, currency=None):
        currency = currency or self.currency
        recent = self.wallet.recent_entries(customer_id, currency)
        wallet = WalletService.current(self.wallet.get_wallet(customer_id, currency), recent)
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
            "recent_transactions": [transaction_view(e) for e in recent],
        }


@contextlib.contextmanager
def pending_on_store_error(entry):
    """A store error after `entry` is in the ledger is OperationPending (with its id), not a plain
    store error: the money moved; a retry or recovery finishes what follows."""
    try:
        yield
    except (PyMongoError, StoreUnavailable):
        raise OperationPending(entry["_id"]) from None


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
        "created_at": iso(entry["created_at"]),
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
