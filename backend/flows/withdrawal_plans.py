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
SPLIT_STEPS_MAX = 100_000  # a plan's search over which top-ups give (bounded: at most 100 of them)


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
        used, failed = self.records.refunded_and_failed([po.gateway_payment_id for po in topups], failed_since)
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
        """[part] over the customer's top-ups newest first; WithdrawalExceedsRefundable beyond what they
        can give back, InvalidAmount when no split gives every part its gateway's smallest refund."""
        topups = self.refundable_topups(customer_id, currency)
        refundable_minor = sum(left for _po, left in topups)
        if refundable_minor < amount_minor:
            raise WithdrawalExceedsRefundable(
                f"{format_major(refundable_minor, currency)} {currency}", to_major(refundable_minor, currency)
            )
        bounds = [(self._least_refund(po), left) for po, left in topups]
        shares = split(amount_minor, bounds)
        if shares is None:
            raise InvalidAmount(
                f"{format_major(amount_minor, currency)} {currency} cannot be refunded to your top-ups' "
                "payment methods: a gateway has a smallest refund. Withdraw a little more or less."
            )
        withdrawal_ref = new_id("wdp", 12)
        parts: list[dict] = []
        for i, share in shares:
            po = topups[i][0]
            parts.append(
                {
                    "reference": f"{withdrawal_ref}_{len(parts) + 1}",
                    "gateway": po.gateway,
                    "payment_order_id": po.id,
                    "gateway_payment_id": po.gateway_payment_id,
                    "amount_minor": share,
                }
            )
        return parts


class _GaveUp(Exception):
    pass


def split(amount_minor, bounds):
    """[(index, share)] over top-ups newest first, each share within its top-up's (least, most) bounds,
    adding up to `amount_minor`: the newest top-ups that can give it (a newer one left out only when
    no split with it exists), each giving as much as the later ones' least allow. None when there is
    no such split, or none was found within SPLIT_STEPS_MAX steps of the search."""
    most_from = [0] * (len(bounds) + 1)  # what the top-ups from i on can give at most
    for i in range(len(bounds) - 1, -1, -1):
        most_from[i] = most_from[i + 1] + bounds[i][1]
    chosen: list[int] = []
    failed: dict[tuple[int, int], int] = {}  # (i, least so far) -> the most so far a search from there failed with
    steps = 0

    def search(i, least_sum, most_sum):
        nonlocal steps
        steps += 1
        if steps > SPLIT_STEPS_MAX:
            raise _GaveUp()
        if least_sum <= amount_minor <= most_sum:
            return True
        if i == len(bounds) or most_sum + most_from[i] < amount_minor:
            return False
        if failed.get((i, least_sum), -1) >= most_sum:  # failed from here already, with as much or more
            return False
        if least_sum + bounds[i][0] <= amount_minor:
            chosen.append(i)
            if search(i + 1, least_sum + bounds[i][0], most_sum + bounds[i][1]):
                return True
            chosen.pop()
        if search(i + 1, least_sum, most_sum):
            return True
        failed[(i, least_sum)] = max(failed.get((i, least_sum), -1), most_sum)
        return False

    try:
        if not search(0, 0, 0):
            return None
    except _GaveUp:
        return None
    shares, rest = [], amount_minor
    least_after = sum(bounds[i][0] for i in chosen)  # the least the parts from this one on must give
    for i in chosen:
        least_after -= bounds[i][0]
        share = min(bounds[i][1], rest - least_after)
        shares.append((i, share))
        rest -= share
    return shares
