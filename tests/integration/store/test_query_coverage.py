"""Query coverage: every query the service sends to a collection that grows is served by
an index backend/db.py declares (INDEXES, retention_indexes, or `_id`) or a gateway's entry declares
for its simulator (`simulator_collections`), or is one of the few exceptions listed in ALLOWED
below, each with the reason it is acceptable.

How: the app's database (`app.extensions["wallet_db"]`) is wrapped, as it is made, in a recording
proxy; a representative workload runs through the HTTP API and the worker, sweep, recovery and
reconcile paths; every filter (and sort) the service's own code sent is then checked against the
declared indexes. Queries made by the test itself (set-up, no `backend/` frame on the stack) are not
recorded. Inserts carry no filter and are not checked (unique keys are checked by the server anyway).

The matching rule (MongoDB's, strict form). A filter's fields are equality fields E (a value, `$eq`,
`$in`) or other predicates R (`$lt`/`$lte`/`$gt`/`$gte`, `$ne`, `$exists`, ...); S is the sort. An
index with keys K serves the query when either
1. point look-up: K is unique (`_id` always is) and every key of K is an equality field; any other
   predicate is then checked on at most one document per looked-up value; or
2. ESR: every filter field is a key of K (no document is read only to be thrown away by a predicate
   the index could not check), K's first |E| keys are exactly E, the next keys are S (without the
   equality fields; every direction as in K or every one reversed, so no in-memory sort), and R's
   fields come right after (a range field may also be the sort field). A query with no filter is
   served only as a top-N: sorted by the index and limited.
`$or`: the clauses are checked one by one, each with the predicates outside the `$or` (an index
union, as MongoDB plans `$or`), unless a point look-up outside the `$or` serves the whole filter.
An aggregation's leading `$match` (and a `$sort` right after it) is checked like a find.
"""

import datetime
import traceback
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest

import backend.db as store
from backend import create_app
from backend.clock import utcnow
from backend.customers import Customers
from backend.gateways.google_pay.simulator import payment_data, simulator_token
from backend.gateways.registry import gateway_registry
from backend.sweep import GatewaySweep, sweep_from_config
from backend.worker import Worker
from tests.conftest import app_config
from tests.helpers import BASE, Api, bearer, razorpay_event, signed_webhook, unique

# The collections that grow with use. (worker_leases holds one document per job; it is recorded and
# checked too, by `_id`, but not required to be seen.)
GROWING = {
    "ledger_entries",
    "wallets",
    "payment_orders",
    "orders",
    "webhook_events",
    "integration_logs",
    "notification_outbox",
    "idempotency_keys",
    "customers",
    "worker_heartbeats",
    "simulator_razorpay_payments",
    "simulator_paypal_orders",
    "gateway_refunds",
    "simulator_google_pay_charges",
}

# Query shapes allowed without a serving index: (collection, operation, shape) -> why that is fine.
ALLOWED = {
    # reconcile (`python -m backend reconcile`, an operator's check, never run per request) compares
    # every wallet with its whole ledger and every refunded order with its refunds: reading all of
    # them is the point, and no index makes reading everything cheaper.
    ("ledger_entries", "aggregate", "{}"): "reconcile: every entry, summed per wallet (by design)",
    ("ledger_entries", "aggregate", "{kind:eq}"): "reconcile: every refund entry, summed per order (by design)",
    ("wallets", "find", "{}"): "reconcile: every wallet's balance against its ledger (by design)",
    ("wallets", "find", "{held_minor:$gt}"): "reconcile: every wallet holding money, its checkout holds (by design)",
    ("orders", "find", "{refund_seq:$gt}"): "reconcile: every refunded order's refunds against the ledger (by design)",
    # the gateway sweep (the worker, every WORKER_SWEEP_INTERVAL_SECONDS, under a lease; never a request)
    (
        "payment_orders",
        "find",
        "{created_at:$lte, gateway:in, status:eq, $or[{sweep_until:eq} | {sweep_until:$lte}]} sort created_at:1,_id:1",
    ): "sweep: (status, created_at) bounds it to top-ups still `created` past the stale cutoff, which "
    "the sweep expires after SWEEP_EXPIRE_AFTER_SECONDS; their gateway and lease are checked on "
    "those, and only they are sorted by the `_id` tie-break (at most SWEEP_BATCH_MAX returned)",
    # a simulator's books (simulator mode only: production refuses simulators), once per report day
    (
        "payment_orders",
        "find",
        "{gateway:eq, paid_at:$gte,$lt, status:eq} sort paid_at:1,_id:1",
    ): "a simulator's books read the day's credits when a report of the day is first asked for; "
    "(status, gateway, settled_on, paid_at) serves it by skipping over settled_on, and an index "
    "of its own would cost every production write for a query production never sends",
    # the top-up a payment credited (`PaymentOrders.credited_by`: a refund's or dispute's case, a
    # simulator's hand-signed payment)
    ("payment_orders", "find_one", "{gateway:eq, gateway_payment_id:eq, status:eq}"): "(gateway_payment_id, "
    "gateway) finds the payment orders of one payment, one or two (a second payment of a top-up names its "
    "own), and `status` is checked on those",
}

