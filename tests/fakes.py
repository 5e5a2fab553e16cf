"""In-memory fakes of what the flows of `backend/flows/` take, for their unit tests (tests/unit/flows).

Plain dicts and lists, no store. Each fake has only the methods the flows call and keeps the part of
the real repository's contract a flow relies on: a ledger key moves money once and a debit never
takes a balance below zero (`FakeLedger`); an order is paid, or a debit given back, only by a debit
holding the order's ticket, which then turns (`FakeOrderBook`); a webhook event is claimed once on
its payment order (`FakePaymentOrders`). Reads hand back copies, as a store does, so a flow that
changes what it read changes nothing stored. Where a rule would be long to copy, a test sets the
answer (`FakeGateway.confirmed`, `FakeGateway.charge_error`).
"""

import copy
import datetime
import itertools
import json

from backend.errors import (
    InsufficientFunds,
    InvalidSignature,
    OrderNotFound,
    RefundExceedsPaid,
    StoreUnavailable,
    UnsupportedPaymentMethod,
)
from backend.gateways.base import CheckoutOrder, WebhookEvent
from backend.orders import PAID_STATES, in_life, paid_by, paid_minor
from backend.payment_orders import CREATED, FAILED, PAID, EventRead, PaymentOrder
from backend.records import CREDIT, DEBIT, REFUND
from backend.wallet_service import signed_minor, wallet_id

START = datetime.datetime(2026, 1, 1, 12, 0, 0)


class FakeClock:
    """`now` until a test moves it."""

    def __init__(self, now=START):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)


def field(doc, path):
    """`doc`'s value at the dotted `path`, None when absent (as a query sees a missing field)."""
    for part in path.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


OPERATORS = {
    "$lte": lambda value, arg: value is not None and value <= arg,
    "$gt": lambda value, arg: value is not None and value > arg,
    "$in": lambda value, arg: value in arg,
}


def matches(doc, query):
    """Equality on (dotted) fields, or `$lte`, `$gt`, `$in`: the query forms the flows' reads use."""
    for path, condition in query.items():
        value = field(doc, path)
        if isinstance(condition, dict) and condition and all(op.startswith("$") for op in condition):
            if not all(OPERATORS[op](value, arg) for op, arg in condition.items()):
                return False
        elif value != condition:
            return False
    return True


class FakeCollection:
    """Documents in a list, read as the reconciler reads its collections (it takes `wallet.wallets`,
    `wallet.entries` and `orders.orders`, not repository methods): `find`, `find_one` and `aggregate` of
    `$match` and `$group` (`$sum`, `$max`). `put` is the fakes' own write."""

    def __init__(self):
        self.docs = []

    def find(self, query=None, sort=None, limit=0):
        found = [copy.deepcopy(d) for d in self.docs if matches(d, query or {})]
        for path, direction in reversed(sort or []):
            found.sort(key=lambda d, p=path: (field(d, p) is not None, field(d, p)), reverse=direction < 0)
        return found[:limit] if limit else found

    def find_one(self, query=None):
        return next(iter(self.find(query)), None)

    def aggregate(self, pipeline):
        docs = self.docs
        for stage in pipeline:
            if "$match" in stage:
                docs = [d for d in docs if matches(d, stage["$match"])]
                continue
            spec = dict(stage["$group"])
            key_spec = spec.pop("_id")
            rows = {}
            for doc in docs:
                key = {name: field(doc, path[1:]) for name, path in key_spec.items()}
                row = rows.setdefault(tuple(key.items()), {"_id": key, **dict.fromkeys(spec)})
                for name, accumulator in spec.items():
                    ((op, path),) = accumulator.items()
                    value, so_far = field(doc, path[1:]), row[name]
                    if op == "$sum":
                        row[name] = (so_far or 0) + (value or 0)
                    elif value is not None:  # $max
                        row[name] = value if so_far is None else max(so_far, value)
            docs = list(rows.values())
        return copy.deepcopy(docs)

    def put(self, doc, key="_id"):
        """Insert `doc`, or replace the document with the same `key`."""
        self.docs = [d for d in self.docs if d.get(key) != doc[key]] + [copy.deepcopy(doc)]


