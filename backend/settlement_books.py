"""What settling a gateway's day found (SPEC §11): `settlements` (one document per gateway and day:
counts, amounts, fees, tax, what matched) and `settlement_exceptions` (one per gateway, day, kind and
payment or refund: `open` for a person, `resolved` once healed). Settling a day again upserts the
same documents, so it changes nothing that was right."""

from pymongo import ReturnDocument

from .clock import utcnow
from .gateways.base import SETTLED_PAYMENT

OPEN, RESOLVED = "open", "resolved"
# Exception kinds: healed through the exactly-once paths (then `resolved`), or left for a person.
CAPTURED_NOT_CREDITED, REFUND_NOT_APPLIED = "captured_not_credited", "refund_not_applied"
CREDITED_NOT_CAPTURED, AMOUNT_MISMATCH, UNKNOWN_PAYMENT = "credited_not_captured", "amount_mismatch", "unknown_payment"
UNREADABLE_ROWS = "unreadable_rows"  # rows of the day's report that could not be read: matched to nothing
EXCEPTION_KINDS = (
    CAPTURED_NOT_CREDITED,
    REFUND_NOT_APPLIED,
    CREDITED_NOT_CAPTURED,
    AMOUNT_MISMATCH,
    UNKNOWN_PAYMENT,
    UNREADABLE_ROWS,
)


def day_figures():
    """A currency's figures of a day, before any row."""
    return dict.fromkeys(
        ("captured_minor", "refunded_minor", "fees_minor", "tax_minor", "settled_minor", "payments", "refunds"), 0
    )


def add_up(rows, totals):
    """Add each report row to its currency's figures in `totals` ({currency: `day_figures()`})."""
    for row in rows:
        figures = totals.setdefault(row.currency, day_figures())
        figures["fees_minor"] += row.fee_minor
        figures["tax_minor"] += row.tax_minor
        captured = row.kind == SETTLED_PAYMENT
        figures["captured_minor" if captured else "refunded_minor"] += row.amount_minor
        figures["payments" if captured else "refunds"] += 1
        figures["settled_minor"] += (
            (row.amount_minor if captured else -row.amount_minor) - row.fee_minor - row.tax_minor
        )


def day_key(gateway, day):
    return f"{gateway}:{day.isoformat()}"


def exception_key(gateway, day, kind, subject_id):
    return f"{day_key(gateway, day)}:{kind}:{subject_id}"


def subject_of(exception):
    """The payment or refund id an exception is about (the last part of its `_id`, `note`'s key)."""
    return exception["_id"].split(":", 3)[3]


