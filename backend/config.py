"""Configuration: environment variables, overridable by the app factory's mapping."""

import math
import os

from .config_checks import DEV_JWT_SECRET, check_production, cors_origins
from .currencies import supported_currencies
from .errors import ConfigError
from .gateways.registry import BUILT_IN_PACKAGES, gateway_registry, load_registry, package_names
from .logging_setup import LOG_FORMATS

APP_ENVS = ("development", "test", "production")
EMBEDDED_URI = "mongomock://localhost"
JWT_ALGORITHMS = ("HS256", "HS384", "HS512")  # HMAC with JWT_SECRET (SPEC §5)
TRUSTED_PROXIES_MAX = 10

# The service's own settings; each gateway's come from its registry entry (`GatewayEntry.settings`).
DEFAULTS = {
    "APP_ENV": "development",
    "MONGODB_URI": "",
    "MONGODB_DB": "wallet_payments",
    "JWT_SECRET": "",
    "JWT_ALGORITHM": "HS256",
    # Unset: tokens live at most 24 h in production, as long as their issuer says elsewhere.
    "JWT_MAX_LIFETIME_SECONDS": "",
    "CORS_ORIGINS": "",
    "DEFAULT_CURRENCY": "INR",
    # The wallets' currencies (comma list; empty: DEFAULT_CURRENCY only); backend/currencies.py.
    "SUPPORTED_CURRENCIES": "",
    "GATEWAY_MODE": "",
    "HOST": "127.0.0.1",
    "PORT": "5000",
    "PUBLIC_BASE_URL": "",
    "CHECKOUT_RETURN_URL": "",
    "GATEWAY_TIMEOUT_SECONDS": "10",
    "RECOVERY_GRACE_SECONDS": "60",
    "SWEEP_STALE_AFTER_SECONDS": "600",
    "SWEEP_EXPIRE_AFTER_SECONDS": "86400",
    "SWEEP_BATCH_MAX": "100",
    # Withdrawals refund top-ups credited within this many days (SPEC §9).
    "WITHDRAW_WINDOW_DAYS": "180",
    # An order's hold not captured within this many seconds is released by the worker (SPEC §10).
    "HOLD_TTL_SECONDS": "604800",
    # Wallet limits in major units, empty for none (SPEC §10; backend/wallet_limits.py).
    "WALLET_BALANCE_MAX": "",
    "WALLET_MONTHLY_TOPUP_MAX": "",
    "MINIMUM_KYC_BALANCE_MAX": "",
    "MINIMUM_KYC_MONTHLY_TOPUP_MAX": "",
    "FULL_KYC_BALANCE_MAX": "",
    "FULL_KYC_MONTHLY_TOPUP_MAX": "",
    # The worker (`python -m backend worker`, or a thread of `python -m backend`): job intervals.
    "WORKER_RECOVERY_INTERVAL_SECONDS": "30",
    "WORKER_OUTBOX_INTERVAL_SECONDS": "2",
    "WORKER_SWEEP_INTERVAL_SECONDS": "60",
    "WORKER_RECONCILE_INTERVAL_SECONDS": "3600",
    # How often the worker looks for yesterday's settlement to do (once a day per gateway, SPEC §11).
    "WORKER_SETTLEMENT_INTERVAL_SECONDS": "3600",
    # A worker whose clock is further than this from the store's runs nothing (backend/worker.py).
    "WORKER_CLOCK_SKEW_MAX_SECONDS": "5",
    # `python -m backend worker` serves its own counters on HOST:this port for Prometheus; empty: not.
    "WORKER_METRICS_PORT": "",
    # Retention (TTL indexes): sent WhatsApp messages, processed webhook events, audit entries.
    "OUTBOX_RETENTION_SECONDS": str(30 * 24 * 3600),
    "WEBHOOK_EVENT_RETENTION_SECONDS": str(90 * 24 * 3600),
    "AUDIT_RETENTION_SECONDS": str(400 * 24 * 3600),
    "SIMULATOR_WEBHOOK_DELIVERY": "",
    "SEED_DEMO_DATA": "",
    "RECOVER_ON_START": "true",
    "LOG_FILE": "",
    # `text` (a person reads it) or `json` (one JSON object a line, for log aggregators).
    "LOG_FORMAT": "text",
    "WHATSAPP_TOKEN": "",
    "WHATSAPP_PHONE_NUMBER_ID": "",
    "WHATSAPP_API_BASE": "https://graph.facebook.com",
    "WHATSAPP_API_VERSION": "v21.0",
    "RATE_LIMITS_ENABLED": "",
    "RATE_LIMIT_STORAGE_URI": "memory://",
    "TRUSTED_PROXY_COUNT": "0",
    # The gateways offered: importable packages, each with an `entry.GATEWAY` (backend/gateways/registry.py).
    "GATEWAY_PACKAGES": ",".join(BUILT_IN_PACKAGES),
}