EQUALITY = ("eq", "in")
UNINDEXABLE = {"$where", "$expr", "$text", "$nor"}


# --- shapes ------------------------------------------------------------------------------------
@dataclass
class Shape:
    kinds: dict  # field -> "eq", "in", or the operators joined ("$lte", "$exists", "$gte,$lt", ...)
    ors: list = field(default_factory=list)  # the clauses of a top-level $or, each a Shape
    sort: list = field(default_factory=list)  # [(field, 1 | -1)]
    limit: int = 0

    def text(self):
        parts = [f"{name}:{kind}" for name, kind in sorted(self.kinds.items())]
        if self.ors:
            parts.append("$or[" + " | ".join(clause.text() for clause in self.ors) + "]")
        text = "{" + ", ".join(parts) + "}"
        if self.sort:
            text += " sort " + ",".join(f"{name}:{direction}" for name, direction in self.sort)
        return text


def value_kind(value):
    if not isinstance(value, dict) or not any(str(key).startswith("$") for key in value):
        return "eq"
    operators = sorted(value)
    if operators == ["$eq"]:
        return "eq"
    if operators == ["$in"]:
        return "in"
    return ",".join(operators)


def shape_of(filter_, sort=None, limit=0):
    kinds, ors = {}, []
    for name, value in (filter_ or {}).items():
        if name == "$and":
            for clause in value:
                inner = shape_of(clause)
                kinds.update(inner.kinds)
                ors.extend(inner.ors)
        elif name == "$or":
            ors.extend(shape_of(clause) for clause in value)
        elif name in UNINDEXABLE:
            kinds[name] = name
        else:
            kind = value_kind(value)
            kinds[name] = "eq" if kinds.get(name) == "eq" else kind
    return Shape(kinds, ors, list(sort or []), limit or 0)


def sort_list(key_or_list, direction=None):
    if isinstance(key_or_list, str):
        return [(key_or_list, direction or 1)]
    return [(key, value) for key, value in (key_or_list.items() if isinstance(key_or_list, dict) else key_or_list)]


# --- the rule ----------------------------------------------------------------------------------
def declared_indexes(collection, config):
    """[(keys, unique)] of `collection`: `_id`, then what backend/db.py declares."""
    declared = [([("_id", 1)], True)]
    simulator_indexes = gateway_registry(config).simulator_indexes()
    for keys, options in store.INDEXES.get(collection, []) + simulator_indexes.get(collection, []):
        declared.append((list(keys), bool(options.get("unique"))))
    for keys, _ in store.retention_indexes(config).get(collection, []):
        declared.append((list(keys), False))
    return declared


def point_lookup(shape, keys, unique):
    return unique and all(shape.kinds.get(name) in EQUALITY for name, _ in keys)


