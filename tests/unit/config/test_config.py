"""Configuration: the embedded default, and APP_ENV=production refusing unsafe settings."""

import datetime

import pytest

from backend.config import DEV_JWT_SECRET, load_config
from backend.errors import ConfigError
from tests.config_support import SAFE_PRODUCTION, clean_environment  # noqa: F401 (autouse fixture)


def test_embedded_default_is_mongomock_simulator_with_demo_data():
    config = load_config()
    assert config["MONGODB_URI"] == "mongomock://localhost" and config["EMBEDDED_STORE"]
    assert config["GATEWAY_MODE"] == "simulator"
    assert config["SEED_DEMO_DATA"] is True
    assert config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


def test_safe_production_settings_are_accepted_and_go_live():
    config = load_config(SAFE_PRODUCTION)
    assert config["GATEWAY_MODE"] == "live" and config["SEED_DEMO_DATA"] is False


@pytest.mark.parametrize(
    "override, complaint",
    [
        ({"JWT_SECRET": ""}, "JWT_SECRET"),
        ({"JWT_SECRET": DEV_JWT_SECRET}, "JWT_SECRET"),
        ({"JWT_SECRET": "short"}, "JWT_SECRET"),
        ({"GATEWAY_MODE": "simulator"}, "simulator"),
        ({"MONGODB_URI": ""}, "MONGODB_URI"),
        ({"MONGODB_URI": "mongomock://localhost"}, "MONGODB_URI"),
        ({"CORS_ORIGINS": "*"}, "CORS_ORIGINS"),
        ({"RAZORPAY_WEBHOOK_SECRET": ""}, "RAZORPAY_WEBHOOK_SECRET"),
        ({"RAZORPAY_WEBHOOK_SECRET": "  \t "}, "RAZORPAY_WEBHOOK_SECRET"),
        ({"RAZORPAY_KEY_SECRET": " "}, "RAZORPAY_KEY_SECRET"),
        ({"CORS_ORIGINS": "https://*.shop.example.com"}, "CORS_ORIGINS"),
        ({"PUBLIC_BASE_URL": "http://localhost"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": ""}, "PUBLIC_BASE_URL"),
    ],
)
def test_production_refuses_unsafe_settings(override, complaint):
    with pytest.raises(ConfigError, match=complaint):
        load_config(dict(SAFE_PRODUCTION, **override))


def test_environment_variables_are_read(monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://pay.example.com/")
    assert load_config()["PUBLIC_BASE_URL"] == "https://pay.example.com"


def test_unknown_gateway_mode_is_refused():
    with pytest.raises(ConfigError):
        load_config({"GATEWAY_MODE": "sandbox"})


def test_an_explicit_mongomock_uri_is_the_embedded_store_with_demo_data():
    config = load_config({"MONGODB_URI": "mongomock://localhost"})
    assert config["EMBEDDED_STORE"] and config["SEED_DEMO_DATA"] is True


def test_a_real_server_gets_no_demo_data_by_default():
    assert load_config({"MONGODB_URI": "mongodb://db:27017"})["SEED_DEMO_DATA"] is False


@pytest.mark.parametrize(
    "key, value",
    [
        ("GATEWAY_TIMEOUT_SECONDS", "abc"),
        ("GATEWAY_TIMEOUT_SECONDS", "-1"),
        ("GATEWAY_TIMEOUT_SECONDS", "0"),
        ("GATEWAY_TIMEOUT_SECONDS", "nan"),
        ("GATEWAY_TIMEOUT_SECONDS", "inf"),
        ("RECOVERY_GRACE_SECONDS", "abc"),
        ("RECOVERY_GRACE_SECONDS", "-5"),
        ("TRUSTED_PROXY_COUNT", "abc"),
        ("TRUSTED_PROXY_COUNT", "-1"),
        ("TRUSTED_PROXY_COUNT", "1.5"),
        ("TRUSTED_PROXY_COUNT", "11"),
        ("PORT", "99999"),
        ("PORT", "0"),
        ("PORT", "http"),
        ("JWT_ALGORITHM", "RS256"),
        ("JWT_ALGORITHM", "none"),
        ("JWT_ALGORITHM", "hs256"),
        # a period beyond a hundred years: a date worked out from it overflows (a 500 at each withdrawal)
        ("WITHDRAW_WINDOW_DAYS", "1000000"),
        ("HOLD_TTL_SECONDS", str(10**12)),
        ("RECOVERY_GRACE_SECONDS", "1e12"),
        ("JWT_MAX_LIFETIME_SECONDS", str(10**12)),
        ("SWEEP_BATCH_MAX", str(10**9)),
        ("AUDIT_RETENTION_SECONDS", "3000000000"),  # above MongoDB's most for a TTL index (2**31 - 1)
        ("WORKER_METRICS_PORT", "0"),
        ("WORKER_METRICS_PORT", "70000"),
        ("WORKER_METRICS_PORT", "metrics"),
    ],
)
def test_a_number_or_algorithm_out_of_its_range_is_refused_by_name(key, value):
    with pytest.raises(ConfigError, match=key):
        load_config({key: value})


def test_numbers_are_numbers_in_the_config():
    config = load_config({"GATEWAY_TIMEOUT_SECONDS": "2.5", "RECOVERY_GRACE_SECONDS": "0", "PORT": " 5001 "})
    assert (config["GATEWAY_TIMEOUT_SECONDS"], config["RECOVERY_GRACE_SECONDS"], config["PORT"]) == (2.5, 0.0, 5001)
    assert config["TRUSTED_PROXY_COUNT"] == 0  # an int: `not 0` clears waitress's untrusted proxy headers
    assert load_config({"JWT_ALGORITHM": "HS512"})["JWT_ALGORITHM"] == "HS512"


def test_the_longest_periods_accepted_still_work_out_to_dates():
    config = load_config({"WITHDRAW_WINDOW_DAYS": str(100 * 365), "HOLD_TTL_SECONDS": str(100 * 365 * 86400)})
    now = datetime.datetime.now(datetime.UTC)
    assert now - datetime.timedelta(days=config["WITHDRAW_WINDOW_DAYS"]) < now
    assert now + datetime.timedelta(seconds=config["HOLD_TTL_SECONDS"]) > now
    assert load_config({"WORKER_METRICS_PORT": " 9101 "})["WORKER_METRICS_PORT"] == 9101
