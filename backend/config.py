"""Configuration: environment variables, overridable by the app factory's mapping."""
import os

from .errors import ConfigError
from .gateways.registry import REGISTRY

DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"
# Secrets published in this repository (the development default, the test suite's): never in production.
DOCUMENTED_JWT_SECRETS = (DEV_JWT_SECRET, "test-secret-0123456789-0123456789-abcdef")
JWT_SECRET_BYTES_MIN = 32
APP_ENVS = ("development", "test", "production")
EMBEDDED_URI = "mongomock://localhost"

# The service's own settings; each gateway's come from its registry entry (`GatewayEntry.settings`).
DEFAULTS = {
    "APP_ENV": "development",
    "MONGODB_URI": "",
    "MONGODB_DB": "wallet_payments",
    "JWT_SECRET": "",
    "JWT_ALGORITHM": "HS256",
    "JWT_MAX_LIFETIME_SECONDS": "86400",
    "CORS_ORIGINS": "",
    "DEFAULT_CURRENCY": "INR",
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
    # The worker (`python -m backend worker`, or a thread of `python -m backend`): job intervals.
    "WORKER_RECOVERY_INTERVAL_SECONDS": "30",
    "WORKER_OUTBOX_INTERVAL_SECONDS": "2",
    "WORKER_SWEEP_INTERVAL_SECONDS": "60",
    "WORKER_RECONCILE_INTERVAL_SECONDS": "3600",
    # Retention (TTL indexes): sent WhatsApp messages, processed webhook events, audit entries.
    "OUTBOX_RETENTION_SECONDS": str(30 * 24 * 3600),
    "WEBHOOK_EVENT_RETENTION_SECONDS": str(90 * 24 * 3600),
    "AUDIT_RETENTION_SECONDS": str(400 * 24 * 3600),
    "SIMULATOR_WEBHOOK_DELIVERY": "",
    "SEED_DEMO_DATA": "",
    "RECOVER_ON_START": "true",
    "LOG_FILE": "",
    "WHATSAPP_TOKEN": "",
    "WHATSAPP_PHONE_NUMBER_ID": "",
    "WHATSAPP_API_BASE": "https://graph.facebook.com",
    "WHATSAPP_API_VERSION": "v21.0",
    "RATE_LIMITS_ENABLED": "",
    "RATE_LIMIT_STORAGE_URI": "memory://",
    "TRUSTED_PROXY_COUNT": "0",
}


def setting_defaults():
    """Every environment variable `load_config` reads, with its default: the service's `DEFAULTS`
    and each registered gateway's settings (docs/deployment.md lists them; a test checks both ways)."""
    defaults = dict(DEFAULTS)
    for entry in REGISTRY:
        defaults.update(entry.settings)
    return defaults


