"""What a live PayPal webhook tells, read back from PayPal's API before it moves money.

PayPal signs a webhook's body only by its CRC-32 (`webhook.py`): whoever saw one signed delivery (a
log, a proxy) can build another body with the same CRC-32, and the per-transmission body digest
(`WebhookEvents.delivered`) stops it only when the genuine delivery was verified first. So what
credits a top-up, takes money back or holds it is PayPal's own answer about the capture, refund or
dispute the event names (by id, over our OAuth token), never the body. The simulator plays PayPal and
reads nothing back (SPEC §6: a webhook signed by hand is what happened)."""

from ...errors import GatewayUnavailable, InvalidSignature
from .shapes import CAPTURES_PATH, DISPUTES_PATH, REFUNDS_PATH

TAKEN_BACK_CAPTURES = ("REFUNDED", "PARTIALLY_REFUNDED", "REVERSED")  # a reversed capture, as PayPal shows it


def completed_capture(api, capture_id):
    """The capture as PayPal has it; InvalidSignature unless PayPal shows it COMPLETED (PayPal
    redelivers a genuine event), GatewayUnavailable while it shows it PENDING or does not answer."""
    capture = api.get_resource(CAPTURES_PATH, capture_id)
    status = capture.get("status") if isinstance(capture, dict) and capture.get("id") == capture_id else None
    not_yet("capture", status)
    if status != "COMPLETED":
        raise InvalidSignature("PayPal does not show this capture as completed; nothing was credited.")
    return capture


def not_yet(what, status):
    """GatewayUnavailable for a `what` PayPal still shows PENDING: not so yet, PayPal tells it again."""
    if status == "PENDING":
        raise GatewayUnavailable(f"PayPal does not show this {what} as completed yet; nothing was moved.")


def read_back(api, event_type, event):
    """The refund, reversal or dispute an event tells of, as PayPal's API has it now (the `resource`
    to read instead of the body's); InvalidSignature when PayPal knows no such one."""
    told = event.get("resource") if isinstance(event.get("resource"), dict) else {}
    if event_type.startswith("CUSTOMER.DISPUTE."):
        path, resource_id = DISPUTES_PATH, told.get("dispute_id")
    elif event.get("resource_type") == "capture":  # a reversed capture names itself
        path, resource_id = CAPTURES_PATH, told.get("id")
    else:
        path, resource_id = REFUNDS_PATH, told.get("id")
    resource = api.get_resource(path, resource_id)
    if not isinstance(resource, dict):
        raise InvalidSignature(f"PayPal does not know this {event_type} resource; nothing was moved.")
    if path == CAPTURES_PATH and resource.get("status") not in TAKEN_BACK_CAPTURES:
        raise InvalidSignature("PayPal does not show this capture as reversed; nothing was moved.")
    if event_type == "PAYMENT.CAPTURE.REFUNDED" and told.get("status") in (None, "COMPLETED"):
        not_yet("refund", resource.get("status"))  # told completed
    return resource
