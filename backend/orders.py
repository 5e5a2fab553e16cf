"""Shop orders (the existing `orders` collection) as the wallet sees them: paid once, refunded at
most what was paid (whether paid from the wallet or at the shop's checkout). Every change is a
single-document write; refunds take numbered places in the ledger, so concurrent refunds cannot
overshoot (the race of hyperswitch #13182).
"""
from .errors import OrderNotFound, RefundExceedsPaid

PAID_STATES = ("paid", "partially_refunded")


class OrderBook:
    def __init__(self, db):
        self.orders = db["orders"]

    def for_customer(self, order_id, customer_id):
        """The order, if it belongs to `customer_id` (another customer's order is 'not found')."""
        order = self.orders.find_one({"order_id": order_id})
        if order is None or order.get("customer_id") != customer_id:
            raise OrderNotFound()
        return order

    def page_for_customer(self, customer_id, limit, status=None, after_order_id=None):
        """Up to `limit` of the customer's orders (of `payment_status` `status` when given), ordered by
        `order_id`, after `after_order_id` when given (the cursor of a page: the last page's last id)."""
        query = {"customer_id": customer_id}
        if status is not None:
            query["payment_status"] = status
        if after_order_id is not None:
            query["order_id"] = {"$gt": after_order_id}
        return list(self.orders.find(query, sort=[("order_id", 1)], limit=limit))

    def by_ids(self, order_ids):
        """order id -> order, for those of `order_ids` that exist."""
        if not order_ids:
            return {}
        return {o["order_id"]: o for o in self.orders.find({"order_id": {"$in": sorted(set(order_ids))}})}

    def why_not_payable(self, order_id, customer_id, amount_minor):
        """None when the order is pending for this customer and amount; else why not, in a word or two."""
        order = self.orders.find_one({"order_id": order_id})
        if order is None or order.get("customer_id") != customer_id:
            return "order_not_found"
        if order["payment_status"] != "pending":
            return f"order_{order['payment_status']}"[:64]
        if order["amount_minor"] != amount_minor:
            return "order_amount_changed"
        return None

    def add_pending_if_absent(self, order_id, customer_id, amount_minor, currency):
        """A `pending` order (the shop's job; used for demo data)."""
        self.orders.update_one(
            {"order_id": order_id},
            {"$setOnInsert": {"order_id": order_id, "customer_id": customer_id, "amount_minor": amount_minor,
                              "currency": currency, "payment_status": "pending", "version": 0}},
            upsert=True,
        )

    def mark_paid(self, entry, now):
        """After the wallet debit `entry`: the order, still pending for that customer and amount, is
        paid (idempotent), unless that debit was given back. True when the order is paid by `entry`,
        False when it is not payable by it (cancelled, paid otherwise, changed meanwhile: the caller
        gives the debit back, `give_back`). Its refunds go to the paying wallet."""
        reference = entry["reference"]
        marked = self.orders.update_one(
            {"order_id": reference["order_id"], "customer_id": entry["customer_id"],
             "amount_minor": entry["amount_minor"], "currency": entry["currency"], "payment_status": "pending",
             "reversed_entry_ids": {"$ne": entry["_id"]}},
            {"$set": {"payment_status": "paid", "paid_via": "wallet", "paid_minor": entry["amount_minor"],
                      "refundable_minor": entry["amount_minor"], "refunded_minor": 0, "refund_seq": 0,
                      "payment_entry_id": entry["_id"], "refund_wallet_id": entry["wallet_id"], "paid_at": now},
             "$inc": {"version": 1}},
        )
        if marked.modified_count:
            return True
        order = self.orders.find_one({"order_id": reference["order_id"]})
        return order is not None and order.get("payment_entry_id") == entry["_id"]

    def give_back(self, entry):
        """Record on the order that the debit `entry` is given back rather than paying it, unless it
        paid it: True when it is given back (and so never pays the order later, even a reopened one),
        False when it paid the order. (Paid and given back exclude each other on the order document.)"""
        order_id = entry["reference"]["order_id"]
        recorded = self.orders.update_one({"order_id": order_id, "payment_entry_id": {"$ne": entry["_id"]}},
                                          {"$addToSet": {"reversed_entry_ids": entry["_id"]}})
        if recorded.matched_count:
            return True
        order = self.orders.find_one({"order_id": order_id})
        return order is None or order.get("payment_entry_id") != entry["_id"]

    def refund_wallet(self, order, wid):
        """The wallet the order's refunds go to: the paying wallet, or for an order paid at the shop
        the first refund's, `wid` (pinned on the order here). A refund to any other wallet would take
        places among the order's refunds that the first wallet's do not collide with."""
        if order.get("refund_wallet_id") is None:
            pinned = self.orders.update_one({"order_id": order["order_id"], "refund_wallet_id": None},
                                            {"$set": {"refund_wallet_id": wid}})
            if pinned.modified_count:
                return wid
            order = self.orders.find_one({"order_id": order["order_id"]}) or {}  # another refund pinned it
        return order.get("refund_wallet_id")

    # --- refunds -----------------------------------------------------------------------------
    # An order's refunds are numbered 1, 2, ... (`refund_seq`) in the ledger, whose unique index on
    # (wallet, order, refund_seq) lets one insert take the next number: two refunds computed from
    # the same state of the order collide, and the later one reads again. The order document holds
    # the running total (`refunded_minor` as of refund `refund_seq`) and is rolled forward after.

    @staticmethod
    def paid_minor(order):
        """What the order's payment took: from the wallet (`paid_minor`) or at the shop's checkout
        (its `amount_minor`)."""
        return order.get("paid_minor", order["amount_minor"])

    def refund_fields(self, order, amount_minor):
        """The ledger fields that place a refund of `amount_minor` after the order's refunds so far,
        or RefundExceedsPaid when all refunds together would exceed what was paid."""
        paid_minor = self.paid_minor(order)
        refunded_after_minor = order.get("refunded_minor", 0) + amount_minor
        if refunded_after_minor > paid_minor:
            raise RefundExceedsPaid()
        return {"refund_seq": order.get("refund_seq", 0) + 1, "order_refunded_after_minor": refunded_after_minor,
                "order_paid_minor": paid_minor}

    def roll_refund(self, entry):
        """Roll the order forward to the refund `entry`, the one after its last (a no-op when it holds it)."""
        refund_seq, paid_minor = entry["refund_seq"], entry["order_paid_minor"]
        refunded_minor = entry["order_refunded_after_minor"]
        self.orders.update_one(
            {"order_id": entry["reference"]["order_id"],
             "refund_seq": {"$in": [None, 0]} if refund_seq == 1 else refund_seq - 1},
            {"$set": {"refund_seq": refund_seq, "refunded_minor": refunded_minor,
                      "refundable_minor": paid_minor - refunded_minor,
                      "payment_status": "refunded" if refunded_minor == paid_minor else "partially_refunded"},
             "$inc": {"version": 1}},
        )

    def catch_up_refunds(self, order_id, ledger, wid):
        """Roll the order forward over the refunds of `ledger` (a WalletService) it does not hold yet;
        the order after (None when there is no such order)."""
        order = self.orders.find_one({"order_id": order_id})
        if order is None:
            return None
        behind = ledger.refunds_of_order(wid, order_id, order.get("refund_seq", 0))
        for entry in behind:
            self.roll_refund(entry)
        return self.orders.find_one({"order_id": order_id}) if behind else order

    def refund_drift(self, ledger_refunds, ledger):
        """Orders whose refunds differ from the ledger's refund entries they hold, are in more than one
        wallet, or exceed the payment. `ledger_refunds`: order id -> {"wallet_ids", "refunded_minor"}
        (WalletService.refunds_by_order), summed before the orders are read; an order that differs
        is a candidate, checked again on a fresh read against its refunds up to its `refund_seq`
        (entries never change, so that is consistent): refunds past it, or landing between the sum
        and the read, are in flight, not drift."""
        orders = {o["order_id"]: o for o in self.orders.find({"refund_seq": {"$gt": 0}})}
        drift = []
        for order_id in sorted(set(orders) | set(ledger_refunds)):
            row = ledger_refunds.get(order_id, {"wallet_ids": [], "refunded_minor": 0})
            if self._refunds_differ(orders.get(order_id, {}), row["refunded_minor"], row["wallet_ids"]) is None:
                continue
            order = self.orders.find_one({"order_id": order_id}) or {"order_id": order_id}
            found = self._order_refund_drift(order, row["wallet_ids"], ledger)
            if found is not None:
                drift.append(found)
        return drift

    def refund_drift_of_customer(self, customer_id, ledger):
        """`refund_drift` for one customer's refunded orders, each read once and checked directly."""
        drift = []
        for order in self.orders.find({"customer_id": customer_id}, sort=[("order_id", 1)]):
            found = self._order_refund_drift(order, [], ledger) if order.get("refund_seq", 0) > 0 else None
            if found is not None:
                drift.append(found)
        return drift

    def _order_refund_drift(self, order, wallet_ids, ledger):
        """The drift of `order` (as just read) against its refunds in `wallet_ids` and its refund wallet
        up to its `refund_seq`, or None."""
        wallet_ids = self._refund_wallet_ids(order, wallet_ids)
        ledger_refunds_minor = sum(ledger.refunds_through(wid, order["order_id"], order.get("refund_seq", 0))
                                   for wid in wallet_ids)
        return self._refunds_differ(order, ledger_refunds_minor, wallet_ids)

    @staticmethod
    def _refund_wallet_ids(order, wallet_ids):
        pinned = {order["refund_wallet_id"]} if order.get("refund_wallet_id") else set()
        return sorted(set(wallet_ids) | pinned)

    def _refunds_differ(self, order, ledger_refunds_minor, wallet_ids):
        """None when `order`'s refunds agree with `ledger_refunds_minor` in one wallet and do not exceed
        what was paid; else the drift."""
        paid_minor = self.paid_minor(order) if "amount_minor" in order else 0
        refunded_minor = order.get("refunded_minor", 0)
        if (ledger_refunds_minor == refunded_minor and refunded_minor <= paid_minor
                and len(self._refund_wallet_ids(order, wallet_ids)) <= 1):
            return None
        return {"problem": "order_refunds", "order_id": order.get("order_id"), "customer_id": order.get("customer_id"),
                "paid_minor": paid_minor, "refunded_minor": refunded_minor, "ledger_refunds_minor": ledger_refunds_minor}


class RefundSlot:
    """A refund's place among its order's refunds, claimed by the same insert as its place in the
    wallet (the `slot` of WalletService.append)."""

    def __init__(self, book, ledger, order, wid):
        self.book, self.ledger, self.order, self.wid = book, ledger, order, wid

    def fields(self, draft):
        return self.book.refund_fields(self.order, draft["amount_minor"])

    def catch_up(self):
        self.order = self.book.catch_up_refunds(self.order["order_id"], self.ledger, self.wid)

    def roll(self, entry):
        self.book.roll_refund(entry)
