"""Bearer tokens (401) and who may touch which wallet (403): every rejection writes nothing."""

import base64
import datetime
import json
import time
import warnings

import jwt
import pytest

from tests.helpers import BASE, TEST_JWT_SECRET, WEBHOOK_PATH, bearer, checkout_signature, snapshot, token
from tests.integration.support import assert_error, balance_minor, confirm_by_webhook, initiated, paid_order

ADMIN = bearer("admin_1", "admin")


def b64url(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def future(seconds=3600):
    return int(time.time()) + seconds


def unsigned_token(claims, header=None):
    """`alg: none`: header and payload, and an empty signature."""
    return f"{b64url(header or {'alg': 'none', 'typ': 'JWT'})}.{b64url(claims)}."


def signed(claims, secret=TEST_JWT_SECRET, algorithm="HS256"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm=algorithm)


# Each: (Authorization header value or None for no header, expected error code).
REJECTED_AUTHORIZATION = {
    "missing": (None, "unauthorized"),
    "empty": ("", "unauthorized"),
    "scheme only": ("Bearer", "unauthorized"),
    "scheme and space": ("Bearer ", "unauthorized"),
    "basic scheme": ("Basic x", "unauthorized"),
    "basic credentials": ("Basic " + base64.b64encode(b"cust_a:pw").decode(), "unauthorized"),
    "token without scheme": (token("cust_a"), "unauthorized"),
    "token scheme": ("Token " + token("cust_a"), "unauthorized"),
    "malformed abc": ("Bearer abc", "invalid_token"),
    "malformed three parts": ("Bearer a.b.c", "invalid_token"),
    "malformed two tokens": ("Bearer " + token("cust_a") + " " + token("cust_a"), "invalid_token"),
    "wrong key": ("Bearer " + token("cust_a", secret="another-secret-0123456789-0123456789"), "invalid_token"),
    "alg none": ("Bearer " + unsigned_token({"sub": "cust_a", "role": "customer", "exp": future()}), "invalid_token"),
    "alg none as admin": (
        "Bearer " + unsigned_token({"sub": "cust_a", "role": "admin", "exp": future()}),
        "invalid_token",
    ),
    "alg NONE": (
        "Bearer "
        + unsigned_token({"sub": "cust_a", "role": "customer", "exp": future()}, {"alg": "NONE", "typ": "JWT"}),
        "invalid_token",
    ),
    "HS256 header, empty signature": (
        "Bearer "
        + unsigned_token({"sub": "cust_a", "role": "customer", "exp": future()}, {"alg": "HS256", "typ": "JWT"}),
        "invalid_token",
    ),
    "HS512 with right key": (
        "Bearer " + signed({"sub": "cust_a", "role": "customer", "exp": future()}, algorithm="HS512"),
        "invalid_token",
    ),
    "signature of other payload": (
        "Bearer " + ".".join(token("cust_a", role="admin").split(".")[:2] + [token("cust_a").split(".")[2]]),
        "invalid_token",
    ),
    "expired": ("Bearer " + token("cust_a", expires_in_seconds=-120), "token_expired"),
    "missing exp": ("Bearer " + signed({"sub": "cust_a", "role": "customer"}), "invalid_token"),
    "exp not a number": ("Bearer " + signed({"sub": "cust_a", "role": "customer", "exp": "tomorrow"}), "invalid_token"),
    # found by a red-team pass: an integer no float can hold made the expiry check raise (500)
    "exp beyond a float": ("Bearer " + signed({"sub": "cust_a", "role": "customer", "exp": 10**400}), "invalid_token"),
    "missing role": ("Bearer " + signed({"sub": "cust_a", "exp": future()}), "invalid_token"),
    "missing sub": ("Bearer " + signed({"role": "customer", "exp": future()}), "invalid_token"),
    "unknown role": ("Bearer " + token("cust_a", role="superuser"), "invalid_token"),
    "role in other case": ("Bearer " + token("cust_a", role="Admin"), "invalid_token"),
    "role as list": ("Bearer " + signed({"sub": "cust_a", "role": ["admin"], "exp": future()}), "invalid_token"),
    "empty role": ("Bearer " + token("cust_a", role=""), "invalid_token"),
    "sub with bad characters": ("Bearer " + token("cust a", role="customer"), "invalid_token"),
    "sub with trailing newline": ("Bearer " + token("cust_a\n", role="customer"), "invalid_token"),
    "sub too long": ("Bearer " + token("c" * 65), "invalid_token"),
    "a customer's sub an e-mail address": ("Bearer " + token("ops@shop.example"), "invalid_token"),
    "an admin's sub too long": ("Bearer " + token("a" * 129, role="admin"), "invalid_token"),
    "not yet valid": ("Bearer " + token("cust_a", nbf=future(3600)), "invalid_token"),
}


@pytest.mark.parametrize("authorization, code", REJECTED_AUTHORIZATION.values(), ids=REJECTED_AUTHORIZATION.keys())
def test_rejected_token_on_initiate(client, db, authorization, code):
    headers = {} if authorization is None else {"Authorization": authorization}
    before = snapshot(db)
    response = client.post(
        f"{BASE}/wallet/topup/initiate", json={"customer_id": "cust_a", "amount": 10}, headers=headers
    )
    assert_error(response, 401, code)
    assert snapshot(db) == before


@pytest.mark.parametrize("authorization, code", REJECTED_AUTHORIZATION.values(), ids=REJECTED_AUTHORIZATION.keys())
def test_rejected_token_on_refund(api, db, authorization, code):
    order_id = paid_order(api, "cust_a", 1000)
    headers = {} if authorization is None else {"Authorization": authorization}
    before = snapshot(db)
    assert_error(api.refund(order_id, "cust_a", 10, headers=headers or {"X-None": "1"}), 401, code)
    assert snapshot(db) == before


PROTECTED_ENDPOINTS = [
    ("post", "/wallet/topup/initiate"),
    ("post", "/wallet/topup/verify"),
    ("post", "/order/pay-with-wallet"),
    ("post", "/order/refund-to-wallet"),
    ("get", "/status/cust_a"),
]


@pytest.mark.parametrize("method, path", PROTECTED_ENDPOINTS)
def test_every_protected_endpoint_needs_a_token(client, db, method, path):
    before = snapshot(db)
    response = getattr(client, method)(BASE + path, json={"customer_id": "cust_a", "amount": 10})
    assert_error(response, 401, "unauthorized")
    assert snapshot(db) == before


@pytest.mark.parametrize("method, path", PROTECTED_ENDPOINTS)
def test_every_protected_endpoint_rejects_expired_token(client, db, method, path):
    before = snapshot(db)
    headers = {"Authorization": "Bearer " + token("admin_1", role="admin", expires_in_seconds=-5)}
    response = getattr(client, method)(BASE + path, json={"customer_id": "cust_a", "amount": 10}, headers=headers)
    assert_error(response, 401, "token_expired")
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "authorization, challenge",
    [
        (None, "Bearer"),  # no token: the scheme to use
        ("Bearer not-a-token", 'Bearer error="invalid_token"'),
        ("Bearer " + token("cust_a", expires_in_seconds=-5), 'Bearer error="invalid_token"'),
    ],
)
def test_a_401_says_how_to_authenticate(client, authorization, challenge):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get(f"{BASE}/status/cust_a", headers=headers)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == challenge  # RFC 6750 §3


