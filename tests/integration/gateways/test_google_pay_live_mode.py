"""Google Pay in live mode: GET /gateways (what the web page offers) lists it once its processor is
configured (GOOGLE_PAY_PROCESSOR), and not otherwise. The top-up itself through PayPal:
tests/integration/topups/test_google_pay_through_paypal.py."""

import pytest

from backend import create_app
from tests.conftest import app_config, drop_store
from tests.google_pay_support import LIVE_KEYS, PAYPAL_KEYS
from tests.helpers import BASE, bearer


def offered(**settings):
    app = create_app(app_config(GATEWAY_MODE="live", DEFAULT_CURRENCY="USD", **settings))
    try:
        return [gateway["name"] for gateway in app.test_client().get(f"{BASE}/gateways").get_json()["gateways"]]
    finally:
        drop_store(app)


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param(dict(GOOGLE_PAY_PROCESSOR="paypal", **PAYPAL_KEYS), id="through-paypal"),
        pytest.param(
            dict(
                GOOGLE_PAY_PROCESSOR="direct",
                GOOGLE_PAY_DIRECT_PROCESSOR="tests.google_pay_support:fake_direct_processor",
                **LIVE_KEYS,
            ),
            id="direct",
        ),
    ],
)
def test_live_mode_offers_google_pay_once_its_processor_is_configured(settings):
    assert "google_pay" in offered(**settings)


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param(dict(PAYPAL_KEYS), id="paypal-alone"),
        pytest.param(dict(LIVE_KEYS, **PAYPAL_KEYS), id="google-keys-without-a-processor"),
    ],
)
def test_live_mode_without_a_google_pay_processor_does_not_offer_it(settings):
    assert offered(**settings) == ["paypal"]


def test_the_checkout_page_is_served_only_while_google_pay_is_offered():
    app = create_app(app_config(GATEWAY_MODE="live", DEFAULT_CURRENCY="USD", **PAYPAL_KEYS))
    assert app.test_client().get("/checkout/google-pay/8VX12345AB678901C").status_code == 404
    drop_store(app)


def test_through_paypal_google_pay_takes_paypals_google_pay_currencies_not_inr():
    app = create_app(
        app_config(
            GATEWAY_MODE="live", SUPPORTED_CURRENCIES="INR,USD,JPY", GOOGLE_PAY_PROCESSOR="paypal", **PAYPAL_KEYS
        )
    )
    try:
        client = app.test_client()
        gateways = {g["name"]: g["currencies"] for g in client.get(f"{BASE}/gateways").get_json()["gateways"]}
        assert gateways["google_pay"] == ["USD", "JPY"] and gateways["paypal"] == ["INR", "USD", "JPY"]
        refused = client.post(
            f"{BASE}/wallet/topup/initiate",
            json={"customer_id": "cust_gp", "amount": "10.00", "payment_method": "google_pay"},
            headers=bearer("cust_gp"),
        )
        assert refused.status_code == 400
        assert (refused.get_json()["error"], refused.get_json()["currencies"]) == (
            "payment_method_unavailable",
            ["USD", "JPY"],
        )
    finally:
        drop_store(app)


def test_direct_google_pay_takes_every_supported_currency():
    app = create_app(
        app_config(
            GATEWAY_MODE="live",
            SUPPORTED_CURRENCIES="INR,USD",
            GOOGLE_PAY_PROCESSOR="direct",
            GOOGLE_PAY_DIRECT_PROCESSOR="tests.google_pay_support:fake_direct_processor",
            **LIVE_KEYS,
        )
    )
    try:
        gateways = {
            g["name"]: g["currencies"] for g in app.test_client().get(f"{BASE}/gateways").get_json()["gateways"]
        }
        assert gateways["google_pay"] == ["INR", "USD"]
    finally:
        drop_store(app)
