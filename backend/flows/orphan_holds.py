"""Checkout holds that no order is authorised by any more (the shop cancelled or re-issued an
authorised order): released by the worker once past their time, as their expiry would have
released them (SPEC §10; reconcile's `orphan_hold` drift)."""

from ..order_authorizations import audit_hold, authorized_by
from ..records import CHECKOUT_HOLD


class OrphanHolds:
    def __init__(self, wallet, holds, orders, authorizations, audit, ttl_seconds):
        self.wallet, self.holds, self.orders, self.authorizations = wallet, holds, orders, authorizations
        self.audit, self.ttl_seconds = audit, ttl_seconds

    def release_orphans(self, drift):
        """The worker, after reconcile: each checkout hold reconcile found orphaned (`orphan_hold`: no
        order is authorised by it, as when the shop cancelled or re-issued an authorised order) released
        once past its time, as its expiry would have released it (`release:<hold key>`, audited
        `order.authorization_expired`, reason `orphan_hold`); the drift rows it released."""
        released = []
        for row in drift:
            if row.get("problem") == "orphan_hold" and self._release_orphan(row["wallet_id"], row["hold_id"]):
                released.append(row)
        return released

    def _opening(self, wid, hold_id):
        """(wallet, the entry that opened its checkout hold `hold_id`), or None when the hold is not open."""
        wallet = self.wallet.wallets.find_one({"_id": wid}) or {}
        hold = (wallet.get("holds") or {}).get(hold_id) or {}
        if not hold.get("remaining_minor"):
            return None
        opened = self.wallet.entries.find_one({"wallet_id": wid, "sequence": hold["since"]}) or {}
        if opened.get("kind") != CHECKOUT_HOLD or opened["reference"].get("hold_id") != hold_id:
            return None
        return wallet, opened

    def _release_orphan(self, wid, hold_id):
        found = self._opening(wid, hold_id)
        if found is None:
            return False
        wallet, opened = found
        now, order_id = self.authorizations.clock(), opened["reference"]["order_id"]
        if (now - opened["created_at"]).total_seconds() < self.ttl_seconds:
            return False  # not past its time: a person may still put its order right
        if authorized_by(self.orders.get(order_id), hold_id):
            return False  # put right meanwhile: its own expiry releases it
        entry, created = self.holds.release(
            wallet["customer_id"],
            wallet["currency"],
            hold_id,
            f"release:{opened['idempotency_key']}",
            {"order_id": order_id, "order_life": opened["reference"].get("order_life")},
            must_exist=True,
        )
        if created:
            owner = {"customer_id": wallet["customer_id"], "order_id": order_id}
            audit_hold(self.audit, "order.authorization_expired", owner, entry, reason="orphan_hold")
        return entry is not None
