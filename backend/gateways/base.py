"""What every gateway adapter hands to the integration."""
from dataclasses import dataclass
from typing import Optional

CREDIT, FAILED, IGNORE = "credit", "failed", "ignore"


@dataclass(frozen=True)
class CheckoutOrder:
    """A gateway order created for a top-up, and where the customer goes to pay it."""

    gateway_order_id: str
    redirect_url: str


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
