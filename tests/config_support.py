"""Settings for the configuration tests: a safe production configuration, and an environment without
the variables the configuration reads."""

import secrets

import pytest

SAFE_PRODUCTION = {
    "APP_ENV": "production",
    "MONGODB_URI": "mongodb://db.internal:27017/?replicaSet=rs0",
    # Made at each run: a secret written here would be published, and production refuses those.
    "JWT_SECRET": secrets.token_hex(32),
    "CORS_ORIGINS": "https://shop.example.com",
    "PUBLIC_BASE_URL": "https://pay.wallet-shop.in",
    "RAZORPAY_KEY_ID": "rzp_live_abc",
    "RAZORPAY_KEY_SECRET": "secret",
    "RAZORPAY_WEBHOOK_SECRET": "whsec",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for key in (
        "APP_ENV",
        "MONGODB_URI",
        "JWT_SECRET",
        "GATEWAY_MODE",
        "CORS_ORIGINS",
        "RAZORPAY_KEY_ID",
        "RAZORPAY_KEY_SECRET",
        "RAZORPAY_WEBHOOK_SECRET",
        "SEED_DEMO_DATA",
        "PUBLIC_BASE_URL",
    ):
        monkeypatch.delenv(key, raising=False)
