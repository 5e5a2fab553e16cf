"""Input validation at the HTTP edge: bad amounts, bad ids, operator objects, non-JSON bodies.

Every case is a 400 with its error code and leaves the database as it was (the audit log aside).
"""

import json

import pytest

from tests.helpers import BASE, bearer, checkout_signature, snapshot
from tests.integration.support import assert_error, initiated

CUSTOMER = bearer("cust_a")
ADMIN = bearer("admin_1", "admin")
ENDPOINTS = ("initiate", "verify", "pay", "refund")
AMOUNT_ENDPOINTS = ("initiate", "pay", "refund")


class _Missing:
    def __repr__(self):
        return "MISSING"


MISSING = _Missing()  # a field value meaning "leave the field out"


@pytest.fixture
def prepared(api):
    """cust_a with ₹1000 in the wallet, a pending ₹100 order, a ₹50 order paid from the wallet,
    and a created ₹20 top-up payment order: enough for a valid request to every endpoint."""
    api.topup("cust_a", 1000)
    pending_order_id = api.add_order("cust_a", 10000)
    paid_order_id = api.add_order("cust_a", 5000)
    assert api.pay(paid_order_id, "cust_a", 50).status_code == 200
    payment_order_id = initiated(api, "cust_a", 20)
    return {
        "initiate": (
            "/wallet/topup/initiate",
            CUSTOMER,
            {"customer_id": "cust_a", "amount": 10, "payment_method": "razorpay"},
        ),
        "verify": (
            "/wallet/topup/verify",
            CUSTOMER,
            {
                "payment_id": "pay_V1",
                "order_id": payment_order_id,
                "signature": checkout_signature(payment_order_id, "pay_V1"),
            },
        ),
        "pay": (
            "/order/pay-with-wallet",
            CUSTOMER,
            {"order_id": pending_order_id, "customer_id": "cust_a", "amount": 100},
        ),
        "refund": (
            "/order/refund-to-wallet",
            ADMIN,
            {"order_id": paid_order_id, "customer_id": "cust_a", "amount": 10, "reason": "r"},
        ),
    }


def post(client, prepared, endpoint, **changes):
    """POST the endpoint's valid body with `changes` applied (a value of `MISSING` drops the field)."""
    path, headers, body = prepared[endpoint]
    body = {k: v for k, v in {**body, **changes}.items() if v is not MISSING}
    return client.post(BASE + path, json=body, headers=headers)


def post_raw(client, prepared, endpoint, raw):
    path, headers, _ = prepared[endpoint]
    return client.post(BASE + path, data=raw, headers=headers, content_type="application/json")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_valid_body_is_accepted(client, db, prepared, endpoint):
    """The control case: the unchanged body succeeds, so each rejection below is the change's doing."""
    response = post(client, prepared, endpoint)
    assert response.status_code == 200, response.get_json()


# --- amounts -----------------------------------------------------------------------------------
BAD_AMOUNTS = [
    -1,
    0,
    "abc",
    None,
    True,
    [],
    {},
    "12.345",
    12.345,
    10**12,
    "1e3",
    "",
    False,
    -0.01,
    0.001,
    "0.001",
    "-1",
    "0",
    "0.00",
    "00",
    " 12",
    "12 ",
    "12\n",
    "\t12",
    "١٢",
    "+12",
    "12.",
    ".5",
    "1,000",
    "1_000",
    "0x10",
    "NaN",
    "Infinity",
    "inf",
    "1e-3",
    10000000.01,
    "10000000.01",
    10**400,
    {"$gt": ""},
    {"$gt": 0},
    ["10"],
    [10],
    MISSING,
]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
@pytest.mark.parametrize("endpoint", AMOUNT_ENDPOINTS)
def test_bad_amount(client, db, prepared, endpoint, amount):
    before = snapshot(db)
    assert_error(post(client, prepared, endpoint, amount=amount), 400, "invalid_amount")
    assert snapshot(db) == before