def load_config(test_config=None):
    """Merge defaults, environment and the factory's mapping; fill derived values; check safety."""
    overrides = dict(test_config or {})
    defaults = setting_defaults()
    config = {key: overrides.get(key, os.environ.get(key, default)) for key, default in defaults.items()}
    config.update({k: v for k, v in overrides.items() if k not in config})
    if config["APP_ENV"] not in APP_ENVS:
        raise ConfigError(f"APP_ENV must be exactly development, test or production, not {str(config['APP_ENV'])[:40]!r}.")
    production = config["APP_ENV"] == "production"
    if production:
        check_production(config)
    config["MONGODB_URI"] = config["MONGODB_URI"] or EMBEDDED_URI
    config["EMBEDDED_STORE"] = config["MONGODB_URI"].startswith("mongomock://")
    config["GATEWAY_MODE"] = config["GATEWAY_MODE"] or ("live" if production else "simulator")
    if config["GATEWAY_MODE"] not in ("live", "simulator"):
        raise ConfigError("GATEWAY_MODE must be 'simulator' or 'live'.")
    simulator = config["GATEWAY_MODE"] == "simulator"
    config["JWT_SECRET"] = config["JWT_SECRET"] or DEV_JWT_SECRET
    if simulator:  # fixed, documented development values, so a developer can sign by hand
        for entry in REGISTRY:
            for key, value in entry.simulator_settings.items():
                config[key] = config[key] or value
    base_url = config["PUBLIC_BASE_URL"] or f"http://{config['HOST']}:{config['PORT']}"
    config["PUBLIC_BASE_URL"] = base_url.rstrip("/")
    config["CHECKOUT_RETURN_URL"] = config["CHECKOUT_RETURN_URL"] or config["PUBLIC_BASE_URL"] + "/"
    # Under the test client nothing listens on PUBLIC_BASE_URL: simulators post through the app.
    config["SIMULATOR_WEBHOOK_DELIVERY"] = config["SIMULATOR_WEBHOOK_DELIVERY"] or (
        "inline" if config.get("TESTING") else "http")
    if config["SEED_DEMO_DATA"] == "":
        config["SEED_DEMO_DATA"] = config["EMBEDDED_STORE"] and not production
    config["SEED_DEMO_DATA"] = is_on(config["SEED_DEMO_DATA"])
    config["RECOVER_ON_START"] = is_on(config["RECOVER_ON_START"])
    limits = config["RATE_LIMITS_ENABLED"]
    config["RATE_LIMITS_ENABLED"] = not config.get("TESTING") if limits == "" else is_on(limits)
    config["GATEWAY_TIMEOUT_SECONDS"] = float(config["GATEWAY_TIMEOUT_SECONDS"])
    config["RECOVERY_GRACE_SECONDS"] = float(config["RECOVERY_GRACE_SECONDS"])
    config["JWT_MAX_LIFETIME_SECONDS"] = positive_int(config, "JWT_MAX_LIFETIME_SECONDS")
    for key in ("SWEEP_STALE_AFTER_SECONDS", "SWEEP_EXPIRE_AFTER_SECONDS", "SWEEP_BATCH_MAX",
                "WORKER_RECOVERY_INTERVAL_SECONDS", "WORKER_OUTBOX_INTERVAL_SECONDS", "WORKER_SWEEP_INTERVAL_SECONDS",
                "WORKER_RECONCILE_INTERVAL_SECONDS",
                "OUTBOX_RETENTION_SECONDS", "WEBHOOK_EVENT_RETENTION_SECONDS", "AUDIT_RETENTION_SECONDS"):
        config[key] = positive_int(config, key)
    config["CORS_ORIGINS"] = cors_origins(config)
    return config


def cors_origins(config):
    return [origin.strip() for origin in str(config["CORS_ORIGINS"]).split(",") if origin.strip()]


def positive_int(config, key):
    try:
        value = int(config[key])
    except (TypeError, ValueError):
        value = 0
    if value <= 0:
        raise ConfigError(f"{key} must be a positive whole number.")
    return value


def is_on(value):
    """A boolean setting: true for True, "1", "true", "yes" (any case)."""
    return str(value).lower() in ("1", "true", "yes")


def check_production(config):
    """Refuse unsafe production settings (docs/contract.md, running it)."""
    problems = jwt_secret_problems(str(config["JWT_SECRET"]))
    if config["GATEWAY_MODE"] == "simulator":
        problems.append("GATEWAY_MODE=simulator is not allowed")
    if not config["MONGODB_URI"] or config["MONGODB_URI"].startswith("mongomock://"):
        problems.append("MONGODB_URI must point at a MongoDB server (not mongomock)")
    problems += cors_problems(cors_origins(config))
    for entry in REGISTRY:
        problems += [f"{key} must be set" for key in entry.required_in_production if not config[key]]
        problems += [f"{key} is the simulator's documented development value" for key, value
                     in entry.simulator_settings.items() if config[key] == value]
    if problems:
        raise ConfigError("Refusing to start with APP_ENV=production: " + "; ".join(problems) + ".")


def jwt_secret_problems(secret):
    """Why `secret` cannot sign production tokens (never quoting it)."""
    if not secret.strip():
        return ["JWT_SECRET must be set: it is blank"]
    if secret in DOCUMENTED_JWT_SECRETS:
        return ["JWT_SECRET is a documented development value"]
    if len(secret.encode()) < JWT_SECRET_BYTES_MIN:
        return [f"JWT_SECRET is shorter than {JWT_SECRET_BYTES_MIN} bytes"]
    if len(set(secret)) == 1:
        return ["JWT_SECRET is one repeated character"]
    return []


def cors_problems(origins):
    if "*" in origins:
        return ["CORS_ORIGINS must not contain '*'"]
    plain = [origin for origin in origins if not origin.startswith("https://")]
    return [f"CORS_ORIGINS must list https:// origins only, not {plain[0][:80]!r}"] if plain else []