def esr(shape, keys):
    if any(name in UNINDEXABLE for name in shape.kinds):
        return False
    names = [name for name, _ in keys]
    equality = {name for name, kind in shape.kinds.items() if kind in EQUALITY}
    others = set(shape.kinds) - equality
    if not set(shape.kinds) <= set(names) or set(names[: len(equality)]) != equality:
        return False
    rest = keys[len(equality) :]
    sort = [(name, direction) for name, direction in shape.sort if name not in equality]
    if sort:
        head = rest[: len(sort)]
        if [name for name, _ in head] != [name for name, _ in sort]:
            return False
        if len({direction * key_direction for (_, direction), (_, key_direction) in zip(sort, head, strict=True)}) != 1:
            return False  # mixed: some keys as in the index, some reversed → an in-memory sort
    if not shape.kinds and not (sort and shape.limit):
        return False  # nothing bounds the scan
    ranges = others - {name for name, _ in sort}
    return ranges <= {name for name, _ in rest[len(sort) : len(sort) + len(ranges)]}


def served(shape, indexes):
    """True when one of `indexes` ([(keys, unique)]) serves `shape` by the rule above."""
    if any(point_lookup(shape, keys, unique) for keys, unique in indexes):
        return True
    if shape.ors:
        return all(
            served(Shape({**shape.kinds, **clause.kinds}, clause.ors, shape.sort, shape.limit), indexes)
            for clause in shape.ors
        )
    return any(esr(shape, keys) for keys, _ in indexes)


# --- recording ---------------------------------------------------------------------------------
@dataclass
class Query:
    collection: str
    operation: str
    shape: Shape
    where: str


def caller():
    """The innermost frame of the service's own code (backend/, not its store module), or None."""
    for frame in reversed(traceback.extract_stack()):
        path = frame.filename.replace("\\", "/")
        if "/backend/" in path and not path.endswith("/backend/db.py"):
            return f"{path[path.rindex('/backend/') + 1 :]}:{frame.lineno} {frame.name}"
    return None


FILTERED = {
    "find_one",
    "find_one_and_update",
    "find_one_and_replace",
    "find_one_and_delete",
    "update_one",
    "update_many",
    "replace_one",
    "delete_one",
    "delete_many",
    "count_documents",
}


class RecordingDatabase:
    """Wraps a pymongo-compatible database; every filtered call of the service is kept in `queries`."""

    def __init__(self, database):
        self.database = database
        self.queries = []

    def __getitem__(self, name):
        return RecordingCollection(self, name, self.database[name])

    def __getattr__(self, name):
        return getattr(self.database, name)

    def record(self, collection, operation, shape):
        where = caller()
        if where is None:  # the test's own reads and writes
            return None
        query = Query(collection, operation, shape, where)
        self.queries.append(query)
        return query


class RecordingCollection:
    def __init__(self, owner, name, collection):
        self._owner, self._name, self._collection = owner, name, collection

    def __getattr__(self, name):
        attribute = getattr(self._collection, name)
        if name not in FILTERED:
            return attribute

        def call(*args, **kwargs):
            filter_ = args[0] if args else kwargs.get("filter")
            self._owner.record(self._name, name, shape_of(filter_, kwargs.get("sort")))
            return attribute(*args, **kwargs)

        return call

    def find(self, *args, **kwargs):
        filter_ = args[0] if args else kwargs.get("filter")
        query = self._owner.record(self._name, "find", shape_of(filter_, kwargs.get("sort"), kwargs.get("limit")))
        return RecordingCursor(self._collection.find(*args, **kwargs), query)

    def distinct(self, key, filter=None, **kwargs):  # noqa: A002 (pymongo's name)
        self._owner.record(self._name, "distinct", shape_of(filter))
        return self._collection.distinct(key, filter, **kwargs)

    def aggregate(self, pipeline, *args, **kwargs):
        stages = list(pipeline)
        match = stages[0].get("$match", {}) if stages else {}
        sort = stages[1].get("$sort") if match and len(stages) > 1 else (stages[0].get("$sort") if stages else None)
        self._owner.record(self._name, "aggregate", shape_of(match, sort_list(sort) if sort else None))
        return self._collection.aggregate(pipeline, *args, **kwargs)