def setting_defaults(packages=BUILT_IN_PACKAGES):
    """Every environment variable `load_config` reads, with its default: the service's `DEFAULTS`
    and the settings of the gateways of `packages` (the built-in ones: docs/deployment.md lists
    them; a test checks both ways)."""
    defaults = dict(DEFAULTS)
    for entry in load_registry(tuple(packages)):
        defaults.update(entry.settings)
    return defaults


# A period longer than a hundred years would put a date the service works out (now − a withdrawal
# window, now + a hold's time) beyond what a date can hold: refused at start, not a 500 per request.
PERIOD_MAX = {"_DAYS": 100 * 365, "_SECONDS": 100 * 365 * 24 * 3600}
COUNT_MAX = 1_000_000  # a batch size beyond this is no batch
TTL_SECONDS_MAX = 2**31 - 1  # MongoDB's most for a TTL index's expireAfterSeconds (the *_RETENTION_SECONDS)


def most_for(key):
    """The largest value the whole-number setting `key` takes."""
    if key.endswith("_RETENTION_SECONDS"):
        return TTL_SECONDS_MAX
    return next((most for suffix, most in PERIOD_MAX.items() if key.endswith(suffix)), COUNT_MAX)


PRODUCTION_TOKEN_LIFETIME_SECONDS = 24 * 3600  # JWT_MAX_LIFETIME_SECONDS when unset in production
# Whole numbers above zero, each refused at start-up otherwise.
POSITIVE_INT_SETTINGS = (
    "JWT_MAX_LIFETIME_SECONDS",
    "WITHDRAW_WINDOW_DAYS",
    "HOLD_TTL_SECONDS",
    "SWEEP_STALE_AFTER_SECONDS",
    "SWEEP_EXPIRE_AFTER_SECONDS",
    "SWEEP_BATCH_MAX",
    "WORKER_RECOVERY_INTERVAL_SECONDS",
    "WORKER_OUTBOX_INTERVAL_SECONDS",
    "WORKER_SWEEP_INTERVAL_SECONDS",
    "WORKER_RECONCILE_INTERVAL_SECONDS",
    "WORKER_SETTLEMENT_INTERVAL_SECONDS",
    "WORKER_CLOCK_SKEW_MAX_SECONDS",
    "OUTBOX_RETENTION_SECONDS",
    "WEBHOOK_EVENT_RETENTION_SECONDS",
    "AUDIT_RETENTION_SECONDS",
)


def load_config(test_config=None):
    """Merge defaults, environment and the factory's mapping; fill derived values; check safety."""
    config, gateways = merged_settings(dict(test_config or {}))
    if config["APP_ENV"] not in APP_ENVS:
        raise ConfigError(
            f"APP_ENV must be exactly development, test or production, not {str(config['APP_ENV'])[:40]!r}."
        )
    if config["LOG_FORMAT"] not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be exactly text or json, not {str(config['LOG_FORMAT'])[:40]!r}.")
    production = config["APP_ENV"] == "production"
    if production:
        check_production(config)
    fill_derived(config, gateways, production)
    fill_switches_and_numbers(config, production)
    config["CORS_ORIGINS"] = cors_origins(config)
    config["SUPPORTED_CURRENCIES"] = supported_currencies(config)
    config["DEFAULT_CURRENCY"] = config["SUPPORTED_CURRENCIES"][0]
    return config


def merged_settings(overrides):
    """(settings, gateway entries): every setting from the factory's mapping, else the environment,
    else its default; the gateways' settings first decide which gateways there are (unset or empty:
    the built-in ones), and a gateway setting of only spaces is a missing one."""
    packages = (
        package_names(overrides.get("GATEWAY_PACKAGES", os.environ.get("GATEWAY_PACKAGES", ""))) or BUILT_IN_PACKAGES
    )
    defaults = setting_defaults(packages)
    config = {key: overrides.get(key, os.environ.get(key, default)) for key, default in defaults.items()}
    config.update({k: v for k, v in overrides.items() if k not in config})
    config["GATEWAY_PACKAGES"] = packages
    gateways = gateway_registry(config)
    for entry in gateways:
        config.update({key: config[key].strip() for key in entry.settings if isinstance(config[key], str)})
    return config, gateways


