"""A wallet's status: its balance, totals per kind and newest entries, in minor units (the HTTP edge,
`backend.history.status_view`, shows them in major units)."""

from ..ledger_history import LedgerHistory
from ..records import CAPTURE, PAYMENT, REFUND, TOPUP

STATUS_KINDS = (TOPUP, PAYMENT, REFUND, CAPTURE)


class StatusView:
    def __init__(self, wallet, history, currency):
        self.wallet, self.history, self.currency = wallet, history, currency

    def status(self, customer_id, currency=None):
        """`{customer_id, currency, balance_minor, held_minor, debt_minor, totals: {kind: (minor, count)},
        recent_entries}`: the wallet as its ledger has it (an entry not rolled in yet counted), its
        newest entries first."""
        currency = currency or self.currency
        wallet, recent = self.history.recent_with_wallet(customer_id, currency)  # one round trip
        wallet = LedgerHistory.current(wallet or self.wallet.get_wallet(customer_id, currency), recent)
        totals = wallet.get("totals", {})
        return {
            "customer_id": customer_id,
            "currency": currency,
            "balance_minor": wallet["balance_minor"],
            "held_minor": wallet.get("held_minor", 0),
            "debt_minor": wallet.get("debt_minor", 0),
            "totals": {kind: (totals.get(f"{kind}_minor", 0), totals.get(f"{kind}_count", 0)) for kind in STATUS_KINDS},
            "recent_entries": recent,
        }
