"""Money at the HTTP edge: `Decimal` major units in, integer minor units inside, numbers out.

Parsing is exact: digits and exponent are read from the `Decimal` and turned into an integer
with integer arithmetic only, so nothing is rounded (28-digit context precision) or flushed to
zero (underflow), and no huge exponent is ever expanded.
"""

import re
from decimal import Decimal

from .errors import InvalidAmount

# ISO 4217 minor-unit digits of the currencies a wallet can hold (SUPPORTED_CURRENCIES picks among
# them): the gateways' own lists, without those whose gateway and ISO digits disagree (PayPal takes
# HUF and TWD without decimals, which ISO gives 2).
CURRENCY_DECIMALS = {
    **dict.fromkeys(
        ("INR", "USD", "EUR", "GBP", "AUD", "CAD", "SGD", "HKD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN"), 2
    ),
    **dict.fromkeys(("CZK", "MXN", "BRL", "MYR", "PHP", "THB", "ILS", "CNY", "AED", "SAR", "ZAR"), 2),
    "JPY": 0,
}
AMOUNT_MAX = Decimal("10000000.00")
AMOUNT_INTEGER_DIGITS_MAX = 8  # 10,000,000
_AMOUNT_TEXT = re.compile(r"[0-9]+(\.[0-9]{1,2})?")  # ASCII digits only, whole string


def currency_decimals(currency):
    return CURRENCY_DECIMALS.get(currency, 2)


def amount_minor_max(currency):
    return int(AMOUNT_MAX.scaleb(currency_decimals(currency)))


def invalid_amount(currency):
    """InvalidAmount saying what an amount in `currency` may be (JPY: whole numbers)."""
    decimals = currency_decimals(currency)
    shape = "a positive whole number" if decimals == 0 else f"a positive number with at most {decimals} decimals"
    most = AMOUNT_MAX.quantize(Decimal(1).scaleb(-decimals))
    return InvalidAmount(f"The amount must be {shape}, at most {most:,f} {currency}.")


def parse_amount_minor(value, currency):
    """Turn the API's `amount` (JSON number or strict decimal string) into integer minor units."""
    if isinstance(value, bool) or value is None:
        raise invalid_amount(currency)
    if isinstance(value, str):
        if not _AMOUNT_TEXT.fullmatch(value):
            raise invalid_amount(currency)
        value = Decimal(value)
    if isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal):
        raise invalid_amount(currency)
    return exact_minor(value, currency)


def exact_minor(amount, currency):
    """`amount` in minor units when it is positive, has at most the currency's decimals (trailing
    zeros aside) and is within the limit; `InvalidAmount` otherwise."""
    if not amount.is_finite() or amount.is_signed():
        raise invalid_amount(currency)
    _, digits, exponent = amount.as_tuple()
    while exponent < 0 and len(digits) > 1 and digits[-1] == 0:  # 249.990 -> 249.99
        digits, exponent = digits[:-1], exponent + 1
    decimals = currency_decimals(currency)
    if exponent < -decimals or len(digits) + exponent > AMOUNT_INTEGER_DIGITS_MAX:
        raise invalid_amount(currency)
    minor = int("".join(map(str, digits))) * 10 ** (exponent + decimals)
    if not 0 < minor <= amount_minor_max(currency):
        raise invalid_amount(currency)
    return minor


def is_amount_minor(value, currency):
    """True for an integer amount in minor units that the API could have accepted."""
    return type(value) is int and 0 < value <= amount_minor_max(currency)


def to_major(amount_minor, currency):
    """Integer minor units to a JSON number in major units, exact to the currency's decimals: the
    float nearest the decimal text "<minor>e-<decimals>" (as `float(Decimal(...))` is, in half the time)."""
    decimals = currency_decimals(currency)
    return amount_minor if decimals == 0 else float(f"{amount_minor}e-{decimals}")


def format_major(amount_minor, currency):
    """Minor units as exact text in major units, e.g. 12050 INR -> "120.50" (for pages and messages)."""
    return str(Decimal(amount_minor).scaleb(-currency_decimals(currency)))