RAW_AMOUNTS = ["NaN", "Infinity", "-Infinity", "1e309", "-1e309", "1e400", "-0", "0.0", "1e-7", "-5"]


@pytest.mark.parametrize("literal", RAW_AMOUNTS)
@pytest.mark.parametrize("endpoint", AMOUNT_ENDPOINTS)
def test_bad_amount_as_raw_json(client, db, prepared, endpoint, literal):
    _, _, body = prepared[endpoint]
    raw = json.dumps({**body, "amount": "__AMOUNT__"}).replace('"__AMOUNT__"', literal)
    assert literal in raw
    before = snapshot(db)
    assert_error(post_raw(client, prepared, endpoint, raw), 400, "invalid_amount")
    assert snapshot(db) == before


def test_raw_nan_as_in_the_brief(client, db):
    before = snapshot(db)
    response = client.post(
        f"{BASE}/wallet/topup/initiate",
        data='{"customer_id":"cust_x","amount":NaN}',
        content_type="application/json",
        headers=bearer("cust_x"),
    )
    assert_error(response, 400, "invalid_amount")
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "amount, expected_minor",
    [
        ("10000000.00", 1000000000),
        (10000000, 1000000000),
        ("0.01", 1),
        (0.1, 10),
        ("007.50", 750),
    ],
)
def test_boundary_amounts_accepted_on_initiate(client, db, prepared, amount, expected_minor):
    response = post(client, prepared, "initiate", amount=amount)
    assert response.status_code == 200, response.get_json()
    stored = db["payment_orders"].find_one({"_id": response.get_json()["payment_order_id"]})
    assert stored["amount_minor"] == expected_minor


# --- ids: operator objects, wrong types, length, characters ------------------------------------
BAD_IDS = [
    {"$gt": ""},
    {"$ne": None},
    {"$regex": ".*"},
    {"$where": "1"},
    ["cust_a"],
    [],
    123,
    1.5,
    True,
    None,
    "",
    "x" * 65,
    "a b",
    "a/b",
    "a$b",
    "$gt",
    "a\nb",
    "cust_a\n",
    "a\x00b",
    "ä",
    "a;b",
    "a'b",
    MISSING,
]
ID_FIELDS = [
    ("initiate", "customer_id"),
    ("verify", "payment_id"),
    ("verify", "order_id"),
    ("pay", "order_id"),
    ("pay", "customer_id"),
    ("refund", "order_id"),
    ("refund", "customer_id"),
]


@pytest.mark.parametrize("value", BAD_IDS, ids=repr)
@pytest.mark.parametrize("endpoint, field", ID_FIELDS)
def test_bad_id(client, db, prepared, endpoint, field, value):
    before = snapshot(db)
    assert_error(post(client, prepared, endpoint, **{field: value}), 400, "invalid_request")
    assert snapshot(db) == before


@pytest.mark.parametrize("endpoint, field", ID_FIELDS)
def test_id_of_64_characters_passes_validation(client, db, prepared, endpoint, field):
    """64 allowed characters are a valid id: the request gets past validation (to 403/404 or 200)."""
    response = post(client, prepared, endpoint, **{field: "A-z_0.9:" * 8})
    assert response.status_code != 400 or response.get_json()["error"] != "invalid_request", response.get_json()


BAD_SIGNATURES = [{"$gt": ""}, ["abc"], 123, True, None, "", "x" * 513, "é" * 10, MISSING]


@pytest.mark.parametrize("value", BAD_SIGNATURES, ids=repr)
def test_bad_signature_field(client, db, prepared, value):
    before = snapshot(db)
    assert_error(post(client, prepared, "verify", signature=value), 400, "invalid_request")
    assert snapshot(db) == before


@pytest.mark.parametrize("value", [{"$gt": ""}, ["r"], 5, True, "x" * 501])
def test_bad_reason(client, db, prepared, value):
    before = snapshot(db)
    assert_error(post(client, prepared, "refund", reason=value), 400, "invalid_request")
    assert snapshot(db) == before


