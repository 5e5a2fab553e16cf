"""Money at the HTTP edge: `Decimal` major units in, integer minor units inside, numbers out."""
import re
from decimal import Decimal, InvalidOperation

from .errors import InvalidAmount

CURRENCY_DECIMALS = {"INR": 2, "USD": 2, "EUR": 2}
AMOUNT_MAX = Decimal("10000000.00")
_AMOUNT_TEXT = re.compile(r"[0-9]+(\.[0-9]{1,2})?")  # ASCII digits only, whole string


def currency_decimals(currency):
    return CURRENCY_DECIMALS.get(currency, 2)


def parse_amount_minor(value, currency):
    """Turn the API's `amount` (JSON number or strict decimal string) into integer minor units."""
    if isinstance(value, bool) or value is None:
        raise InvalidAmount()
    if isinstance(value, str):
        if not _AMOUNT_TEXT.fullmatch(value):
            raise InvalidAmount()
        amount = Decimal(value)
    elif isinstance(value, (int, Decimal)):
        amount = Decimal(value)
    else:
        raise InvalidAmount()
    try:
        if not amount.is_finite() or amount <= 0 or amount > AMOUNT_MAX:
            raise InvalidAmount()
        scale = Decimal(10) ** currency_decimals(currency)
        minor = amount * scale
        if minor != minor.to_integral_value():
            raise InvalidAmount()
    except InvalidOperation:
        raise InvalidAmount() from None
    return int(minor)


def to_major(amount_minor, currency):
    """Integer minor units to a JSON number in major units, exact to the currency's decimals."""
    decimals = currency_decimals(currency)
    major = Decimal(amount_minor).scaleb(-decimals)
    return int(major) if decimals == 0 else float(major)


def format_major(amount_minor, currency):
    """Minor units as exact text in major units, e.g. 12050 INR -> "120.50" (for pages and messages)."""
    return str(Decimal(amount_minor).scaleb(-currency_decimals(currency)))
