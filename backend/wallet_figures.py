"""A wallet's figures and what one ledger entry does to them (docs/ledger.md, "Held money and debt").

A wallet has a `balance_minor` (credits − debits of its entries), a `held_minor` (money set aside:
dispute holds, withdrawals in flight, checkout holds) and a `debt_minor` (money the gateway took back
after it was spent). Each entry carries its deltas (`held_delta_minor`, `debt_delta_minor`, and per
hold `hold_changes`), so all three can be derived from the ledger, and the figures after it
(`*_after_minor`, `holds_after`), which the wallet document is rolled forward to. Holds are kept on
the wallet as `holds.<hold_id> = {remaining_minor, since}` (`since`: the sequence of the entry that
opened it; newest first is the highest). A hold closed before it was ever opened (a dispute lost
before the webhook that opens it) stays as a `closed` marker, so that late webhook opens nothing.

The functions here are pure: they read a wallet document and return plain values.
"""

import hashlib
from typing import Any

from .records import CHECKOUT_HOLD, CREDIT, DEBIT, MEMO, PAYMENT, WITHDRAWAL_HOLD

# Entries that spend money the customer chose to spend: they may not use held money, nor money a
# debt is owed from (a credit's debt repayment follows it, and must find the money still there).
SPENDING_KINDS = frozenset({PAYMENT, WITHDRAWAL_HOLD, CHECKOUT_HOLD})
EMPTY_WALLET: dict[str, Any] = {"version": 0, "balance_minor": 0, "held_minor": 0, "debt_minor": 0, "holds": {}}


def hold_id_for(key):
    """The id of the hold an idempotency key opens (no `.` or `$`: it is a field name on the wallet)."""
    return "hld_" + hashlib.sha256(key.encode()).hexdigest()[:24]


def payment_key(gateway, gateway_payment_id):
    """The key of a payment's running take-back total on its wallet (a field name: no `.` or `$`)."""
    return "pay_" + hashlib.sha256(f"{gateway}:{gateway_payment_id}".encode()).hexdigest()[:24]


def balance_delta(entry):
    if entry["type"] == CREDIT:
        return entry["amount_minor"]
    return -entry["amount_minor"] if entry["type"] == DEBIT else 0


def available_minor(wallet):
    """What can be spent or withdrawn: the balance less held money."""
    return wallet.get("balance_minor", 0) - wallet.get("held_minor", 0)


def spendable_minor(wallet):
    """Available money less any debt (which the next credit's repayment takes)."""
    return max(0, available_minor(wallet) - wallet.get("debt_minor", 0))


def open_holds(wallet):
    """{hold_id: remaining_minor} of the wallet's open holds."""
    return {hid: h["remaining_minor"] for hid, h in (wallet.get("holds") or {}).items() if h["remaining_minor"] > 0}


def figures_after(wallet, draft):
    """The figures after `draft` as fields of its entry (`balance_after_minor`, `held_after_minor`,
    `debt_after_minor`, `holds_after` when it changes holds), or None when they do not fit: a
    balance below zero, held money above the balance, a hold below zero, or a spending entry
    (`SPENDING_KINDS`) that needs held money or money a debt is owed from."""
    balance = wallet.get("balance_minor", 0) + balance_delta(draft)
    held = wallet.get("held_minor", 0) + draft.get("held_delta_minor", 0)
    debt = wallet.get("debt_minor", 0) + draft.get("debt_delta_minor", 0)
    fields = {"balance_after_minor": balance, "held_after_minor": held, "debt_after_minor": debt}
    if balance < 0 or held < 0 or held > balance or debt < 0:
        return None
    if draft["kind"] in SPENDING_KINDS and balance - held < debt:
        return None
    changes = draft.get("hold_changes")
    if changes:
        holds = wallet.get("holds") or {}
        after = {}
        for hid, delta in changes.items():
            current = holds.get(hid) or {"remaining_minor": 0, "since": wallet.get("version", 0) + 1}
            if delta is None:  # a marker: closed before it was opened
                after[hid] = {"remaining_minor": 0, "since": current["since"], "closed": True}
                continue
            remaining = current["remaining_minor"] + delta
            if remaining < 0:
                return None
            after[hid] = {"remaining_minor": remaining, "since": current["since"]}
        fields["holds_after"] = after
    return fields


def plan_hold(wallet, hold_id, amount_minor, up_to_available=False, cap=None):
    """A hold of `amount_minor`, or None when the hold exists (or was closed) already. When
    `up_to_available` (a dispute's): as much as is spendable and, with `cap` (payment key, what it
    credited: see `plan_take_back`), as much as a take-back of that payment could still take; one
    that can hold nothing is closed at once, so the hold is decided once (a redelivered or later
    webhook of its case holds nothing either)."""
    if hold_id in (wallet.get("holds") or {}):
        return None
    amount = amount_minor
    if up_to_available:
        if cap is not None:
            amount = min(amount, left_to_take_minor(wallet, *cap))
        amount = min(amount, spendable_minor(wallet))
        if amount <= 0:
            return _changes(MEMO, 0, 0, 0, {hold_id: None})
    return _changes(MEMO, 0, -amount, 0, {hold_id: amount}) | {"amount_minor": amount}


