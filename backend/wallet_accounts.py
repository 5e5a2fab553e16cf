"""The wallet's own operations beside the contract's façade: orders authorised now and captured later
(SPEC §10), withdrawals to the customer's own top-ups (SPEC §9) and the limits on top-ups (SPEC §10).
Built over the integration's parts; `create_app` wires one per app. Amounts are integer minor units."""

from .currencies import amount_in


class WalletAccounts:
    def __init__(self, parts):
        self.order_holds, self.withdrawals, self.limits = parts.order_holds, parts.withdrawals, parts.limits
        self.currency = parts.currency

    # --- holds (SPEC §10) ----------------------------------------------------------------------
    def authorize_order(self, order_id, customer_id, amount_minor, operation_id=None, currency=None):
        """Hold a pending order's amount: `{hold_id, entry, expires_at}`. `currency`: the one
        `amount_minor` is in (None: the default, or the order's if it has as many decimals)."""
        amount = amount_in(currency, self.currency)
        return self.order_holds.authorize(order_id, customer_id, amount_minor, operation_id, amount)

    def capture_order(self, order_id, amount_minor, customer_id=None, currency=None, operation_id=None):
        """Take at most the hold, release the rest: (capture entry, released minor units)."""
        amount = amount_in(currency, self.currency)
        return self.order_holds.capture(order_id, amount_minor, customer_id, amount, operation_id)

    def void_order(self, order_id, customer_id=None, operation_id=None):
        """Release the order's hold; the order is pending again. The release entry."""
        return self.order_holds.void(order_id, customer_id, operation_id)

    # --- withdrawals (SPEC §9) -----------------------------------------------------------------
    def withdraw(self, customer_id, amount_minor, withdrawal_id=None, currency=None):
        """Refund `amount_minor` of the `currency` wallet (None: the default one) to the customer's own
        top-ups in it; the withdrawal's view."""
        return self.withdrawals.withdraw(customer_id, currency or self.currency, amount_minor, withdrawal_id)

    def withdrawable(self, customer_id, currency=None):
        """`{available_minor, refundable_minor, withdrawable_minor}`: what a withdrawal can take now."""
        return self.withdrawals.quote(customer_id, currency or self.currency)

    def find_withdrawal(self, withdrawal_id):
        """The withdrawal's view, or WithdrawalNotFound."""
        return self.withdrawals.view(withdrawal_id)

    # --- limits (SPEC §10) ---------------------------------------------------------------------
    def wallet_limits(self, customer_id):
        """(the customer's level, [{limit, max_minor, used_minor, headroom_minor}] tightest first)."""
        return self.limits.level(customer_id), self.limits.headroom(customer_id, self.currency)

    def set_kyc_level(self, customer_id, level):
        """Set the customer's level (`minimum` | `full`: which limits apply), audited."""
        return self.limits.set_level(customer_id, level)
