"""`parse_amount_minor` (major units in, integer minor units out) and `to_major` (and back)."""

import json
import random
from decimal import Decimal

import pytest

from backend.errors import InvalidAmount
from backend.money import AMOUNT_MAX, currency_decimals, parse_amount_minor, to_major
from backend.validation import NonFinite, parse_json_object


@pytest.mark.parametrize(
    "value, expected",
    [
        (1, 100),
        ("1", 100),
        ("1.5", 150),
        ("1.50", 150),
        ("0.01", 1),
        ("0.10", 10),
        ("007", 700),
        ("12.34", 1234),
        (Decimal("12.34"), 1234),
        (Decimal("0.1"), 10),
        (Decimal("12.30"), 1230),
        (Decimal("1E+3"), 100000),
        ("10000000", 1000000000),
        ("10000000.00", 1000000000),
        (10000000, 1000000000),
        (Decimal("9999999.99"), 999999999),
    ],
)
def test_parse_valid(value, expected):
    minor = parse_amount_minor(value, "INR")
    assert minor == expected
    assert type(minor) is int


@pytest.mark.parametrize(
    "value",
    [
        -1,
        0,
        -0,
        "abc",
        None,
        True,
        False,
        [],
        {},
        "12.345",
        Decimal("12.345"),
        10**12,
        "1e3",
        "",
        "-1",
        "0",
        "0.00",
        "-0.01",
        Decimal("0"),
        Decimal("-0"),
        Decimal("-0.01"),
        Decimal("0.001"),
        "0.001",
        " 1",
        "1 ",
        "1\n",
        "\n1",
        "1\t",
        "١",
        "१२",
        "１２",
        "+1",
        "1.",
        ".5",
        "1.5.0",
        "1,000",
        "1_000",
        "0x1",
        "1e-2",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        "sNaN",
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("1E+309"),
        Decimal("1E-400"),
        Decimal("10000000.01"),
        "10000000.01",
        10000001,
        10**400,
        float("nan"),
        float("inf"),
        NonFinite("NaN"),
        NonFinite("Infinity"),
        {"$gt": ""},
        ["1"],
        (1,),
        b"1",
        object(),
    ],
    ids=lambda value: type(value).__name__ if " at 0x" in repr(value) else repr(value),
)
def test_parse_invalid(value):
    with pytest.raises(InvalidAmount):
        parse_amount_minor(value, "INR")


def test_amount_max_is_ten_million():
    assert AMOUNT_MAX == Decimal("10000000.00")
    assert parse_amount_minor(AMOUNT_MAX, "INR") == 10**9
    with pytest.raises(InvalidAmount):
        parse_amount_minor(AMOUNT_MAX + Decimal("0.01"), "INR")


@pytest.mark.parametrize("currency", ["INR", "USD", "EUR"])
def test_two_decimal_currencies(currency):
    assert currency_decimals(currency) == 2
    assert parse_amount_minor("1.23", currency) == 123
    with pytest.raises(InvalidAmount):
        parse_amount_minor("1.234", currency)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (b'{"amount": 12.34}', 1234),
        (b'{"amount": 0.1}', 10),
        (b'{"amount": 1e3}', 100000),
        (b'{"amount": 100}', 10000),
        (b'{"amount": "99.99"}', 9999),
    ],
)
def test_parse_numbers_from_a_request_body(raw, expected):
    """JSON numbers reach the parser as exact `Decimal`s, never as binary floats."""
    assert parse_amount_minor(parse_json_object(raw)["amount"], "INR") == expected


@pytest.mark.parametrize(
    "raw",
    [
        b'{"amount": NaN}',
        b'{"amount": Infinity}',
        b'{"amount": -Infinity}',
        b'{"amount": 1e309}',
        b'{"amount": -1e309}',
        b'{"amount": 12.345}',
        b'{"amount": 0.001}',
        b'{"amount": -0}',
        b'{"amount": 1e-7}',
        b'{"amount": ' + b"1" * 5000 + b"}",  # more digits than Python reads into an int
    ],
)
def test_parse_rejects_raw_json_literals(raw):
    with pytest.raises(InvalidAmount):
        parse_amount_minor(parse_json_object(raw)["amount"], "INR")


@pytest.mark.parametrize(
    "minor, expected",
    [
        (0, 0.0),
        (1, 0.01),
        (5, 0.05),
        (10, 0.1),
        (30, 0.3),
        (99, 0.99),
        (100, 1.0),
        (101, 1.01),
        (1234567, 12345.67),
        (999999999, 9999999.99),
        (1000000000, 10000000.0),
    ],
)
def test_to_major(minor, expected):
    major = to_major(minor, "INR")
    assert type(major) is float
    assert major == expected


@pytest.mark.parametrize(
    "minor, text",
    [
        (1, "0.01"),
        (10, "0.1"),
        (30, "0.3"),
        (70, "0.7"),
        (1015, "10.15"),
        (100025, "1000.25"),
        (999999999, "9999999.99"),
        (1000000000, "10000000.0"),
        (0, "0.0"),
    ],
)
def test_to_major_serializes_exactly(minor, text):
    """The JSON text of the number has no binary-float noise (0.3, not 0.30000000000000004)."""
    assert json.dumps(to_major(minor, "INR")) == text


@pytest.mark.parametrize("minor", [1, 7, 10, 29, 99, 101, 333, 1005, 12345, 500050, 7777777, 999999999, 1000000000])
def test_round_trip(minor):
    """What a response says (a JSON number) parses back, as a request, to the same minor units."""
    text = json.dumps({"amount": to_major(minor, "INR")}).encode()
    assert parse_amount_minor(parse_json_object(text)["amount"], "INR") == minor


def test_round_trip_every_value_below_ten_thousand_paise():
    for minor in range(1, 10000):
        text = json.dumps({"amount": to_major(minor, "INR")}).encode()
        assert parse_amount_minor(parse_json_object(text)["amount"], "INR") == minor, minor


def test_to_major_is_the_float_nearest_the_exact_amount_in_every_currency():
    """Negative changes (held, debt) and balances far beyond one amount's limit included; JPY whole."""
    rng = random.Random(21)
    samples = [0, 1, -1, 5, -30, 2**53 + 1, -(10**17) + 3] + [rng.randrange(-(10**16), 10**16) for _ in range(20000)]
    for currency in ("INR", "USD", "JPY"):
        decimals = currency_decimals(currency)
        for minor in samples:
            major = to_major(minor, currency)
            if decimals == 0:
                assert type(major) is int and major == minor
            else:
                assert type(major) is float and major == float(Decimal(minor).scaleb(-decimals)), (minor, currency)


def test_an_integer_too_long_to_read_is_kept_apart_not_the_whole_body_refused():
    body = parse_json_object(b'{"customer_id": "c1", "note": ' + b"9" * 5000 + b', "amount": 5}')
    assert (body["customer_id"], body["amount"], type(body["note"])) == ("c1", 5, NonFinite)