class RecordingCursor:
    """A cursor whose `sort`/`limit`, chained after `find`, are added to its recorded query."""

    def __init__(self, cursor, query):
        self._cursor, self._query = cursor, query

    def sort(self, key_or_list, direction=None):
        if self._query is not None:
            self._query.shape.sort = sort_list(key_or_list, direction)
        return self._chain(
            self._cursor.sort(key_or_list, direction) if direction is not None else self._cursor.sort(key_or_list)
        )

    def limit(self, count):
        if self._query is not None:
            self._query.shape.limit = count
        return self._chain(self._cursor.limit(count))

    def _chain(self, result):
        if result is self._cursor or result is None:
            return self
        self._cursor = result
        return self

    def __iter__(self):
        return iter(self._cursor)

    def __next__(self):
        return next(self._cursor)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


# --- the workload --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def recorded():
    """(app, recorded queries) after the workload, run once for this module's tests."""
    made = store.init_app

    def init_app(app):
        made(app)
        app.extensions["wallet_db"] = RecordingDatabase(app.extensions["wallet_db"])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "init_app", init_app)
        app = create_app(app_config())
    try:
        run_workload(app)
        yield app, app.extensions["wallet_db"].queries
    finally:
        database = app.extensions["wallet_db"].database
        client = getattr(database, "client", None)
        if client is not None:
            client.drop_database(database.name)


def later(seconds):
    return lambda: utcnow() + datetime.timedelta(seconds=seconds)


def run_workload(app):
    """Top-ups on every simulator (webhook, verify, token), duplicates, failures, pay, refund, status,
    health, a worker tick recovering an interrupted payment, sweeps, recovery, reconcile."""
    db = app.extensions["wallet_db"]
    client = app.test_client()
    api = Api(client, db)
    integration = app.extensions["integration"]
    customer = unique("cust")
    Customers(db).add_if_absent(customer, "+919800000001")  # so the outbox has a number to send to

    def initiate(amount, method):
        response = api.initiate(customer, amount, method=method)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def press(initiated, button="pay"):
        response = client.post(urlsplit(initiated["redirect_url"]).path + "/" + button)
        assert response.status_code == 303, response.get_data(as_text=True)
        return parse_qs(urlsplit(response.headers["Location"]).query)

    def verify(body):
        response = api.post("/wallet/topup/verify", body, bearer(customer))
        assert response.status_code == 200, response.get_json()

    # Razorpay: Pay on the simulator's page (its webhook credits), then verify the checkout's return.
    topup = initiate("500.00", "razorpay")
    back = press(topup)
    verify(
        {
            "payment_method": "razorpay",
            "order_id": topup["payment_order_id"],
            "payment_id": back["razorpay_payment_id"][0],
            "signature": back["razorpay_signature"][0],
        }
    )
    # Razorpay: a signed webhook delivered twice (the repeat is a duplicate), then order.paid for it.
    topup = initiate("40.00", "razorpay")
    event = razorpay_event("payment.captured", topup["payment_order_id"], unique("pay"), 4000)
    body, headers = signed_webhook(event, event_id=unique("evt"))
    for _ in range(2):
        assert client.post(f"{BASE}/webhook/razorpay", data=body, headers=headers).status_code == 200
    body, headers = signed_webhook(razorpay_event("order.paid", topup["payment_order_id"], unique("pay"), 4000))
    assert client.post(f"{BASE}/webhook/razorpay", data=body, headers=headers).status_code == 200
    press(initiate("3.00", "razorpay"), "fail")  # payment.failed
    # PayPal: approve on the simulator's page, verify (the service captures; the simulator posts the webhook).
    topup = initiate("10.50", "paypal")
    press(topup)
    verify({"payment_method": "paypal", "order_id": topup["payment_order_id"]})
    # Google Pay: Pay posts a token (credited); the same token posted again is a duplicate.
    press(initiate("20.00", "google_pay"))
    topup = initiate("5.00", "google_pay")
    token = simulator_token(integration.payments.gateway("google_pay"))
    for _ in range(2):
        assert (
            client.post(
                f"{BASE}/webhook/google-pay",
                json={"payment_order_id": topup["payment_order_id"], "paymentData": payment_data(token)},
            ).status_code
            == 200
        )

    # Pay, the same request again, a shortfall; refund, too much refund; status and health.
    order_id = api.add_order(customer, 15000)
    key = {**bearer(customer), "Idempotency-Key": unique("idk")}
    for _ in range(2):
        assert api.pay(order_id, customer, 150, headers=key).status_code == 200
    assert api.pay(api.add_order(customer, 10_000_000), customer, 100000).status_code == 402
    other_key = {**bearer(customer), "Idempotency-Key": unique("idk")}  # a keyed pay of a paid order
    assert api.pay(order_id, customer, 150, headers=other_key).status_code == 409
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "pending"}})  # reopened
    assert api.pay(order_id, customer, 150).status_code == 200  # a new life
    refund_key = {**bearer("admin_1", "admin"), "Idempotency-Key": unique("idk")}
    assert api.refund(order_id, customer, 50, headers=refund_key).status_code == 200
    assert api.refund(order_id, customer, 500).status_code == 409
    assert api.status(customer).status_code == 200
    assert client.get(f"{BASE}/health").status_code == 200

    # Unconfirmed top-ups on each gateway for the sweep, and an interrupted payment (its entry in the
    # ledger, its wallet not rolled forward, its order not marked).
    for amount, method in (("7.00", "razorpay"), ("8.00", "paypal"), ("9.00", "google_pay")):
        initiate(amount, method)
    order_id = api.add_order(customer, 1000)
    roll, integration.wallet.roll = integration.wallet.roll, lambda entry: None
    try:
        integration.wallet.debit(customer, "INR", 1000, "payment", f"payment:{order_id}", {"order_id": order_id})
    finally:
        integration.wallet.roll = roll
    config = dict(app.config, RECOVERY_GRACE_SECONDS=0, SWEEP_STALE_AFTER_SECONDS=0)
    results = Worker(integration, db, config).run_once()  # recovery, outbox, sweep, heartbeat
    assert results["recovery"]["interrupted"] >= 1, results
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "paid"
    assert results["sweep"]["pending"] == 3, results
    assert client.get(f"{BASE}/health").status_code == 200
    # A later sweep: the leases have passed, the top-ups are old enough to expire.
    assert GatewaySweep(integration, later(2 * 86400)).run(0, 86400, 100)["expired"] == 3
    sweep_from_config(integration, config)
    assert integration.recover(grace_seconds=0) is not None
    held_order = api.add_order(customer, 500)  # an open checkout hold, which reconcile checks against its order
    body = {"order_id": held_order, "customer_id": customer, "amount": 5}
    assert api.post("/order/authorize", body, bearer(customer)).status_code == 200
    assert integration.reconcile() == []
    assert integration.reconcile(customer) == []


