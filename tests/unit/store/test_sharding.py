"""The sharding plan (backend/sharding.py) against the indexes backend/db.py creates and the
gateways' simulators declare: every unique index of a sharded collection is prefixed by its shard
key (MongoDB refuses to shard otherwise), and every collection with indexes is either sharded or
listed as unsharded with a reason."""

import pytest

from backend import db
from backend.gateways.registry import BUILT_IN_PACKAGES, load_registry
from backend.sharding import (
    HASHED,
    SHARD_KEYS,
    SIMULATOR_ONLY,
    incompatible_unique_indexes,
    is_unique_compatible,
    unsharded,
)

SIMULATOR_INDEXES = load_registry(BUILT_IN_PACKAGES).simulator_indexes()
UNSHARDED = unsharded(load_registry(BUILT_IN_PACKAGES))
ALL_INDEXES = {**db.INDEXES, **SIMULATOR_INDEXES}


def test_every_unique_index_is_prefixed_by_its_collections_shard_key():
    problems = incompatible_unique_indexes(db.INDEXES) + incompatible_unique_indexes(SIMULATOR_INDEXES)
    assert problems == [], (
        "unique indexes MongoDB would refuse on the sharded collection (change the index or the shard "
        f"key in backend/sharding.py): {problems}"
    )


@pytest.mark.parametrize("collection", sorted(ALL_INDEXES))
def test_every_indexed_collection_has_a_plan(collection):
    assert (collection in SHARD_KEYS) != (collection in UNSHARDED), collection


def test_the_simulators_collections_are_planned_from_their_entries():
    assert {c for c, why in UNSHARDED.items() if why == SIMULATOR_ONLY} == {
        "simulator_razorpay_payments",
        "simulator_razorpay_refunds",
        "simulator_paypal_orders",
        "simulator_paypal_refunds",
        "simulator_google_pay_charges",
        "simulator_google_pay_refunds",
    }


def test_retention_indexes_are_on_planned_collections():
    config = {"OUTBOX_RETENTION_SECONDS": 1, "WEBHOOK_EVENT_RETENTION_SECONDS": 1, "AUDIT_RETENTION_SECONDS": 1}
    for collection in db.retention_indexes(config):
        assert collection in SHARD_KEYS or collection in UNSHARDED, collection


@pytest.mark.parametrize("collection", sorted(SHARD_KEYS))
def test_a_ranged_shard_key_has_an_index_to_support_it(collection):
    """A ranged shard key needs an index starting with it (shardCollection makes a hashed one)."""
    shard_key = SHARD_KEYS[collection]
    if any(direction == HASHED for _, direction in shard_key) or [f for f, _ in shard_key] == ["_id"]:
        return
    fields = [field for field, _ in shard_key]
    assert any([f for f, _ in keys][: len(fields)] == fields for keys, _ in ALL_INDEXES.get(collection, [])), (
        f"{collection}: no index starts with its shard key {shard_key}"
    )


def test_the_rule_itself():
    assert is_unique_compatible([("wallet_id", 1), ("idempotency_key", 1)], [("wallet_id", 1)])
    assert not is_unique_compatible([("idempotency_key", 1)], [("wallet_id", 1)])
    assert not is_unique_compatible([("event_id", 1), ("gateway", 1)], [("gateway", 1), ("event_id", 1)])
    assert is_unique_compatible([("_id", 1)], [("wallet_id", 1)])  # generated unique: see the module
    assert not is_unique_compatible([("reference", 1)], [("_id", HASHED)])
