"""Razorpay's own side for the simulator dashboard (`backend/gateways/simulator_dashboard.py`):
refunds from its dashboard and the bank's disputes, played by its simulator (no reversals: Razorpay
has none)."""

from ..simulator_dashboard import DashboardRefused
from .api import RefundRefused


class RazorpayDashboard:
    """Razorpay's dashboard over the simulator-mode adapter's `SimulatedRazorpayApi`."""

    def __init__(self, adapter):
        self.api = adapter.api

    def refund(self, payment_id, amount_minor, currency):
        """A refund from Razorpay's dashboard (`refund.created`, `refund.processed`); its id."""
        try:
            return self.api.dashboard_refund(payment_id, amount_minor, currency)
        except RefundRefused as refusal:
            raise DashboardRefused(str(refusal)) from None

    def open_dispute(self, payment_id, amount_minor, currency):
        """The customer disputes the payment with the bank (`payment.dispute.created`); its id."""
        return self.api.open_dispute(payment_id, amount_minor, currency)

    def resolve_dispute(self, dispute_id, payment_id, amount_minor, currency, won):
        """The bank decides (`payment.dispute.won` or `.lost`)."""
        self.api.resolve_dispute(dispute_id, payment_id, amount_minor, currency, "won" if won else "lost")