class SettlementBooks:
    def __init__(self, db, clock=utcnow):
        self.settlements = db["settlements"]
        self.exceptions = db["settlement_exceptions"]
        self.clock = clock

    def record_day(self, gateway, day, figures):
        """Keep the day's figures (`{currency, captured_minor, refunded_minor, fees_minor, tax_minor,
        settled_minor, matched, payments, refunds}`); the document."""
        return self.settlements.find_one_and_update(
            {"_id": day_key(gateway, day)},
            {
                "$set": dict(figures, gateway=gateway, date=day.isoformat(), settled_at=self.clock()),
                "$setOnInsert": {"first_settled_at": self.clock()},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )

    def day(self, gateway, day):
        return self.settlements.find_one({"_id": day_key(gateway, day)})

    def settled_before(self, gateway, day):
        """Whether any day of `gateway` before `day` was settled."""
        return self.settlements.find_one({"gateway": gateway, "date": {"$lt": day.isoformat()}}, ["_id"]) is not None

    def note(self, gateway, day, kind, subject_id, status, **fields):
        """Record an exception (once per gateway, day, kind and payment or refund); a `resolved` one
        stays resolved."""
        key = exception_key(gateway, day, kind, subject_id)
        self.exceptions.update_one(
            {"_id": key},
            {
                "$setOnInsert": dict(fields, gateway=gateway, date=day.isoformat(), kind=kind, created_at=self.clock()),
                "$set": {"updated_at": self.clock()},
            },
            upsert=True,
        )
        if status == RESOLVED:
            self.exceptions.update_one({"_id": key}, {"$set": {"status": RESOLVED}})
        else:
            self.exceptions.update_one({"_id": key, "status": {"$exists": False}}, {"$set": {"status": OPEN}})

    def note_row(self, gateway, day, kind, row, status, payment_order=None, ledger=None):
        """Note an exception about the report's `row`; the ledger's (amount, currency) are
        `payment_order`'s, or `ledger`."""
        subject = row.refund_id if row.kind != SETTLED_PAYMENT else row.gateway_payment_id
        if ledger is None:
            ledger = (payment_order.amount_minor, payment_order.currency) if payment_order else (None, None)
        self.note(
            gateway,
            day,
            kind,
            subject,
            status,
            payment_id=row.gateway_payment_id,
            payment_order_id=payment_order.id if payment_order else row.payment_order_id,
            gateway_amount_minor=row.amount_minor,
            ledger_amount_minor=ledger[0],
            currency=row.currency,  # the gateway's amount's
            ledger_currency=ledger[1],
        )

    def note_again(self, gateway, day, kind, subject_id, **fields):
        """Record an exception `open` with `fields` as this settling found them, whatever it was before:
        for a condition each settling of the day finds anew (its unreadable rows)."""
        now = self.clock()
        self.exceptions.update_one(
            {"_id": exception_key(gateway, day, kind, subject_id)},
            {
                "$set": dict(fields, gateway=gateway, date=day.isoformat(), kind=kind, status=OPEN, updated_at=now),
                "$setOnInsert": {"created_at": now},
            },
            upsert=True,
        )

    def open_of_kind(self, gateway, kind, limit, after=None):
        """`gateway`'s open exceptions of `kind`, every day, at most `limit`, by `_id` (those after the
        `_id` `after`, when given: the next batch)."""
        query = {"status": OPEN, "kind": kind, "gateway": gateway}
        if after is not None:
            query["_id"] = {"$gt": after}
        return list(self.exceptions.find(query, sort=[("_id", 1)], limit=limit))

    def resolve(self, exception_ids):
        """The open exceptions `exception_ids`, healed since they were noted."""
        if exception_ids:
            self.exceptions.update_many(
                {"_id": {"$in": exception_ids}, "status": OPEN},
                {"$set": {"status": RESOLVED, "updated_at": self.clock()}},
            )

    def resolve_for_payment(self, gateway, gateway_payment_ids, kind):
        """A payment a later report listed: its open `kind` exceptions are resolved."""
        if gateway_payment_ids:
            self.exceptions.update_many(
                {"gateway": gateway, "payment_id": {"$in": sorted(gateway_payment_ids)}, "kind": kind, "status": OPEN},
                {"$set": {"status": RESOLVED, "updated_at": self.clock()}},
            )

    def of_day(self, gateway, day):
        return list(self.exceptions.find({"gateway": gateway, "date": day.isoformat()}, sort=[("_id", 1)]))

    def count_open(self):
        """{kind: open exceptions} over every gateway and day (/metrics)."""
        counts = dict.fromkeys(EXCEPTION_KINDS, 0)
        for row in self.exceptions.find({"status": OPEN}, projection=["kind"]):
            counts[row["kind"]] = counts.get(row["kind"], 0) + 1
        return counts

    def last_days(self):
        """{gateway: the newest day settled once it had begun} (/metrics: a report day settled ahead, by
        hand, as a gateway's lag allows, says nothing of whether the worker settles)."""
        newest: dict[str, str] = {}
        for row in self.settlements.find({}, projection=["gateway", "date", "settled_at"]):
            if row["settled_at"].date().isoformat() >= row["date"]:
                newest[row["gateway"]] = max(newest.get(row["gateway"], ""), row["date"])
        return newest
