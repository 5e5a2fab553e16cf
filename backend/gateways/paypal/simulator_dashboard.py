"""PayPal's own side for the simulator dashboard (`backend/gateways/simulator_dashboard.py`): refunds
from its dashboard, reversals and disputes, played by its simulator's `PayPalCases`."""

from .simulator_cases import LOST, WON


class PayPalDashboard:
    """PayPal's dashboard over the simulator-mode adapter's `SimulatedPayPalApi.cases`."""

    def __init__(self, adapter):
        self.cases = adapter.api.cases

    def refund(self, capture_id, amount_minor, currency):
        """A refund from PayPal's dashboard (PAYMENT.CAPTURE.REFUNDED); its id. The simulator
        refuses none (it refunds any amount of any capture)."""
        return self.cases.dashboard_refund(capture_id, amount_minor, currency)

    def reverse(self, capture_id, amount_minor, currency):
        """PayPal reverses the capture (PAYMENT.CAPTURE.REVERSED); the reversal's id."""
        return self.cases.reverse_capture(capture_id, amount_minor, currency)

    def open_dispute(self, capture_id, amount_minor, currency):
        """The buyer disputes the capture (CUSTOMER.DISPUTE.CREATED); its id."""
        return self.cases.open_dispute(capture_id, amount_minor, currency)

    def resolve_dispute(self, dispute_id, capture_id, amount_minor, currency, won):
        """PayPal decides (CUSTOMER.DISPUTE.RESOLVED, in the seller's or the buyer's favour)."""
        self.cases.resolve_dispute(dispute_id, capture_id, amount_minor, currency, WON if won else LOST)
