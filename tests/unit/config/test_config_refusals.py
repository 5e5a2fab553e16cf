"""Configuration that cannot start unsafe: APP_ENV is exact, and production refuses weak or public
secrets, blank gateway secrets, simulator credentials, loose CORS and a placeholder public URL,
naming the variable, why and what to set, never the secret itself."""

import ast
import os
import secrets

import pytest

from backend.config import DEV_JWT_SECRET, load_config
from backend.errors import ConfigError
from backend.gateways.paypal.simulator import DEV_PAYPAL_CLIENT_ID, DEV_PAYPAL_CLIENT_SECRET, DEV_PAYPAL_WEBHOOK_ID
from backend.gateways.razorpay.simulator import (
    DEV_RAZORPAY_KEY_ID,
    DEV_RAZORPAY_KEY_SECRET,
    DEV_RAZORPAY_WEBHOOK_SECRET,
)
from tests.config_support import SAFE_PRODUCTION, clean_environment  # noqa: F401 (autouse fixture)
from tests.helpers import TEST_JWT_SECRET

TESTS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# --- a mistyped APP_ENV -------------------------------------------------------------------------
@pytest.mark.parametrize("app_env", ["Production", "prod", "PRODUCTION", "production ", "dev", "staging", ""])
def test_an_app_env_other_than_the_three_refuses_to_start_and_names_them(app_env):
    with pytest.raises(ConfigError, match="APP_ENV.*development, test or production"):
        load_config({"APP_ENV": app_env})


@pytest.mark.parametrize("app_env", ["development", "test", "production"])
def test_the_three_app_envs_are_accepted(app_env):
    overrides = SAFE_PRODUCTION if app_env == "production" else {}
    assert load_config(dict(overrides, APP_ENV=app_env))["APP_ENV"] == app_env


# --- CORS whitespace and plain http -----------------------------------------------------------
@pytest.mark.parametrize("origins", ["https://shop.example.com, *", " *", "*,https://shop.example.com", " * "])
def test_production_refuses_a_wildcard_anywhere_in_cors_origins(origins):
    with pytest.raises(ConfigError, match=r"CORS_ORIGINS.*\*"):
        load_config(dict(SAFE_PRODUCTION, CORS_ORIGINS=origins))


@pytest.mark.parametrize(
    "origins", ["http://shop.example.com", "https://shop.example.com,http://admin.example.com", "shop.example.com"]
)
def test_production_refuses_an_origin_that_is_not_https(origins):
    with pytest.raises(ConfigError, match="CORS_ORIGINS.*https"):
        load_config(dict(SAFE_PRODUCTION, CORS_ORIGINS=origins))


def test_production_accepts_several_https_origins():
    config = load_config(dict(SAFE_PRODUCTION, CORS_ORIGINS=" https://a.example.com , https://b.example.com "))
    assert config["CORS_ORIGINS"] == ["https://a.example.com", "https://b.example.com"]


# --- weak or public secrets, simulator credentials in live mode --------------------------------
@pytest.mark.parametrize(
    "secret, why",
    [
        (" " * 40, "blank"),
        ("a" * 32, "one repeated character"),
        ("ab" * 8, "shorter than 32 bytes"),
        (DEV_JWT_SECRET, "published in this repository"),
        (secrets.token_urlsafe(32), None),  # long, random and never written down: accepted
    ],
)
def test_production_refuses_weak_or_public_jwt_secrets(secret, why):
    if why is None:
        assert load_config(dict(SAFE_PRODUCTION, JWT_SECRET=secret))["JWT_SECRET"] == secret
        return
    with pytest.raises(ConfigError, match=f"JWT_SECRET.*{why}"):
        load_config(dict(SAFE_PRODUCTION, JWT_SECRET=secret))


def test_the_test_suites_secret_is_a_documented_value_too():
    with pytest.raises(ConfigError, match="JWT_SECRET.*published in this repository"):
        load_config(dict(SAFE_PRODUCTION, JWT_SECRET=TEST_JWT_SECRET))


@pytest.mark.parametrize(
    "key, value",
    [
        ("RAZORPAY_KEY_ID", DEV_RAZORPAY_KEY_ID),
        ("RAZORPAY_KEY_SECRET", DEV_RAZORPAY_KEY_SECRET),
        ("RAZORPAY_WEBHOOK_SECRET", DEV_RAZORPAY_WEBHOOK_SECRET),
        ("PAYPAL_CLIENT_ID", DEV_PAYPAL_CLIENT_ID),
        ("PAYPAL_CLIENT_SECRET", DEV_PAYPAL_CLIENT_SECRET),
        ("PAYPAL_WEBHOOK_ID", DEV_PAYPAL_WEBHOOK_ID),
    ],
)
def test_production_refuses_the_simulators_documented_credentials(key, value):
    with pytest.raises(ConfigError, match=f"{key}.*simulator"):
        load_config(dict(SAFE_PRODUCTION, **{key: value}))


