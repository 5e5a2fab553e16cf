"""What every gateway adapter hands to the integration.

An adapter is pure protocol code: it takes a gateway API object (the live one, or the simulator's
stand-in with the same methods) and never knows which. It has `name`, `key_id` (public, may be
None) and:
- `create_order(reference, amount_minor, currency, customer_id)` -> `CheckoutOrder`;
- `confirm_checkout(payment_order, fields)` -> `ConfirmedPayment` (the customer's return from
  checkout; `fields` are those its registry entry reads from verify's body);
- `parse_webhook(raw_body, headers)` -> `WebhookEvent`, after verifying the signature;
- `charge(event, payment_order)` -> the gateway payment id, or a `ConfirmedPayment` when the
  gateway reports what it took (its amount and currency are then checked against the initiated
  ones before the credit), only for events with `charge_required` (a payment the service itself
  must charge or capture, as with Google Pay);
- optionally `look_up(payment_order)` -> `Lookup`, or None when it cannot tell: what the gateway
  knows of a payment order nobody confirmed (the sweep, `backend/sweep.py`). It may complete the
  payment where the gateway's protocol needs the merchant to (PayPal captures an APPROVED order).
  A gateway without it is never looked up, so its payment orders are never expired either.
- optionally (SPEC §11) `settlement_report(day)` -> an iterable of `SettlementRow`: what the
  gateway's report for `day` (a `datetime.date`, the gateway's own report day: Razorpay's settlement
  day, PayPal's transaction day) lists, captured payments and refunds, page by page (paginated,
  retried and bounded inside), duplicates removed; GatewayUnavailable when it cannot be had;
  `settlement_lag` (a `datetime.timedelta`): how long after a capture it appears in a report.
- optionally (SPEC §9, money going back through the gateway) `refund(payment_id, amount_minor,
  currency, reference)` -> `GatewayRefund`: refund (part of) a captured payment, once per
  `reference` (sent as the gateway's idempotency key, and in the refund's notes / `custom_id` so its
  webhooks name it); `find_refund(payment_id, reference)` -> `GatewayRefund`, or None when the
  gateway has none under that reference (the worker's question after a crash).
- optionally `processed_by`: the name of the gateway that takes its payments (Google Pay's
  PAYMENT_GATEWAY tokens through PayPal): that gateway's webhooks and settlement reports then
  confirm this one's payment orders too (`confirmed_by`).
`payment_order` is a `backend.payment_orders.PaymentOrder`. Errors are `IntegrationError`s:
`InvalidSignature`, `PaymentNotCaptured`, `GatewayUnavailable`, ...
"""

from dataclasses import dataclass

# What a verified webhook asks of the integration (`WebhookEvent.action`).
CREDIT_WALLET = "credit"  # the payment is confirmed: credit the payment order's amount, once
RECORD_FAILURE = "failed"  # the payment failed: mark the payment order failed
IGNORE = "ignore"  # nothing to do (acknowledged all the same)
# After the credit (SPEC §9): each applies once, by `case_id` (the gateway's refund / dispute id).
REFUND_RECORDED = "refund_recorded"  # a refund was created (Razorpay `refund.created`): recorded only
REFUND_PROCESSED = "refund_processed"  # the gateway refunded: completes ours, else takes the amount back
REFUND_FAILED = "refund_failed"  # a refund failed: ours gives its amount back, another is recorded
REVERSED = "reversed"  # the gateway reversed the payment: takes the amount back
DISPUTE_OPENED = "dispute_opened"  # holds the disputed amount (as much as is available)
DISPUTE_RELEASED = "dispute_released"  # won, closed, or resolved for the merchant: releases its hold
DISPUTE_LOST = "dispute_lost"  # takes the disputed amount back (its own hold first)
DISPUTE_RECORDED = "dispute_recorded"  # any other dispute event: recorded only
AFTER_CREDIT_ACTIONS = (
    REFUND_RECORDED,
    REFUND_PROCESSED,
    REFUND_FAILED,
    REVERSED,
    DISPUTE_OPENED,
    DISPUTE_RELEASED,
    DISPUTE_LOST,
    DISPUTE_RECORDED,
)

# What a gateway says of a refund we asked for (`GatewayRefund.status`).
REFUND_PENDING = "pending"  # accepted, not final: its webhook (or a later find_refund) tells
REFUND_DONE = "processed"  # the money went back to the payer
REFUND_REFUSED = "failed"  # refused or failed: nothing went back