class FakeLedger:
    """`WalletService` as the flows use it. One entry per (wallet, key): a repeat returns the entry
    with `created` False. A debit the balance does not cover is InsufficientFunds, nothing written.
    A `slot` (a refund's place among its order life's refunds) takes its place with the entry; a
    place taken already is caught up and asked again, as a collision on the unique index is. Each
    entry is rolled into its wallet, unless `rolls_forward` is False (a request between its insert
    and its rolls, or one that died there). `wallets` and `entries` are what the reconciler reads."""

    def __init__(self, clock=None):
        self.clock = clock or FakeClock()
        self.wallets, self.entries = FakeCollection(), FakeCollection()
        self.ids = itertools.count(1)
        self.rolls_forward = True

    def get_wallet(self, customer_id, currency):
        wid = wallet_id(customer_id, currency)
        return self.wallets.find_one({"_id": wid}) or {
            "_id": wid,
            "customer_id": customer_id,
            "currency": currency,
            "balance_minor": 0,
            "version": 0,
            "totals": {},
        }

    def entry_for_key(self, customer_id, currency, key):
        return self.entries.find_one({"wallet_id": wallet_id(customer_id, currency), "idempotency_key": key})

    def entries_made_by(self, operation_id):
        return list(self.entries.find({"operation_id": operation_id}))

    def credit(self, customer_id, currency, amount_minor, kind, key, reference, slot=None, wallet=None, operation=None):
        return self.append(customer_id, currency, amount_minor, CREDIT, kind, key, reference, slot=slot)

    def debit(self, customer_id, currency, amount_minor, kind, key, reference, operation=None, wallet=None):
        operation_id = operation and operation[0]
        return self.append(customer_id, currency, amount_minor, DEBIT, kind, key, reference, operation_id=operation_id)

    def append(
        self, customer_id, currency, amount_minor, direction, kind, key, reference, slot=None, operation_id=None
    ):
        assert isinstance(amount_minor, int) and amount_minor > 0
        existing = self.entry_for_key(customer_id, currency, key)
        if existing is not None:
            return existing, False
        wid = wallet_id(customer_id, currency)
        self.catch_up(wid)
        wallet = self.get_wallet(customer_id, currency)
        draft = {
            "idempotency_key": key,
            "wallet_id": wid,
            "customer_id": customer_id,
            "currency": currency,
            "type": direction,
            "kind": kind,
            "amount_minor": amount_minor,
            "reference": dict(reference),
            "finalized": False,
            "created_at": self.clock(),
        }
        if operation_id is not None:
            draft["operation_id"] = operation_id
        if wallet["balance_minor"] + signed_minor(draft) < 0:
            raise InsufficientFunds()
        place = self.take_place(draft, slot)
        entry = dict(
            draft,
            _id=f"txn_{next(self.ids)}",
            sequence=wallet["version"] + 1,
            balance_after_minor=wallet["balance_minor"] + signed_minor(draft),
            **place,
        )
        self.entries.docs.append(copy.deepcopy(entry))
        if self.rolls_forward:
            self.roll(entry)
            if slot is not None:
                slot.roll(entry)
        return entry, True

    def take_place(self, draft, slot, tries=10):
        """The slot's fields for `draft`, once they name a refund place no entry holds."""
        for _ in range(tries if slot is not None else 1):
            place = slot.fields(draft) if slot is not None else {}
            if "refund_seq" not in place or not self.entries.find_one(
                {
                    "wallet_id": draft["wallet_id"],
                    "kind": draft["kind"],
                    "refund_seq": place["refund_seq"],
                    "reference.order_id": place["reference"]["order_id"],
                    "reference.order_life": place["reference"].get("order_life"),
                }
            ):
                return place
            slot.catch_up()
        raise StoreUnavailable("The refund places stay taken.")

    def roll(self, entry):
        """Roll the wallet forward to `entry` when it is the one after its last."""
        wallet = self.get_wallet(entry["customer_id"], entry["currency"])
        if wallet["version"] != entry["sequence"] - 1:
            return
        totals = dict(wallet["totals"])
        totals[f"{entry['kind']}_minor"] = totals.get(f"{entry['kind']}_minor", 0) + entry["amount_minor"]
        totals[f"{entry['kind']}_count"] = totals.get(f"{entry['kind']}_count", 0) + 1
        self.wallets.put(
            dict(wallet, balance_minor=entry["balance_after_minor"], version=entry["sequence"], totals=totals)
        )

    def catch_up(self, wid):
        for entry in self.entries.find({"wallet_id": wid}, sort=[("sequence", 1)]):
            self.roll(entry)

    def catch_up_wallets(self, entries):
        for wid in {e["wallet_id"] for e in entries}:
            self.catch_up(wid)

    def unfinalized(self, limit=100):
        found = self.entries.find({"finalized": False}, sort=[("created_at", 1)])
        return [e for e in found if e.get("follow_up_retry_at", self.clock()) <= self.clock()][:limit]

    def mark_finalized(self, entry_ids, put_off=None):
        for entry_id, retry_at in (put_off or {}).items():
            entry = self.stored(entry_id)
            entry.update(follow_up_retry_at=retry_at, follow_up_failures=entry.get("follow_up_failures", 0) + 1)
        for entry_id in list(entry_ids):
            self.stored(entry_id)["finalized"] = True

    # --- for tests ---------------------------------------------------------------------------
    def stored(self, entry_id):
        """The stored entry itself (not a copy)."""
        return next(e for e in self.entries.docs if e["_id"] == entry_id)

    def of_kind(self, kind):
        return [copy.deepcopy(e) for e in self.entries.docs if e["kind"] == kind]

    def balance(self, customer_id, currency="INR"):
        return self.get_wallet(customer_id, currency)["balance_minor"]


