"""Indexes an earlier version made that the service no longer wants (`OBSOLETE_INDEXES`) are dropped at
start, also when their options changed under the same name, and when processes starting at once race
to drop them; any other refusal to drop one stops the start."""

import uuid

import mongomock
import pytest
from pymongo.errors import OperationFailure

from backend.db import INDEX_NOT_FOUND, connect, ensure_indexes


@pytest.fixture
def database():
    return connect("mongomock://localhost", f"unit_{uuid.uuid4().hex[:10]}")


def dropping_with(monkeypatch, code, drop_first):
    """Every index drop from now on fails with `code`, after dropping the index when `drop_first`."""
    drop = mongomock.collection.Collection.drop_index

    def failing(collection, name):
        if drop_first:
            drop(collection, name)
        raise OperationFailure(f"drop of {name} failed", code=code)

    monkeypatch.setattr(mongomock.collection.Collection, "drop_index", failing)


def test_an_index_whose_options_changed_is_made_anew_at_start(database):
    """The customers' unique `customer_id` index became sparse: a store made before has it dense, which
    refused a second document without `customer_id`; the start drops it and makes it sparse."""
    database["customers"].create_index([("customer_id", 1)], unique=True)
    ensure_indexes(database)
    ensure_indexes(database)  # and a second start keeps it
    assert database["customers"].index_information()["customer_id_1"].get("sparse") is True
    database["customers"].insert_many([{"_id": "cust_x", "kyc_level": "full"}, {"_id": "cust_y"}])


def test_an_obsolete_index_another_process_dropped_first_does_not_stop_the_start(database, monkeypatch):
    """Processes starting at once each read the old index and drop it: all but the first find it gone."""
    database["customers"].create_index([("customer_id", 1)], unique=True)
    dropping_with(monkeypatch, INDEX_NOT_FOUND, drop_first=True)
    ensure_indexes(database)
    assert database["customers"].index_information()["customer_id_1"].get("sparse") is True


def test_an_obsolete_index_the_store_refuses_to_drop_stops_the_start(database, monkeypatch):
    """Not allowed to drop it (code 13): starting anyway would leave the old unique index in force."""
    database["customers"].create_index([("customer_id", 1)], unique=True)
    dropping_with(monkeypatch, 13, drop_first=False)
    with pytest.raises(OperationFailure):
        ensure_indexes(database)
