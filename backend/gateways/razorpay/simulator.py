"""Simulator mode: a local stand-in for Razorpay.

It plays the gateway: `SimulatedRazorpayApi` issues Razorpay-shaped order ids without a network
call, and a checkout signature or webhook that verifies under the configured secrets is the
confirmation (tests and developers can sign their own; `fetch_payment` reports nothing). Its
checkout page (`pages.py`) signs with the same secrets, through the same
verification code as live traffic, and records each payment it makes (Pay: captured, Fail: failed)
in `simulator_razorpay_payments` (this module is its only user), from which the API answers an
order's payments (`order_payments`, the sweep's look-up) as Razorpay would.

After the credit (SPEC §9) it refunds as Razorpay does: `refund_payment` keeps each refund in
`simulator_razorpay_refunds` (once per idempotency key), answers it `pending`, then posts signed
`refund.created` and `refund.processed` webhooks (`refund.failed` once `fail_refunds(True)`);
`refuse_refunds(True)` makes it refuse refunds, and it refuses, as Razorpay does, any below 1.00.
A payment the service credited or gave back that it never recorded (signed by hand) it holds as the
top-up it paid for: refundable up to it, the service's refunds in its currency. As with signatures,
any other payment is taken on the caller's word: refundable for any amount, in DEFAULT_CURRENCY. The gateway's
own side (tests, the support view): `dashboard_refund`, `open_dispute`, `resolve_dispute`, each
posting its signed webhooks with a fresh X-Razorpay-Event-Id.

Its books (SPEC §11, `simulator_books.py`, as `books`): those payments, the ones the service
credited under its secrets without its checkout page (signed by hand), and its refunds, settled T+2
with a fee and tax, served by `settlement_recon` as Razorpay's settlement report; tests make the report
disagree with the ledger through `books.book_payment` and `books.book_refund`.
"""

import datetime
import time

from pymongo.errors import DuplicateKeyError

from ...clock import new_id
from ..simulated_refunds import keep_within
from .api import RefundRefused
from .events import is_amount_minor, is_currency, least_amount_minor
from .simulator_books import SETTLEMENT_LAG_DAYS, SimulatorBooks, captured_payment
from .simulator_events import (
    DISPUTE_OUTCOMES,
    case_event,
    dispute_entity,
    refund_entity,
    signed_event,
)

# Fixed, documented development values so a developer can sign simulator webhooks by hand.
DEV_RAZORPAY_KEY_ID = "rzp_test_simulator"
DEV_RAZORPAY_KEY_SECRET = "simulator_key_secret"
DEV_RAZORPAY_WEBHOOK_SECRET = "simulator_webhook_secret"
PAYMENTS_COLLECTION = "simulator_razorpay_payments"
REFUNDS_COLLECTION = "simulator_razorpay_refunds"
SWITCHES_ID = "switches"  # the one document of the refunds collection that is not a refund
NOT_A_REFUND = ("_id", "request")  # what it keeps with a refund that Razorpay does not answer
STRANDED_SECONDS = 10  # a refund still `pending` this long after it was kept: its request died before settling it