class FakeSettlements:
    """`PaymentSettlements` over a FakeLedger's entries: a payment is decided once, by one settler; an
    undecided one is claimed once its request let it go (`release`) or `grace_seconds` passed."""

    def __init__(self, ledger):
        self.ledger = ledger

    def claim(self, entry, grace_seconds):
        stored, now = self.ledger.stored(entry["_id"]), self.ledger.clock()
        started_before = now - datetime.timedelta(seconds=grace_seconds)
        since = stored.get("settling_since")
        if stored.get("settled") is not None or (since or stored["created_at"]) > started_before:
            return None
        stored["settling_since"] = now
        return dict(stored)

    def release(self, entry_id):
        stored = self.ledger.stored(entry_id)
        if stored.get("settled") is None:
            stored["settling_since"] = datetime.datetime(1970, 1, 1)

    def record(self, entry, outcome):
        if entry.get("settled") is None:
            stored = self.ledger.stored(entry["_id"])
            stored["settled"] = stored.get("settled") or outcome
            entry["settled"] = stored["settled"]
        return entry["settled"]

    def outcome(self, entry_id):
        return self.ledger.stored(entry_id).get("settled")


class FakeLedgerHistory:
    """`LedgerHistory`'s reads of the same entries as `ledger`."""

    def __init__(self, ledger):
        self.entries = ledger.entries

    def recent_entries(self, customer_id, currency, limit=20):
        return self.entries.find(
            {"wallet_id": wallet_id(customer_id, currency)}, sort=[("sequence", -1)], limit=min(limit, 20)
        )

    def recent_with_wallet(self, customer_id, currency):
        """No wallet: the fake ledger's is read by `get_wallet`."""
        return None, self.recent_entries(customer_id, currency)

    def refunds_of_order(self, wid, order_id, life, after_refund_seq=0):
        return self.entries.find(
            {
                "wallet_id": wid,
                "reference.order_id": order_id,
                "reference.order_life": life,
                "kind": REFUND,
                "refund_seq": {"$gt": after_refund_seq},
            },
            sort=[("refund_seq", 1)],
        )