def report(queries, config):
    """{(collection, operation, shape text): (served, {call sites})}."""
    found = {}
    for query in queries:
        key = (query.collection, query.operation, query.shape.text())
        ok = served(query.shape, declared_indexes(query.collection, config))
        found.setdefault(key, (ok, set()))[1].add(query.where)
    return found


def test_every_query_on_a_growing_collection_is_served_by_a_declared_index(recorded):
    app, queries = recorded
    found = report(queries, app.config)
    unserved = {
        key: sites
        for key, (ok, sites) in found.items()
        if not ok and key not in ALLOWED and key[0] in GROWING | {"worker_leases"}
    }
    assert not unserved, (
        "queries no declared index serves (add an index to backend/db.py, or, if by "
        "design, to ALLOWED with the reason):\n"
        + "\n".join(
            f"  {collection} {operation} {shape}  <- {', '.join(sorted(sites))}"
            for (collection, operation, shape), sites in sorted(unserved.items())
        )
    )


def test_each_allowed_exception_is_still_needed(recorded):
    app, queries = recorded
    found = report(queries, app.config)
    stale = [key for key in ALLOWED if key not in found or found[key][0]]
    assert not stale, f"ALLOWED lists shapes the workload no longer sends, or that an index now serves: {stale}"


def test_the_workload_reaches_every_growing_collection(recorded):
    _, queries = recorded
    seen = {query.collection for query in queries}
    # integration_logs is only written by the service, and webhook_events (claims of single-use tokens)
    # is read only when a token comes again (by its unique key: RARE_PATH_QUERIES); neither is on these paths.
    written_only = {"integration_logs", "webhook_events"}
    assert GROWING - written_only <= seen, sorted(GROWING - written_only - seen)


