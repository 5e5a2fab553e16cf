"""PayPal's JSON shapes the adapter, the API client and the simulator share: ids, amounts and links."""

import re
import secrets
from decimal import Decimal
from urllib.parse import urlsplit

from ...errors import GatewayUnavailable
from ...money import currency_decimals, exact_minor, format_major
from ...validation import ID_PATTERN

PAYPAL_ID_PATTERN = re.compile(r"^[A-Za-z0-9-]{1,64}\Z")  # PayPal's ids; also safe in URL paths and as our ids
VALUE_TEXT = re.compile(r"[0-9]{1,32}(\.[0-9]{1,32})?")  # PayPal's amount `value`, e.g. "10.50"
ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
CAPTURES_PATH = "/v2/payments/captures/"
REFUNDS_PATH = "/v2/payments/refunds/"
DISPUTES_PATH = "/v1/customer/disputes/"
ORDERS_PATH = "/v2/checkout/orders/"


def parse_amount(amount):
    """PayPal's `{currency_code, value}` as (integer minor units, currency): ValueError if unreadable
    (not a decimal text with at most the currency's decimals), `InvalidAmount` if zero or over the limit."""
    if not isinstance(amount, dict) or not isinstance(amount.get("value"), str):
        raise ValueError("amount")
    currency, value = amount.get("currency_code"), amount["value"]
    if not isinstance(currency, str) or not VALUE_TEXT.fullmatch(value):
        raise ValueError("amount")
    if len(value.partition(".")[2]) > currency_decimals(currency):
        raise ValueError("amount")
    return exact_minor(Decimal(value), currency), currency


def is_zero_amount(amount):
    """True for a readable `{currency_code, value}` whose value is zero ("0", "0.00")."""
    value = amount.get("value") if isinstance(amount, dict) else None
    return isinstance(value, str) and VALUE_TEXT.fullmatch(value) is not None and Decimal(value) == 0


def new_paypal_id():
    """A fresh id shaped like PayPal's order, capture and refund ids (17 capitals and digits)."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(17))


def checked_id(value, pattern=PAYPAL_ID_PATTERN):
    """`value` when it is a string `pattern` matches (by default a PayPal id), else ValueError."""
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError("id")
    return value


def told_id(value):
    """An id a webhook tells (a capture's, a refund's, a dispute's): one as the API's ids are (SPEC §5),
    which PayPal's are too, since the simulator takes hand-signed webhooks naming ids PayPal would not
    make (`CAP_hand_1`, SPEC §6); else ValueError. Calls to PayPal check PAYPAL_ID_PATTERN before an
    id goes into a URL."""
    return checked_id(value, ID_PATTERN)


def related_order_id(capture):
    """The order id in a capture's `supplementary_data.related_ids`, or None."""
    related = capture.get("supplementary_data") if isinstance(capture, dict) else None
    related = related.get("related_ids") if isinstance(related, dict) else None
    order_id = related.get("order_id") if isinstance(related, dict) else None
    return order_id if isinstance(order_id, str) else None


def linked_id(resource, rel, path):
    """The id a HATEOAS link names: the last segment of the href of `resource`'s first `rel` link
    when its path is `path` + an id as the API's ids are (PayPal's are such; e.g. the capture a
    refund's `up` link points to), else None. An id goes into a PayPal URL only once checked again."""
    links = resource.get("links") if isinstance(resource, dict) else None
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or link.get("rel") != rel or not isinstance(link.get("href"), str):
            continue
        try:
            link_path = urlsplit(link["href"]).path
        except ValueError:
            return None
        found = link_path.removeprefix(path)
        return found if link_path.startswith(path) and ID_PATTERN.match(found) else None
    return None


def top_up_order(reference, amount_minor, currency, **fields):
    """An Orders v2 order of a wallet top-up: intent CAPTURE, one purchase unit whose `reference_id` and
    `custom_id` are our reference, the amount as PayPal's decimal text; `fields` added (`payment_source`)."""
    unit = {
        "reference_id": reference,
        "custom_id": reference,
        "description": "Wallet top-up",
        "amount": {"currency_code": currency, "value": format_major(amount_minor, currency)},
    }
    return {"intent": "CAPTURE", "purchase_units": [unit], **fields}


def created_order_id(order):
    """The id of an order PayPal created; GatewayUnavailable (nothing charged) without a usable one."""
    order_id = order.get("id")
    if not isinstance(order_id, str) or not PAYPAL_ID_PATTERN.match(order_id):
        raise GatewayUnavailable("PayPal answered without a usable order id; nothing was charged.")
    return order_id
