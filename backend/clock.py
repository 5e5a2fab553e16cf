"""Time in one place, so tests and recovery agree on what 'now' is."""

import datetime
import secrets

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# Random bytes below this map evenly onto the alphabet (4 × 62); the rest are drawn again.
_UNBIASED_BELOW = 256 // len(_ALPHABET) * len(_ALPHABET)


def utcnow():
    """Naive UTC, millisecond precision: what MongoDB stores and pymongo hands back."""
    now = datetime.datetime.now(datetime.UTC)
    return now.replace(tzinfo=None, microsecond=now.microsecond // 1000 * 1000)


def iso(moment):
    """ISO-8601 text in UTC for API responses."""
    return moment.isoformat(timespec="milliseconds") + "Z" if moment else None


def new_id(prefix, length=14):
    """Gateway-style ids: `prefix_` + random letters and digits, uniform (one read of the system's
    random source for the usual id, not one per character)."""
    letters: list[str] = []
    while len(letters) < length:
        drawn = secrets.token_bytes(length + 4)
        letters += [_ALPHABET[byte % len(_ALPHABET)] for byte in drawn if byte < _UNBIASED_BELOW]
    return prefix + "_" + "".join(letters[:length])


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
