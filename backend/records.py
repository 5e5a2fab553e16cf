"""The shapes of the documents the service keeps (typed dicts: they are what the store hands back) and
the names of ledger entry kinds. Money is in integer minor units (`*_minor`)."""

import datetime
from typing import Any, TypedDict

# Ledger entry kinds (`kind`) and directions (`type`).
TOPUP, PAYMENT, REFUND, REVERSAL = "topup", "payment", "refund", "reversal"
# After the credit (docs/ledger.md, "Held money and debt").
TOPUP_REVERSAL = "topup_reversal"  # a gateway refund or reversal of a top-up, taken back
CHARGEBACK = "chargeback"  # a lost dispute, taken back
DEBT_REPAYMENT = "debt_repayment"  # a credit's money paying the wallet's debt
DISPUTE_HOLD, HOLD_RELEASE = "dispute_hold", "hold_release"
WITHDRAWAL_HOLD, WITHDRAWAL = "withdrawal_hold", "withdrawal"
CHECKOUT_HOLD, CAPTURE = "checkout_hold", "capture"  # an order authorised, then captured (SPEC §10)
# `type`: CREDIT and DEBIT move the balance by `amount_minor`; MEMO moves only held money or debt
# (`amount_minor` then says how much was held, released or owed).
CREDIT, DEBIT, MEMO = "credit", "debit", "memo"
# What a payment did to its order (`settled`).
SETTLED_PAID, SETTLED_GIVEN_BACK = "paid", "given_back"


class LedgerEntry(TypedDict, total=False):
    """One immutable movement of a wallet (`ledger_entries`); docs/ledger.md."""

    _id: str
    idempotency_key: str
    wallet_id: str
    customer_id: str
    currency: str
    type: str  # CREDIT | DEBIT | MEMO
    kind: str  # TOPUP | PAYMENT | REFUND | REVERSAL | TOPUP_REVERSAL | CHARGEBACK | ...
    amount_minor: int
    sequence: int
    balance_after_minor: int
    held_delta_minor: int  # + holds, - releases (absent: 0)
    debt_delta_minor: int  # + owed, - repaid (absent: 0)
    hold_changes: dict[str, int | None]  # hold id -> change (None: closed before it opened)
    held_after_minor: int
    debt_after_minor: int
    holds_after: dict[str, dict[str, Any]]  # hold id -> {remaining_minor, since[, closed]}
    claimed_minor: int  # a take-back's whole amount (what was taken + what became debt)
    taken_after: dict[str, int]  # payment key -> what take-backs took of that payment, this one included
    capped_minor: int  # what the per-payment cap left of a take-back's amount (not taken, not owed)
    reference: dict[str, Any]  # order_id / order_life, payment_order_id / gateway / gateway_payment_id
    status: str
    finalized: bool
    follow_up_failures: int  # how often its follow-ups failed (absent: never)
    follow_up_retry_at: datetime.datetime  # failed follow-ups are not tried again before then
    created_at: datetime.datetime
    applied_at: datetime.datetime
    operation_id: str  # a keyed payment request's (its Idempotency-Key, hashed)
    settled: str  # a payment's outcome: SETTLED_PAID | SETTLED_GIVEN_BACK
    refund_seq: int  # a refund's place among its order life's refunds
    order_refunded_after_minor: int
    order_paid_minor: int


class Wallet(TypedDict, total=False):
    """A wallet's running total of its ledger (`wallets`)."""

    _id: str  # "<customer_id>:<currency>"
    customer_id: str
    currency: str
    balance_minor: int
    held_minor: int
    debt_minor: int
    holds: dict[str, dict[str, Any]]  # open holds (and closed markers), see backend/wallet_figures.py
    taken: dict[str, int]  # payment key -> what gateways took back of that payment (the per-payment cap)
    version: int  # the sequence of the last entry it holds
    totals: dict[str, int]


class Order(TypedDict, total=False):
    """A shop order (`orders`): the shop's fields, then the wallet's (docs/ledger.md, "Lives of an order")."""

    order_id: str
    customer_id: str
    amount_minor: int
    currency: str
    payment_status: str  # pending | paid | partially_refunded | refunded | cancelled | ...
    payment_ticket: str | None
    payment_life: str | None
    paid_via: str
    paid_minor: int
    payment_entry_id: str
    paid_entry_ids: list[str]
    reversed_entry_ids: list[str]
    refund_wallet_id: str
    refund_seq: int
    refunded_minor: int
    refundable_minor: int


def with_operation(draft, operation):
    """`draft` carrying `operation`, (operation_id, fingerprint or None[, life]), when given: the
    request that makes the entry (`WalletService.debit`). A keyed payment's `life` is how many lives
    of its key ended before it: one payment per wallet, key and life (a unique index, backend/db.py)."""
    if operation is not None:
        draft["operation_id"], fingerprint, *life = operation
        if fingerprint is not None:
            draft["operation_fingerprint"] = fingerprint
        if life:
            draft["operation_life"] = life[0]
    return draft
