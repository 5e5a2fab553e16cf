"""PayPal's own side for the simulator dashboard (`backend/gateways/simulator_dashboard.py`): refunds
from its dashboard, reversals and disputes, played by its simulator's `PayPalCases`."""

from ..simulator_dashboard import DashboardRefused
from .api import RefundRefused
from .simulator_cases import LOST, WON

# PayPal's issue codes, told to the person at the dashboard as a sentence (with the code).
REFUSALS = {
    "REFUND_AMOUNT_EXCEEDED": "the amount is more than is left to refund of this payment",
    "CAPTURE_FULLY_REFUNDED": "this payment is refunded in full already",
    "REFUND_NOT_ALLOWED": "refunds are refused (the simulator was set to refuse them)",
}


def refused(refusal):
    """DashboardRefused saying why PayPal refused (`RefundRefused`), for a person."""
    return DashboardRefused(f"{REFUSALS.get(refusal.issue, 'PayPal refused it')} ({refusal.issue})")


class PayPalDashboard:
    """PayPal's dashboard over the simulator-mode adapter's `SimulatedPayPalApi.cases`."""

    def __init__(self, adapter):
        self.cases = adapter.api.cases

    def refund(self, capture_id, amount_minor, currency):
        """A refund from PayPal's dashboard (PAYMENT.CAPTURE.REFUNDED); its id. Refused beyond what
        is left of a capture the simulator made; any amount of a capture id it did not make (SPEC §6)."""
        try:
            return self.cases.dashboard_refund(capture_id, amount_minor, currency)
        except RefundRefused as refusal:
            raise refused(refusal) from None

    def reverse(self, capture_id, amount_minor, currency):
        """PayPal reverses the capture (PAYMENT.CAPTURE.REVERSED); the reversal's id. Refused as a refund is."""
        try:
            return self.cases.reverse_capture(capture_id, amount_minor, currency)
        except RefundRefused as refusal:
            raise refused(refusal) from None

    def open_dispute(self, capture_id, amount_minor, currency):
        """The buyer disputes the capture (CUSTOMER.DISPUTE.CREATED); its id."""
        return self.cases.open_dispute(capture_id, amount_minor, currency)

    def resolve_dispute(self, dispute_id, capture_id, amount_minor, currency, won):
        """PayPal decides (CUSTOMER.DISPUTE.RESOLVED, in the seller's or the buyer's favour)."""
        self.cases.resolve_dispute(dispute_id, capture_id, amount_minor, currency, WON if won else LOST)
