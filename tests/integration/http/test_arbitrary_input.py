"""Property-based tests (Hypothesis): arbitrary JSON values and raw bytes at every endpoint under
/api/integration, with and without valid tokens and, for the webhooks, with and without valid
signatures or tokens.

For every response:
- the status is below 500;
- the body is JSON; every 4xx is exactly the error shape {success: false, error: <snake_case>,
  message: <non-empty text>};
- a 4xx wrote nothing: every collection but `integration_logs` (where rejected requests are
  audited) is as it was before the request.
No Idempotency-Key is sent: a 4xx stored under a key is a documented replay, not a write of the
rejected request.

Bodies are random (bytes, any JSON value, JSON nested up to 100,000 levels) and structured: a
valid request, built around payment orders and shop orders made for the example, with fields
replaced by arbitrary values (number literals of any size and precision as raw JSON text, strings
with control characters, lone surrogates and other unicode, ids of odd lengths, deep nesting).

A top-up that initiate accepts must also be confirmable (verify, or the Google Pay token post:
no 5xx either) and recorded for exactly the amount sent (no rounding, no underflow to zero).

One app per test function (the `app` fixture of tests/conftest.py; the examples share it and each
snapshots the store around its own request). The generated examples are derandomized, so CI sees
the same ones on every run; explicit examples (the issue's cases and what the first runs found)
run first. A 500 fails with the server's exception chained (its traceback is shown, and Hypothesis
reports each different server exception as a distinct failure).
"""

import hashlib
import hmac
import json
import logging
import os
import re
import string
import traceback
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from backend.gateways.google_pay.simulator import payment_data, simulator_token
from backend.gateways.paypal.simulator import DEV_PAYPAL_WEBHOOK_ID, signed_headers
from backend.gateways.razorpay.simulator import DEV_RAZORPAY_WEBHOOK_SECRET
from tests.helpers import BASE, Api, bearer, checkout_signature, razorpay_event, snapshot, token

settings.register_profile(
    "integration-properties",
    # 200 on the embedded store; 40 through the real driver, whose wire server is ~10x slower per call
    # (the same derandomized examples, fewer of them: the run stays within the CI budget).
    max_examples=40 if os.environ.get("MONGODB_URI", "").startswith("mongodb://") else 200,
    deadline=None,
    derandomize=True,  # the same examples on every run and machine
    database=None,  # nothing written to .hypothesis/
    print_blob=False,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],  # no slow `explain`
    # One app per test function is the point (creating one per example is ~100x slower), and
    # bodies of 100,000 nesting levels are meant to be large.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
PROPERTIES = settings.get_profile("integration-properties")
# Hypothesis builds the (large) reprs of these nested strategies while shrinking; the warning says only that.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning")

CUSTOMER, OTHER_CUSTOMER, ADMIN = "cust_p", "cust_q", "admin_p"
TOPUP_MINOR = 50000  # every payment order made for an example: 500.00
ORDER_MINOR = 10000  # every shop order made for an example: 100.00
ERROR_KEYS = {"success", "error", "message"}
SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*\Z")
GATEWAYS = ("razorpay", "paypal", "google_pay")
JSON_TYPE = {"Content-Type": "application/json"}


# --- values ------------------------------------------------------------------------------------
class Sentinel:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


MISSING = Sentinel("MISSING")  # leave the field (or header) out
FRESH = Sentinel("FRESH")  # a payment order of the endpoint's own gateway, made for this example
FRESH_OTHER = Sentinel("FRESH_OTHER")  # a payment order of another gateway, made for this example
EXACT = Sentinel("EXACT")  # the amount the payment order was initiated for
VALID = Sentinel("VALID")  # a valid signature, token or header


class Raw:
    """JSON text put into a body as it is: any number literal, NaN, deep nesting, ..."""

    def __init__(self, text, label=None):
        self.text = text
        self.label = label

    def __repr__(self):
        if self.label:
            return self.label
        if len(self.text) > 100:
            return f"Raw({self.text[:40]!r} + ... [{len(self.text)} characters])"
        return f"Raw({self.text!r})"


class Repeated(Raw):
    """A long JSON string, `unit` repeated `count` times (shown short in Hypothesis's reports)."""

    def __init__(self, unit, count):
        super().__init__(json.dumps(unit * count), label=f"Repeated({unit!r}, {count})")
        self.value = unit * count


def repeated(unit, count):
    return unit * count if len(unit) * count <= 100 else Repeated(unit, count)


def deep(opening, depth):
    """JSON text nested `depth` levels: `[[[...]]]` or `{"a":{"a":...0}}`."""
    closing = "]" if opening == "[" else "}"
    inner = "" if opening == "[" else "0"
    return Raw(opening * depth + inner + closing * depth, label=f"deep({opening!r}, {depth})")


def dumps(value, ascii_only=True):
    """JSON text of `value`, with `Raw` parts as they are and `MISSING` members left out."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        members = (
            f"{json.dumps(str(k), ensure_ascii=ascii_only)}:{dumps(v, ascii_only)}"
            for k, v in value.items()
            if v is not MISSING
        )
        return "{" + ",".join(members) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v, ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def encode(value, ascii_only=True):
    """The body's bytes; lone surrogates (with `ascii_only=False`) become bytes that are not UTF-8."""
    return dumps(value, ascii_only).encode("utf-8", "surrogatepass")