def test_every_refusal_is_listed_at_once():
    with pytest.raises(ConfigError) as refused:
        load_config(
            dict(SAFE_PRODUCTION, JWT_SECRET="a" * 40, CORS_ORIGINS="*", RAZORPAY_KEY_SECRET=DEV_RAZORPAY_KEY_SECRET)
        )
    message = str(refused.value)
    assert "JWT_SECRET" in message and "CORS_ORIGINS" in message and "RAZORPAY_KEY_SECRET" in message


# --- CORS origins are exact origins, matched literally -----------------------------------------
@pytest.mark.parametrize(
    "origin",
    [
        "https://*",
        "https://*.shop.example.com",
        "https://shop.example.com/",
        "https://shop.example.com/app",
        r"https://shop\.example\.com",
        "https://(shop|admin).example.com",
        "https://shop.example.com$",
        "https://shop.example.com?",
        "https://[a-z]+.example.com",
        "https://shop.example.com:port",
        "https://",
        "https://user@shop.example.com",
    ],
)
def test_production_refuses_a_cors_origin_that_is_not_exactly_scheme_host_and_port(origin):
    with pytest.raises(ConfigError) as refused:
        load_config(dict(SAFE_PRODUCTION, CORS_ORIGINS=f"https://ok.example.com,{origin}"))
    message = str(refused.value)
    assert "CORS_ORIGINS" in message and repr(origin) in message
    assert "set CORS_ORIGINS" in message and "https://shop.example.com" in message


@pytest.mark.parametrize(
    "origins",
    ["https://shop.example.com:8443", "https://SHOP.example.com", "https://a-b.c.example.com,https://x.example.in:443"],
)
def test_production_accepts_exact_https_origins_with_a_port(origins):
    assert load_config(dict(SAFE_PRODUCTION, CORS_ORIGINS=origins))["CORS_ORIGINS"] == origins.split(",")


# --- blank gateway secrets ----------------------------------------------------------------------
@pytest.mark.parametrize("key", ["RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "RAZORPAY_WEBHOOK_SECRET"])
@pytest.mark.parametrize("blank", [" ", "   ", "\t", " \n "])
def test_production_treats_a_whitespace_only_gateway_setting_as_missing(key, blank):
    with pytest.raises(ConfigError, match=f"{key} must be set.*set {key}"):
        load_config(dict(SAFE_PRODUCTION, **{key: blank}))


def test_gateway_settings_are_read_without_surrounding_whitespace():
    config = load_config(dict(SAFE_PRODUCTION, RAZORPAY_WEBHOOK_SECRET=" whsec\n"))
    assert config["RAZORPAY_WEBHOOK_SECRET"] == "whsec"
    simulator = load_config({"GATEWAY_MODE": "simulator", "RAZORPAY_WEBHOOK_SECRET": "  "})
    assert simulator["RAZORPAY_WEBHOOK_SECRET"] == DEV_RAZORPAY_WEBHOOK_SECRET


# --- JWT secrets published in this repository ---------------------------------------------------
def literal(node):
    """The text of a string constant or of `"text" * n`, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Mult)
        and literal(node.left) is not None
        and isinstance(node.right, ast.Constant)
        and isinstance(node.right.value, int)
    ):
        return literal(node.left) * node.right.value
    return None


def signing_secret_nodes(tree):
    """Where a test module writes a signing secret: a JWT_SECRET key, keyword or name, a `secret`
    keyword or parameter default, and jwt.encode's key."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            yield from (
                value for key, value in zip(node.keys, node.values, strict=True) if literal(key) == "JWT_SECRET"
            )
        elif isinstance(node, ast.keyword) and node.arg in ("JWT_SECRET", "secret"):
            yield node.value
        elif isinstance(node, ast.Assign):
            if any(isinstance(target, ast.Name) and "JWT_SECRET" in target.id for target in node.targets):
                yield node.value
        elif isinstance(node, ast.arguments):
            positional = node.posonlyargs + node.args
            defaults = list(zip(positional[len(positional) - len(node.defaults) :], node.defaults, strict=True))
            defaults += [
                (arg, default) for arg, default in zip(node.kwonlyargs, node.kw_defaults, strict=True) if default
            ]
            yield from (default for arg, default in defaults if arg.arg == "secret")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "encode"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "jwt"
            and len(node.args) > 1
        ):
            yield node.args[1]


