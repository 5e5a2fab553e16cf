"""The PayPal simulator after the credit (SPEC §9): refunds the service asks for, and PayPal's own
refunds, reversals and disputes, each announced by a signed webhook as PayPal would.

Refunds and reversals are kept in `simulator_paypal_refunds` (this module is its only user), one
document per refund: `_id` (the refund id), `kind` (ASKED by the service, DASHBOARD, REVERSAL),
`capture_id`, `request_id` (PayPal-Request-Id; unique), `amount_minor`, `currency`, `custom_id`,
`status` (PENDING, COMPLETED, FAILED) and `outcome` (what settling an asked refund does). Disputes
keep nothing: the test names the capture and amounts each time.

Like the rest of the simulator it treats every capture id as its own (SPEC §6): it refunds and
disputes ids it never issued; only a capture it made caps its refunds (what is left of it). The
switches (`refund_outcome`, `hold_refunds`) belong to this process's simulator.
"""

import datetime
import secrets

from pymongo.errors import DuplicateKeyError

from ...errors import InvalidAmount
from ...money import format_major
from ..simulated_refunds import keep_within
from .api import RefundRefused
from .shapes import CAPTURES_PATH, new_paypal_id, parse_amount

REFUNDS_COLLECTION = "simulator_paypal_refunds"
API_BASE = "https://api-m.sandbox.paypal.com"
# What becomes of a refund the service asks for (`PayPalCases.refund_outcome`).
REFUNDS_COMPLETE = "complete"  # PENDING, then COMPLETED, announced by PAYMENT.CAPTURE.REFUNDED
REFUNDS_REFUSED = "refuse"  # refused as PayPal does (422 REFUND_NOT_ALLOWED): nothing made
REFUNDS_FAIL = "fail"  # PENDING, then FAILED: PayPal posts no webhook, only a look-up tells
ASKED, DASHBOARD, REVERSAL = "asked", "dashboard", "reversal"
LOST, WON = "RESOLVED_BUYER_FAVOUR", "RESOLVED_SELLER_FAVOUR"  # two of PayPal's outcome codes


def _now_text():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount_minor, currency):
    """PayPal's `{currency_code, value}` of an amount in minor units."""
    return {"currency_code": currency, "value": format_major(amount_minor, currency)}


def refund_view(record):
    """A kept refund as PayPal shows it (its `refund` JSON)."""
    view = {
        "id": record["_id"],
        "amount": money(record["amount_minor"], record["currency"]),
        "status": record["status"],
        "create_time": record["create_time"],
        "update_time": record["create_time"],
        "links": [
            {"href": f"{API_BASE}/v2/payments/refunds/{record['_id']}", "rel": "self", "method": "GET"},
            {"href": f"{API_BASE}{CAPTURES_PATH}{record['capture_id']}", "rel": "up", "method": "GET"},
        ],
    }
    for name in ("custom_id", "note_to_payer"):
        if record.get(name):
            view[name] = record[name]
    return view


