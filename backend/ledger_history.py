"""Reads of the ledger for views and follow-ups (the writes are `WalletService`'s): pages of a
wallet's entries, newest first; the wallet as its ledger has it; an order life's refunds."""

from .records import CHARGEBACK, REFUND, TOPUP_REVERSAL
from .wallet_service import wallet_id

RECENT_ENTRIES_MAX = 20


class LedgerHistory:
    def __init__(self, db):
        self.wallets = db["wallets"]
        self.entries = db["ledger_entries"]

    def has_customer(self, customer_id):
        """Whether the customer has a wallet in any currency."""
        return self.wallets.find_one({"customer_id": customer_id}, {"_id": 1}) is not None

    def recent_with_wallet(self, customer_id, currency):
        """(the wallet document or None, its newest RECENT_ENTRIES_MAX entries, newest first), read by one
        command; (None, []) for a wallet without entries."""
        wid = wallet_id(customer_id, currency)
        pipeline = [
            {"$match": {"wallet_id": wid}},
            {"$sort": {"sequence": -1}},
            {"$limit": RECENT_ENTRIES_MAX},
            {"$group": {"_id": "$wallet_id", "entries": {"$push": "$$ROOT"}}},
            {"$lookup": {"from": "wallets", "localField": "_id", "foreignField": "_id", "as": "wallet"}},
        ]
        found = next(self.entries.aggregate(pipeline), None)
        if found is None:
            return None, []
        newest_first = sorted(found["entries"], key=lambda entry: entry["sequence"], reverse=True)
        return next(iter(found["wallet"]), None), newest_first

    def entries_page(self, customer_id, currency, limit, before_sequence=None):
        """Up to `limit` entries of the wallet, newest first, older than `before_sequence` when given
        (the cursor of a history page: the last page's smallest `sequence`)."""
        query = {"wallet_id": wallet_id(customer_id, currency)}
        if before_sequence is not None:
            query["sequence"] = {"$lt": before_sequence}
        return list(self.entries.find(query, sort=[("sequence", -1)], limit=limit))

    @staticmethod
    def current(wallet, newest_entries):
        """The wallet as its ledger has it: `wallet` with the entries of `newest_entries` (newest first,
        as `recent_with_wallet` returns them) that it does not hold yet added in (an entry inserted by a
        request that has not rolled the wallet forward yet, or was interrupted)."""
        ahead = [e for e in newest_entries if e["sequence"] > wallet["version"]]
        if not ahead:
            return wallet
        totals = dict(wallet.get("totals", {}))
        for entry in ahead:
            totals[f"{entry['kind']}_minor"] = totals.get(f"{entry['kind']}_minor", 0) + entry["amount_minor"]
            totals[f"{entry['kind']}_count"] = totals.get(f"{entry['kind']}_count", 0) + 1
        newest = ahead[0]
        figures = {"balance_minor": newest["balance_after_minor"], "version": newest["sequence"], "totals": totals}
        if "held_after_minor" in newest:
            figures.update(held_minor=newest["held_after_minor"], debt_minor=newest["debt_after_minor"])
        return dict(wallet, **figures)

    def taken_back(self, customer_id, currency, except_case=None):
        """{gateway payment id: minor units gateways took back from it} over the wallet's refunds,
        reversals and lost disputes (the whole amount each claimed), leaving out the case `except_case`."""
        keys_left_out = {f"takeback:{except_case}", f"chargeback:{except_case}"}
        taken: dict[str, int] = {}
        for entry in self.entries.find(
            {"wallet_id": wallet_id(customer_id, currency), "kind": {"$in": [TOPUP_REVERSAL, CHARGEBACK]}}
        ):
            if entry["idempotency_key"] not in keys_left_out:
                payment_id = entry["reference"].get("gateway_payment_id")
                taken[payment_id] = taken.get(payment_id, 0) + entry.get("claimed_minor", entry["amount_minor"])
        return taken

    def refunds_of_order(self, wid, order_id, life, after_refund_seq=0):
        """The refund entries of the order's life `life` past `after_refund_seq`, in order."""
        return list(
            self.entries.find(
                {
                    "wallet_id": wid,
                    "reference.order_id": order_id,
                    "reference.order_life": life,
                    "kind": REFUND,
                    "refund_seq": {"$gt": after_refund_seq},
                },
                sort=[("refund_seq", 1)],
            )
        )
