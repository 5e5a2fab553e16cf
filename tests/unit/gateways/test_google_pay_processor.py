"""Who charges Google Pay's tokens (GOOGLE_PAY_PROCESSOR): what each value builds in each mode, and
the values refused at start-up. Building asks nothing of any gateway (`http` fails any request)."""

import pytest

from backend import create_app
from backend.config import load_config
from backend.errors import ConfigError
from backend.gateways.entry import GatewayEnv
from backend.gateways.google_pay.adapter import GooglePayGateway
from backend.gateways.google_pay.entry import GATEWAY
from backend.gateways.google_pay.payment_gateway import PaymentGatewayGooglePay
from backend.gateways.google_pay.simulator import SimulatorProcessor
from backend.payment_service import PaymentService
from tests.conftest import app_config
from tests.google_pay_support import LIVE_KEYS, PAYPAL_KEYS, FakeProcessor

FAKE_FACTORY = "tests.google_pay_support:fake_direct_processor"


def config(**overrides):
    return load_config({"GATEWAY_MODE": "live", "PUBLIC_BASE_URL": "https://pay.example.com", **overrides})


def built(**overrides):
    settings = config(**overrides)
    return GATEWAY.build(GatewayEnv(settings, None, None), settings["GATEWAY_MODE"])


def test_unset_in_live_mode_offers_no_google_pay(http):
    assert built(**PAYPAL_KEYS, **LIVE_KEYS) is None
    assert "google_pay" not in PaymentService.from_config(config(**PAYPAL_KEYS, **LIVE_KEYS)).gateways


def test_paypal_in_live_mode_takes_payment_gateway_tokens_through_paypal(http):
    gateway = built(GOOGLE_PAY_PROCESSOR="paypal", **PAYPAL_KEYS)
    assert isinstance(gateway, PaymentGatewayGooglePay)
    assert (gateway.tokenization, gateway.processed_by, gateway.key_id) == (
        "PAYMENT_GATEWAY",
        "paypal",
        PAYPAL_KEYS["PAYPAL_CLIENT_ID"],
    )
    assert len(http.calls) == 0


def test_paypal_needs_paypal_configured(http):
    with pytest.raises(ConfigError, match="GOOGLE_PAY_PROCESSOR=paypal needs paypal"):
        built(GOOGLE_PAY_PROCESSOR="paypal", **dict(PAYPAL_KEYS, PAYPAL_WEBHOOK_ID=""))


@pytest.mark.parametrize("mode", ["live", "simulator"])
@pytest.mark.parametrize("value", ["stripe", "razorpay", "google_pay", "paypal,direct"])
def test_a_processor_nobody_offers_is_refused_at_start_up_in_either_mode(value, mode):
    with pytest.raises(ConfigError, match="GOOGLE_PAY_PROCESSOR must be empty or one of direct, paypal"):
        built(GATEWAY_MODE=mode, GOOGLE_PAY_PROCESSOR=value)


def test_the_app_refuses_to_start_with_an_unknown_processor():
    with pytest.raises(ConfigError, match="GOOGLE_PAY_PROCESSOR"):
        create_app(app_config(GOOGLE_PAY_PROCESSOR="stripe"))


@pytest.mark.parametrize("value", ["", "direct", "paypal"])
def test_simulator_mode_plays_direct_tokens_with_its_own_processor_whatever_the_setting(value):
    gateway = built(GATEWAY_MODE="simulator", GOOGLE_PAY_PROCESSOR=value)
    assert isinstance(gateway, GooglePayGateway) and isinstance(gateway.processor, SimulatorProcessor)


def test_direct_in_live_mode_charges_through_the_merchants_processor():
    gateway = built(GOOGLE_PAY_PROCESSOR="direct", GOOGLE_PAY_DIRECT_PROCESSOR=FAKE_FACTORY, **LIVE_KEYS)
    assert isinstance(gateway, GooglePayGateway) and isinstance(gateway.processor, FakeProcessor)
    assert gateway.tokenization == "DIRECT" and not hasattr(gateway, "processed_by")


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("", "needs GOOGLE_PAY_DIRECT_PROCESSOR"),
        ("tests.google_pay_support", "needs GOOGLE_PAY_DIRECT_PROCESSOR"),
        ("tests.no_such_module:factory", "does not import"),
        ("tests.google_pay_support:no_such_factory", "does not import"),
        ("tests.google_pay_support:LIVE_KEYS", "gives no processor"),
        ("tests.google_pay_support:paypal_order_created", "gives no processor"),
    ],
)
def test_direct_without_a_usable_processor_is_refused(path, why):
    with pytest.raises(ConfigError, match=why):
        built(GOOGLE_PAY_PROCESSOR="direct", GOOGLE_PAY_DIRECT_PROCESSOR=path, **LIVE_KEYS)


def test_direct_still_needs_the_google_keys():
    with pytest.raises(ConfigError, match="GOOGLE_PAY_PRIVATE_KEY"):
        built(GOOGLE_PAY_PROCESSOR="direct", GOOGLE_PAY_DIRECT_PROCESSOR=FAKE_FACTORY)