class PayPalCases:
    """PayPal's side after the credit, for `api` (the `SimulatedPayPalApi` whose webhooks it posts).

    `refund_outcome`: REFUNDS_COMPLETE (default), REFUNDS_REFUSED or REFUNDS_FAIL, for refunds asked
    from now on; `hold_refunds`: keep them PENDING until `settle_refunds` (else settled at once).
    `last_delivery`: what the last webhook's delivery answered (the HTTP status when inline)."""

    def __init__(self, api, db):
        self.api = api
        self.refunds = db[REFUNDS_COLLECTION]
        self.refund_outcome = REFUNDS_COMPLETE
        self.hold_refunds = False
        self.last_delivery = None

    # --- refunds the service asks for (`SimulatedPayPalApi.refund_capture`) ---------------------
    def refund_capture(self, capture_id, body, request_id):
        """The refund a repeat of `request_id` made (as it is now); else, unless refusing
        (`RefundRefused`), a new refund answered PENDING and settled right after (unless
        `hold_refunds`), so its webhook may arrive before the answer is read, as with PayPal.
        The simulator refunds an amount only (the adapter always names one)."""
        existing = self.refunds.find_one({"request_id": request_id})
        if existing is not None:
            return refund_view(existing)
        amount = body.get("amount") if isinstance(body, dict) else None
        if self.refund_outcome == REFUNDS_REFUSED:
            raise RefundRefused("REFUND_NOT_ALLOWED")
        if not isinstance(amount, dict) or not isinstance(amount.get("currency_code"), str):
            raise RefundRefused("MISSING_REQUIRED_PARAMETER")
        currency = amount["currency_code"]
        amount_minor = _minor(amount)
        record = self._record(ASKED, capture_id, amount_minor, currency, "PENDING", request_id=request_id)
        record.update(custom_id=body.get("custom_id"), note_to_payer=body.get("note_to_payer"))
        record["outcome"] = self.refund_outcome
        try:
            self._keep(record)
        except DuplicateKeyError:  # the same request at the same moment: one refund answers both
            kept = self.refunds.find_one({"request_id": request_id})
            if kept is None:  # the other was refused, and taken out again
                raise RefundRefused("REFUND_AMOUNT_EXCEEDED") from None
            return refund_view(kept)
        answer = refund_view(record)
        if not self.hold_refunds:
            self._settle(record)
        return answer

    def refunds_of_capture(self, capture_id):
        """The refunds of a capture (PayPal's JSON), as PayPal's order lists them: reversals aside."""
        return [refund_view(r) for r in self.refunds.find({"capture_id": capture_id}) if r["kind"] != REVERSAL]

    def settle_refunds(self):
        """Settle every refund still PENDING (those `hold_refunds` kept): its `outcome` completes it
        (and posts PAYMENT.CAPTURE.REFUNDED) or fails it. Returns how many it settled."""
        pending = list(self.refunds.find({"status": "PENDING"}))
        return sum(self._settle(record) for record in pending)

    # --- PayPal's own doing (tests call these) -----------------------------------------------------
    def dashboard_refund(self, capture_id, amount_minor, currency):
        """A refund made from PayPal's dashboard (no custom_id): PAYMENT.CAPTURE.REFUNDED. Its id;
        `RefundRefused` beyond what is left of a capture the simulator made, as PayPal refuses it."""
        record = self._record(DASHBOARD, capture_id, amount_minor, currency, "COMPLETED")
        self._keep(record)
        self._post_refund("PAYMENT.CAPTURE.REFUNDED", record, "refunded")
        return record["_id"]

    def reverse_capture(self, capture_id, amount_minor, currency):
        """PayPal reverses the capture (a refund-shaped resource, as documented):
        PAYMENT.CAPTURE.REVERSED. The reversal's id; `RefundRefused` beyond what is left of a capture
        the simulator made (refunds and reversals of it together never exceed it)."""
        record = self._record(REVERSAL, capture_id, amount_minor, currency, "COMPLETED")
        record["note_to_payer"] = "Payment reversed"
        self._keep(record)
        self._post_refund("PAYMENT.CAPTURE.REVERSED", record, "reversed")
        return record["_id"]

    def open_dispute(self, capture_id, amount_minor, currency):
        """The buyer disputes the capture: CUSTOMER.DISPUTE.CREATED. The dispute id."""
        dispute_id = "PP-D-" + "".join(secrets.choice("0123456789") for _ in range(8))
        resource = _dispute(dispute_id, capture_id, amount_minor, currency, "OPEN")
        self._post("CUSTOMER.DISPUTE.CREATED", "dispute", resource, f"A new dispute opened with Case # {dispute_id}")
        return dispute_id

    def update_dispute(self, dispute_id, capture_id, amount_minor, currency, status="UNDER_REVIEW"):
        """The dispute moves on (`status`, e.g. WAITING_FOR_SELLER_RESPONSE): CUSTOMER.DISPUTE.UPDATED."""
        resource = _dispute(dispute_id, capture_id, amount_minor, currency, status)
        self._post("CUSTOMER.DISPUTE.UPDATED", "dispute", resource, f"A dispute was updated with case # {dispute_id}")

    def resolve_dispute(self, dispute_id, capture_id, amount_minor, currency, outcome_code, amount_refunded_minor=None):
        """PayPal decides: CUSTOMER.DISPUTE.RESOLVED with `dispute_outcome.outcome_code` (LOST, WON,
        ACCEPTED, CANCELED_BY_BUYER, ...) and, when given, `amount_refunded`."""
        resource = _dispute(dispute_id, capture_id, amount_minor, currency, "RESOLVED")
        resource["dispute_outcome"] = {"outcome_code": outcome_code}
        if amount_refunded_minor is not None:
            resource["dispute_outcome"]["amount_refunded"] = money(amount_refunded_minor, currency)
        summary = f"A dispute was resolved with case # {dispute_id}"
        self._post("CUSTOMER.DISPUTE.RESOLVED", "dispute", resource, summary)

    # --- its own workings -----------------------------------------------------------------------
    def _record(self, kind, capture_id, amount_minor, currency, status, request_id=None):
        refund_id = new_paypal_id()
        return {
            "_id": refund_id,
            "kind": kind,
            "capture_id": capture_id,
            "request_id": request_id or f"{kind}-{refund_id}",  # unique: PayPal's own have none
            "amount_minor": amount_minor,
            "currency": currency,
            "status": status,
            "create_time": _now_text(),
        }

    def _keep(self, record):
        """Keep a refund or reversal of a capture; for a capture the simulator made, refused (nothing
        kept) beyond what is left of it, refunds and reversals together, as PayPal refuses it
        (`keep_within`: two at once never both kept). DuplicateKeyError for a repeat of its request."""
        order = self.api.orders.find_one({"capture.id": record["capture_id"]})
        captured_minor = _minor(order["capture"]["amount"]) if order is not None else None

        def refused(others_minor):
            return RefundRefused(
                "CAPTURE_FULLY_REFUNDED" if others_minor >= captured_minor else "REFUND_AMOUNT_EXCEEDED"
            )

        keys, query = {"request_id": record["request_id"]}, {"capture_id": record["capture_id"]}
        keep_within(self.refunds, record, keys, query, ("amount_minor", "FAILED"), captured_minor, refused)

    def _settle(self, record):
        """Complete or fail a PENDING refund, once (1 if this call settled it, else 0)."""
        status = "FAILED" if record.get("outcome") == REFUNDS_FAIL else "COMPLETED"
        pending = {"_id": record["_id"], "status": "PENDING"}
        if not self.refunds.update_one(pending, {"$set": {"status": status}}).modified_count:
            return 0
        if status == "COMPLETED":
            self._post_refund("PAYMENT.CAPTURE.REFUNDED", dict(record, status=status), "refunded")
        return 1

    def _post_refund(self, event_type, record, verb):
        amount = money(record["amount_minor"], record["currency"])
        summary = f"A {amount['value']} {amount['currency_code']} capture payment was {verb}"
        self._post(event_type, "refund", refund_view(record), summary)

    def _post(self, event_type, resource_type, resource, summary):
        self.last_delivery = self.api.post_event(event_type, resource_type, resource, summary)


def _minor(amount):
    """Minor units of a PayPal amount the simulator wrote or was sent; `RefundRefused` if unreadable."""
    try:
        return parse_amount(amount)[0]
    except (ValueError, TypeError, InvalidAmount):
        raise RefundRefused("INVALID_PARAMETER_VALUE") from None


def _dispute(dispute_id, capture_id, amount_minor, currency, status):
    """A dispute as PayPal's CUSTOMER.DISPUTE.* resource shows it."""
    now = _now_text()
    return {
        "dispute_id": dispute_id,
        "create_time": now,
        "update_time": now,
        "disputed_transactions": [
            {
                "seller_transaction_id": capture_id,
                "seller": {"merchant_id": "SIMULATORMERCH", "name": "Wallet simulator"},
                "items": [],
                "seller_protection_eligible": True,
            }
        ],
        "reason": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
        "status": status,
        "dispute_amount": money(amount_minor, currency),
        "dispute_life_cycle_stage": "CHARGEBACK",
        "dispute_channel": "INTERNAL",
        "links": [{"href": f"{API_BASE}/v1/customer/disputes/{dispute_id}", "rel": "self", "method": "GET"}],
    }
