"""The embedded store's adapter: mongomock is not thread-safe, so every call on it goes through one
process-wide lock (`LockedDatabase` hands out `LockedCollection`s). Nothing here runs with MongoDB.

One fast path, the same answers: mongomock's `aggregate` copies every document of the collection
before its first stage, so a pipeline that starts with `$match` (every one of the service's) is run
on what `find` with that filter returns (mongomock's same filter, applied before copying), and the
rest of the pipeline by mongomock's own pipeline code. At 2,500 ledger entries a wallet's status
read took 13 times as long without it.
"""

import threading

import mongomock
from mongomock.aggregate import process_pipeline

_MONGOMOCK_LOCK = threading.RLock()


def _locked(function):
    def call(*args, **kwargs):
        with _MONGOMOCK_LOCK:
            return function(*args, **kwargs)

    return call


class LockedCursor:
    """A mongomock cursor: `sort`/`limit`/`skip` chain as in pymongo; results are read under the lock."""

    def __init__(self, cursor):
        self._cursor = cursor

    def __iter__(self):
        with _MONGOMOCK_LOCK:
            return iter(list(self._cursor))

    def __getattr__(self, name):
        attribute = getattr(self._cursor, name)
        if not callable(attribute):
            return attribute

        def chained(*args, **kwargs):
            with _MONGOMOCK_LOCK:
                result = attribute(*args, **kwargs)
            return self if result is self._cursor else result

        return chained


class LockedCollection:
    """A mongomock collection whose every call runs under one lock."""

    def __init__(self, collection):
        self._collection = collection

    def find(self, *args, **kwargs):
        with _MONGOMOCK_LOCK:
            return LockedCursor(self._collection.find(*args, **kwargs))

    def aggregate(self, pipeline, *args, **kwargs):
        with _MONGOMOCK_LOCK:
            if pipeline and set(pipeline[0]) == {"$match"} and not args and not kwargs:
                matched = list(self._collection.find(pipeline[0]["$match"]))
                return iter(list(process_pipeline(matched, self._collection.database, pipeline[1:], None)))
            return iter(list(self._collection.aggregate(pipeline, *args, **kwargs)))

    def __getattr__(self, name):
        attribute = getattr(self._collection, name)
        return _locked(attribute) if callable(attribute) else attribute


class LockedDatabase:
    """A mongomock database handing out `LockedCollection`s, as `db["name"]` or `db.name`."""

    def __init__(self, database):
        self._database = database
        self.name = database.name
        self.ledger_count: tuple[float, int] | None = None  # check_embedded_store's (when, count)
        self.slow_warned = False  # check_embedded_store has logged EMBEDDED STORE SLOW

    def __getitem__(self, name):
        return LockedCollection(self._database[name])

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        attribute = getattr(self._database, name)
        if isinstance(attribute, mongomock.Collection):
            return LockedCollection(attribute)
        return _locked(attribute) if callable(attribute) else attribute