# What a gateway reports of a payment order when looked up (`Lookup.status`).
CAPTURED = "captured"  # the money is taken: credit the payment order's amount, once
FAILED = "failed"  # every attempt failed (or was refunded): nothing to credit
PENDING = "pending"  # nothing captured yet (no payment, or one still in progress)


def gateway_filter(gateway):
    """A query's `gateway` filter: a name, or any of a tuple of names (`confirmed_by`'s)."""
    if isinstance(gateway, str):
        return gateway
    return gateway[0] if len(gateway) == 1 else {"$in": list(gateway)}


def confirmed_by(adapters, name):
    """The gateways whose payment orders gateway `name`'s webhooks and reports confirm: `name`, and
    each of `adapters` ({name: adapter}, those offered) whose `processed_by` is `name`."""
    return (name, *(other for other, adapter in adapters.items() if getattr(adapter, "processed_by", None) == name))


@dataclass(frozen=True)
class CheckoutOrder:
    """A gateway order created for a top-up, and where the customer goes to pay it."""

    gateway_order_id: str
    redirect_url: str


@dataclass(frozen=True)
class ConfirmedPayment:
    """A payment the gateway confirmed at checkout's return; amount/currency when it reported them."""

    gateway_payment_id: str
    amount_minor: int | None = None
    currency: str | None = None
    # The payment the top-up was credited for before this return, which brought none of its own
    # (PayPal captures an order once: paying it again captures nothing).
    earlier: bool = False


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook, reduced to what the ledger needs."""

    event_id: str
    event_type: str
    action: str  # CREDIT_WALLET, RECORD_FAILURE or IGNORE
    payment_order_id: str | None = None
    gateway_payment_id: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    failure_reason: str | None = None
    # Where the gateway names our payment order only by the reference we gave it at create_order.
    payment_order_reference: str | None = None
    # The event carries a payment to charge (`adapter.charge`) rather than a captured payment.
    charge_required: bool = False
    # After-the-credit events (AFTER_CREDIT_ACTIONS): `gateway_payment_id` is the payment (Razorpay
    # payment id, PayPal capture id) the money came in by, `amount_minor`/`currency` the refunded,
    # reversed or disputed amount; `case_id` the gateway's own id of the refund, reversal or dispute;
    # `refund_reference` the `reference` we gave a refund we asked for (None for the gateway's own).
    case_id: str | None = None
    refund_reference: str | None = None


@dataclass(frozen=True)
class GatewayRefund:
    """A refund at the gateway, as it answered `refund` or `find_refund`."""

    refund_id: str  # the gateway's id of the refund
    status: str  # REFUND_PENDING, REFUND_DONE or REFUND_REFUSED
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class Lookup:
    """A payment order as its gateway reports it when asked (the sweep's question).

    For CAPTURED: the payment's id and, where the gateway reports them, its amount and currency
    (checked against the initiated ones before any credit). `detail`: the gateway's own word for
    the state (e.g. `authorized`, `PAYER_ACTION_REQUIRED`, a failure code), for the audit trail."""

    status: str  # CAPTURED, FAILED or PENDING
    gateway_payment_id: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    detail: str | None = None


# A row of a gateway's settlement report (`SettlementRow.kind`).
SETTLED_PAYMENT, SETTLED_REFUND = "payment", "refund"


class ReadRows:
    """A settlement report read whole: an iterator of its `SettlementRow`s, and how many of its rows
    could not be read (`skipped`: passed over and logged by the reader; the settling notes them)."""

    def __init__(self, rows, skipped):
        self.rows, self.skipped = iter(rows), skipped

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.rows)


@dataclass(frozen=True)
class SettlementRow:
    """One captured payment or refund as a gateway's settlement report lists it (SPEC §11).

    `gateway_payment_id`: the payment (Razorpay payment id, PayPal capture id) — for a refund, the
    payment it refunds; `refund_id`: the gateway's refund id (refunds only); `payment_order_id`: our
    payment order (the gateway's order id) when the report names it; `reference`: the reference we
    gave (PayPal's `custom_id` of a capture: our payment order's reference; a refund's notes /
    `custom_id`: our refund reference) when the report has one; amounts in minor units, `fee_minor`
    and `tax_minor` what the gateway kept (0 when it says nothing); `settlement_id` its payout."""

    kind: str  # SETTLED_PAYMENT or SETTLED_REFUND
    gateway_payment_id: str
    amount_minor: int
    currency: str
    fee_minor: int = 0
    tax_minor: int = 0
    refund_id: str | None = None
    payment_order_id: str | None = None
    reference: str | None = None
    settlement_id: str | None = None
