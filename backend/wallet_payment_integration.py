"""The integration's façade: the contract's names over the flows of `backend.flows` (one module per
flow), wired with their repositories by `IntegrationParts`. The wallet's own operations (holds,
withdrawals, limits) are `WalletAccounts`'. Amounts are integer minor units; the HTTP edge converts."""

from .currencies import amount_in
from .integration_parts import IntegrationParts, run_each


class WalletPaymentIntegration(IntegrationParts):
    """`WalletPaymentIntegration(wallet_service, payment_service, db, **options)`: see `IntegrationParts`."""

    # --- the contract's names ----------------------------------------------------------------
    def process_payment_webhook(self, gateway_name, raw_body, headers):
        """Verify, de-duplicate by event id and apply a gateway webhook; returns an outcome word."""
        return self.webhooks.process(gateway_name, raw_body, headers)

    def initiate_wallet_topup_payment(
        self, customer_id, amount_minor, payment_method="razorpay", currency=None, operation_id=None
    ):
        """Create a gateway order in `currency` (None: the default) and record it as a `created` payment
        order. `operation_id`: the request's, whose retry answers the payment order it recorded."""
        return self.topups.initiate(customer_id, amount_minor, payment_method, currency, operation_id)

    def link_payment_to_order(self, order_id, customer_id, amount_minor, operation_id=None, currency=None):
        """Pay a pending order from the wallet (one debit per life of the order); the debit entry.
        `operation_id`: the request's, or its `KeyedOperation` (`backend.idempotency`). `currency`: the
        one `amount_minor` is in (None: the default, or the order's if it has as many decimals)."""
        amount = amount_in(currency, self.currency)
        return self.order_payments.pay(order_id, customer_id, amount_minor, operation_id, amount)

    def process_refund_to_wallet(self, order_id, customer_id, amount_minor, reason="", refund_id=None, currency=None):
        """Refund part or all of a paid order into the wallet; the credit entry. `refund_id`: the
        request's, or its `KeyedOperation` (`backend.idempotency`). `currency`: as for paying."""
        amount = amount_in(currency, self.currency)
        return self.refunds.refund(order_id, customer_id, amount_minor, reason, refund_id, amount)

    def get_integration_status(self, customer_id, currency=None):
        """The wallet's balance, totals per kind and newest entries, in minor units."""
        return self.status_view.status(customer_id, currency)

    # --- top-ups, recovery, settlement, reconcile --------------------------------------------
    def find_payment_order(self, payment_order_id):
        """The `PaymentOrder` with this id, or PaymentOrderNotFound."""
        return self.topups.find(payment_order_id)

    def verify_wallet_topup(self, payment_order, fields):
        """The customer's return from checkout: (wallet, whether this payment credited it, a second
        payment's refund status or None)."""
        return self.topups.verify(payment_order, fields)

    def recover(self, grace_seconds=60.0, batches_max=100):
        """Finish the entries whose follow-ups are not known done and the withdrawals whose request
        died; ask gateways about our refunds nobody heard of. `{finished, interrupted, ...}`."""
        steps = {
            "followups": lambda: self.followups.recover(grace_seconds, batches_max),
            "withdrawals": self.withdrawals.resume,
            "refunds_asked": lambda: self.our_refunds.retry_due(limit=batches_max),
            "authorizations": lambda: self.order_holds.expire(grace_seconds),
        }
        results, failure = run_each(steps)  # one step's failure never keeps the others from running
        if failure is not None:
            raise failure
        return dict(results.pop("followups"), **results)

    def settle(self, gateway_name, day):
        """Match the gateway's report of `day` to the ledger, heal what heals (SPEC §11): (day, exceptions)."""
        return self.settlement.settle(gateway_name, day)

    def reconcile(self, customer_id=None):
        """Every drift between balances, ledgers and orders (of one customer's, when given); reads only."""
        return self.reconciler.reconcile_customer(customer_id) if customer_id else self.reconciler.reconcile()


def handle_razorpay_webhook(integration, raw_body, headers):
    """Entry point for Razorpay's webhook (raw bytes, request headers)."""
    return integration.process_payment_webhook("razorpay", raw_body, headers)


def handle_paypal_webhook(integration, raw_body, headers):
    """Entry point for PayPal's webhook."""
    return integration.process_payment_webhook("paypal", raw_body, headers)


def handle_google_pay_webhook(integration, raw_body, headers):
    """Entry point for the Google Pay token submission."""
    return integration.process_payment_webhook("google_pay", raw_body, headers)