def replace_at(document, path, value):
    """`document` with the member at `path` replaced by `value` (dropped when MISSING)."""
    if not path:
        return value
    if not isinstance(document, dict):
        return document
    changed = dict(document)
    changed[path[0]] = replace_at(document.get(path[0], {}), path[1:], value)
    return changed


# --- strategies: JSON values -------------------------------------------------------------------
EXTREME_NUMBERS = [  # the issue's, and those beyond what Decimal or an 8-byte integer can hold
    "1e-100000000",
    str(10**30),
    "249.99999999999999999999999999999",
    "1e9999999999999999999",
    "7" * 4301,  # more digits than Python reads into an int
    "1e309",
    "-0",
    "0e1000000000000000000",
    "1E+1000000",
    "NaN",
]
NOTABLE_NUMBERS = [
    "-1e309",
    "-0",
    "-0.0",
    "0",
    "0.0",
    "1e30",
    "1E+1000000",
    "1e999999999999999999",
    "1e-9999999999999999999999",
    "NaN",
    "Infinity",
    "-Infinity",
    "10000000.001",
    "10000000.00",
    "10000000.01",
    "9999999.995",
    "0.01",
    "0.001",
    "1e-7",
    "1e2",
    "100",
    "100.00",
    "10",
    "500",
    "50000",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "5e-324",
    "1.7976931348623157e308",
    "00",
    "01",
    "1.",
    ".5",
    "+1",
]
LONG_NUMBERS = {  # built when drawn: values this large in a strategy's repr make Hypothesis warn
    "1 and 5000 zeros": lambda: "1" + "0" * 5000,
    "5000 zeros after the point": lambda: "0." + "0" * 5000 + "1",
    "5000 nines": lambda: "9" * 5000,
}


def number_text(negative, digits, fraction, exponent):
    text = ("-" if negative else "") + digits
    if fraction is not None:
        text += "." + fraction
    if exponent is not None:
        text += f"e{exponent}"
    return text


extreme_numbers = st.sampled_from(EXTREME_NUMBERS)
number_texts = st.one_of(
    extreme_numbers,
    extreme_numbers,
    st.sampled_from(NOTABLE_NUMBERS),
    st.builds(
        number_text,
        st.booleans(),
        st.text(string.digits, min_size=1, max_size=40),
        st.none() | st.text(string.digits, min_size=1, max_size=40),
        st.one_of(
            st.none(), st.integers(-400, 400), st.sampled_from([10**6, -(10**8), 10**18, 10**19, -(10**19), 10**21])
        ),
    ),
)
number_literals = st.one_of(  # as JSON numbers
    number_texts.map(Raw),
    st.sampled_from(sorted(LONG_NUMBERS)).map(lambda name: Raw(LONG_NUMBERS[name](), label=f"Raw(<{name}>)")),
)
INTEGER_EDGES = [10**30, 2**63, 2**63 - 1, -(2**63) - 1, 2**64, 0, -1, TOPUP_MINOR + 1, -TOPUP_MINOR]
integer_edges = st.sampled_from(INTEGER_EDGES)
nesting = st.builds(
    deep,
    st.sampled_from(["[", '{"a":']),
    st.one_of(st.integers(1, 2000), st.sampled_from([10, 999, 1000, 5000, 50_000, 100_000])),
)
texts = st.one_of(
    st.sampled_from(["\ud800", "a\udfff", "\udc00\ud800"]),  # lone surrogates: JSON can escape them, UTF-8 can't
    st.sampled_from(
        [
            "",
            " ",
            "$gt",
            "cust_p",
            "cust_p\n",
            "a\x00b",
            "\u2028",
            "١٢",
            "😀",
            "é" * 64,
            "null",
            "{}",
            "razorpay",
            "INR",
            "inr",
        ]
    ),
    st.text(st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Co"]), max_size=8),
    st.text(max_size=20),
)
ID_CHARACTERS = string.ascii_letters + string.digits + "_.:-"
odd_ids = st.one_of(
    st.text(ID_CHARACTERS, max_size=70),
    st.builds(
        repeated,
        st.sampled_from(["a", "A-z_0.9:", "é", "\x00", "$", " ", "😀", "\ud800"]),
        st.sampled_from([0, 1, 2, 63, 64, 65, 100, 1000, 100_000]),
    ),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    texts,
    number_literals,
    st.sampled_from([{"$gt": ""}, {"$ne": None}, {"$regex": ".*"}, {"$where": "1"}]),
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4), max_leaves=10
)
any_values = st.one_of(json_values, nesting, odd_ids)
# amounts: mostly JSON number literals, else the same as strings, else anything
amounts = st.one_of(number_literals, number_literals, number_literals, number_texts, any_values)
field_values = st.one_of(texts, odd_ids, json_values, nesting, st.just(MISSING))
raw_bodies = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [b"", b"null", b"[]", b"{", b"\xff\xfe{}", b'{"a":1,}', b"{'a': 1}", b"a=1&b=2", b"\x00" * 64, b"{}" * 1000]
    ),
    nesting.map(lambda raw: raw.text.encode()),
    st.sampled_from([b"[", b"{"]).map(lambda opening: opening * 100_000),  # never closed
)
header_texts = st.one_of(
    st.text(st.characters(min_codepoint=0, max_codepoint=255, exclude_characters="\r\n"), max_size=80),
    st.sampled_from(
        ["", " ", "Bearer", "Bearer ", "Bearer \t", "bearer x.y.z", "Basic YTpi", "Bearer e30.e30.", "null"]
    ),
    st.sampled_from(["", "Bearer "]).map(lambda prefix: prefix + "x" * 5000),
)
content_types = st.one_of(
    st.sampled_from(
        [
            "application/json",
            MISSING,
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=latin-1",
        ]
    ),
    header_texts,
)
AUTH_KINDS = ("none", "customer", "other_customer", "admin", "expired", "wrong_secret", "unknown_role")


