"""The in-process rate-limit counters (backend/limits.py `LocalCounters`): a window per key that
starts at its first request and lasts WINDOW_SECONDS, and windows over are dropped."""

import threading

from backend.limits import WINDOW_SECONDS, LocalCounters, per_window


def test_a_window_counts_from_its_first_request_to_its_end():
    counters = LocalCounters()
    assert counters.hit("a", 1000.0) == (1, 1000.0 + WINDOW_SECONDS)
    assert counters.hit("a", 1030.0) == (2, 1000.0 + WINDOW_SECONDS)
    assert counters.hit("a", 1000.0 + WINDOW_SECONDS - 0.001) == (3, 1000.0 + WINDOW_SECONDS)


def test_the_next_request_after_the_window_starts_a_new_one():
    counters = LocalCounters()
    counters.hit("a", 1000.0)
    counters.hit("a", 1001.0)
    assert counters.hit("a", 1000.0 + WINDOW_SECONDS) == (1, 1000.0 + 2 * WINDOW_SECONDS)


def test_each_key_counts_on_its_own():
    counters = LocalCounters()
    counters.hit("a", 1000.0)
    counters.hit("a", 1000.0)
    assert counters.hit("b", 1010.0) == (1, 1010.0 + WINDOW_SECONDS)


def test_windows_over_are_dropped():
    counters = LocalCounters()
    for number in range(100):
        counters.hit(f"old {number}", 1000.0)
    counters.hit("new", 1000.0 + WINDOW_SECONDS + 1)
    assert set(counters.windows) == {"new"}


def test_threads_lose_no_count():
    counters, threads_count, hits = LocalCounters(), 8, 500
    threads = [
        threading.Thread(target=lambda: [counters.hit("shared", 1000.0) for _ in range(hits)])
        for _ in range(threads_count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counters.hit("shared", 1000.0)[0] == threads_count * hits + 1


def test_a_limit_is_read_from_its_text():
    assert per_window("30 per minute") == 30