class SimulatedRazorpayApi:
    """Razorpay's Orders, Payments and Refunds API as the adapter sees it, answered locally, and the
    gateway's own side after the credit.

    `db`: the store keeping the payments its checkout page made and its refunds; without one (a bare
    adapter in a test) it keeps none, cannot answer an order's payments, and keeps its switches on
    the object. `webhook_secret` and `deliver_webhook(body, headers)`: how it posts its webhooks
    (none are posted without them). `currency`: that of a payment it neither recorded nor saw
    credited. `credited`, `paid_for`: the service's credited top-ups (`GatewayEnv`), which it
    holds as its own: its books list them, and it refunds and disputes them up to their amount."""

    def __init__(
        self,
        db=None,
        webhook_secret=None,
        deliver_webhook=None,
        currency="INR",
        credited=None,
        lag_days=SETTLEMENT_LAG_DAYS,
        paid_for=None,
    ):
        self.payments = db[PAYMENTS_COLLECTION] if db is not None else None
        self.refunds = db[REFUNDS_COLLECTION] if db is not None else None
        self.webhook_secret = webhook_secret
        self.deliver_webhook = deliver_webhook
        self.currency = currency
        self.paid_for = paid_for
        self.switches = {"refuse": False, "fail": False}
        self.books = SimulatorBooks(self.payments, self.refunds, credited, lag_days)

    def create_order(self, data):
        return {
            "id": new_id("order"),
            "entity": "order",
            "amount": data["amount"],
            "currency": data["currency"],
            "receipt": data["receipt"],
            "status": "created",
        }

    def fetch_payment(self, payment_id):
        return None  # the signatures are the confirmation, even of a payment it did not make

    def order_payments(self, order_id):
        """The payments recorded for the order, newest first, as Razorpay lists them; None without a store."""
        if self.payments is None:
            return None
        recorded = self.payments.find({"order_id": order_id}, sort=[("created_at", -1), ("_id", 1)])
        return [{k: v for k, v in payment.items() if k != "_id"} for payment in recorded]

    def refund_payment(self, payment_id, data, idempotency_key):
        """A refund as Razorpay makes one: answered `pending`, then its webhooks posted. The same key
        and body answer the same refund (as it is now); another body under the key is refused."""
        key_id = "key:" + idempotency_key
        stored = self.refunds.find_one({"_id": key_id}) if self.refunds is not None else None
        if stored is not None:
            return self._repeat(stored, data)
        if self._switch("refuse"):
            raise RefundRefused("The refund could not be processed (simulated refusal).")
        payment = self._payment(payment_id)
        currency = payment["currency"] if payment is not None else self.currency
        self._check_refundable(payment, data.get("amount"), currency)
        entity = refund_entity(new_id("rfnd"), payment_id, data["amount"], currency, data.get("notes"), "pending")
        concurrent = self._keep(key_id, entity, payment, request=data)
        if concurrent is not None:
            return self._repeat(concurrent, data)
        self._settle(key_id, entity, payment, "failed" if self._switch("fail") else "processed")
        return entity

    def fetch_refunds(self, payment_id):
        """The payment's refunds, newest first, as Razorpay lists them (none without a store). One its
        request left `pending` (the process died between keeping it and settling it) is settled now,
        as Razorpay settles every refund it accepted, its webhook posted."""
        if self.refunds is None:
            return []
        kept = list(self.refunds.find({"payment_id": payment_id}, sort=[("created_at", -1), ("_id", 1)]))
        stranded_before = int(time.time()) - STRANDED_SECONDS
        for refund in kept:
            if refund.get("status") == "pending" and refund.get("created_at", stranded_before) <= stranded_before:
                refund["status"] = self._settle_stranded(refund)
        return [as_answered(refund) for refund in kept]

    def _settle_stranded(self, refund):
        assert self.refunds is not None  # (a refund was read from it)
        status = "failed" if self._switch("fail") else "processed"
        if self._finish(refund["_id"], as_answered(refund), self._payment(refund["payment_id"]), status):
            return status
        return (self.refunds.find_one({"_id": refund["_id"]}) or refund)["status"]

    def settlement_recon(self, year, month, day, count, skip):
        """One page of its settlement report of a day, in Razorpay's shape (`SimulatorBooks`)."""
        return self.books.settlement_recon(year, month, day, count, skip)

    def refuse_refunds(self, refuse=True):
        """From now on refuse every new refund as Razorpay refuses one (BAD_REQUEST_ERROR)."""
        self._set_switch("refuse", refuse)

    def fail_refunds(self, fail=True):
        """From now on accept refunds (`pending`), then fail them: `refund.failed`, not `.processed`."""
        self._set_switch("fail", fail)

    # --- the buyer's side (the checkout page) --------------------------------------------------
    def record_payment(self, entity):
        """Keep a payment the checkout page made (a `payment_entity`); a repeat of its id is ignored."""
        if self.payments is not None:
            self.payments.update_one({"_id": entity["id"]}, {"$setOnInsert": dict(entity)}, upsert=True)

    # --- the gateway's own side (its dashboard, the banks) --------------------------------------
    def dashboard_refund(self, payment_id, amount_minor, currency):
        """A refund made from Razorpay's dashboard (no reference of ours): kept, then `refund.created`
        and `refund.processed` posted. Its id."""
        if not is_currency(currency):
            raise ValueError("A currency is three capital letters.")
        payment = self._payment(payment_id)
        self._check_refundable(payment, amount_minor, payment["currency"] if payment is not None else currency)
        entity = refund_entity(new_id("rfnd"), payment_id, amount_minor, currency, None, "pending")
        self._keep(entity["id"], entity, payment)
        self._settle(entity["id"], entity, payment, "processed")
        return entity["id"]

    def open_dispute(self, payment_id, amount_minor, currency):
        """A customer disputes `amount_minor` of the payment with the bank: `payment.dispute.created`
        posted. The dispute's id."""
        dispute = self._dispute(new_id("disp"), payment_id, amount_minor, currency, "open")
        self._post(case_event("payment.dispute.created", "dispute", dispute, self._payment(payment_id)))
        return dispute["id"]

    def resolve_dispute(self, dispute_id, payment_id, amount_minor, currency, outcome):
        """The bank decides the dispute (`outcome`: won, lost or closed): its webhook posted."""
        if outcome not in DISPUTE_OUTCOMES:
            raise ValueError(f"A dispute's outcome is one of {sorted(DISPUTE_OUTCOMES)}.")
        dispute = self._dispute(dispute_id, payment_id, amount_minor, currency, outcome)
        self._post(case_event(DISPUTE_OUTCOMES[outcome], "dispute", dispute, self._payment(payment_id)))

    def _dispute(self, dispute_id, payment_id, amount_minor, currency, status):
        if not is_amount_minor(amount_minor) or not is_currency(currency):
            raise ValueError("A dispute is of a whole positive amount of minor units, in a currency.")
        return dispute_entity(dispute_id, payment_id, amount_minor, currency, status)

    def _payment(self, payment_id):
        """The payment the checkout page recorded; else, for one the service credited or gave back
        without it (signed by hand), the top-up it paid for, as a captured payment; else None."""
        recorded = self.payments.find_one({"_id": payment_id}) if self.payments is not None else None
        if recorded is not None or self.paid_for is None:
            return recorded
        top_up = self.paid_for("razorpay", payment_id)
        if top_up is None:
            return None
        captured_at = top_up.created_at or datetime.datetime.now(datetime.UTC)
        return captured_payment(payment_id, top_up.id, top_up.amount_minor, top_up.currency, captured_at)

    def _check_refundable(self, payment, amount_minor, currency):
        """Refuse as Razorpay does: an amount below 1.00 of the currency; for a payment it recorded,
        one not captured (refunds beyond its amount: `_keep`)."""
        if not is_amount_minor(amount_minor) or amount_minor < least_amount_minor(currency):
            raise RefundRefused(f"The amount must be at least {currency} 1.00")
        if payment is not None and payment.get("status") != "captured":
            raise RefundRefused("Only a captured payment can be refunded.")

    def _keep(self, doc_id, entity, payment, request=None):
        """Keep a new refund; None, or the refund kept under `doc_id` already (a concurrent repeat).
        For a payment it recorded, RefundRefused (nothing kept) beyond its amount, refunds together
        (`keep_within`: two at once never both kept)."""
        if self.refunds is None:
            return None
        limit_minor = payment["amount"] if payment is not None else None

        def refused(_others_minor):
            return RefundRefused("The total refund amount is greater than the refund payment amount")

        document = {"_id": doc_id, "request": request, **entity}
        try:
            keys, query = {"_id": doc_id}, {"payment_id": entity["payment_id"]}
            keep_within(self.refunds, document, keys, query, ("amount", "failed"), limit_minor, refused)
        except DuplicateKeyError:
            kept = self.refunds.find_one({"_id": doc_id})
            if kept is None:  # the other was refused, and taken out again
                raise refused(None) from None
            return kept
        return None

    def _repeat(self, stored, data):
        if stored["request"] != data:
            raise RefundRefused("Different request with the same idempotency key has already been processed.")
        return as_answered(stored)

    def _settle(self, doc_id, entity, payment, status):
        """Post `refund.created`, then settle the refund as `status` and post that (`_finish`)."""
        self._post(case_event("refund.created", "refund", entity, payment))
        self._finish(doc_id, entity, payment, status)

    def _finish(self, doc_id, entity, payment, status):
        """Settle the `pending` refund `doc_id` as `status` (processed or failed) and post that, once:
        True; False when it was settled already (another that found it stranded did)."""
        if self.refunds is not None:
            settled = self.refunds.update_one({"_id": doc_id, "status": "pending"}, {"$set": {"status": status}})
            if not settled.modified_count:
                return False
        self._post(case_event(f"refund.{status}", "refund", dict(entity, status=status), payment))
        return True

    def _post(self, event):
        if self.deliver_webhook is not None and self.webhook_secret:
            self.deliver_webhook(*signed_event(event, self.webhook_secret))

    def _switch(self, name):
        if self.refunds is None:
            return self.switches[name]
        switches = self.refunds.find_one({"_id": SWITCHES_ID}) or {}
        return bool(switches.get(name))

    def _set_switch(self, name, on):
        """In the store when there is one, so that every process of the deployment sees it."""
        if self.refunds is None:
            self.switches[name] = bool(on)
        else:
            self.refunds.update_one({"_id": SWITCHES_ID}, {"$set": {name: bool(on)}}, upsert=True)


def as_answered(kept):
    """A refund as Razorpay answers it: what the simulator keeps with it left out."""
    return {k: v for k, v in kept.items() if k not in NOT_A_REFUND}