def auths(preferred="customer"):
    """Mostly the token a valid request needs (so the body gets looked at), else any other."""
    return st.one_of(
        st.just(preferred), st.just(preferred), st.just(preferred), st.sampled_from(AUTH_KINDS), header_texts
    )


def auth_headers(auth):
    """Authorization for one of AUTH_KINDS, or an arbitrary header value."""
    if auth == "none":
        return {}
    if auth == "customer":
        return bearer(CUSTOMER)
    if auth == "other_customer":
        return bearer(OTHER_CUSTOMER)
    if auth == "admin":
        return bearer(ADMIN, "admin")
    if auth == "expired":
        return {"Authorization": f"Bearer {token(CUSTOMER, expires_in_seconds=-60)}"}
    if auth == "wrong_secret":
        return {"Authorization": f"Bearer {token(CUSTOMER, secret='not-the-secret-' * 4)}"}
    if auth == "unknown_role":
        return {"Authorization": f"Bearer {token(CUSTOMER, role='root')}"}
    return {"Authorization": auth}


def with_content_type(headers, content_type):
    return headers if content_type is MISSING else {**headers, "Content-Type": content_type}


# --- bodies ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RawBytes:
    """The body is these bytes."""

    data: bytes
    label: str = field(default="", compare=False)  # what long data is, for reports

    def __repr__(self):
        if self.label:
            return f"RawBytes({self.label})"
        if len(self.data) > 100:
            return f"RawBytes({self.data[:40]!r} + ... [{len(self.data)} bytes])"
        return f"RawBytes({self.data!r})"

    def _repr_pretty_(self, printer, cycle):  # Hypothesis prints explicit examples with this
        printer.text(repr(self))


@dataclass(frozen=True)
class Whole:
    """The body is this JSON value."""

    value: Any
    ascii_only: bool = True


@dataclass(frozen=True)
class Changed:
    """The endpoint's valid body with these (field, value) changes (a value of MISSING drops it)."""

    changes: tuple
    ascii_only: bool = True


def field_changes(fields):
    """Up to two fields of a valid body replaced (or dropped, or an extra one added)."""
    names = st.sampled_from(fields + ("extra", "$where"))
    return st.lists(st.tuples(names, field_values), max_size=2, unique_by=lambda change: change[0]).map(tuple)


def bodies(fields, amount_fields=()):
    """Mostly a valid body with its amount or one other field replaced; else anything."""

    def field_change(name):
        return st.tuples(st.just(name), amounts if name in amount_fields else field_values)

    def changed(changes):
        return st.builds(Changed, changes, st.booleans())

    one_change = st.sampled_from(fields).flatmap(field_change).map(lambda change: (change,))
    amount_change = st.sampled_from(amount_fields).flatmap(field_change).map(lambda change: (change,))
    branches = [changed(amount_change)] * 3 if amount_fields else []
    branches += [changed(one_change)] * 2 + [changed(field_changes(fields))]
    return st.one_of(*branches, st.builds(Whole, any_values, st.booleans()), raw_bodies.map(RawBytes))


def body_bytes(body, template):
    """The bytes of `body`; `template()` gives the valid body `Changed` starts from."""
    if isinstance(body, RawBytes):
        return body.data
    if isinstance(body, Whole):
        return encode(body.value, body.ascii_only)
    document = template()
    for name, value in body.changes:
        document = replace_at(document, (name,), value)
    return encode(document, body.ascii_only)