def test_scheme_is_case_insensitive(api):
    response = api.initiate("cust_a", 10, headers={"Authorization": "bearer " + token("cust_a")})
    assert response.status_code == 200, response.get_json()


def test_token_valid_for_a_while_is_accepted(api):
    headers = {"Authorization": "Bearer " + token("cust_a", expires_in_seconds=60)}
    assert api.status("cust_a", headers=headers).status_code == 200


def test_token_with_iat_is_accepted(api):
    now = datetime.datetime.now(datetime.UTC)
    headers = {"Authorization": "Bearer " + token("cust_a", iat=now)}
    assert api.status("cust_a", headers=headers).status_code == 200


def test_webhook_needs_no_token(api, client, db):
    order_id = initiated(api, "cust_a", 10)
    response = confirm_by_webhook(client, order_id, 1000)
    assert response.status_code == 200, response.get_json()
    assert balance_minor(db, "cust_a") == 1000


# --- a customer touching another customer's wallet: 403, nothing written ----------------------
def test_initiate_for_other_customer_forbidden(api, db):
    before = snapshot(db)
    assert_error(api.initiate("cust_b", 10, headers=bearer("cust_a")), 403, "forbidden")
    assert snapshot(db) == before


def test_pay_from_other_customers_wallet_forbidden(api, db):
    api.topup("cust_b", 100)
    order_id = api.add_order("cust_b", 1000)
    before = snapshot(db)
    assert_error(api.pay(order_id, "cust_b", 10, headers=bearer("cust_a")), 403, "forbidden")
    assert snapshot(db) == before
    assert balance_minor(db, "cust_b") == 10000