# --- the rule itself ---------------------------------------------------------------------------
STATUS_CREATED = [([("_id", 1)], True), ([("status", 1), ("created_at", 1)], False), ([("reference", 1)], True)]


@pytest.mark.parametrize(
    "filter_, sort, limit, expected",
    [
        ({"_id": "x", "status": "created"}, None, 0, True),  # point look-up by _id
        ({"reference": "r"}, None, 0, True),  # unique index
        ({"status": "created", "created_at": {"$lte": 1}}, [("created_at", 1)], 0, True),  # E, S = R
        ({"status": "created"}, [("created_at", -1)], 0, True),  # reversed sort
        ({"status": "created", "created_at": {"$lte": 1}}, [("created_at", 1), ("_id", 1)], 0, False),  # tie-break
        ({"created_at": {"$lte": 1}}, None, 0, False),  # not the leading key
        ({"status": "created", "gateway": "paypal"}, None, 0, False),  # residual predicate
        ({}, None, 0, False),  # full scan
        ({"$or": [{"_id": "a"}, {"reference": "b"}]}, None, 0, True),  # index union
        ({"$or": [{"_id": "a"}, {"gateway": "b"}]}, None, 0, False),  # one clause unindexed
    ],
)
def test_the_matching_rule(filter_, sort, limit, expected):
    assert served(shape_of(filter_, sort, limit), STATUS_CREATED) is expected


def test_a_top_n_by_an_index_needs_a_limit():
    heartbeats = [([("_id", 1)], True), ([("beat_at", 1)], False)]
    assert served(shape_of({}, [("beat_at", -1)], 1), heartbeats)
    assert not served(shape_of({}, [("beat_at", -1)], 0), heartbeats)


# Queries of paths the workload does not take (a retried initiate, a plan beside a withdrawal left
# `holding`, a settling's second look at its open exceptions), checked against the declared indexes.
RARE_PATH_QUERIES = [
    ("webhook_events", {"gateway": "google_pay", "event_id": "msg"}, None, 0),  # WebhookEvents.claim, a token again
    ("payment_orders", {"customer_id": "c", "keyed.operation_id": "op"}, None, 0),  # PaymentOrders.keyed_by
    ("withdrawals", {"stage": "holding", "customer_id": "c", "currency": "INR"}, None, 0),  # WithdrawalBook.holding
    (  # SettlementBooks.open_of_kind, a batch after the first
        "settlement_exceptions",
        {"status": "open", "kind": "refund_not_applied", "gateway": "paypal", "_id": {"$gt": "paypal:2026-11-30"}},
        [("_id", 1)],
        1000,
    ),
    ("settlements", {"gateway": "paypal", "date": {"$lt": "2026-12-01"}}, None, 0),  # settled_before
    ("gateway_cases", {"_id": {"$in": ["a", "b"]}, "waiting": False}, None, 0),  # GatewayCases.applied_of
    (  # PaymentOrders.credited_since: a withdrawal's plan reading past the top-ups used up
        "payment_orders",
        {
            "customer_id": "c",
            "status": "paid",
            "currency": "INR",
            "paid_at": {"$gte": datetime.datetime(2026, 6, 1)},
            "$or": [
                {"created_at": {"$lt": datetime.datetime(2026, 12, 1)}},
                {"created_at": datetime.datetime(2026, 12, 1), "_id": {"$lt": "order_x"}},
            ],
        },
        [("created_at", -1), ("_id", -1)],
        100,
    ),
    (  # WalletService._entry_for: a keyed payment's insert collided
        "ledger_entries",
        {
            "wallet_id": "c:INR",
            "$or": [
                {"wallet_id": "c:INR", "idempotency_key": "payment:o:None"},
                {"kind": "payment", "operation_id": "idk_x", "operation_life": 0},
            ],
        },
        None,
        2,
    ),
]


@pytest.mark.parametrize("collection, filter_, sort, limit", RARE_PATH_QUERIES, ids=[q[0] for q in RARE_PATH_QUERIES])
def test_the_queries_of_rare_paths_are_served_by_a_declared_index(app, collection, filter_, sort, limit):
    assert served(shape_of(filter_, sort, limit), declared_indexes(collection, app.config))
