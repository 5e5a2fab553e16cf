"""The worker's backlog as /health shows it: top-ups waiting for the gateway sweep and holds past
their expiry not released yet. Both are work the worker has left, so the worker counts them as it
beats (after the jobs that change them, and at least every BACKLOG_RECOUNT_SECONDS), and /health
reads them with the newest heartbeat: one store round trip. When no worker counted lately (none
runs, or it is stuck) /health counts them itself, live; /metrics always counts them live."""

import datetime

from .order_authorizations import OrderAuthorizations
from .payment_orders import PaymentOrders

BACKLOG_RECOUNT_SECONDS = 5.0
BACKLOG_FRESH_SECONDS = 10.0  # a count older than this is not shown: /health counts itself
RECOUNT_AFTER_JOBS = ("recovery", "sweep")  # the jobs that release holds and sweep top-ups


def count_backlog(db, stale_after_seconds, now):
    """{sweep_waiting, holds_expired, counted_at}, counted now."""
    return {
        "sweep_waiting": PaymentOrders(db).sweep.count_waiting(stale_after_seconds),
        "holds_expired": OrderAuthorizations(db).count_expired(),
        "counted_at": now,
    }


def due(counted_at, now, jobs_ran):
    """Whether a worker beating at `now`, after running `jobs_ran`, counts its backlog again."""
    if counted_at is None or any(job in RECOUNT_AFTER_JOBS for job in jobs_ran):
        return True
    return now - counted_at >= datetime.timedelta(seconds=BACKLOG_RECOUNT_SECONDS)


def backlog(db, heartbeat, stale_after_seconds, now):
    """The backlog counted by the worker whose heartbeat is `heartbeat` (`worker.last_heartbeat`),
    if it is fresh, else counted now."""
    counted = (heartbeat or {}).get("backlog")
    # A count from the future (a worker's clock ahead of this one) is no fresher than one too old.
    if counted is not None and 0 <= (now - counted["counted_at"]).total_seconds() <= BACKLOG_FRESH_SECONDS:
        return counted
    return count_backlog(db, stale_after_seconds, now)