@pytest.mark.parametrize("reason", ["x" * 500, "", None, MISSING])
def test_reason_within_limit_accepted(client, prepared, reason):
    response = post(client, prepared, "refund", reason=reason)
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("method", [{"$gt": ""}, ["razorpay"], 1, "stripe"], ids=repr)
@pytest.mark.parametrize("endpoint", ["initiate", "verify"])
def test_bad_payment_method(client, db, prepared, endpoint, method):
    before = snapshot(db)
    assert_error(post(client, prepared, endpoint, payment_method=method), 400, "unsupported_payment_method")
    assert snapshot(db) == before


BAD_STATUS_PATHS = [
    "a%20b",
    "x" * 65,
    "a$b",
    "%24gt",
    "%7B%22%24gt%22%3A%22%22%7D",
    "cust_a%0A",
    "a%00b",
    "%C3%A4",
    "a;b",
]


@pytest.mark.parametrize("customer_id", BAD_STATUS_PATHS)
def test_bad_id_in_status_path(client, db, customer_id):
    before = snapshot(db)
    response = client.get(f"{BASE}/status/{customer_id}", headers=ADMIN)
    assert_error(response, 400, "invalid_request")
    assert snapshot(db) == before


def test_slash_in_status_path_is_not_found(client, db):
    before = snapshot(db)
    assert_error(client.get(f"{BASE}/status/a/b", headers=ADMIN), 404, "not_found")
    assert snapshot(db) == before


# --- bodies that are not a JSON object ---------------------------------------------------------
NOT_AN_OBJECT = [
    b"",
    b"not json",
    b"{",
    b"[]",
    b'["cust_a", 10]',
    b"null",
    b"123",
    b'"text"',
    b"true",
    b"\xff\xfe{}",
    b"{'customer_id': 'cust_a'}",
    b"[" * 100000 + b"]" * 100000,
    b"customer_id=cust_a&amount=10",
]


@pytest.mark.parametrize("raw", NOT_AN_OBJECT, ids=lambda raw: repr(raw[:20]))
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_body_not_a_json_object(client, db, prepared, endpoint, raw):
    before = snapshot(db)
    assert_error(post_raw(client, prepared, endpoint, raw), 400, "invalid_request")
    assert snapshot(db) == before


OPERATOR_FIELDS = [{"$where": "1"}, {"$gt": ""}, {"$or": [{"customer_id": "cust_b"}]}]


@pytest.mark.parametrize("extra", OPERATOR_FIELDS, ids=repr)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_field_named_like_an_operator_is_refused(client, db, prepared, endpoint, extra):
    """SPEC §5: extra operators are a 400, even as a field the endpoint does not read."""
    before = snapshot(db)
    response = post(client, prepared, endpoint, **extra)
    assert_error(response, 400, "invalid_request")
    assert "$" in response.get_json()["message"]
    assert snapshot(db) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_field_named_twice_is_refused(client, db, prepared, endpoint):
    """`{"amount": 1, "amount": 1000}`: which one counts would be up to each reader, so neither does."""
    path, headers, body = prepared[endpoint]
    first = json.dumps(body)
    raw = (first[:-1] + ', "customer_id": "cust_b"}').encode()  # named twice (verify: named once, plus once)
    if "customer_id" not in body:
        raw = (first[:-1] + ', "order_id": "ord_other"}').encode()
    before = snapshot(db)
    response = client.post(BASE + path, data=raw, headers=headers, content_type="application/json")
    assert_error(response, 400, "invalid_request")
    assert "twice" in response.get_json()["message"]
    assert snapshot(db) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_field_the_endpoint_does_not_read_is_ignored(client, prepared, endpoint):
    assert post(client, prepared, endpoint, note="a comment", price_dollar=1).status_code == 200
