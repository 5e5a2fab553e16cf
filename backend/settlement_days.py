"""Which days of a gateway the worker settles (`Worker._settle_complete_days`): the newest day (UTC)
whose report is complete, REPORT_LATENCY past its end (yesterday from then, the day before until
then), and each day before it, up to CATCH_UP_DAYS back, that no worker settled in full (one down
over a day's run), from the first day settled before, or all of them when a day before them was
(a new deployment starts at the newest)."""

import datetime

CATCH_UP_DAYS = 7  # how far back the worker settles days it missed
REPORT_LATENCY = datetime.timedelta(hours=3)  # a gateway's report of a day is complete this long after it


def newest_complete_day(now):
    """The newest day whose report is complete at `now`."""
    return (now - REPORT_LATENCY).date() - datetime.timedelta(days=1)


def days_due(books, gateway, newest):
    """The days up to `newest` to settle for `gateway`, oldest first (`SettlementBooks` `books`)."""
    window = [newest - datetime.timedelta(days=back) for back in range(CATCH_UP_DAYS - 1, -1, -1)]
    documents = [books.day(gateway, day) for day in window]
    settled = [day for day, document in zip(window, documents, strict=True) if settled_in_full(document)]
    first = settled[0] if settled else window[0] if books.settled_before(gateway, window[0]) else newest
    return [
        day for day, document in zip(window, documents, strict=True) if day >= first and not settled_in_full(document)
    ]


def settled_in_full(document):
    """The day was settled after it was over and its report complete (REPORT_LATENCY past it: PayPal's
    data can be 3 hours late): a day settled early (by hand, over HTTP) is settled again."""
    if document is None:
        return False
    day = datetime.date.fromisoformat(document["date"])
    complete_at = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    return document["settled_at"] >= complete_at + REPORT_LATENCY