class FakeOrderBook:
    """`OrderBook` as the flows use it. A debit pays an order only while it is pending for the
    debit's customer, amount and currency and holds the debit's ticket (`payment_ticket`, None
    for the first life); paying turns the ticket and starts the life's refunds; giving a debit back
    needs its ticket too and turns it. A refund fits while the life's refunds stay within what was
    paid, and rolls into its own life only. `put` and `shop` are the shop's writes, for tests."""

    def __init__(self):
        self.orders = FakeCollection()
        self.tickets = itertools.count(1)

    def put(self, order_id, customer_id, amount_minor, currency="INR", payment_status="pending", **fields):
        """The shop writes the order anew (without the wallet's fields, unless given)."""
        self.orders.put(
            dict(
                fields,
                order_id=order_id,
                customer_id=customer_id,
                amount_minor=amount_minor,
                currency=currency,
                payment_status=payment_status,
            ),
            key="order_id",
        )

    def shop(self, order_id, **fields):
        """The shop's `$set` of its own fields (the wallet's stay)."""
        self.set(order_id, **fields)

    def set(self, order_id, **fields):
        next(o for o in self.orders.docs if o["order_id"] == order_id).update(copy.deepcopy(fields))

    def new_life(self):
        return f"life_{next(self.tickets)}"

    def with_wallets(self, order_id, customer_id, keyed=None):
        """The order; no wallets (the fake ledger reads its own), and no keyed operation (its reads are
        the real store's: tests/integration/http/test_idempotency.py)."""
        assert keyed is None
        order = self.get(order_id)
        if order is None or order.get("customer_id") != customer_id:
            raise OrderNotFound()
        return order, {}, []

    def get(self, order_id):
        return self.orders.find_one({"order_id": order_id})

    def by_ids(self, order_ids):
        return {o["order_id"]: o for o in self.orders.find({"order_id": {"$in": list(order_ids)}})}

    def why_not_payable(self, order_id, customer_id, amount_minor):
        order = self.get(order_id)
        if order is None or order.get("customer_id") != customer_id:
            return "order_not_found"
        if order["payment_status"] != "pending":
            return f"order_{order['payment_status']}"
        return "order_amount_changed" if order["amount_minor"] != amount_minor else None

    def mark_paid(self, entry, now):
        order, ticket = self.get(entry["reference"]["order_id"]), entry["reference"].get("order_life")
        if (
            order is not None
            and order["payment_status"] == "pending"
            and order.get("payment_ticket") == ticket
            and (order["customer_id"], order["amount_minor"], order["currency"])
            == (entry["customer_id"], entry["amount_minor"], entry["currency"])
        ):
            self.set(
                order["order_id"],
                payment_status="paid",
                paid_via="wallet",
                paid_minor=entry["amount_minor"],
                refundable_minor=entry["amount_minor"],
                refunded_minor=0,
                refund_seq=0,
                payment_entry_id=entry["_id"],
                refund_wallet_id=entry["wallet_id"],
                paid_at=now,
                payment_life=ticket,
                payment_ticket=self.new_life(),
                paid_entry_ids=order.get("paid_entry_ids", []) + [entry["_id"]],
            )
            return True
        return paid_by(order, entry["_id"])

    def give_back(self, entry):
        order, ticket = self.get(entry["reference"]["order_id"]), entry["reference"].get("order_life")
        if order is not None and order.get("payment_ticket") == ticket:
            self.set(
                order["order_id"],
                payment_ticket=self.new_life(),
                reversed_entry_ids=order.get("reversed_entry_ids", []) + [entry["_id"]],
            )
            return True
        return not paid_by(order, entry["_id"])

    def new_ticket(self, order):
        now = self.get(order["order_id"]) or {}
        if now.get("payment_status") == "pending" and now.get("payment_ticket") == order.get("payment_ticket"):
            self.set(order["order_id"], payment_ticket=self.new_life())
        return self.get(order["order_id"])

    def refund_wallet(self, order, wid):
        if order.get("refund_wallet_id") is None:
            now = self.get(order["order_id"]) or {}
            if (
                now.get("refund_wallet_id") is None
                and now.get("amount_minor") == order["amount_minor"]
                and now.get("payment_status") in PAID_STATES
            ):
                pin = {"refund_wallet_id": wid, "payment_life": self.new_life(), "paid_minor": paid_minor(order)}
                self.set(order["order_id"], **pin)
                return wid, dict(order, **pin)
            order = now
        return order.get("refund_wallet_id"), order

    def refund_fields(self, order, amount_minor):
        refunded_after_minor = order.get("refunded_minor", 0) + amount_minor
        if refunded_after_minor > paid_minor(order):
            raise RefundExceedsPaid()
        return {
            "refund_seq": order.get("refund_seq", 0) + 1,
            "order_refunded_after_minor": refunded_after_minor,
            "order_paid_minor": paid_minor(order),
        }

    def roll_refund(self, entry):
        """Roll the order forward to the refund `entry` when it is the next of the order's current life."""
        order = self.get(entry["reference"]["order_id"])
        if (
            order is None
            or not in_life(order, entry["wallet_id"], entry["reference"].get("order_life"))
            or (order.get("refund_seq") or 0) != entry["refund_seq"] - 1
        ):
            return
        paid, refunded = entry["order_paid_minor"], entry["order_refunded_after_minor"]
        fields = {"refund_seq": entry["refund_seq"], "refunded_minor": refunded, "refundable_minor": paid - refunded}
        if order["payment_status"] in PAID_STATES:
            fields["payment_status"] = "refunded" if refunded == paid else "partially_refunded"
        self.set(order["order_id"], **fields)

    def catch_up_refunds(self, order_id, history, wid, life):
        order = self.get(order_id)
        if order is None or not in_life(order, wid, life):
            return order
        for entry in history.refunds_of_order(wid, order_id, life, order.get("refund_seq", 0)):
            self.roll_refund(entry)
        return self.get(order_id)


