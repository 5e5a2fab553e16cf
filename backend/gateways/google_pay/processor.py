"""Who charges Google Pay's tokens (GOOGLE_PAY_PROCESSOR), and what Google Pay asks of them.

Google Pay hands the buyer's card to a processor, encrypted as its `tokenizationSpecification` says:
- DIRECT (`direct`): encrypted for us. The service verifies and decrypts the token (token.py) and a
  card processor charges the decrypted card (`DirectProcessor`). For merchants who are PCI DSS
  compliant with a processor that takes decrypted cards: in live mode the object returned by
  GOOGLE_PAY_DIRECT_PROCESSOR (`package.module:factory`, called with the configuration); in simulator
  mode always the simulator's (simulator.py), whatever GOOGLE_PAY_PROCESSOR says.
- PAYMENT_GATEWAY (a gateway's name, e.g. `paypal`): encrypted for that gateway, which decrypts it
  itself. The checkout page gives it the token through the gateway's own script, the service
  captures (`GatewayProcessor`). The gateway's package offers it (its entry's `processes`); this
  package reaches it through the registry only, never by import.
Unset: Google Pay is not offered in live mode. Any other value refuses to start (ConfigError).
"""

import importlib
from typing import Protocol

from ...errors import ConfigError
from ..registry import gateway_registry

GATEWAY_NAME = "google_pay"
DIRECT = "direct"
NONE = ""


class DirectProcessor(Protocol):
    """A card processor for decrypted DIRECT tokens (adapter.py's `GooglePayGateway`). Optionally also
    `find_charge(idempotency_key)`, `refund(charge_id, amount_minor, currency, idempotency_key)` and
    `find_refund(idempotency_key)`, as `SimulatorProcessor` has them."""

    def charge(self, idempotency_key, payment_method_details, amount_minor, currency):
        """Charge the decrypted card `amount_minor` once per key (the payment order id); the charge id."""


class GatewayProcessor(Protocol):
    """A gateway that takes Google Pay's PAYMENT_GATEWAY tokens (payment_gateway.py's adapter). Its
    payments' webhooks come to its own webhook route and credit Google Pay's payment orders there."""

    name: str  # the gateway's name: its webhooks confirm these payments (`processed_by`)
    client_id: str | None  # its public id, as initiate's `key_id`

    def create_order(self, reference, amount_minor, currency):
        """Its order for a top-up (our `reference` its custom id): the order id, our payment order's id."""

    def capture(self, payment_order):
        """Take the approved payment: a `ConfirmedPayment` with the amount and currency it took;
        `PaymentNotCaptured` when the buyer has not approved it (yet) or the capture is not complete."""

    def look_up(self, payment_order):
        """What it knows of an unconfirmed payment order (a `Lookup`), capturing an approved one."""

    def refund(self, payment_id, amount_minor, currency, reference):
        """Refund (part of) a captured payment once per `reference`: a `GatewayRefund`."""

    def find_refund(self, payment_id, reference):
        """The refund made under `reference`, or None."""

    def checkout_page(self, options):
        """The live checkout page (HTML) of a payment order. `options`: payment_order_id, amount
        (decimal text), currency, capture_url (where the page posts `{payment_order_id}` once the
        buyer's payment is approved: the service captures it) and return_url (the shop's)."""


def processor_choice(config):
    """GOOGLE_PAY_PROCESSOR, checked: "" (none), `direct`, or a gateway offering to process Google Pay."""
    choice = str(config.get("GOOGLE_PAY_PROCESSOR") or "").strip().lower()
    gateways = gateway_registry(config).processors_of(GATEWAY_NAME)
    if choice not in (NONE, DIRECT, *gateways):
        allowed = ", ".join((DIRECT, *gateways))
        raise ConfigError(f"GOOGLE_PAY_PROCESSOR must be empty or one of {allowed}, not {choice[:40]!r}.")
    return choice


def direct_processor(config):
    """The merchant's DIRECT card processor: GOOGLE_PAY_DIRECT_PROCESSOR's factory, called with the
    configuration; ConfigError when the setting is unset, does not import, or gives no `charge`."""
    path = str(config.get("GOOGLE_PAY_DIRECT_PROCESSOR") or "").strip()
    module_name, _, attribute = path.partition(":")
    if not (module_name and attribute):
        raise ConfigError(
            "GOOGLE_PAY_PROCESSOR=direct needs GOOGLE_PAY_DIRECT_PROCESSOR=package.module:factory, "
            "your card processor for decrypted Google Pay tokens."
        )
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ConfigError(f"GOOGLE_PAY_DIRECT_PROCESSOR {path[:80]!r} does not import ({error}).") from None
    processor = factory(config) if callable(factory) else None
    if not callable(getattr(processor, "charge", None)):
        raise ConfigError(f"GOOGLE_PAY_DIRECT_PROCESSOR {path[:80]!r} gives no processor with a `charge` method.")
    return processor


def gateway_processor(choice, env):
    """Gateway `choice`'s processor for Google Pay, built with `env`; ConfigError when that gateway
    is not configured in `env`'s mode (GOOGLE_PAY_PROCESSOR names it: it must be)."""
    processor = gateway_registry(env.config).processor(GATEWAY_NAME, choice, env)
    if processor is None:
        raise ConfigError(
            f"GOOGLE_PAY_PROCESSOR={choice} needs {choice} itself configured in live mode "
            f"(its settings in docs/deployment.md); it is not."
        )
    return processor