def fill_derived(config, gateways, production):
    """The store, gateway mode, secrets and URLs a setting left to be derived."""
    config["MONGODB_URI"] = config["MONGODB_URI"] or EMBEDDED_URI
    config["EMBEDDED_STORE"] = config["MONGODB_URI"].startswith("mongomock://")
    config["GATEWAY_MODE"] = config["GATEWAY_MODE"] or ("live" if production else "simulator")
    if config["GATEWAY_MODE"] not in ("live", "simulator"):
        raise ConfigError("GATEWAY_MODE must be 'simulator' or 'live'.")
    config["JWT_SECRET"] = config["JWT_SECRET"] or DEV_JWT_SECRET
    if config["GATEWAY_MODE"] == "simulator":  # fixed, documented development values, so a developer can sign by hand
        for entry in gateways:
            for key, value in entry.simulator_settings.items():
                config[key] = config[key] or value
    base_url = str(config["PUBLIC_BASE_URL"]).strip() or f"http://{config['HOST']}:{config['PORT']}"
    config["PUBLIC_BASE_URL"] = base_url.rstrip("/")
    config["CHECKOUT_RETURN_URL"] = config["CHECKOUT_RETURN_URL"] or config["PUBLIC_BASE_URL"] + "/"
    # Left empty: `inline` while TESTING (nothing listens on PUBLIC_BASE_URL under the test client),
    # else `http`, decided per delivery (`Delivery`), so TESTING set after create_app counts too.
    delivery = config["SIMULATOR_WEBHOOK_DELIVERY"]
    config["SIMULATOR_WEBHOOK_DELIVERY"] = "" if delivery is None else str(delivery).strip()
    if config["SIMULATOR_WEBHOOK_DELIVERY"] not in ("", "inline", "http"):
        raise ConfigError("SIMULATOR_WEBHOOK_DELIVERY must be inline or http (or empty: inline while TESTING).")


def fill_switches_and_numbers(config, production):
    """On/off settings as booleans (some default by the store or TESTING) and numbers as numbers."""
    config["SEED_DEMO_DATA"] = switch_setting(config, "SEED_DEMO_DATA", config["EMBEDDED_STORE"] and not production)
    config["RECOVER_ON_START"] = switch_setting(config, "RECOVER_ON_START", True)
    # left empty (None): on unless TESTING, decided per request (`limits`)
    config["RATE_LIMITS_ENABLED"] = switch_setting(config, "RATE_LIMITS_ENABLED", None)
    config["GATEWAY_TIMEOUT_SECONDS"] = seconds_setting(config, "GATEWAY_TIMEOUT_SECONDS")
    config["RECOVERY_GRACE_SECONDS"] = seconds_setting(config, "RECOVERY_GRACE_SECONDS", zero_allowed=True)
    config["PORT"] = whole_number_setting(config, "PORT", 1, 65535)
    if config["WORKER_METRICS_PORT"] != "":
        config["WORKER_METRICS_PORT"] = whole_number_setting(config, "WORKER_METRICS_PORT", 1, 65535)
    config["TRUSTED_PROXY_COUNT"] = whole_number_setting(config, "TRUSTED_PROXY_COUNT", 0, TRUSTED_PROXIES_MAX)
    if config["JWT_ALGORITHM"] not in JWT_ALGORITHMS:
        raise ConfigError(
            f"JWT_ALGORITHM must be one of {', '.join(JWT_ALGORITHMS)} (tokens are HMAC-signed with JWT_SECRET)."
        )
    if config["JWT_MAX_LIFETIME_SECONDS"] == "":
        config["JWT_MAX_LIFETIME_SECONDS"] = PRODUCTION_TOKEN_LIFETIME_SECONDS if production else None
    for key in POSITIVE_INT_SETTINGS:
        if not (key == "JWT_MAX_LIFETIME_SECONDS" and config[key] is None):
            config[key] = positive_int(config, key)


def seconds_setting(config, key, zero_allowed=False):
    """A number of seconds (fractions allowed): positive, or at least 0 when `zero_allowed`."""
    try:
        value = float(config[key])
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero_allowed):
        raise ConfigError(f"{key} must be a {'non-negative' if zero_allowed else 'positive'} number of seconds.")
    if value > PERIOD_MAX["_SECONDS"]:
        raise ConfigError(f"{key} must be at most {PERIOD_MAX['_SECONDS']:,}.")
    return value


def whole_number_setting(config, key, low, high):
    try:
        value = int(str(config[key]).strip())
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ConfigError(f"{key} must be a whole number from {low} to {high}.")
    return value


def positive_int(config, key):
    try:
        value = int(config[key])
    except (TypeError, ValueError):
        value = 0
    if value <= 0:
        raise ConfigError(f"{key} must be a positive whole number.")
    highest = most_for(key)
    if value > highest:
        raise ConfigError(f"{key} must be at most {highest:,}.")
    return value


SWITCH_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def switch_setting(config, key, default):
    """An on/off setting as a boolean: True, "1", "true", "yes", "on", or False, "0", "false", "no",
    "off" (any case); `default` when unset (None or empty); anything else refuses to start (a word
    such as "enabled" must not turn a safeguard off unnoticed)."""
    value = config[key]
    word = "" if value is None else str(value).strip().lower()
    if word == "":
        return default
    if word not in SWITCH_WORDS:
        raise ConfigError(f"{key} must be on or off: 1, true, yes or on; 0, false, no or off.")
    return SWITCH_WORDS[word]
