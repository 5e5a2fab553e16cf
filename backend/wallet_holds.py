"""Held money and debt on the wallet ledger: holds, releases, money taken back, debt repaid.

Each is one ledger entry, once per idempotency key, decided from the wallet as read by a plan of
`backend/wallet_figures.py` (again whenever another entry takes its place first), so the figures
stay exact under any race: `held` ≤ `balance`, neither below zero, debt only for money already spent.
Every method returns (entry, created); the entry is None when there was nothing to do.
"""

from .records import CAPTURE, DEBIT, DEBT_REPAYMENT, HOLD_RELEASE, MEMO, with_operation
from .wallet_figures import (
    hold_id_for,
    plan_capture,
    plan_debt_repayment,
    plan_hold,
    plan_release,
    plan_take_back,
)


class WalletHolds:
    def __init__(self, wallet):
        self.wallet = wallet

    def hold(self, customer_id, currency, amount_minor, kind, key, reference, up_to_available=False, **options):
        """Set `amount_minor` aside (as much as can be, when `up_to_available`, within the option `cap`:
        see `plan_hold`); the hold's id is `hold_id_for(key)` (`reference.hold_id`). InsufficientFunds
        when it does not fit. Options: `wallet`, the wallet as read already (`WalletService.append`);
        `operation`, the request making it (`WalletService.debit`)."""
        hold_id, cap = hold_id_for(key), options.get("cap")
        draft = self.wallet.draft(customer_id, currency, 0, MEMO, kind, key, dict(reference, hold_id=hold_id))
        return self.wallet.append(
            with_operation(draft, options.get("operation")),
            plan=lambda read: plan_hold(read, hold_id, amount_minor, up_to_available, cap),
            wallet=options.get("wallet"),
        )

    def release(
        self, customer_id, currency, hold_id, key, reference, amount_minor=None, must_exist=False, operation=None
    ):
        """Give what is left of the hold (at most `amount_minor`) back to available money. A hold not
        opened yet is closed for good (its late opening holds nothing), unless `must_exist`: then
        nothing is written for it ((None, False), or the entry already holding `key`). `operation`:
        the request making it (`WalletService.debit`)."""
        draft = self.wallet.draft(customer_id, currency, 0, MEMO, HOLD_RELEASE, key, dict(reference, hold_id=hold_id))
        return self.wallet.append(
            with_operation(draft, operation),
            plan=lambda wallet: plan_release(wallet, hold_id, amount_minor, must_exist),
        )

    def capture(self, customer_id, currency, hold_id, amount_minor, key, reference, refusals, operation=None):
        """Take `amount_minor` out of the hold as a `capture` debit and release the rest of it;
        `refusals` = (gone, short): raised, nothing written, when the hold is gone or holds less.
        `operation`: the request making it (`WalletService.debit`)."""
        draft = self.wallet.draft(customer_id, currency, 0, DEBIT, CAPTURE, key, dict(reference, hold_id=hold_id))
        return self.wallet.append(
            with_operation(draft, operation), plan=lambda wallet: plan_capture(wallet, hold_id, amount_minor, *refusals)
        )

    def take_back(
        self,
        customer_id,
        currency,
        amount_minor,
        kind,
        key,
        reference,
        own_hold_id=None,
        close_own_hold=False,
        cap=None,
    ):
        """Money that left through the gateway: out of `own_hold_id` first, then available money,
        then other holds (newest first); the rest becomes debt (`wallet_figures.plan_take_back`).
        `close_own_hold`: the own hold ends with it (what it keeps beyond the amount is released);
        `cap`: (payment key, what it credited), see `plan_take_back`."""
        draft = self.wallet.draft(customer_id, currency, 0, DEBIT, kind, key, reference)
        return self.wallet.append(
            draft, plan=lambda wallet: plan_take_back(wallet, amount_minor, own_hold_id, close_own_hold, cap)
        )

    def repay_debt(self, credit_entry):
        """After a credit, pay what debt the wallet has out of available money (once per credit)."""
        return self.wallet.append(repayment_draft(self.wallet, credit_entry), plan=plan_debt_repayment)


def repayment_draft(wallet, credit_entry):
    """The debt repayment that follows `credit_entry` (`wallet`: a WalletService), to be planned."""
    return wallet.draft(
        credit_entry["customer_id"],
        credit_entry["currency"],
        0,
        DEBIT,
        DEBT_REPAYMENT,
        f"debt_repayment:{credit_entry['_id']}",
        {"credit_entry_id": credit_entry["_id"]},
    )