class FakePaymentOrders:
    """`PaymentOrders` as the flows use it: a webhook event is read with its payment order (named by
    id or reference), `fresh` while its id is not kept on it; the write that applies it keeps it;
    `paid` once, by the first credit; `failed` only from `created`. No wallets or cases are read with
    it (the fake ledger and cases read their own)."""

    def __init__(self):
        self.docs = {}

    def create(self, payment_order_id, reference, gateway, customer_id, amount_minor, currency, keyed=None):
        self.docs[payment_order_id] = {
            "_id": payment_order_id,
            "reference": reference,
            "gateway": gateway,
            "customer_id": customer_id,
            "amount_minor": amount_minor,
            "currency": currency,
            "status": CREATED,
            "webhook_event_ids": [],
            **({"keyed": keyed} if keyed else {}),
        }
        return self.get(payment_order_id)

    def keyed_by(self, customer_id, operation_id):
        for doc in self.docs.values():
            if doc["customer_id"] == customer_id and doc.get("keyed", {}).get("operation_id") == operation_id:
                return self.get(doc["_id"]), doc["keyed"]
        return None

    def get(self, payment_order_id, gateway=None):
        doc = self.docs.get(payment_order_id)
        if doc is None or gateway not in (None, doc["gateway"]):
            return None
        return PaymentOrder(
            doc["_id"],
            doc["reference"],
            doc["gateway"],
            doc["customer_id"],
            doc["amount_minor"],
            doc["currency"],
            doc["status"],
            doc.get("gateway_payment_id"),
        )

    def for_event(self, gateway, event):
        doc = self.named(gateway, event)
        if doc is None:
            return None
        return EventRead(self.get(doc["_id"]), event.event_id not in doc["webhook_event_ids"], {}, None)

    def by_event(self, gateway, event):
        doc = self.named(gateway, event)
        return None if doc is None else self.get(doc["_id"])

    def named(self, gateway, event):
        """The payment order of `gateway` (a name or a tuple) the event names by id, or else by reference."""
        if event.payment_order_id is not None:
            doc = self.docs.get(event.payment_order_id)
        else:
            reference = event.payment_order_reference
            doc = next((d for d in self.docs.values() if reference is not None and d["reference"] == reference), None)
        gateways = (gateway,) if isinstance(gateway, str) else gateway  # a name, or the names a webhook confirms
        return doc if doc is not None and doc["gateway"] in gateways else None

    def mark_paid(self, payment_order_id, entry_id, gateway_payment_id, event_id=None):
        doc = self.docs[payment_order_id]
        if doc["status"] != PAID:
            doc.update(status=PAID, entry_id=entry_id, gateway_payment_id=gateway_payment_id)
            self.keep(doc, event_id)

    def mark_failed(self, payment_order_id, reason, event_id=None):
        doc = self.docs[payment_order_id]
        if doc["status"] == CREATED:
            doc.update(status=FAILED, failure_reason=reason)
        self.keep(doc, event_id)

    @staticmethod
    def keep(doc, event_id):
        if event_id is not None and event_id not in doc["webhook_event_ids"]:
            doc["webhook_event_ids"].append(event_id)

    def paid_ids(self, payment_order_ids):
        return {i for i in payment_order_ids if i in self.docs and self.docs[i]["status"] == PAID}


