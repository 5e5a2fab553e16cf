"""Bearer tokens have a bounded lifetime: beyond the bound (or without an expiry) they are refused; the
bound is a setting."""

import datetime

import jwt
import pytest

from backend import create_app
from tests.conftest import app_config
from tests.helpers import BASE, TEST_JWT_SECRET
from tests.integration.support import assert_error


def signed(claims):
    return {"Authorization": "Bearer " + jwt.encode(claims, TEST_JWT_SECRET, algorithm="HS256")}


def now():
    return datetime.datetime.now(datetime.UTC)


@pytest.mark.parametrize(
    "make_claims",
    [
        lambda: {"exp": int(now().timestamp()) + 10**10},
        lambda: {"exp": now() + datetime.timedelta(seconds=24 * 3600 + 120)},
        lambda: {"exp": str(int(now().timestamp()) + 600)},
        lambda: {"exp": True},
        lambda: {"exp": now() + datetime.timedelta(seconds=600), "iat": now() + datetime.timedelta(seconds=600)},
    ],
    ids=["exp 10^10 s ahead", "exp beyond 24 h", "exp a numeric string", "exp a boolean", "iat in the future"],
)
def test_tokens_beyond_the_lifetime_bound_are_refused(client, make_claims):
    claims = dict({"sub": "cust_t", "role": "customer"}, **make_claims())  # made now, not at collection
    assert_error(client.get(f"{BASE}/status/cust_t", headers=signed(claims)), 401, "invalid_token")


def test_tokens_within_the_bound_are_accepted(client):
    claims = {"sub": "cust_t", "role": "customer", "exp": now() + datetime.timedelta(hours=23), "iat": now()}
    assert client.get(f"{BASE}/status/cust_t", headers=signed(claims)).status_code == 200


def test_the_lifetime_bound_is_configurable():
    app = create_app(app_config(JWT_MAX_LIFETIME_SECONDS="600"))
    claims = {"sub": "cust_t", "role": "customer", "exp": now() + datetime.timedelta(seconds=1200)}
    assert_error(app.test_client().get(f"{BASE}/status/cust_t", headers=signed(claims)), 401, "invalid_token")
