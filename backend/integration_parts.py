"""The integration's parts, wired once: its repositories and one object per flow (`backend.flows`).
The façade (`WalletPaymentIntegration`) adds the contract's operations to them and `WalletAccounts` the
wallet's own (holds, withdrawals, limits); each flow's `of(parts)` takes what it needs by name."""

import logging

from .audit import AuditLog
from .clock import utcnow
from .customer_leases import CustomerLeases
from .flows.after_credit import AfterCredit
from .flows.followups import FollowUps
from .flows.order_holds import OrderHolds
from .flows.orphan_holds import OrphanHolds
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

logger = logging.getLogger("integration.recovery")


class IntegrationParts:
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
        open_top_up_seconds=86400,
    ):
        self.wallet, self.payments, self.currency, self.outbox = wallet_service, payment_service, currency, outbox
        self.clock = clock
        self.history = LedgerHistory(db)
        self.payment_orders = PaymentOrders(db, clock)
        self.orders = OrderBook(db)
        self.audit = audit or AuditLog(db, clock)
        self.holds = WalletHolds(wallet_service)
        self.limits = WalletLimits(
            db, wallet_service, self.payment_orders, self.audit, limits_minor or {}, clock, open_top_up_seconds
        )
        self.our_refunds = OurRefunds(payment_service, GatewayRefunds(db, clock), self.audit)
        self.after_credit = AfterCredit.of(self, GatewayCases(db, clock))
        self.topups = Topups.of(self)
        self.webhooks = WebhookIntake.of(self, WebhookEvents(db, clock))
        settlements = PaymentSettlements(db, clock)
        self.order_payments = OrderPayments(wallet_service, self.orders, settlements, self.audit, clock)
        self.authorizations = OrderAuthorizations(db, clock)
        self.order_holds = OrderHolds(
            wallet_service,
            self.holds,
            self.orders,
            self.authorizations,
            self.audit,
            hold_ttl_seconds,
            (settlements, self.order_payments.give_back),
        )
        self.orphan_holds = OrphanHolds(
            wallet_service, self.holds, self.orders, self.authorizations, self.audit, hold_ttl_seconds
        )
        self.refunds = Refunds(wallet_service, self.history, self.orders, self.audit)
        self.followups = FollowUps.of(self, settlements)
        self.cases = self.after_credit.cases
        self.withdrawals = Withdrawals(self, WithdrawalBook(db, clock), CustomerLeases(db, clock), withdraw_days)
        self.settlement = Settlement(self, SettlementBooks(db, clock))
        self.reconciler = Reconciler(wallet_service, self.orders)
        self.status_view = StatusView(wallet_service, self.history, currency)


def run_each(steps):
    """Run every step of `steps` ({name: function}) whatever the others do: ({name: its result}, the
    first exception raised, or None, for the caller to raise). The later failures are logged here;
    the others still run (recovery: follow-ups failing never keep holds from expiring)."""
    results, failure = {}, None
    for name, step in steps.items():
        try:
            results[name] = step()
        except Exception as error:
            if failure is not None:
                logger.exception("%s failed too, after an earlier step failed", name)
            failure = failure or error
    return results, failure
