"""Reconciliation, read only: every wallet's balance against its ledger entries, every order's
refunds against the ledger, per life of the order, and every open checkout hold against the order
it authorises (docs/ledger.md). Under live traffic a movement
between the whole-ledger sums and the reads looks like drift, so each candidate is checked again on
a fresh read against the entries it holds (entries never change, so that is consistent)."""

from ..order_authorizations import authorized_by
from ..orders import in_life, paid_minor
from ..records import CHECKOUT_HOLD, CREDIT, DEBIT, REFUND
from ..wallet_service import signed_minor

BALANCE_SIGN = {CREDIT: 1, DEBIT: -1}


def _figures(wallet):
    return wallet["balance_minor"], wallet.get("held_minor", 0), wallet.get("debt_minor", 0)


def _in_bounds(wallet):
    balance, held, debt = _figures(wallet)
    return balance >= 0 and 0 <= held <= balance and debt >= 0


def _open_holds(wallet):
    """{hold id: remaining} of the wallet's open holds."""
    return {hid: h["remaining_minor"] for hid, h in (wallet.get("holds") or {}).items() if h["remaining_minor"]}


def _ledger_holds(entries):
    """{hold id: remaining} of the holds the entries leave open (each entry's `hold_changes` summed)."""
    sums: dict[str, int] = {}
    for entry in entries:
        for hid, delta in (entry.get("hold_changes") or {}).items():
            sums[hid] = sums.get(hid, 0) + (delta or 0)
    return {hid: remaining for hid, remaining in sums.items() if remaining}


class Reconciler:
    def __init__(self, wallet, orders):
        self.wallets, self.entries, self.orders = wallet.wallets, wallet.entries, orders.orders

    def reconcile(self):
        """Every drift between balances, ledgers and orders (empty when all is well)."""
        return self.wallet_drift() + self.refund_drift() + self.hold_drift()

    def reconcile_customer(self, customer_id):
        """`reconcile` for one customer's wallets and the current lives of their orders, each checked directly."""
        wallets = self.wallets.find({"customer_id": customer_id}, sort=[("currency", 1)])
        drift = []
        for wallet in wallets:
            found = self._wallet_drift(wallet["_id"])
            drift += ([found] if found is not None else []) + self._orphan_holds(wallet)
        for order in self.orders.find({"customer_id": customer_id}, sort=[("order_id", 1)]):
            found = self._order_refund_drift(order) if order.get("refund_seq", 0) > 0 else None
            if found is not None:
                drift.append(found)
        return drift

    # --- wallets -----------------------------------------------------------------------------
    def wallet_drift(self):
        """Wallets whose balance, held money or debt differs from the sums of the entries they hold,
        or breaks its bounds (balance ≥ 0, 0 ≤ held ≤ balance, debt ≥ 0). Entries past a wallet's
        version (inserted, not yet rolled in) are in flight, not drift, as is the first entry of a
        wallet not created yet."""
        sums = self._sums()
        drifted = []
        for wallet in self.wallets.find({}):
            if sums.get(wallet["_id"], (0, 0, 0)) != _figures(wallet) or not _in_bounds(wallet):
                drift = self._wallet_drift(wallet["_id"])
                if drift is not None:
                    drifted.append(drift)
        return drifted

    def _wallet_drift(self, wid):
        wallet = self.wallets.find_one({"_id": wid})
        entries = list(self.entries.find({"wallet_id": wid, "sequence": {"$lte": wallet["version"]}}))
        ledger = (
            sum(signed_minor(e) for e in entries),
            sum(e.get("held_delta_minor", 0) for e in entries),
            sum(e.get("debt_delta_minor", 0) for e in entries),
        )
        holds, ledger_holds = _open_holds(wallet), _ledger_holds(entries)
        if ledger == _figures(wallet) and _in_bounds(wallet) and holds == ledger_holds:
            return None
        drift = {"problem": "wallet_balance", "wallet_id": wid, "balance_minor": wallet["balance_minor"]}
        drift["ledger_minor"] = ledger[0]
        _, held, debt = _figures(wallet)
        if (held, debt) != ledger[1:] or not _in_bounds(wallet):
            drift.update(held_minor=held, ledger_held_minor=ledger[1], debt_minor=debt, ledger_debt_minor=ledger[2])
        if holds != ledger_holds:
            drift.update(holds=holds, ledger_holds=ledger_holds)
        return drift

    def _sums(self):
        """wallet id -> (balance, held, debt) summed over all its entries, in one aggregation."""
        sums: dict[str, tuple[int, int, int]] = {}
        rows = self.entries.aggregate(
            [
                {
                    "$group": {
                        "_id": {"wallet_id": "$wallet_id", "type": "$type"},
                        "total": {"$sum": "$amount_minor"},
                        "held": {"$sum": "$held_delta_minor"},
                        "debt": {"$sum": "$debt_delta_minor"},
                    }
                },
            ]
        )
        for row in rows:
            sign = BALANCE_SIGN.get(row["_id"]["type"], 0)
            balance, held, debt = sums.get(row["_id"]["wallet_id"], (0, 0, 0))
            sums[row["_id"]["wallet_id"]] = (balance + sign * row["total"], held + row["held"], debt + row["debt"])
        return sums

    # --- holds -------------------------------------------------------------------------------
    def hold_drift(self):
        """Open checkout holds that no order is authorised by (`_orphan_holds`), over every wallet holding money."""
        return [d for wallet in self.wallets.find({"held_minor": {"$gt": 0}}) for d in self._orphan_holds(wallet)]

    def _orphan_holds(self, wallet):
        """`wallet`'s open checkout holds whose order is not `authorized` by them. An order is authorised
        before its hold opens and leaves `authorized` only after the hold closed (capture, void,
        expiry), so such a hold, still open when read again after its order, is money set aside that
        nothing will capture, void or expire."""
        opening = sorted(h["since"] for h in (wallet.get("holds") or {}).values() if h["remaining_minor"])
        if not opening:
            return []
        drift = []
        for opened in self.entries.find({"wallet_id": wallet["_id"], "sequence": {"$in": opening}}):
            if opened["kind"] != CHECKOUT_HOLD:
                continue
            hold_id, order_id = opened["reference"]["hold_id"], opened["reference"]["order_id"]
            order = self.orders.find_one({"order_id": order_id}) or {}
            if authorized_by(order, hold_id):
                continue
            remaining = _open_holds(self.wallets.find_one({"_id": wallet["_id"]})).get(hold_id)
            if remaining:
                drift.append(
                    {
                        "problem": "orphan_hold",
                        "wallet_id": wallet["_id"],
                        "hold_id": hold_id,
                        "remaining_minor": remaining,
                        "order_id": order_id,
                        "payment_status": order.get("payment_status"),
                    }
                )
        return drift

    # --- orders ------------------------------------------------------------------------------
    def refund_drift(self):
        """Drift between orders and their refunds, per life of an order (`payment_life`): the current
        life's refunds must be what the order holds; every life's refunds must not exceed what its
        payment took, and sit in one wallet. The ledger is summed first; an order whose current life
        differs is a candidate, checked again on a fresh read against its refunds up to its
        `refund_seq`: refunds past it, or landing between the sum and the read, are in flight."""
        ledger_refunds = self._refunds_by_order()
        orders = {o["order_id"]: o for o in self.orders.find({"refund_seq": {"$gt": 0}})}
        drift = []
        for order_id in sorted(set(orders) | set(ledger_refunds)):
            rows = ledger_refunds.get(order_id, [])
            drift.extend(_past_life_drift(order_id, rows))
            order = orders.get(order_id, {"order_id": order_id})
            if _current_life_drift(order, _current_life_refunds_minor(order, rows)) is None:
                continue
            found = self._order_refund_drift(self.orders.find_one({"order_id": order_id}) or {"order_id": order_id})
            if found is not None:
                drift.append(found)
        return drift

    def _order_refund_drift(self, order):
        """The drift of `order`'s current life (as just read) against its refunds up to its `refund_seq`, or None."""
        wid, life = order.get("refund_wallet_id"), order.get("payment_life")
        refunds = (
            self.entries.find(
                {
                    "wallet_id": wid,
                    "reference.order_id": order["order_id"],
                    "reference.order_life": life,
                    "kind": REFUND,
                    "refund_seq": {"$lte": order.get("refund_seq", 0)},
                }
            )
            if wid
            else []
        )
        return _current_life_drift(order, sum(e["amount_minor"] for e in refunds))

    def _refunds_by_order(self):
        """Order id -> [{wallet_id, life, refunded_minor, paid_minor}] over every refund entry: what each
        life of the order had refunded, in which wallet, and what its payment took."""
        rows = self.entries.aggregate(
            [
                {"$match": {"kind": REFUND}},
                {
                    "$group": {
                        "_id": {
                            "order_id": "$reference.order_id",
                            "wallet_id": "$wallet_id",
                            "life": "$reference.order_life",
                        },
                        "total": {"$sum": "$amount_minor"},
                        "paid": {"$max": "$order_paid_minor"},
                    }
                },
            ]
        )
        by_order: dict[str, list[dict]] = {}
        for row in rows:
            by_order.setdefault(row["_id"]["order_id"], []).append(
                {
                    "wallet_id": row["_id"]["wallet_id"],
                    "life": row["_id"].get("life"),
                    "refunded_minor": row["total"],
                    "paid_minor": row["paid"],
                }
            )
        return by_order


