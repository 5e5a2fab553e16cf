"""The sharding plan (docs/deployment.md, "Scaling past one machine"): a shard key for each
collection that grows with use, and the rule every unique index must keep once it is sharded.

MongoDB enforces a unique index across a sharded collection only when the index is prefixed by the
shard key (the shard key's fields first, in order); it refuses `shardCollection` otherwise. The one
exception is `_id`: its index is unique on each shard only, unless `_id` is the shard key. This
service never relies on the store to make an `_id` unique across shards: every `_id` it writes is
generated unique (random `txn_…`/`wtp_…` ids, the gateway's order id, the hash of an
Idempotency-Key, a ledger entry's id) or derived from a unique key (`<customer_id>:<currency>`), so
`_id` indexes are left out of the check. `tests/unit/store/test_sharding.py` checks every unique index in
`backend.db.INDEXES` and the gateways' simulator collections against `SHARD_KEYS`.
"""

HASHED = "hashed"

# collection -> shard key, as `sh.shardCollection(ns, {field: 1 | "hashed", ...})` takes it.
SHARD_KEYS = {
    # A wallet's entries live together: the ledger's writes and reads all name one wallet, but for a
    # keyed payment's look-up of the entries its Idempotency-Key made (by `operation_id`, read with
    # the order: one index look-up on each shard). Ranged: the unique keys are (wallet_id,
    # idempotency_key), (wallet_id, sequence) and (wallet_id, reference.order_id, refund_seq). One
    # very busy wallet stays in one chunk.
    "ledger_entries": [("wallet_id", 1)],
    # One small document per (customer, currency); unique (customer_id, currency).
    "wallets": [("customer_id", 1)],
    # Looked up by `_id` (the gateway's order id) on every webhook and verify: hashed, writes spread.
    "payment_orders": [("_id", HASHED)],
    # The shop's collection: unique order_id.
    "orders": [("order_id", 1)],
    # De-duplication by (gateway, event_id), its unique key.
    "webhook_events": [("gateway", 1), ("event_id", 1)],
    # `_id` is the SHA-256 of the caller, endpoint and key: already spread.
    "idempotency_keys": [("_id", HASHED)],
    # The audit trail: append-only, written from everywhere; hashed `_id` spreads the inserts.
    "integration_logs": [("_id", HASHED)],
    # `_id` is the ledger entry id.
    "notification_outbox": [("_id", HASHED)],
    # The shop's customers: unique customer_id.
    "customers": [("customer_id", 1)],
    # `_id` is "<gateway>:<kind>:<the gateway's case id>": hashed spreads them (a credit reads its
    # payment's cases by `gateway_payment_id`, with its payment order: one index look-up on each shard).
    "gateway_cases": [("_id", HASHED)],
    # `_id` is our refund reference / a random withdrawal id.
    "gateway_refunds": [("_id", HASHED)],
    "withdrawals": [("_id", HASHED)],
    # one document per gateway and day / per exception: small, hashed `_id`.
    "settlements": [("_id", HASHED)],
    "settlement_exceptions": [("_id", HASHED)],
    "webhook_deliveries": [("_id", HASHED)],
}

# Collections left unsharded (they stay on their database's primary shard), with why.
UNSHARDED = {
    "worker_heartbeats": "one document per worker process, expired a week after it stops",
    "worker_leases": "one document per worker job",
}
SIMULATOR_ONLY = "simulator mode only: never in production"


def unsharded(gateways):
    """UNSHARDED and, with why, the collections the simulators of `gateways` (a `GatewayRegistry`)
    keep (each entry's `simulator_collections`)."""
    return {**UNSHARDED, **dict.fromkeys(gateways.simulator_indexes(), SIMULATOR_ONLY)}


def key_fields(keys):
    """The field names of an index or shard key specification, in order."""
    return [field for field, _ in keys]


def is_unique_compatible(index_keys, shard_key):
    """True when a unique index on `index_keys` can be kept on a collection sharded by
    `shard_key`: the index starts with the shard key's fields in order (or is the `_id` index)."""
    fields, shard_fields = key_fields(index_keys), key_fields(shard_key)
    if fields == ["_id"]:
        return True
    return fields[: len(shard_fields)] == shard_fields


def incompatible_unique_indexes(indexes, shard_keys=None):
    """[(collection, index keys)] of every unique index in `indexes` ({collection: [(keys, options)]},
    as in backend.db) that is not prefixed by its collection's shard key."""
    shard_keys = SHARD_KEYS if shard_keys is None else shard_keys
    problems = []
    for collection, specs in indexes.items():
        shard_key = shard_keys.get(collection)
        if shard_key is None:
            continue
        for keys, options in specs:
            if options.get("unique") and not is_unique_compatible(keys, shard_key):
                problems.append((collection, keys))
    return problems
