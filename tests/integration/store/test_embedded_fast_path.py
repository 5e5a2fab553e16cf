"""The embedded store's fast path for pipelines that start with `$match` (backend/embedded_store.py)
answers exactly as mongomock's own `aggregate` does, for the shapes of pipeline the service runs."""

import datetime

import mongomock
import pytest

from backend.embedded_store import LockedDatabase

WHEN = datetime.datetime(2026, 12, 1, 10, 30)


@pytest.fixture
def stores():
    """(the locked database, the same mongomock database unwrapped), with wallets and ledger entries."""
    raw = mongomock.MongoClient()["fast_path"]
    raw["wallets"].insert_many(
        [{"_id": f"c{n}:INR", "customer_id": f"c{n}", "currency": "INR", "balance_minor": n * 100} for n in range(5)]
    )
    raw["ledger_entries"].insert_many(
        [
            {
                "_id": f"txn_{i}",
                "wallet_id": f"c{i % 5}:INR",
                "sequence": i,
                "kind": ("topup", "payment", "refund")[i % 3],
                "amount_minor": 100 + i,
                "reference": {"order_id": f"ord_{i % 7}", "tags": [i, i + 1]},
                "created_at": WHEN + datetime.timedelta(minutes=i),
            }
            for i in range(60)
        ]
    )
    return LockedDatabase(raw), raw


PIPELINES = [
    [{"$match": {"wallet_id": "c2:INR"}}, {"$sort": {"sequence": -1}}, {"$limit": 4}],
    [
        {"$match": {"wallet_id": "c3:INR"}},
        {"$sort": {"sequence": -1}},
        {"$limit": 20},
        {"$group": {"_id": "$wallet_id", "entries": {"$push": "$$ROOT"}}},
        {"$lookup": {"from": "wallets", "localField": "_id", "foreignField": "_id", "as": "wallet"}},
    ],
    [{"$match": {"kind": {"$in": ["refund", "payment"]}, "amount_minor": {"$gte": 130}}}, {"$sort": {"_id": 1}}],
    [{"$match": {"$or": [{"reference.order_id": "ord_3"}, {"reference.tags": 7}]}}, {"$sort": {"sequence": 1}}],
    [{"$match": {"created_at": {"$lt": WHEN + datetime.timedelta(minutes=10)}}}, {"$sort": {"sequence": 1}}],
    [{"$match": {"wallet_id": "nobody:INR"}}, {"$group": {"_id": None, "n": {"$sum": 1}}}],
    [{"$match": {}}, {"$group": {"_id": "$kind", "total": {"$sum": "$amount_minor"}}}, {"$sort": {"_id": 1}}],
]


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_a_pipeline_starting_with_match_answers_as_mongomock_does(stores, pipeline):
    locked, raw = stores
    assert list(locked["ledger_entries"].aggregate(pipeline)) == list(raw["ledger_entries"].aggregate(pipeline))


def test_a_pipeline_not_starting_with_match_is_mongomock_own(stores):
    locked, raw = stores
    pipeline = [{"$sort": {"sequence": -1}}, {"$limit": 2}, {"$project": {"sequence": 1}}]
    assert list(locked["ledger_entries"].aggregate(pipeline)) == list(raw["ledger_entries"].aggregate(pipeline))


def test_a_pipeline_starting_with_match_never_copies_the_whole_collection(stores, monkeypatch):
    """The fast path is taken: mongomock's own `aggregate` (which copies every document first) is not called."""
    locked, raw = stores
    expected = list(raw["ledger_entries"].aggregate(PIPELINES[1]))

    def whole_collection_copied(*args, **kwargs):
        raise AssertionError("mongomock's aggregate was called")

    monkeypatch.setattr(mongomock.Collection, "aggregate", whole_collection_copied)
    assert list(locked["ledger_entries"].aggregate(PIPELINES[1])) == expected