def test_pay_other_customers_wallet_for_own_order_forbidden(api, db):
    api.topup("cust_b", 100)
    order_id = api.add_order("cust_a", 1000)
    before = snapshot(db)
    assert_error(api.pay(order_id, "cust_b", 10, headers=bearer("cust_a")), 403, "forbidden")
    assert snapshot(db) == before


def test_status_of_other_customer_forbidden(api, db):
    api.topup("cust_b", 100)
    before = snapshot(db)
    assert_error(api.status("cust_b", headers=bearer("cust_a")), 403, "forbidden")
    assert snapshot(db) == before


def test_verify_other_customers_payment_order_forbidden(api, client, db):
    order_id = initiated(api, "cust_b", 100)
    before = snapshot(db)
    response = client.post(
        f"{BASE}/wallet/topup/verify",
        json={"payment_id": "pay_B1", "order_id": order_id, "signature": checkout_signature(order_id, "pay_B1")},
        headers=bearer("cust_a"),
    )
    assert_error(response, 403, "forbidden")
    assert snapshot(db) == before
    assert balance_minor(db, "cust_b") == 0


def test_customer_refund_of_own_order_forbidden(api, db):
    order_id = paid_order(api, "cust_a", 1000)
    before = snapshot(db)
    assert_error(api.refund(order_id, "cust_a", 10, headers=bearer("cust_a")), 403, "forbidden")
    assert snapshot(db) == before


def test_customer_refund_of_other_customers_order_forbidden(api, db):
    order_id = paid_order(api, "cust_b", 1000)
    before = snapshot(db)
    assert_error(api.refund(order_id, "cust_b", 10, headers=bearer("cust_a")), 403, "forbidden")
    assert snapshot(db) == before


def test_admin_may_pay_for_a_customer(api, db):
    api.topup("cust_b", 100)
    order_id = api.add_order("cust_b", 1000)
    response = api.pay(order_id, "cust_b", 10, headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    assert balance_minor(db, "cust_b") == 9000


def test_admin_may_verify_any_payment_order(api, client, db):
    order_id = initiated(api, "cust_b", 100)
    response = client.post(
        f"{BASE}/wallet/topup/verify",
        json={"payment_id": "pay_B1", "order_id": order_id, "signature": checkout_signature(order_id, "pay_B1")},
        headers=ADMIN,
    )
    assert response.status_code == 200, response.get_json()
    assert balance_minor(db, "cust_b") == 10000


def test_webhook_path_ignores_authorization(client, db):
    response = client.post(WEBHOOK_PATH, data=b"{}", headers={"Authorization": "Bearer " + token("cust_a")})
    assert_error(response, 400, "invalid_signature")
