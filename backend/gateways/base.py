"""What every gateway adapter hands to the integration.

An adapter is pure protocol code: it takes a gateway API object (the live one, or the simulator's
stand-in with the same methods) and never knows which. It has `name`, `key_id` (public, may be
None) and:
- `create_order(reference, amount_minor, currency, customer_id)` -> `CheckoutOrder`;
- `confirm_checkout(payment_order, fields)` -> `ConfirmedPayment` (the customer's return from
  checkout; `fields` are those its registry entry reads from verify's body);
- `parse_webhook(raw_body, headers)` -> `WebhookEvent`, after verifying the signature;
- `charge(event, payment_order)` -> the gateway payment id, only for events with
  `charge_required` (a token the service itself must charge, as with Google Pay).
`payment_order` is a `backend.payment_orders.PaymentOrder`. Errors are `IntegrationError`s:
`InvalidSignature`, `PaymentNotCaptured`, `GatewayUnavailable`, ...
"""
from dataclasses import dataclass
from typing import Optional

# What a verified webhook asks of the integration (`WebhookEvent.action`).
CREDIT_WALLET = "credit"  # the payment is confirmed: credit the payment order's amount, once
RECORD_FAILURE = "failed"  # the payment failed: mark the payment order failed
IGNORE = "ignore"  # nothing to do (acknowledged all the same)


@dataclass(frozen=True)
class CheckoutOrder:
    """A gateway order created for a top-up, and where the customer goes to pay it."""

    gateway_order_id: str
    redirect_url: str


@dataclass(frozen=True)
class ConfirmedPayment:
    """A payment the gateway confirmed at checkout's return; amount/currency when it reported them."""

    gateway_payment_id: str
    amount_minor: Optional[int] = None
    currency: Optional[str] = None


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook, reduced to what the ledger needs."""

    event_id: str
    event_type: str
    action: str  # CREDIT_WALLET, RECORD_FAILURE or IGNORE
    payment_order_id: Optional[str] = None
    gateway_payment_id: Optional[str] = None
    amount_minor: Optional[int] = None
    currency: Optional[str] = None
    failure_reason: Optional[str] = None
    # Where the gateway names our payment order only by the reference we gave it at create_order.
    payment_order_reference: Optional[str] = None
    # The event carries a payment to charge (`adapter.charge`) rather than a captured payment.
    charge_required: bool = False