class FakeSingleUseEvents:
    """`WebhookEvents`: an event that makes the service charge is claimed once per (gateway, event id),
    for its payment order (claimed again for that one alone)."""

    def __init__(self):
        self.claims = {}

    @property
    def claimed(self):
        return set(self.claims)

    def claim(self, gateway, event):
        return self.claims.setdefault((gateway, event.event_id), event.payment_order_id) == event.payment_order_id


class FakeAudit:
    """`AuditLog`: what was recorded (stored) and what was only noted (logged)."""

    def __init__(self):
        self.records, self.notes = [], []

    def record(self, event, outcome, **fields):
        self.records.append(dict(fields, event=event, outcome=outcome))

    def note(self, event, outcome, **fields):
        self.notes.append(dict(fields, event=event, outcome=outcome))

    def recorded(self, event=None):
        """(event, outcome) of each record, or the records of `event`."""
        if event is None:
            return [(r["event"], r["outcome"]) for r in self.records]
        return [r for r in self.records if r["event"] == event]


class FakeOutbox:
    """`Outbox`: one queued confirmation per ledger entry."""

    def __init__(self):
        self.queued = {}

    def enqueue_many(self, entries):
        for entry in entries:
            self.queued.setdefault(entry["_id"], entry["kind"])


class FakeGateway:
    """A gateway adapter. A webhook is the JSON of a `WebhookEvent`'s fields (see `webhook`), signed
    by the header `X-Signature: good`. What checkout's return confirms (`confirmed`, a
    `ConfirmedPayment`) and whether a charge fails (`charge_error`) are set by the test."""

    key_id = "key_fake"

    def __init__(self, name="fakepay"):
        self.name = name
        self.order_ids = itertools.count(1)
        self.confirmed = None
        self.charge_error = None
        self.charges = []

    def create_order(self, reference, amount_minor, currency, customer_id):
        order_id = f"{self.name}_order_{next(self.order_ids)}"
        return CheckoutOrder(order_id, f"https://checkout.example/{order_id}")

    def confirm_checkout(self, payment_order, fields):
        return self.confirmed

    def parse_webhook(self, raw_body, headers):
        if headers.get("X-Signature") != "good":
            raise InvalidSignature()
        return WebhookEvent(**json.loads(raw_body))

    def charge(self, event, payment_order):
        if self.charge_error is not None:
            raise self.charge_error
        self.charges.append((event.event_id, payment_order.id))
        return f"chg_{len(self.charges)}"


def webhook(**fields):
    """The raw body `FakeGateway.parse_webhook` reads as a `WebhookEvent` of `fields`."""
    return json.dumps(fields).encode()


SIGNED = {"X-Signature": "good"}


class FakePayments:
    """`PaymentService`: the gateways offered, by name."""

    def __init__(self, *gateways):
        self.gateways = {g.name: g for g in gateways}

    def gateway(self, name):
        if name not in self.gateways:
            raise UnsupportedPaymentMethod(f"Payment method `{name}` is not offered here.")
        return self.gateways[name]
