"""How a withdrawal's amount is split over the customer's top-ups (`withdrawal_plans.split`): each
share within its top-up's bounds (its gateway's smallest refund, what is left of it), newest first,
and a split found whenever one exists."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.flows.withdrawal_plans import split

RAZORPAY, PAYPAL = 100, 1  # smallest refunds, in paise / cents


def test_the_newest_topups_give_first_each_as_much_as_it_can():
    assert split(15000, [(RAZORPAY, 10000), (RAZORPAY, 10000)]) == [(0, 10000), (1, 5000)]


def test_a_rest_below_a_smallest_refund_is_moved_from_a_part_before():
    assert split(10050, [(RAZORPAY, 10000), (RAZORPAY, 10000)]) == [(0, 9950), (1, 100)]


def test_a_newer_topup_is_left_out_when_no_split_with_it_exists():
    """Found by a review: 13.69 and (newer) 1.31 through Razorpay, 1.66 withdrawn: was refused."""
    assert split(166, [(RAZORPAY, 131), (RAZORPAY, 1369)]) == [(1, 166)]
    assert split(180, [(RAZORPAY, 100), (PAYPAL, 30), (RAZORPAY, 500)]) == [(1, 30), (2, 150)]


def test_no_split_below_every_smallest_refund():
    assert split(50, [(RAZORPAY, 10000), (RAZORPAY, 500)]) is None
    assert split(50, [(RAZORPAY, 10000), (PAYPAL, 500)]) == [(1, 50)]


def feasible(amount, bounds):
    return any(
        sum(bounds[i][0] for i in chosen) <= amount <= sum(bounds[i][1] for i in chosen)
        for size in range(1, len(bounds) + 1)
        for chosen in itertools.combinations(range(len(bounds)), size)
    )


topups = st.lists(
    st.sampled_from([RAZORPAY, PAYPAL]).flatmap(lambda least: st.tuples(st.just(least), st.integers(least, 3000))),
    min_size=1,
    max_size=7,
)


@settings(max_examples=400, deadline=None)
@given(topups, st.integers(1, 12000))
def test_a_split_is_found_whenever_one_exists_and_keeps_every_bound(bounds, amount):
    shares = split(amount, bounds)
    if shares is None:
        assert not feasible(amount, bounds)
        return
    assert sum(share for _i, share in shares) == amount
    indexes = [i for i, _share in shares]
    assert indexes == sorted(set(indexes))
    for i, share in shares:
        assert bounds[i][0] <= share <= bounds[i][1]


def test_many_small_topups_behind_one_that_cannot_take_part_are_still_searched_through():
    """Found by a review: the search gave up (its step bound) on 10.50 over a newest top-up of 1.00 and
    24 older ones of 1.05 each through Razorpay, though ten of the older ones give it."""
    shares = split(1050, [(RAZORPAY, 100)] + [(RAZORPAY, 105)] * 24)
    assert shares is not None and sum(share for _i, share in shares) == 1050 and shares[0][0] == 1  # the newest cannot
    shares = split(1000, [(PAYPAL, 50)] + [(RAZORPAY, 100)] * 20)
    assert shares is not None and sum(share for _i, share in shares) == 1000