# --- the app and the checks --------------------------------------------------------------------
class ServerErrors(logging.Handler):
    """Keeps the tracebacks the app logs, to show what a 500 was."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        if record.exc_info:
            self.records.append(record)

    def exception(self):
        return self.records[-1].exc_info[1] if self.records else None

    def last(self):
        """The last logged error: its innermost frames in backend/, the one that raised, the exception."""
        if not self.records:
            return "(no traceback logged)"
        kind, error, trace = self.records[-1].exc_info
        frames = traceback.extract_tb(trace)
        shown = [frame for frame in frames if "/backend/" in frame.filename.replace("\\", "/")][-4:]
        if frames and frames[-1] not in shown:
            shown.append(frames[-1])
        lines = [f"  {frame.filename}:{frame.lineno} in {frame.name}: {frame.line}" for frame in shown]
        return "\n".join(lines + traceback.format_exception_only(kind, error)).rstrip()


class World:
    """One app for a test function: a funded customer, and what each example needs made fresh."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.db = app.extensions["wallet_db"]
        self.integration = app.extensions["integration"]
        self.api = Api(self.client, self.db)
        self.errors = ServerErrors()
        logging.getLogger("integration").addHandler(self.errors)
        self.api.topup(CUSTOMER, 10_000_000)  # enough for every shop order the examples pay
        self.spent_token = None

    def close(self):
        logging.getLogger("integration").removeHandler(self.errors)

    # made fresh for an example, before its snapshot
    def payment_order(self, gateway, amount_minor=TOPUP_MINOR):
        return self.integration.initiate_wallet_topup_payment(CUSTOMER, amount_minor, gateway)["payment_order_id"]

    def chosen_payment_order(self, choice, gateway, other_gateway):
        """The payment order a generated case names: a fresh one of `gateway` (FRESH) or of
        `other_gateway` (FRESH_OTHER), else `choice` itself (an id that may not exist)."""
        if choice is FRESH:
            return self.payment_order(gateway)
        if choice is FRESH_OTHER:
            return self.payment_order(other_gateway)
        return choice

    def reference(self, payment_order_id):
        return self.db["payment_orders"].find_one({"_id": payment_order_id})["reference"]

    def pending_order(self):
        return self.api.add_order(CUSTOMER, ORDER_MINOR)

    def paid_order(self):
        order_id = self.pending_order()
        self.integration.link_payment_to_order(order_id, CUSTOMER, ORDER_MINOR)
        return order_id

    def google_pay_token(self):
        return simulator_token(self.integration.payments.gateway("google_pay"))

    def confirm(self, payment_order):
        """Confirm a top-up as its gateway's checkout would (verify, or the Google Pay token post), checked."""
        payment_order_id, gateway = payment_order["_id"], payment_order["gateway"]
        if gateway == "google_pay":
            token_text = self.google_pay_token()
            data = encode({"payment_order_id": payment_order_id, "paymentData": payment_data(token_text)})
            return self.check("POST", f"{BASE}/webhook/google-pay", data=data, headers=JSON_TYPE)
        if gateway == "paypal":
            self.client.post(f"/simulator/paypal/checkout/{payment_order_id}/pay")
            body = {"order_id": payment_order_id, "payment_method": "paypal"}
        else:
            payment_id = f"pay_{uuid.uuid4().hex[:14]}"
            body = {
                "payment_id": payment_id,
                "order_id": payment_order_id,
                "signature": checkout_signature(payment_order_id, payment_id),
            }
        return self.check(
            "POST", f"{BASE}/wallet/topup/verify", data=encode(body), headers={**bearer(ADMIN, "admin"), **JSON_TYPE}
        )

    # one request, checked
    def check(self, method, path, data=None, headers=None, query_string=None):
        before = snapshot(self.db)
        self.errors.records.clear()
        response = self.client.open(path, method=method, data=data, headers=headers or {}, query_string=query_string)
        status, text = response.status_code, response.get_data(as_text=True)
        where = f"{method} {path} -> {status}"
        if status >= 500:
            failure = AssertionError(f"{where}: {text[:300]}\nserver traceback:\n{self.errors.last()}")
            # Chained to the server's exception: pytest shows its traceback, and Hypothesis tells
            # failures with different server exceptions apart (it reports each one).
            failure.__cause__ = failure.__context__ = self.errors.exception()
            raise failure
        assert response.mimetype == "application/json", f"{where}: {response.mimetype} {text[:300]}"
        body = json.loads(text)
        if 400 <= status < 500:
            assert isinstance(body, dict) and set(body) == ERROR_KEYS, f"{where}: {body}"
            assert body["success"] is False, f"{where}: {body}"
            assert isinstance(body["error"], str) and SNAKE_CASE.match(body["error"]), f"{where}: {body}"
            assert isinstance(body["message"], str) and body["message"].strip(), f"{where}: {body}"
            after = snapshot(self.db)
            assert after == before, f"{where} {body['error']} wrote: {changed_collections(before, after)}"
        return response


def changed_collections(before, after):
    return {
        name: {
            "added": sorted(set(after.get(name, [])) - set(before.get(name, [])))[:3],
            "removed": sorted(set(before.get(name, [])) - set(after.get(name, [])))[:3],
        }
        for name in set(before) | set(after)
        if before.get(name) != after.get(name)
    }


@pytest.fixture
def world(app):
    world = World(app)
    yield world
    world.close()


# --- 1-4: the money endpoints ------------------------------------------------------------------
@dataclass(frozen=True)
class MoneyCase:
    variant: str  # which valid body `Changed` starts from
    auth: Any
    body: Any
    content_type: Any = "application/json"