def plan_release(wallet, hold_id, amount_minor=None, must_exist=False):
    """Release what is left of a hold (at most `amount_minor`); a closed marker when it was never
    opened (None instead when `must_exist`); None when it was opened and is released already."""
    holds = wallet.get("holds") or {}
    if hold_id not in holds:
        return None if must_exist else _changes(MEMO, 0, 0, 0, {hold_id: None})
    remaining = holds[hold_id]["remaining_minor"]
    amount = remaining if amount_minor is None else min(remaining, amount_minor)
    if amount <= 0:
        return None
    return _changes(MEMO, 0, amount, 0, {hold_id: -amount}) | {"amount_minor": amount}


def left_to_take_minor(wallet, key, credited_minor):
    """What take-backs may still take of the payment `key` that credited `credited_minor` (the cap)."""
    return credited_minor - (wallet.get("taken") or {}).get(key, 0)


def plan_take_back(wallet, amount_minor, own_hold_id=None, close_own_hold=False, cap=None):
    """Money that left through the gateway (a refund, reversal, lost dispute, or a withdrawal the
    gateway paid out): out of its own hold first, then out of available money, then out of other
    holds (newest first), and what is left becomes debt. `close_own_hold`: what the own hold keeps
    beyond the amount is released too (a lost dispute ends its hold). `claimed_minor` records the
    whole amount; None when there is nothing to do (no amount, no hold to close, nothing cut from
    a take-back with a hold of its own).

    `cap` = (payment key, what that payment credited): all take-backs of one payment together take at
    most what it credited (the wallet keeps each payment's running total, `taken.<key>`, so two
    reports of one chargeback at once, a reversal and a lost dispute, cannot both take it); what the
    cap cuts is kept on the entry (`capped_minor`). With None for the credit, the amount counts
    towards the total uncapped: a withdrawal's part, which the gateway paid out, so that a
    dashboard refund of the same payment later finds it taken."""
    holds = wallet.get("holds") or {}
    taken_after = {}
    capped_off_minor = 0
    if cap is not None:
        key, credited_minor = cap
        already = (wallet.get("taken") or {}).get(key, 0)
        if credited_minor is not None:
            allowed_minor = max(0, min(amount_minor, left_to_take_minor(wallet, key, credited_minor)))
            capped_off_minor, amount_minor = amount_minor - allowed_minor, allowed_minor
        taken_after[key] = already + amount_minor
    left = amount_minor
    changes: dict = {}
    released_minor = 0  # held money freed without leaving the balance
    own = holds.get(own_hold_id) if own_hold_id else None
    if own_hold_id and own is None:
        changes[own_hold_id] = None  # its hold never opened: it never will
    elif own is not None and own["remaining_minor"] > 0:
        from_own = min(left, own["remaining_minor"])
        left -= from_own
        released_minor = own["remaining_minor"] - from_own if close_own_hold else 0
        changes[own_hold_id] = -(from_own + released_minor)
    from_available = min(left, max(0, available_minor(wallet)))
    left -= from_available
    newest_first = sorted((h["since"], hid) for hid, h in holds.items() if hid != own_hold_id)
    for _since, hid in reversed(newest_first):
        cut = min(left, holds[hid]["remaining_minor"])
        if cut > 0:
            changes[hid] = -cut
            left -= cut
    held_freed = -sum(delta for delta in changes.values() if delta)
    taken = from_available + held_freed - released_minor
    if not (taken or left or changes or (own_hold_id and capped_off_minor)):
        return None  # (a lost dispute the cap leaves nothing of records what it cut, its hold closed or not)
    draft = _changes(DEBIT if taken else MEMO, taken, held_freed, left, changes)
    if taken_after and amount_minor:
        draft["taken_after"] = taken_after
    if capped_off_minor:
        draft["capped_minor"] = capped_off_minor  # the merchant's loss: what the gateway took beyond the cap
    return draft | {"amount_minor": taken or left or released_minor, "claimed_minor": amount_minor}


def plan_capture(wallet, hold_id, amount_minor, gone, short):
    """Take `amount_minor` out of the hold and release the rest of it (one entry); raises `gone()`
    when the hold is gone (captured, voided, expired), `short()` when it holds less (a take-back
    cut it)."""
    hold = (wallet.get("holds") or {}).get(hold_id)
    if hold is None or hold.get("closed"):  # (a closed marker: released before or without being held)
        raise gone()
    if hold["remaining_minor"] < amount_minor:
        raise short()
    return _changes(DEBIT, amount_minor, hold["remaining_minor"], 0, {hold_id: -hold["remaining_minor"]})


def plan_debt_repayment(wallet):
    """A debit paying as much of the debt as available money covers, or None."""
    amount = min(wallet.get("debt_minor", 0), max(0, available_minor(wallet)))
    if amount <= 0:
        return None
    return _changes(DEBIT, amount, 0, -amount, {})


def balance_once_repaid(credit_entry):
    """The balance a credit left once the debt it found is repaid from it (the repayment that follows
    it at once: `plan_debt_repayment` of the wallet as the credit left it)."""
    after = {
        "balance_minor": credit_entry["balance_after_minor"],
        "held_minor": credit_entry.get("held_after_minor", 0),
        "debt_minor": credit_entry.get("debt_after_minor", 0),
    }
    repayment = plan_debt_repayment(after)
    return after["balance_minor"] - (repayment["amount_minor"] if repayment else 0)


def _changes(direction, amount_minor, held_release_minor, debt_delta_minor, hold_changes):
    """Entry fields: `held_release_minor` is how much held money the entry frees (negative: holds)."""
    fields = {"type": direction, "amount_minor": amount_minor, "held_delta_minor": -held_release_minor}
    if debt_delta_minor:
        fields["debt_delta_minor"] = debt_delta_minor
    if hold_changes:
        fields["hold_changes"] = hold_changes
    return fields
