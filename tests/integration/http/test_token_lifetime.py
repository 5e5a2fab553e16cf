"""Bearer tokens' lifetime: with a bound (JWT_MAX_LIFETIME_SECONDS; 24 h in production when unset)
tokens beyond it are refused; without one (the default outside production: SPEC §5 asks only for an
`exp`) a token lives as long as its issuer says. Tokens without a numeric future `exp` are refused
either way. An admin's `sub` may be an e-mail address."""

import datetime

import jwt
import pytest

from backend import create_app
from backend.config import load_config
from tests.config_support import SAFE_PRODUCTION, clean_environment  # noqa: F401 (autouse fixture)
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
def test_tokens_beyond_the_lifetime_bound_are_refused(make_claims):
    client = create_app(app_config(JWT_MAX_LIFETIME_SECONDS="86400")).test_client()
    claims = dict({"sub": "cust_t", "role": "customer"}, **make_claims())  # made now, not at collection
    assert_error(client.get(f"{BASE}/status/cust_t", headers=signed(claims)), 401, "invalid_token")


def test_tokens_within_the_bound_are_accepted():
    client = create_app(app_config(JWT_MAX_LIFETIME_SECONDS="86400")).test_client()
    claims = {"sub": "cust_t", "role": "customer", "exp": now() + datetime.timedelta(hours=23), "iat": now()}
    assert client.get(f"{BASE}/status/cust_t", headers=signed(claims)).status_code == 200


@pytest.mark.parametrize("days", [7, 365])
def test_without_a_bound_a_long_lived_token_is_accepted(client, days):
    claims = {"sub": "cust_t", "role": "customer", "exp": now() + datetime.timedelta(days=days)}
    assert client.get(f"{BASE}/status/cust_t", headers=signed(claims)).status_code == 200
    expired = {"sub": "cust_t", "role": "customer", "exp": now() - datetime.timedelta(seconds=60)}
    assert_error(client.get(f"{BASE}/status/cust_t", headers=signed(expired)), 401, "token_expired")


def test_the_bound_is_24_hours_in_production_unless_set():
    assert load_config(SAFE_PRODUCTION)["JWT_MAX_LIFETIME_SECONDS"] == 86400
    assert load_config(dict(SAFE_PRODUCTION, JWT_MAX_LIFETIME_SECONDS="3600"))["JWT_MAX_LIFETIME_SECONDS"] == 3600
    assert load_config({"APP_ENV": "development"})["JWT_MAX_LIFETIME_SECONDS"] is None


def test_an_admin_named_by_an_e_mail_address_is_an_admin(client):
    claims = {"sub": "ops@shop.example", "role": "admin", "exp": now() + datetime.timedelta(hours=1)}
    assert client.get(f"{BASE}/status/cust_t", headers=signed(claims)).status_code == 200


def test_the_lifetime_bound_is_configurable():
    app = create_app(app_config(JWT_MAX_LIFETIME_SECONDS="600"))
    claims = {"sub": "cust_t", "role": "customer", "exp": now() + datetime.timedelta(seconds=1200)}
    assert_error(app.test_client().get(f"{BASE}/status/cust_t", headers=signed(claims)), 401, "invalid_token")
