"""Gateway-style ids (`backend.clock.new_id`): shape, and letters drawn evenly from the alphabet."""

import collections
import re

from backend import clock


def test_an_id_is_the_prefix_and_the_asked_number_of_letters_and_digits():
    for length in (1, 12, 14, 20, 24):
        made = clock.new_id("txn", length)
        assert re.fullmatch(rf"txn_[A-Za-z0-9]{{{length}}}", made), made


def test_ids_do_not_repeat():
    assert len({clock.new_id("txn", 20) for _ in range(5000)}) == 5000


def test_bytes_above_the_even_range_are_drawn_again(monkeypatch):
    """256 is not a multiple of 62: bytes 248-255 would favour the alphabet's first 8 letters."""
    draws = iter([bytes([255, 248, 0, 61]), bytes([62, 247, 1, 2])])
    monkeypatch.setattr(clock.secrets, "token_bytes", lambda n: next(draws))
    assert clock.new_id("x", 4) == "x_A9A9"


def test_every_letter_is_about_as_likely():
    counts = collections.Counter("".join(clock.new_id("t", 20)[2:] for _ in range(6200)))
    assert set(counts) == set(clock._ALPHABET)
    expected = 6200 * 20 / 62  # 2,000 each
    assert all(abs(n - expected) < 250 for n in counts.values()), counts.most_common(3)
