"""Payment orders as settling a gateway's day reads them (SPEC §11, `backend/flows/settlement.py`)."""

from .gateways.base import gateway_filter
from .payment_orders import PAID, from_document


class SettlementLookups:
    """Payment orders as settling a gateway's day reads them (`backend/flows/settlement.py`): a page
    of report rows at a time, each lookup one query for the whole page."""

    def __init__(self, collection):
        self.collection = collection

    def by_payment_ids(self, gateway, gateway_payment_ids):
        """{gateway payment id: PaymentOrder} of those credited (`paid`) by these payments. `gateway`,
        here and below: a name, or a tuple of the names a gateway's report confirms."""
        return self._by("gateway_payment_id", gateway, gateway_payment_ids, {"status": PAID})

    def by_ids(self, gateway, payment_order_ids):
        return self._by("_id", gateway, payment_order_ids)

    def by_references(self, gateway, references):
        return self._by("reference", gateway, references)

    def _by(self, field, gateway, values, extra=None):
        values = sorted({v for v in values if v})
        if not values:
            return {}
        query = {field: {"$in": values}, "gateway": gateway_filter(gateway), **(extra or {})}
        return {d[field]: from_document(d) for d in self.collection.find(query)}

    def credited_between(self, gateway, start, end, limit):
        """The PaymentOrders of the gateway's top-ups credited in [start, end) that no settlement
        listed yet (no `settled_on`), at most `limit` (`credited_in`: settled or not, with `paid_at`)."""
        documents = self.collection.find(
            {
                "status": PAID,
                "paid_at": {"$gte": start, "$lt": end},
                "gateway": gateway_filter(gateway),
                "settled_on": None,
            },
            limit=limit,
        )
        return [from_document(d) for d in documents]

    def credited_in(self, gateway, start, end, limit):
        """[(PaymentOrder, paid_at)] of the gateway's top-ups credited in [start, end) (naive UTC),
        settled or not, oldest first, at most `limit`: what a simulator's books hold as its own
        (`GatewayEnv.credited`)."""
        query = {"status": PAID, "paid_at": {"$gte": start, "$lt": end}, "gateway": gateway_filter(gateway)}
        documents = self.collection.find(query, sort=[("paid_at", 1), ("_id", 1)], limit=limit)
        return [(from_document(d), d["paid_at"]) for d in documents]

    def mark_settled(self, payment_order_ids, day):
        """A report listed these payment orders' captures (on `day`, the first time)."""
        if payment_order_ids:
            self.collection.update_many(
                {"_id": {"$in": sorted(set(payment_order_ids))}, "settled_on": None},
                {"$set": {"settled_on": day.isoformat()}},
            )
