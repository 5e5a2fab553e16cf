"""What every gateway adapter hands to the integration.

An adapter has `name`, `key_id` (public, may be None) and:
- `create_order(reference, amount_minor, currency, customer_id)` -> `CheckoutOrder`;
- `confirm_checkout(payment_order, fields)` -> `ConfirmedPayment` (the customer's return from checkout);
- `parse_webhook(raw_body, headers)` -> `WebhookEvent`, after verifying the signature;
- `capture(event, payment_order)` -> the gateway payment id to credit for a CREDIT event
  (where the gateway needs a server-side charge, this is where it happens).
Errors are `IntegrationError`s: `InvalidSignature`, `PaymentNotCaptured`, `GatewayUnavailable`, ...
"""
from dataclasses import dataclass
from typing import Optional

CREDIT, FAILED, IGNORE = "credit", "failed", "ignore"


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
    action: str  # CREDIT, FAILED or IGNORE
    payment_order_id: Optional[str] = None
    gateway_payment_id: Optional[str] = None
    amount_minor: Optional[int] = None
    currency: Optional[str] = None
    failure_reason: Optional[str] = None
    # Where the gateway names our payment order only by the reference we gave it at create_order.
    payment_order_reference: Optional[str] = None
