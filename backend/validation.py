"""Request parsing and validation: nothing unvalidated reaches a query."""

import json
import re
from decimal import Decimal, InvalidOperation

from .errors import InvalidRequest, UnsupportedPaymentMethod

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}\Z")  # \Z: no trailing newline
REASON_LENGTH_MAX = 500
JSON_DEPTH_MAX = 32  # nesting of arrays and objects in any request body, webhooks included
# A `\uD800`-`\uDFFF` escape without its pair: Python decodes it, but no store can encode it.
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


class NonFinite:
    """Stands for a raw NaN/Infinity literal, or a number beyond what `Decimal` can hold
    (`1e9999999999999999999`) or `int` will read (over 4,300 digits), so the amount check can reject
    it by name and any other field ignore it."""

    def __init__(self, literal):
        self.literal = literal


def exact_number(text):
    """`parse_float` for JSON: the number exactly, as `Decimal` (or `NonFinite` when it cannot be)."""
    try:
        return Decimal(text)
    except InvalidOperation:
        return NonFinite(text)


def exact_integer(text):
    """`parse_int` for JSON: the integer (or `NonFinite` beyond the digits Python reads into an `int`)."""
    try:
        return int(text)
    except ValueError:
        return NonFinite(text)


def check_json_text(raw_body):
    """What every JSON body must pass before it is parsed: the nesting limit, and no lone
    surrogate escapes (text that cannot be stored)."""
    check_json_depth(raw_body)
    if b"\\u" in raw_body and _LONE_SURROGATE.search(raw_body):
        raise InvalidRequest("The request body holds a \\u escape of half a surrogate pair, which is not text.")


def check_json_depth(raw_body, depth_max=JSON_DEPTH_MAX):
    """`InvalidRequest` when the JSON text nests arrays/objects deeper than `depth_max`; checked on
    the raw bytes before any parser recurses into them (brackets inside strings do not count)."""
    if raw_body.count(b"[") + raw_body.count(b"{") <= depth_max:
        return
    depth, in_string, escaped = 0, False, False
    for byte in raw_body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > depth_max:
                raise InvalidRequest(f"The request body nests JSON deeper than {depth_max} levels.")
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1


def unique_fields(pairs):
    """`object_pairs_hook`: an object naming a field twice is refused (`{"amount": 1, "amount": 1000}`:
    which one a reader takes is up to the reader, so none is taken)."""
    body = dict(pairs)
    if len(body) != len(pairs):
        raise InvalidRequest("The request body names a field twice.")
    return body


def parse_json_object(raw_body):
    """Parse a request body strictly: a JSON object, no field named twice in any object, decimals
    kept exact as `Decimal`."""
    check_json_text(raw_body)
    try:
        text = raw_body.decode("utf-8")
        body = json.loads(
            text,
            parse_float=exact_number,
            parse_int=exact_integer,
            parse_constant=NonFinite,
            object_pairs_hook=unique_fields,
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidRequest("The request body must be a JSON object.") from None
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


def check_field_names(body):
    """`InvalidRequest` when a field of the body is named like a query operator (`$where`): it has
    no place in our bodies, even as a field no endpoint reads (SPEC §5). An operator object inside a
    field (`{"amount": {"$gt": 0}}`) is refused by that field's own check, with its own code."""
    if any(name.startswith("$") for name in body):
        raise InvalidRequest("Field names may not start with `$`.")


def require_id(body, field):
    """A required id: a string of 1-64 characters from [A-Za-z0-9_.:-]."""
    return check_id(body.get(field), field)


def check_id(value, field):
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise InvalidRequest(f"`{field}` must be a string of 1-64 characters from A-Z a-z 0-9 _ . : -")
    return value


def optional_reason(body):
    reason = body.get("reason", "")
    if reason is None:
        return ""
    if not isinstance(reason, str) or len(reason) > REASON_LENGTH_MAX:
        raise InvalidRequest(f"`reason` must be a string of at most {REASON_LENGTH_MAX} characters.")
    return reason


def payment_method(body, methods, default="razorpay"):
    """`payment_method`, one of `methods` (the registered gateways); `default` when absent or null."""
    method = body.get("payment_method", default)
    if method is None:
        method = default
    if not isinstance(method, str) or method not in methods:
        raise UnsupportedPaymentMethod("`payment_method` must be one of: " + ", ".join(methods) + ".")
    return method


def signature_text(body, field):
    """Gateway signatures: bounded hex/base64-ish text, compared later in constant time."""
    value = body.get(field)
    if not isinstance(value, str) or not 1 <= len(value) <= 512 or not value.isascii():
        raise InvalidRequest(f"`{field}` must be a non-empty ASCII string.")
    return value