def money_template(world, endpoint, variant):
    """(path, a function making the valid body of `variant`, with what it needs made fresh)."""
    if endpoint == "initiate":
        return "/wallet/topup/initiate", lambda: {"customer_id": CUSTOMER, "amount": 500, "payment_method": variant}
    if endpoint == "pay":
        return "/order/pay-with-wallet", lambda: {
            "order_id": world.pending_order(),
            "customer_id": CUSTOMER,
            "amount": ORDER_MINOR // 100,
        }
    if endpoint == "refund":
        return "/order/refund-to-wallet", lambda: {
            "order_id": world.paid_order(),
            "customer_id": CUSTOMER,
            "amount": 10,
            "reason": "property test",
        }

    def verify_body():
        if variant == "razorpay":
            payment_order_id, payment_id = world.payment_order("razorpay"), f"pay_{uuid.uuid4().hex[:14]}"
            return {
                "payment_id": payment_id,
                "order_id": payment_order_id,
                "signature": checkout_signature(payment_order_id, payment_id),
            }
        gateway = "paypal" if variant.startswith("paypal") else variant
        payment_order_id = world.payment_order(gateway)
        if variant == "paypal_approved":
            assert world.client.post(f"/simulator/paypal/checkout/{payment_order_id}/pay").status_code == 303
        return {"order_id": payment_order_id, "payment_method": gateway}

    return "/wallet/topup/verify", verify_body


MONEY = {
    "initiate": (GATEWAYS, ("customer_id", "amount", "payment_method")),
    "verify": (
        ("razorpay", "paypal_approved", "paypal_unapproved", "google_pay"),
        ("payment_id", "order_id", "signature", "payment_method"),
    ),
    "pay": (("wallet",), ("order_id", "customer_id", "amount")),
    "refund": (("wallet",), ("order_id", "customer_id", "amount", "reason")),
}


def money_cases(endpoint):
    variants, fields = MONEY[endpoint]
    return st.builds(
        MoneyCase,
        st.sampled_from(variants),
        auths("admin" if endpoint == "refund" else "customer"),
        bodies(fields, ("amount",)),
        content_types,
    )


def post_money(world, endpoint, case):
    path, template = money_template(world, endpoint, case.variant)
    data = body_bytes(case.body, template)
    headers = with_content_type(auth_headers(case.auth), case.content_type)
    return world.check("POST", BASE + path, data=data, headers=headers)


def amount_sent(body):
    """The text of the `amount` an initiate body sent (JSON number or string), None if it is not one."""
    if not isinstance(body, Changed):
        return None
    amount = "500"
    for name, value in body.changes:
        if name == "amount":
            amount = value.value if isinstance(value, Repeated) else value.text if isinstance(value, Raw) else value
    return amount if isinstance(amount, str) else None


# Explicit examples: the cases and what this test found in its first runs (they run first,
# on every run, whatever the generated examples are).
TINY, INEXACT = Raw("1e-100000000"), Raw("249.99999999999999999999999999999")
HUGE_EXPONENT = Raw("1e9999999999999999999")  # beyond Decimal's exponent limit: json.loads raises InvalidOperation
DEEP_LIST = RawBytes(deep("[", 50_000).text.encode(), "deep('[', 50000)")
DEEP_OBJECT = RawBytes(deep('{"a":', 50_000).text.encode(), """deep('{"a":', 50000)""")


def amount_is(value, variant="razorpay", auth="customer"):
    return MoneyCase(variant, auth, Changed((("amount", value),)))


@PROPERTIES
@given(case=money_cases("initiate"))
@example(case=amount_is(TINY))
@example(case=amount_is(INEXACT))
@example(case=amount_is(HUGE_EXPONENT))
@example(case=MoneyCase("razorpay", "customer", DEEP_LIST))
def test_initiate_survives_arbitrary_input(world, case):
    """... and a top-up it accepts is recorded for exactly the amount sent, and can be confirmed."""
    response = post_money(world, "initiate", case)
    if response.status_code != 200:
        return
    payment_order = world.db["payment_orders"].find_one({"_id": response.get_json()["payment_order_id"]})
    world.confirm(payment_order)
    amount_minor, text = payment_order["amount_minor"], amount_sent(case.body)
    assert type(amount_minor) is int and 0 < amount_minor <= 10**9, f"initiate accepted {payment_order}"
    if text is not None:
        try:
            sent = Decimal(text)
        except ArithmeticError:  # not a number at all
            sent = None
        assert sent is not None and Decimal(amount_minor).scaleb(-2) == sent, (
            f"initiate accepted amount {text!r} and recorded {amount_minor} minor units"
        )  # (Decimal `==` is exact)


@PROPERTIES
@given(case=money_cases("verify"))
@example(case=MoneyCase("razorpay", "customer", Changed((("order_id", HUGE_EXPONENT),))))
def test_verify_survives_arbitrary_input(world, case):
    post_money(world, "verify", case)


@PROPERTIES
@given(case=money_cases("pay"))
@example(case=amount_is(TINY, "wallet"))
@example(case=amount_is(HUGE_EXPONENT, "wallet"))
def test_pay_with_wallet_survives_arbitrary_input(world, case):
    post_money(world, "pay", case)


@PROPERTIES
@given(case=money_cases("refund"))
@example(case=amount_is(TINY, "wallet", "admin"))
@example(case=amount_is(HUGE_EXPONENT, "wallet", "admin"))
@example(case=MoneyCase("wallet", "admin", Changed((("reason", "\ud800"),))))
def test_refund_to_wallet_survives_arbitrary_input(world, case):
    post_money(world, "refund", case)


# --- 5: Razorpay webhook -----------------------------------------------------------------------
@dataclass(frozen=True)
class RazorpayEvent:
    event_type: Any
    payment_order: Any  # FRESH, FRESH_OTHER or any value
    payment_id: Any
    amount: Any  # EXACT or any value
    currency: Any
    replace: tuple | None = None  # (path, value): another member of the event replaced
    ascii_only: bool = True


