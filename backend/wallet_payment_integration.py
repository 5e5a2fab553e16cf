"""The integration's façade: the contract's names over the flows of `backend.flows` (one module per
flow), wired with their repositories. Amounts are integer minor units; the HTTP edge converts."""

from .audit import AuditLog
from .clock import utcnow
from .customer_leases import CustomerLeases
from .flows.after_credit import AfterCredit
from .flows.followups import FollowUps
from .flows.order_holds import OrderHolds
from .flows.our_refunds import OurRefunds
from .flows.payments import OrderPayments
from .flows.reconcile import Reconciler
from .flows.refunds import Refunds
from .flows.settlement import Settlement
from .flows.status import StatusView
from .flows.topups import Topups
from .flows.webhooks import WebhookIntake
from .flows.withdrawals import Withdrawals
from .gateway_cases import GatewayCases
from .gateway_refunds import GatewayRefunds
from .ledger_history import LedgerHistory
from .order_authorizations import OrderAuthorizations
from .orders import OrderBook
from .payment_orders import PaymentOrders
from .settlement_books import SettlementBooks
from .settlements import PaymentSettlements
from .wallet_holds import WalletHolds
from .wallet_limits import WalletLimits
from .webhook_events import WebhookEvents
from .withdrawal_book import WithdrawalBook


class WalletPaymentIntegration:
    def __init__(
        self,
        wallet_service,
        payment_service,
        db,
        *,
        currency="INR",
        outbox=None,
        audit=None,
        clock=utcnow,
        withdraw_days=180,
        limits_minor=None,
        hold_ttl_seconds=604800,
    ):
        self.wallet, self.payments, self.currency, self.outbox = wallet_service, payment_service, currency, outbox
        self.clock = clock
        self.history = LedgerHistory(db)
        self.payment_orders = PaymentOrders(db, clock)
        self.orders = OrderBook(db)
        self.audit = audit or AuditLog(db, clock)
        self.holds = WalletHolds(wallet_service)
        self.limits = WalletLimits(db, wallet_service, self.payment_orders, self.audit, limits_minor or {}, clock)
        self.our_refunds = OurRefunds(payment_service, GatewayRefunds(db, clock), self.audit)
        self.after_credit = AfterCredit.of(self, GatewayCases(db, clock))
        self.topups = Topups.of(self)
        self.webhooks = WebhookIntake.of(self, WebhookEvents(db, clock))
        settlements = PaymentSettlements(db, clock)
        self.order_payments = OrderPayments(wallet_service, self.orders, settlements, self.audit, clock)
        self.authorizations = OrderAuthorizations(db, clock)
        self.order_holds = OrderHolds(
            wallet_service, self.holds, self.orders, self.authorizations, self.audit, hold_ttl_seconds
        )
        self.refunds = Refunds(wallet_service, self.history, self.orders, self.audit)
        self.followups = FollowUps.of(self, settlements)
        self.cases = self.after_credit.cases
        self.withdrawals = Withdrawals(self, WithdrawalBook(db, clock), CustomerLeases(db, clock), withdraw_days)
        self.settlement = Settlement(self, SettlementBooks(db, clock))
        self.reconciler = Reconciler(wallet_service, self.orders)
        self.status_view = StatusView(wallet_service, self.history, currency)

    # --- the contract's names ----------------------------------------------------------------
    def process_payment_webhook(self, gateway_name, raw_body, headers):
        """Verify, de-duplicate by event id and apply a gateway webhook; returns an outcome word."""
        return self.webhooks.process(gateway_name, raw_body, headers)

    def initiate_wallet_topup_payment(self, customer_id, amount_minor, payment_method="razorpay"):
        """Create a gateway order and record it as a `created` payment order."""
        return self.topups.initiate(customer_id, amount_minor, payment_method)

    def link_payment_to_order(self, order_id, customer_id, amount_minor, operation_id=None):
        """Pay a pending order from the wallet (one debit per life of the order); the debit entry."""
        return self.order_payments.pay(order_id, customer_id, amount_minor, operation_id)

    def authorize_order(self, order_id, customer_id, amount_minor, operation_id=None):
        """Hold a pending order's amount (SPEC §10): `{hold_id, entry, expires_at}`."""
        return self.order_holds.authorize(order_id, customer_id, amount_minor, operation_id)

    def capture_order(self, order_id, amount_minor, customer_id=None):
        """Take at most the hold, release the rest: (capture entry, released minor units)."""
        return self.order_holds.capture(order_id, amount_minor, customer_id)

    def void_order(self, order_id, customer_id=None):
        """Release the order's hold; the order is pending again. The release entry."""
        return self.order_holds.void(order_id, customer_id)

    def process_refund_to_wallet(self, order_id, customer_id, amount_minor, reason="", refund_id=None):
        """Refund part or all of a paid order into the wallet; the credit entry."""
        return self.refunds.refund(order_id, customer_id, amount_minor, reason, refund_id)

    def get_integration_status(self, customer_id, currency=None):
        """The wallet's balance, totals per kind and newest entries, in minor units."""
        return self.status_view.status(customer_id, currency)

    # --- top-ups and withdrawals -------------------------------------------------------------
    def find_payment_order(self, payment_order_id):
        """The `PaymentOrder` with this id, or PaymentOrderNotFound."""
        return self.topups.find(payment_order_id)

    def verify_wallet_topup(self, payment_order, fields):
        """The customer's return from checkout: (wallet, whether this payment credited it, a second
        payment's refund status or None)."""
        return self.topups.verify(payment_order, fields)

    def withdraw(self, customer_id, amount_minor, withdrawal_id=None):
        """Refund `amount_minor` to the customer's own top-ups (SPEC §9); the withdrawal's view."""
        return self.withdrawals.withdraw(customer_id, self.currency, amount_minor, withdrawal_id)

    def withdrawable(self, customer_id):
        """`{available_minor, refundable_minor, withdrawable_minor}`: what a withdrawal can take now."""
        return self.withdrawals.quote(customer_id, self.currency)

    def wallet_limits(self, customer_id):
        """(the customer's level, [{limit, max_minor, used_minor, headroom_minor}] tightest first)."""
        return self.limits.level(customer_id), self.limits.headroom(customer_id, self.currency)

    def set_kyc_level(self, customer_id, level):
        """Set the customer's level (`minimum` | `full`: which limits apply), audited."""
        return self.limits.set_level(customer_id, level)

    def find_withdrawal(self, withdrawal_id):
        """The withdrawal's view, or WithdrawalNotFound."""
        return self.withdrawals.view(withdrawal_id)

    def recover(self, grace_seconds=60.0, batches_max=100):
        """Finish the entries whose follow-ups are not known done and the withdrawals whose request
        died; ask gateways about our refunds nobody heard of. `{finished, interrupted, ...}`."""
        report = self.followups.recover(grace_seconds, batches_max)
        report["withdrawals"] = self.withdrawals.resume()
        report["refunds_asked"] = self.our_refunds.retry_due(limit=batches_max)
        report["authorizations"] = self.order_holds.expire(grace_seconds)
        return report

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
