"""How a withdrawal (SPEC §9) is spread over the customer's own top-ups: newest first, each at most
what is left of it (less what our refunds and the gateways took back) within the refund window, each
part at least its gateway's smallest refund; a top-up whose refund of ours failed lately comes after
the others (`flows/withdrawals.py` carries the plan out)."""

import datetime

from ..clock import new_id
from ..errors import InvalidAmount, WithdrawalExceedsRefundable
from ..money import format_major, to_major

TOPUPS_CONSIDERED_MAX = 100  # a withdrawal's parts: the newest top-ups with something left to refund
TOPUPS_PAGE = 100
FAILED_REFUND_LATER_SECONDS = 24 * 3600  # a top-up whose refund failed this lately is planned last


class WithdrawalPlans:
    def __init__(self, stores, book, window_days):
        """`stores`: the integration (its history, payment orders, our refunds' records, gateway
        cases, payments and clock); `book`: the withdrawals."""
        self.history, self.payment_orders, self.records = (
            stores.history,
            stores.payment_orders,
            stores.our_refunds.records,
        )
        self.cases, self.payments, self.clock = stores.cases, stores.payments, stores.clock
        self.book, self.window_days = book, window_days

    def refundable_topups(self, customer_id, currency):
        """[(payment order, what is left of it)] of the customer's credited top-ups within the window
        whose gateway refunds, newest first, less what our refunds and the gateways took back: the
        newest TOPUPS_CONSIDERED_MAX with something left (read a page at a time past those used up)."""
        since = self.clock() - datetime.timedelta(days=self.window_days)
        # planned before recorded: a resume recording its parts between the two reads is counted once at least
        taken: dict[str, int] = {}
        planned = self._planned_unrecorded(customer_id, currency)
        for payment_id, minor in [*planned, *self.history.taken_back(customer_id, currency).items()]:
            taken[payment_id] = taken.get(payment_id, 0) + minor
        refundable: list = []
        after = None
        while len(refundable) < TOPUPS_CONSIDERED_MAX:
            page = self.payment_orders.credited_since(customer_id, currency, since, TOPUPS_PAGE, after)
            refundable += self._left_of(page, taken)
            if len(page) < TOPUPS_PAGE:
                break
            after = page[-1]
        # a top-up whose refund failed lately comes after the others (newest first still among each):
        # a gateway refusing one payment for good must not make every withdrawal fail on it
        refundable.sort(key=lambda topup: topup[2])
        return [(po, left) for po, left, _failed in refundable[:TOPUPS_CONSIDERED_MAX]]

    def _left_of(self, page, taken):
        """[(payment order, what is left of it, whether a refund of ours of it failed lately)] of the
        top-ups of `page` whose gateway refunds, none disputed (a lost dispute refunds it too), less
        our refunds and `taken` ({payment id: minor}), each with at least its gateway's smallest refund."""
        topups = [po for po in page if hasattr(self.payments.gateways.get(po.gateway), "refund")]
        disputed = self.cases.disputed([po.gateway_payment_id for po in topups])
        topups = [po for po in topups if po.gateway_payment_id not in disputed]
        failed_since = self.clock() - datetime.timedelta(seconds=FAILED_REFUND_LATER_SECONDS)
        used, failed = self.records.refunded_from([po.gateway_payment_id for po in topups], failed_since)
        left = [
            (po, po.amount_minor - used.get(po.gateway_payment_id, 0) - taken.get(po.gateway_payment_id, 0))
            for po in topups
        ]
        return [
            (po, amount, po.gateway_payment_id in failed) for po, amount in left if amount >= self._least_refund(po)
        ]

    def _least_refund(self, payment_order):
        """The smallest refund the payment order's gateway makes in its currency, in minor units."""
        least = getattr(self.payments.gateways.get(payment_order.gateway), "least_refund_minor", None)
        return least(payment_order.currency) if least is not None else 1

    def _planned_unrecorded(self, customer_id, currency):
        """[(payment id, minor units)] of the parts of withdrawals still `holding` whose refund is not
        recorded yet: a request that died before recording them left its plan for the worker to
        carry on, so no other plan may count that money again."""
        planned = []
        for withdrawal in self.book.holding(customer_id, currency):
            recorded = {record["_id"] for record in self.records.of_withdrawal(withdrawal["_id"])}
            planned += [
                (part["gateway_payment_id"], part["amount_minor"])
                for part in withdrawal["parts"]
                if part["reference"] not in recorded
            ]
        return planned

    def plan(self, customer_id, currency, amount_minor):
        """[part] over the customer's top-ups newest first, or WithdrawalExceedsRefundable."""
        topups = self.refundable_topups(customer_id, currency)
        refundable_minor = sum(left for _po, left in topups)
        if refundable_minor < amount_minor:
            raise WithdrawalExceedsRefundable(
                f"{format_major(refundable_minor, currency)} {currency}", to_major(refundable_minor, currency)
            )
        parts: list[dict] = []
        least: list[int] = []  # each part's gateway's smallest refund
        left, withdrawal_ref = amount_minor, new_id("wdp", 12)
        for po, refundable in topups:
            share, smallest = min(left, refundable), self._least_refund(po)
            if 0 < share < smallest:  # the rest is below this gateway's smallest refund: the part before gives some
                if not parts or parts[-1]["amount_minor"] - (smallest - share) < least[-1]:
                    continue  # an older top-up's gateway may refund it
                parts[-1]["amount_minor"] -= smallest - share
                left, share = left + smallest - share, smallest
            if share:
                left -= share
                least.append(smallest)
                parts.append(
                    {
                        "reference": f"{withdrawal_ref}_{len(parts) + 1}",
                        "gateway": po.gateway,
                        "payment_order_id": po.id,
                        "gateway_payment_id": po.gateway_payment_id,
                        "amount_minor": share,
                    }
                )
        if left:
            raise InvalidAmount(
                f"{format_major(amount_minor, currency)} {currency} cannot be refunded to your top-ups' "
                "payment methods: a gateway has a smallest refund. Withdraw a little more or less."
            )
        return parts
