"""The settings production refuses to start with (docs/deployment.md, "Production checklist"): a weak or
published JWT secret, simulator gateways, the embedded store, pattern CORS origins, a placeholder
public URL, and each gateway's missing or development values."""

import ipaddress
import re
from urllib.parse import urlsplit

from .errors import ConfigError
from .gateways.registry import gateway_registry

DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"
# JWT secrets published in this repository, never accepted in production: the development default
# and those the tests sign with, now or before (tests/unit/config/test_config_refusals.py scans tests/).
PUBLISHED_JWT_SECRETS = (
    DEV_JWT_SECRET,
    "test-secret-0123456789-0123456789-abcdef",
    "another-secret-0123456789-0123456789",
    "not-the-secret-" * 4,
    "quick-reference-secret-0123456789-0123456789",
    "prod-secret-7f3a9c2e51b84d06a1e9c3b7d5f2a8e4",
)
JWT_SECRET_BYTES_MIN = 32
JWT_SECRET_ADVICE = "set JWT_SECRET to a random string of 32+ bytes (openssl rand -hex 32)"
# A production CORS origin: exactly https://host[:port], the host of DNS labels.
DNS_LABEL = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
EXACT_HTTPS_ORIGIN = re.compile(rf"https://{DNS_LABEL}(\.{DNS_LABEL})*(:[0-9]{{1,5}})?", re.IGNORECASE)
# Hosts no customer or gateway reaches (RFC 2606 and RFC 6761 names), with their subdomains.
PLACEHOLDER_DOMAINS = ("localhost", "example", "test", "invalid", "example.com", "example.net", "example.org")


def cors_origins(config):
    return [origin.strip() for origin in str(config["CORS_ORIGINS"]).split(",") if origin.strip()]


def check_production(config):
    """Refuse unsafe production settings (docs/contract.md, running it)."""
    problems = jwt_secret_problems(str(config["JWT_SECRET"]))
    if config["GATEWAY_MODE"] == "simulator":
        problems.append("GATEWAY_MODE=simulator is not allowed: set GATEWAY_MODE=live or leave it unset")
    if not config["MONGODB_URI"] or config["MONGODB_URI"].startswith("mongomock://"):
        problems.append(
            "MONGODB_URI must point at a MongoDB server, not the embedded mongomock store: "
            "set MONGODB_URI=mongodb://... (a replica set)"
        )
    problems += cors_problems(cors_origins(config))
    problems += public_base_url_problems(str(config["PUBLIC_BASE_URL"]).strip())
    for entry in gateway_registry(config):
        why = {
            key: "must be set (it is empty or only spaces)" for key in entry.required_in_production if not config[key]
        }
        why.update(
            {
                key: "is the simulator's documented development value"
                for key, value in entry.simulator_settings.items()
                if config[key] == value
            }
        )
        problems += [
            f"{key} {reason}: set {key} to the value from your {entry.name} account" for key, reason in why.items()
        ]
    if problems:
        raise ConfigError("Refusing to start with APP_ENV=production: " + "; ".join(problems) + ".")


def jwt_secret_problems(secret):
    """Why `secret` cannot sign production tokens (never quoting it)."""
    if not secret.strip():
        why = "is blank"
    elif secret in PUBLISHED_JWT_SECRETS:
        why = "is a value published in this repository (the development default or one the tests sign with)"
    elif len(secret.encode()) < JWT_SECRET_BYTES_MIN:
        why = f"is shorter than {JWT_SECRET_BYTES_MIN} bytes"
    elif len(set(secret)) == 1:
        why = "is one repeated character"
    else:
        return []
    return [f"JWT_SECRET {why}: {JWT_SECRET_ADVICE}"]


def cors_problems(origins):
    """Each origin must be exactly https://host[:port]: flask-cors would read `*` and other
    pattern characters as a regular expression (backend/server.py matches origins literally)."""
    wrong = [origin for origin in origins if not EXACT_HTTPS_ORIGIN.fullmatch(origin)]
    if not wrong:
        return []
    return [
        f"CORS_ORIGINS must list exact https:// origins (https://host or https://host:port: no '*' or other "
        f"pattern, no path or trailing slash), not {wrong[0][:80]!r}: set CORS_ORIGINS to a comma list such as "
        "https://shop.example.com,https://admin.example.com with your own hosts"
    ]


def public_base_url_problems(url):
    """PUBLIC_BASE_URL is where customers and gateways reach the service: https, a real host."""
    advice = "set PUBLIC_BASE_URL=https://<the host customers and gateways reach this service at>"
    if not url:
        return [f"PUBLIC_BASE_URL must be set: {advice}"]
    parts = urlsplit(url)
    try:
        host = parts.hostname
    except ValueError:
        host = None
    if (
        parts.scheme == "https"
        and host
        and not (parts.username or parts.password or parts.query or parts.fragment)
        and not placeholder_host(host)
    ):
        return []
    shown = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()  # never a password
    return [
        f"PUBLIC_BASE_URL must be an https:// URL on a public host (not localhost, a loopback address, a host "
        f"name without a dot or an example domain), not {shown[:80]!r}: {advice}"
    ]


def placeholder_host(host):
    """True for hosts no customer or gateway reaches: loopback and unspecified addresses,
    one-label names (`localhost`, `app`) and the reserved example and test domains."""
    host = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host or any(host == domain or host.endswith("." + domain) for domain in PLACEHOLDER_DOMAINS)
    return address.is_loopback or address.is_unspecified or address.is_link_local