@dataclass(frozen=True)
class RazorpayCase:
    body: Any  # RazorpayEvent, Whole or RawBytes
    signature: Any  # VALID, MISSING, "another secret", or any header value
    event_id: Any = MISSING
    content_type: Any = "application/json"


EVENT_PATHS = [
    ("event",),
    ("payload",),
    ("payload", "payment"),
    ("payload", "payment", "entity"),
    ("payload", "payment", "entity", "status"),
    ("payload", "order"),
    ("entity",),
    ("contains",),
]
razorpay_events = st.builds(
    RazorpayEvent,
    event_type=st.one_of(
        st.sampled_from(["payment.captured", "order.paid", "payment.failed", "refund.created"]), texts, any_values
    ),
    payment_order=st.one_of(st.just(FRESH), st.just(FRESH), st.just(FRESH_OTHER), odd_ids, any_values),
    payment_id=st.one_of(odd_ids, any_values),
    amount=st.one_of(integer_edges, integer_edges, number_literals, st.just(EXACT), st.integers(), any_values),
    currency=st.one_of(st.sampled_from(["INR", "USD", "inr", ""]), any_values),
    replace=st.one_of(st.none(), st.none(), st.tuples(st.sampled_from(EVENT_PATHS), field_values)),
    ascii_only=st.booleans(),
)
razorpay_cases = st.builds(
    RazorpayCase,
    body=st.one_of(
        razorpay_events,
        razorpay_events,
        razorpay_events,
        st.builds(Whole, any_values, st.booleans()),
        raw_bodies.map(RawBytes),
    ),
    signature=st.one_of(
        st.just(VALID), st.just(VALID), st.just(VALID), st.sampled_from([MISSING, "another secret"]), header_texts
    ),
    event_id=st.one_of(st.just(MISSING), header_texts),
    content_type=content_types,
)


def razorpay_body(world, event):
    payment_order_id = world.chosen_payment_order(event.payment_order, "razorpay", "paypal")
    document = razorpay_event(
        event.event_type,
        payment_order_id,
        event.payment_id,
        TOPUP_MINOR if event.amount is EXACT else event.amount,
        event.currency,
    )
    if event.replace is not None:
        document = replace_at(document, *event.replace)
    return encode(document, event.ascii_only)


def hmac_hex(secret, data):
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


@PROPERTIES
@given(case=razorpay_cases)
@example(case=RazorpayCase(RazorpayEvent("payment.captured", FRESH, "pay_1", 10**30, "INR"), VALID))
@example(case=RazorpayCase(DEEP_LIST, VALID))
@example(case=RazorpayCase(RazorpayEvent("\ud800", FRESH, "pay_1", EXACT, "INR"), VALID))
@example(case=RazorpayCase(RazorpayEvent("payment.captured", "\ud800", "pay_1", EXACT, "INR"), VALID))
def test_razorpay_webhook_survives_arbitrary_input(world, case):
    if isinstance(case.body, RazorpayEvent):
        data = razorpay_body(world, case.body)
    else:
        data = body_bytes(case.body, dict)
    headers = with_content_type({}, case.content_type)
    if case.signature is VALID:
        headers["X-Razorpay-Signature"] = hmac_hex(DEV_RAZORPAY_WEBHOOK_SECRET, data)
    elif case.signature == "another secret":
        headers["X-Razorpay-Signature"] = hmac_hex("not-the-webhook-secret", data)
    elif case.signature is not MISSING:
        headers["X-Razorpay-Signature"] = case.signature
    if case.event_id is not MISSING:
        headers["X-Razorpay-Event-Id"] = case.event_id
    world.check("POST", f"{BASE}/webhook/razorpay", data=data, headers=headers)


# --- 6: PayPal webhook -------------------------------------------------------------------------
@dataclass(frozen=True)
class PayPalEvent:
    event_type: Any
    payment_order: Any  # FRESH, FRESH_OTHER, MISSING (only custom_id names it) or any value
    custom_id: Any  # FRESH (the payment order's reference), MISSING or any value
    amount: Any  # EXACT, {currency_code, value} with arbitrary members, or any value
    capture_id: Any
    event_id: Any
    replace: tuple | None = None
    ascii_only: bool = True


@dataclass(frozen=True)
class PayPalCase:
    body: Any  # PayPalEvent, Whole or RawBytes
    signature: Any  # VALID, MISSING, "another webhook id", "another body", or (header, value)


