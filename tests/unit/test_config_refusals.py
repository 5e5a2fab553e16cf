"""Configuration that cannot start unsafe: APP_ENV is exact, and production refuses weak or public
secrets, simulator credentials and loose CORS, naming the variable and why (findings 1-3)."""
import pytest

from backend import create_app
from backend.config import DEV_JWT_SECRET, load_config
from backend.errors import ConfigError
from backend.gateways.paypal_simulator import DEV_PAYPAL_CLIENT_ID, DEV_PAYPAL_CLIENT_SECRET, DEV_PAYPAL_WEBHOOK_ID
from backend.gateways.razorpay_simulator import (
    DEV_RAZORPAY_KEY_ID, DEV_RAZORPAY_KEY_SECRET, DEV_RAZORPAY_WEBHOOK_SECRET,
)
from tests.helpers import TEST_JWT_SECRET
from tests.unit.test_config import SAFE_PRODUCTION, clean_environment  # noqa: F401 (autouse fixture)


# --- finding 1: a mistyped APP_ENV --------------------------------------------------------------
@pytest.mark.parametrize("app_env", ["Production", "prod", "PRODUCTION", "production ", "dev", "staging", ""])
def test_an_app_env_other_than_the_three_refuses_to_start_and_names_them(app_env):
    with pytest.raises(ConfigError, match="APP_ENV.*development, test or production"):
        load_config({"APP_ENV": app_env})


def test_a_mistyped_app_env_from_the_environment_refuses_create_app(monkeypatch):
    monkeypatch.setenv("APP_ENV", "prod")
    with pytest.raises(ConfigError, match="APP_ENV"):
        create_app({"TESTING": True})


@pytest.mark.parametrize("app_env", ["development", "test", "production"])
def test_the_three_app_envs_are_accepted(app_env):
    overrides = SAFE_PRODUCTION if app_env == "production" else {}
    assert load_config(dict(overrides, APP_ENV=app_env))["APP_ENV"] == app_env


# --- finding 2: CORS whitespace and plain http ------------------------------------------------
@pytest.mark.parametrize("origins", ["https://shop.example.com, *", " *", "*,https://shop.example.com", " * "])
def test_production_refuses_a_wildcard_anywhere_in_cors_origins(origins):
    with pytest.raises(ConfigError, match=r"CORS_ORIGINS.*\*"):
        load_config(dict(SAFE_PRODUCTION, CORS_ORIGINS=origins))


@pytest.mark.parametrize("origins", ["http://shop.example.com", "https://shop.example.com,http://admin.example.com",
                                     "shop.example.com"])
def test_production_refuses_an_origin_that_is_not_https(origins):
    with pytest.raises(ConfigError, match="CORS_ORIGINS.*https"):
        load_config(dict(SAFE_PRODUCTION, CORS_ORIGINS=origins))


def test_production_accepts_several_https_origins():
    config = load_config(dict(SAFE_PRODUCTION, CORS_ORIGINS=" https://a.example.com , https://b.example.com "))
    assert config["CORS_ORIGINS"] == ["https://a.example.com", "https://b.example.com"]


# --- finding 3: weak or public secrets, simulator credentials in live mode ---------------------
@pytest.mark.parametrize("secret, why", [
    (" " * 40, "blank"),
    ("a" * 32, "one repeated character"),
    ("ab" * 8, "shorter than 32 bytes"),
    (DEV_JWT_SECRET, "documented development value"),
    (DEV_RAZORPAY_WEBHOOK_SECRET + "-" * 32, None),  # long and not documented: accepted
])
def test_production_refuses_weak_or_public_jwt_secrets(secret, why):
    if why is None:
        assert load_config(dict(SAFE_PRODUCTION, JWT_SECRET=secret))["JWT_SECRET"] == secret
        return
    with pytest.raises(ConfigError, match=f"JWT_SECRET.*{why}"):
        load_config(dict(SAFE_PRODUCTION, JWT_SECRET=secret))


def test_the_test_suites_secret_is_a_documented_value_too():
    with pytest.raises(ConfigError, match="JWT_SECRET.*documented development value"):
        load_config(dict(SAFE_PRODUCTION, JWT_SECRET=TEST_JWT_SECRET))


@pytest.mark.parametrize("key, value", [
    ("RAZORPAY_KEY_ID", DEV_RAZORPAY_KEY_ID),
    ("RAZORPAY_KEY_SECRET", DEV_RAZORPAY_KEY_SECRET),
    ("RAZORPAY_WEBHOOK_SECRET", DEV_RAZORPAY_WEBHOOK_SECRET),
    ("PAYPAL_CLIENT_ID", DEV_PAYPAL_CLIENT_ID),
    ("PAYPAL_CLIENT_SECRET", DEV_PAYPAL_CLIENT_SECRET),
    ("PAYPAL_WEBHOOK_ID", DEV_PAYPAL_WEBHOOK_ID),
])
def test_production_refuses_the_simulators_documented_credentials(key, value):
    with pytest.raises(ConfigError, match=f"{key}.*simulator"):
        load_config(dict(SAFE_PRODUCTION, **{key: value}))


def test_every_refusal_is_listed_at_once():
    with pytest.raises(ConfigError) as refused:
        load_config(dict(SAFE_PRODUCTION, JWT_SECRET="a" * 40, CORS_ORIGINS="*",
                         RAZORPAY_KEY_SECRET=DEV_RAZORPAY_KEY_SECRET))
    message = str(refused.value)
    assert "JWT_SECRET" in message and "CORS_ORIGINS" in message and "RAZORPAY_KEY_SECRET" in message