def _current_life_drift(order, ledger_refunds_minor):
    """None when the order's refunds agree with `ledger_refunds_minor` (those of its current life)
    and do not exceed what was paid; else the drift."""
    order_paid_minor = paid_minor(order) if "amount_minor" in order else 0
    refunded_minor = order.get("refunded_minor", 0)
    if ledger_refunds_minor == refunded_minor and refunded_minor <= order_paid_minor:
        return None
    return {
        "problem": "order_refunds",
        "order_id": order.get("order_id"),
        "customer_id": order.get("customer_id"),
        "paid_minor": order_paid_minor,
        "refunded_minor": refunded_minor,
        "ledger_refunds_minor": ledger_refunds_minor,
    }


def _current_life_refunds_minor(order, rows):
    return sum(row["refunded_minor"] for row in rows if in_life(order, row["wallet_id"], row["life"]))


def _past_life_drift(order_id, rows):
    """Lives of the order whose refunds exceed what their payment took, or sit in more than one wallet."""
    wallets_of_life: dict[str, set[str]] = {}
    for row in rows:
        if row["life"] is not None:  # the first life (None) of each wallet's payments is its own
            wallets_of_life.setdefault(row["life"], set()).add(row["wallet_id"])
    return [
        {
            "problem": "order_refunds",
            "order_id": order_id,
            "wallet_id": row["wallet_id"],
            "life": row["life"],
            "paid_minor": row["paid_minor"],
            "ledger_refunds_minor": row["refunded_minor"],
        }
        for row in rows
        if row["refunded_minor"] > row["paid_minor"] or len(wallets_of_life.get(row["life"], ())) > 1
    ]