PAYPAL_HEADERS = (
    "PAYPAL-TRANSMISSION-ID",
    "PAYPAL-TRANSMISSION-TIME",
    "PAYPAL-TRANSMISSION-SIG",
    "PAYPAL-CERT-URL",
    "PAYPAL-AUTH-ALGO",
    "Content-Type",
)
PAYPAL_VALUES = [
    "1e30",
    "1E+1000000",
    "500.00",
    "500",
    "500.0",
    "500.001",
    "0500.00",
    "5e2",
    "-500.00",
    " 500.00",
    "1e-100000000",
    str(10**30),
    "1e999999999999999999",
    "1e9999999999999999999",
    "NaN",
    "Infinity",
    "sNaN",
    "-0",
    "",
    "500,00",
    "٥٠٠",
]
paypal_values = st.sampled_from(PAYPAL_VALUES)
paypal_amount_objects = st.fixed_dictionaries(
    {
        "currency_code": st.one_of(
            st.just("INR"), st.just("INR"), st.sampled_from(["USD", "inr", "", MISSING]), any_values
        ),
        "value": st.one_of(paypal_values, paypal_values, number_texts, number_literals, any_values, st.just(MISSING)),
    }
)
paypal_amounts = st.one_of(
    paypal_amount_objects, paypal_amount_objects, paypal_amount_objects, st.just(EXACT), any_values
)
RESOURCE_PATHS = [
    ("resource",),
    ("resource", "supplementary_data"),
    ("resource", "supplementary_data", "related_ids"),
    ("resource", "status"),
    ("resource_type",),
    ("event_version",),
    ("links",),
]
paypal_events = st.builds(
    PayPalEvent,
    event_type=st.one_of(
        st.sampled_from(
            [
                "PAYMENT.CAPTURE.COMPLETED",
                "PAYMENT.CAPTURE.DENIED",
                "PAYMENT.CAPTURE.DECLINED",
                "CHECKOUT.ORDER.APPROVED",
            ]
        ),
        texts,
        any_values,
    ),
    payment_order=st.one_of(
        st.just(FRESH), st.just(FRESH), st.sampled_from([FRESH_OTHER, MISSING]), odd_ids, any_values
    ),
    custom_id=st.one_of(st.just(FRESH), st.just(MISSING), odd_ids, any_values),
    amount=paypal_amounts,
    capture_id=st.one_of(odd_ids, any_values),
    event_id=st.one_of(st.just(FRESH), odd_ids, any_values),
    replace=st.one_of(st.none(), st.none(), st.tuples(st.sampled_from(RESOURCE_PATHS), field_values)),
    ascii_only=st.booleans(),
)
paypal_cases = st.builds(
    PayPalCase,
    body=st.one_of(
        paypal_events,
        paypal_events,
        paypal_events,
        st.builds(Whole, any_values, st.booleans()),
        raw_bodies.map(RawBytes),
    ),
    signature=st.one_of(
        st.just(VALID),
        st.just(VALID),
        st.just(VALID),
        st.sampled_from([MISSING, "another webhook id", "another body"]),
        st.tuples(st.sampled_from(PAYPAL_HEADERS), header_texts),
    ),
)


def paypal_body(world, event):
    made = event.payment_order is FRESH or event.payment_order is FRESH_OTHER
    payment_order_id = None
    if made or event.payment_order is MISSING or event.custom_id is FRESH:
        payment_order_id = world.payment_order("razorpay" if event.payment_order is FRESH_OTHER else "paypal")
    order_id = payment_order_id if made else event.payment_order
    custom_id = world.reference(payment_order_id) if event.custom_id is FRESH else event.custom_id
    amount = {"currency_code": "INR", "value": "500.00"} if event.amount is EXACT else event.amount
    resource = {
        "id": event.capture_id,
        "status": "COMPLETED",
        "final_capture": True,
        "amount": amount,
        "custom_id": custom_id,
        "supplementary_data": {"related_ids": {"order_id": order_id}},
    }
    document = {
        "id": f"WH-{uuid.uuid4().hex}" if event.event_id is FRESH else event.event_id,
        "event_version": "1.0",
        "resource_type": "capture",
        "event_type": event.event_type,
        "resource": resource,
        "links": [],
    }
    if event.replace is not None:
        document = replace_at(document, *event.replace)
    return encode(document, event.ascii_only)


@PROPERTIES
@given(case=paypal_cases)
@example(
    case=PayPalCase(
        PayPalEvent(
            "PAYMENT.CAPTURE.COMPLETED", FRESH, FRESH, {"currency_code": "INR", "value": "1e30"}, "CAP1", FRESH
        ),
        VALID,
    )
)
@example(
    case=PayPalCase(
        PayPalEvent(
            "PAYMENT.CAPTURE.COMPLETED", FRESH, FRESH, {"currency_code": "INR", "value": "1E+1000000"}, "CAP1", FRESH
        ),
        VALID,
    )
)
@example(case=PayPalCase(DEEP_OBJECT, VALID))
@example(case=PayPalCase(PayPalEvent("\ud800", FRESH, FRESH, EXACT, "CAP1", FRESH), VALID))
@example(case=PayPalCase(Whole({"id": "WH-1", "event_type": "X", "n": HUGE_EXPONENT}), VALID))
def test_paypal_webhook_survives_arbitrary_input(world, case):
    if isinstance(case.body, PayPalEvent):
        data = paypal_body(world, case.body)
    else:
        data = body_bytes(case.body, dict)
    if case.signature is VALID:
        headers = signed_headers(data, DEV_PAYPAL_WEBHOOK_ID)
    elif case.signature is MISSING:
        headers = {"Content-Type": "application/json"}
    elif case.signature == "another webhook id":
        headers = signed_headers(data, "WH-ANOTHER")
    elif case.signature == "another body":
        headers = signed_headers(data + b" ", DEV_PAYPAL_WEBHOOK_ID)
    else:
        name, value = case.signature
        headers = {**signed_headers(data, DEV_PAYPAL_WEBHOOK_ID), name: value}
    world.check("POST", f"{BASE}/webhook/paypal", data=data, headers=headers)


