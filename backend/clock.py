"""Time in one place, so tests and recovery agree on what 'now' is."""

import datetime
import secrets

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def utcnow():
    """Naive UTC, millisecond precision: what MongoDB stores and pymongo hands back."""
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso(moment):
    """ISO-8601 text in UTC for API responses."""
    return moment.isoformat(timespec="milliseconds") + "Z" if moment else None


def new_id(prefix, length=14):
    """Gateway-style ids: `prefix_` + random letters and digits."""
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def store_now(db):
    """The store's own clock, naive UTC: the `localTime` of MongoDB's `hello` reply. None where the
    store does not tell it: mongomock (the embedded store, which lives in this process and so keeps
    its time) implements no `hello`."""
    try:
        local_time = db.command("hello").get("localTime")
    except NotImplementedError:
        return None
    if not isinstance(local_time, datetime.datetime):
        return None
    if local_time.tzinfo is not None:
        local_time = local_time.astimezone(datetime.UTC).replace(tzinfo=None)
    return local_time
