"""Settings as the app applies them: a mistyped APP_ENV in the environment stops `create_app`; CORS
origins are matched literally, in any case, and development allows any origin."""

import pytest

from backend import create_app
from backend.errors import ConfigError
from tests.config_support import clean_environment  # noqa: F401 (autouse fixture)
from tests.conftest import app_config


def test_a_mistyped_app_env_from_the_environment_refuses_create_app(monkeypatch):
    monkeypatch.setenv("APP_ENV", "prod")
    with pytest.raises(ConfigError, match="APP_ENV"):
        create_app({"TESTING": True})


def cors_answer(origins, origin):
    client = create_app(app_config(CORS_ORIGINS=origins)).test_client()
    return client.get("/api/integration/health", headers={"Origin": origin}).headers.get("Access-Control-Allow-Origin")


@pytest.mark.parametrize(
    "configured",
    ["https://shop.example.com", "https://*.shop.example.com", "https://*", "https://shop.example.com,https://.*"],
)
def test_configured_origins_are_matched_literally_never_as_patterns(configured):
    assert cors_answer(configured, "https://xshop.example.com.evil.net") is None
    assert cors_answer(configured, "https://shop.example.com.evil.net") is None


def test_a_configured_origin_gets_its_cors_header_in_any_case():
    assert cors_answer("https://shop.example.com", "https://shop.example.com") == "https://shop.example.com"
    assert cors_answer("https://Shop.Example.com", "https://shop.example.com") == "https://shop.example.com"
    assert cors_answer("https://*.shop.example.com", "https://*.shop.example.com") == "https://*.shop.example.com"


@pytest.mark.parametrize("origins", ["", "*"])
def test_development_without_cors_origins_or_with_a_lone_star_allows_any_origin(origins):
    assert cors_answer(origins, "http://localhost:5173") == "http://localhost:5173"


@pytest.mark.parametrize(
    "word, on", [("on", True), ("ON", True), (" yes ", True), ("1", True), ("off", False), ("No", False)]
)
def test_a_switch_is_on_or_off_by_its_word(word, on):
    assert create_app(app_config(RATE_LIMITS_ENABLED=word)).config["RATE_LIMITS_ENABLED"] is on


@pytest.mark.parametrize("setting", ["RATE_LIMITS_ENABLED", "RECOVER_ON_START", "SEED_DEMO_DATA"])
def test_a_switch_that_is_neither_on_nor_off_refuses_to_start(setting):
    with pytest.raises(ConfigError, match=f"{setting} must be on or off"):
        create_app(app_config(**{setting: "enabled"}))


@pytest.mark.parametrize("unset", ["", "  ", None])
def test_a_switch_left_unset_takes_its_default(unset):
    config = create_app(app_config(RECOVER_ON_START=unset, RATE_LIMITS_ENABLED=unset, SEED_DEMO_DATA=unset)).config
    assert (config["RECOVER_ON_START"], config["RATE_LIMITS_ENABLED"], config["SEED_DEMO_DATA"]) == (True, None, True)


@pytest.mark.parametrize("unset", ["", " ", None])
def test_simulator_delivery_left_unset_follows_testing(unset):
    assert create_app(app_config(SIMULATOR_WEBHOOK_DELIVERY=unset)).config["SIMULATOR_WEBHOOK_DELIVERY"] == ""


def test_a_misspelt_simulator_delivery_refuses_to_start():
    with pytest.raises(ConfigError, match="SIMULATOR_WEBHOOK_DELIVERY must be inline or http"):
        create_app(app_config(SIMULATOR_WEBHOOK_DELIVERY="inlined"))
