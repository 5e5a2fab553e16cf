"""Shop orders (the existing `orders` collection) as the wallet sees them: paid once, refunded at
most what was paid. Every change is a single-document write; refunds use a compare-and-set on
the order's `version`, so concurrent refunds cannot overshoot (the race of hyperswitch #13182).
"""
import random
import time

from .errors import OrderNotFound, StoreUnavailable

PAID_STATES = ("paid", "partially_refunded")
CAS_ATTEMPTS_MAX = 100


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
        """After the wallet debit `entry`: pending → paid, refundable up to the amount (idempotent)."""
        amount_minor = entry["amount_minor"]
        self.orders.update_one(
            {"order_id": entry["reference"]["order_id"], "payment_status": "pending"},
            {"$set": {"payment_status": "paid", "paid_via": "wallet", "paid_minor": amount_minor,
                      "refundable_minor": amount_minor, "refunded_minor": 0,
                      "payment_entry_id": entry["_id"], "paid_at": now},
             "$inc": {"version": 1}},
        )

    def reserve_refund(self, entry, void_if_absent=False, order=None):
        """Take the refund `entry` out of the order's refundable amount; False when it does not fit.

        Recovery passes `void_if_absent` to mark an abandoned refund void in the same
        compare-and-set, so a late request cannot reserve it afterwards. `order`: the order as the
        caller just read it, saving the first read. A stale copy is safe: once an order is paid its
        `refundable_minor` only goes down, so a stale "does not fit" holds now too, and a stale
        "fits" only loses the compare-and-set on `version` and reads again.
        """
        order_id = entry["reference"]["order_id"]
        for attempt in range(CAS_ATTEMPTS_MAX):
            if order is None or attempt > 0:
                order = self.orders.find_one({"order_id": order_id})
            if entry["_id"] in order.get("refund_entry_ids", []):
                return True
            if entry["_id"] in order.get("void_refund_entry_ids", []):
                return False
            refundable_minor = order.get("refundable_minor", 0)
            if not void_if_absent and entry["amount_minor"] > refundable_minor:
                return False
            version = order.get("version", 0)
            if void_if_absent:
                update = {"$set": {"version": version + 1}, "$push": {"void_refund_entry_ids": entry["_id"]}}
            else:
                left_minor = refundable_minor - entry["amount_minor"]
                # Holds by the check above; refunds reserved never exceed what was paid.
                assert 0 <= left_minor and order.get("refunded_minor", 0) + entry["amount_minor"] <= \
                    order.get("paid_minor", 0), (order_id, entry["_id"])
                update = {"$set": {"version": version + 1, "refundable_minor": left_minor,
                                   "payment_status": "refunded" if left_minor == 0 else "partially_refunded"},
                          "$inc": {"refunded_minor": entry["amount_minor"]},
                          "$push": {"refund_entry_ids": entry["_id"]}}
            if self.orders.update_one({"order_id": order_id, "version": version}, update).modified_count:
                return not void_if_absent
            time.sleep(random.uniform(0, 0.002 * min(attempt, 10)))  # lost a race: back off a little
        raise StoreUnavailable("The order is busy; try again.")

    def refund_drift(self, ledger_refunds):
        """Wallet-paid orders whose refunds differ from the ledger's applied refunds
        (`ledger_refunds`: order id -> minor units), or exceed the payment."""
        drift = []
        for order in self.orders.find({"paid_via": "wallet"}):
            ledger_refunds_minor = ledger_refunds.get(order["order_id"], 0)
            paid_minor, refunded_minor = order.get("paid_minor", 0), order.get("refunded_minor", 0)
            if ledger_refunds_minor != refunded_minor or refunded_minor > paid_minor:
                drift.append({"problem": "order_refunds", "order_id": order["order_id"], "paid_minor": paid_minor,
                              "refunded_minor": refunded_minor, "ledger_refunds_minor": ledger_refunds_minor})
        return drift