# --- 7: Google Pay token post ------------------------------------------------------------------
@dataclass(frozen=True)
class GooglePayPost:
    payment_order: Any  # FRESH, FRESH_OTHER, MISSING or any value
    token: Any  # VALID (a new simulator token), "spent" (one used before), MISSING or any value
    token_member: tuple | None = None  # (key, value): one member of a valid token replaced
    replace: tuple | None = None  # (path, value) in paymentData
    ascii_only: bool = True


@dataclass(frozen=True)
class GooglePayCase:
    body: Any  # GooglePayPost, Whole or RawBytes
    content_type: Any = "application/json"


TOKEN_KEYS = ("protocolVersion", "signature", "intermediateSigningKey", "signedMessage", "extra")
PAYMENT_DATA_PATHS = [
    (),
    ("paymentMethodData",),
    ("paymentMethodData", "tokenizationData"),
    ("paymentMethodData", "tokenizationData", "type"),
    ("paymentMethodData", "type"),
]
google_pay_posts = st.builds(
    GooglePayPost,
    payment_order=st.one_of(
        st.just(FRESH), st.just(FRESH), st.sampled_from([FRESH_OTHER, MISSING]), odd_ids, any_values
    ),
    token=st.one_of(
        st.just(VALID),
        st.just(VALID),
        st.sampled_from(["spent", MISSING]),
        texts,
        st.builds(repeated, st.sampled_from(["[", '{"a":', "{", "A"]), st.sampled_from([1000, 4096, 16384])),
        any_values,
    ),
    token_member=st.one_of(st.none(), st.none(), st.tuples(st.sampled_from(TOKEN_KEYS), field_values)),
    replace=st.one_of(st.none(), st.none(), st.tuples(st.sampled_from(PAYMENT_DATA_PATHS), field_values)),
    ascii_only=st.booleans(),
)
google_pay_cases = st.builds(
    GooglePayCase,
    body=st.one_of(
        google_pay_posts,
        google_pay_posts,
        google_pay_posts,
        st.builds(Whole, any_values, st.booleans()),
        raw_bodies.map(RawBytes),
    ),
    content_type=content_types,
)


def google_pay_body(world, post):
    payment_order_id = world.chosen_payment_order(post.payment_order, "google_pay", "razorpay")
    real = post.token is VALID or post.token == "spent"
    if post.token is VALID or (post.token == "spent" and world.spent_token is None):
        token_text = world.spent_token = world.google_pay_token()
    elif post.token == "spent":
        token_text = world.spent_token
    else:
        token_text = post.token
    if post.token_member is not None and real:
        token_text = dumps(replace_at(json.loads(token_text), (post.token_member[0],), post.token_member[1]))
    document = {"payment_order_id": payment_order_id, "paymentData": payment_data(token_text)}
    if post.replace is not None:
        document["paymentData"] = replace_at(document["paymentData"], *post.replace)
    return encode(document, post.ascii_only)


@PROPERTIES
@given(case=google_pay_cases)
@example(case=GooglePayCase(GooglePayPost(HUGE_EXPONENT, VALID)))
@example(case=GooglePayCase(DEEP_LIST))
def test_google_pay_webhook_survives_arbitrary_input(world, case):
    if isinstance(case.body, GooglePayPost):
        data = google_pay_body(world, case.body)
    else:
        data = body_bytes(case.body, dict)
    headers = with_content_type({}, case.content_type)
    world.check("POST", f"{BASE}/webhook/google-pay", data=data, headers=headers)


# --- 8, 9: status and health -------------------------------------------------------------------
@dataclass(frozen=True)
class ReadCase:
    endpoint: str  # "status" or "health"
    method: str
    customer: Any  # CUSTOMER, OTHER_CUSTOMER or any text (the path segment, percent-encoded)
    query: Any  # MISSING, a mapping, or raw query text
    auth: Any


read_cases = st.builds(
    ReadCase,
    endpoint=st.sampled_from(["status", "health"]),
    method=st.sampled_from(["GET", "GET", "GET", "POST", "PUT", "DELETE"]),
    customer=st.one_of(st.sampled_from([CUSTOMER, OTHER_CUSTOMER]), odd_ids, texts),
    query=st.one_of(
        st.just(MISSING),
        st.fixed_dictionaries({"currency": st.one_of(st.sampled_from(["INR", "USD", "EUR", "inr", "", "XXX"]), texts)}),
        texts,
    ),
    auth=auths(),
)


@PROPERTIES
@given(case=read_cases)
def test_status_and_health_survive_arbitrary_input(world, case):
    if case.endpoint == "health":
        path = f"{BASE}/health"
    else:
        customer = case.customer.value if isinstance(case.customer, Repeated) else case.customer
        path = f"{BASE}/status/" + quote(customer.encode("utf-8", "surrogatepass"), safe="")
    if case.query is MISSING:
        query = None
    elif isinstance(case.query, dict):
        query = "currency=" + quote(case.query["currency"].encode("utf-8", "surrogatepass"), safe="")
    else:
        query = quote(case.query.encode("utf-8", "surrogatepass"), safe="=&")
    world.check(case.method, path, headers=auth_headers(case.auth), query_string=query)