def secrets_written_in_the_tests():
    found = set()
    for folder, _dirs, files in os.walk(TESTS):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    tree = ast.parse(handle.read())
                found |= {text for text in map(literal, signing_secret_nodes(tree)) if text is not None}
    return found


def test_the_scan_finds_the_secrets_the_tests_sign_with():
    found = secrets_written_in_the_tests()
    assert {
        TEST_JWT_SECRET,
        "another-secret-0123456789-0123456789",
        "not-the-secret-" * 4,
        "quick-reference-secret-0123456789-0123456789",
    } <= found, found


def test_production_refuses_every_signing_secret_written_in_the_tests():
    accepted = []
    for secret in sorted(secrets_written_in_the_tests()):
        try:
            load_config(dict(SAFE_PRODUCTION, JWT_SECRET=secret))
        except ConfigError as refused:
            assert "JWT_SECRET" in str(refused) and (len(secret.strip()) < 8 or secret not in str(refused))
        else:
            accepted.append(secret)
    assert accepted == [], "published in tests/ yet accepted as a production JWT_SECRET"


@pytest.mark.parametrize(
    "secret",
    [
        TEST_JWT_SECRET,
        "another-secret-0123456789-0123456789",
        "not-the-secret-" * 4,
        "prod-secret-7f3a9c2e51b84d06a1e9c3b7d5f2a8e4",
    ],
)  # the tests' former one
def test_production_refuses_a_published_jwt_secret_and_says_what_to_set(secret):
    with pytest.raises(ConfigError) as refused:
        load_config(dict(SAFE_PRODUCTION, JWT_SECRET=secret))
    message = str(refused.value)
    assert "JWT_SECRET" in message and "published in this repository" in message and "set JWT_SECRET" in message
    assert secret not in message


# --- PUBLIC_BASE_URL ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "",
        " ",
        "http://localhost",
        "http://localhost:5000",
        "https://localhost",
        "https://127.0.0.1",
        "https://127.0.0.2:8443",
        "https://[::1]",
        "https://0.0.0.0",
        "https://pay.example.com",
        "https://example.org",
        "https://wallet.localhost",
        "https://pay.shop.test",
        "http://pay.wallet-shop.in",
        "pay.wallet-shop.in",
        "https://",
        "https://pay.wallet-shop.in/?x=1",
        "https://user:pw@pay.wallet-shop.in",
        "https://app:5000",
    ],
)
def test_production_refuses_a_placeholder_or_plain_http_public_base_url(url):
    with pytest.raises(ConfigError) as refused:
        load_config(dict(SAFE_PRODUCTION, PUBLIC_BASE_URL=url))
    message = str(refused.value)
    assert "PUBLIC_BASE_URL" in message and "set PUBLIC_BASE_URL=https://" in message
    assert "pw@" not in message


@pytest.mark.parametrize(
    "url",
    ["https://pay.wallet-shop.in", "https://pay.wallet-shop.in/", "https://10.0.4.2:8443", "https://shop.in/wallet"],
)
def test_production_accepts_a_public_https_base_url(url):
    assert load_config(dict(SAFE_PRODUCTION, PUBLIC_BASE_URL=url))["PUBLIC_BASE_URL"] == url.rstrip("/")


# --- every refusal says what to set -------------------------------------------------------------
def test_every_refusal_names_its_variable_says_what_to_set_and_prints_no_secret():
    weak = "z" * 40
    settings = dict(
        SAFE_PRODUCTION,
        JWT_SECRET=weak,
        GATEWAY_MODE="simulator",
        MONGODB_URI="mongomock://localhost",
        CORS_ORIGINS="https://*.shop.example.com",
        PUBLIC_BASE_URL="http://localhost",
        RAZORPAY_KEY_ID=" ",
        RAZORPAY_KEY_SECRET=DEV_RAZORPAY_KEY_SECRET,
        RAZORPAY_WEBHOOK_SECRET="\t",
    )
    with pytest.raises(ConfigError) as refused:
        load_config(settings)
    problems = str(refused.value).split(": ", 1)[1].rstrip(".").split("; ")
    variables = (
        "JWT_SECRET",
        "GATEWAY_MODE",
        "MONGODB_URI",
        "CORS_ORIGINS",
        "PUBLIC_BASE_URL",
        "RAZORPAY_KEY_ID",
        "RAZORPAY_KEY_SECRET",
        "RAZORPAY_WEBHOOK_SECRET",
    )
    assert len(problems) == len(variables), problems
    for variable in variables:
        (problem,) = [problem for problem in problems if problem.startswith(variable)]
        assert f"set {variable}" in problem, problem
    assert weak not in str(refused.value) and DEV_RAZORPAY_KEY_SECRET not in str(refused.value)
