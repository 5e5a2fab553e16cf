"""Google Pay's registry entry: how it is built (the same way in both modes: the mode is in the
config; who charges its tokens is GOOGLE_PAY_PROCESSOR's, processor.py), its pages, settings, the
simulator's collection, and what the web page reads on the way back from checkout."""

from ...errors import ConfigError
from ...money import CURRENCY_DECIMALS
from .. import simulator_seed
from ..entry import AWAIT_CREDIT, CheckoutReturn, GatewayEntry
from ..registry import gateway_registry
from . import pages
from .adapter import GooglePayGateway, load_private_key, load_root_keys
from .payment_gateway import PaymentGatewayGooglePay
from .processor import DIRECT, GATEWAY_NAME, NONE, direct_processor, gateway_processor, processor_choice
from .simulator import (
    CHARGES_COLLECTION,
    DEV_GOOGLE_PAY_MERCHANT_ID,
    REFUNDS_COLLECTION,
    SimulatorProcessor,
    simulator_keys,
    simulator_root_keys,
)


def google_pay_gateway(config, processor=None):
    """Google Pay for `config`'s mode, or None in live mode without a card processor (not offered).

    DIRECT ECv2 tokens: the recipient id defaults to `merchant:<merchant id>`; in simulator mode the
    simulator's own keys (derived from SIMULATOR_SEED) stand in for unset ones, and its processor
    charges nothing."""
    simulated = config["GATEWAY_MODE"] == "simulator"
    seed = config.get("SIMULATOR_SEED") or simulator_seed.DEV_SIMULATOR_SEED
    processor = processor or (SimulatorProcessor(seed) if simulated else None)
    if processor is None:
        return None
    root_keys, private_key = config["GOOGLE_PAY_ROOT_SIGNING_KEYS"], config["GOOGLE_PAY_PRIVATE_KEY"]
    merchant_id = config["GOOGLE_PAY_MERCHANT_ID"]
    if not simulated and not (root_keys and private_key and merchant_id):
        raise ConfigError(
            "Google Pay needs GOOGLE_PAY_MERCHANT_ID, GOOGLE_PAY_ROOT_SIGNING_KEYS "
            "and GOOGLE_PAY_PRIVATE_KEY in live mode."
        )
    checkout_path = pages.SIMULATOR_CHECKOUT_PATH if simulated else pages.LIVE_CHECKOUT_PATH
    return GooglePayGateway(
        merchant_id=merchant_id,
        recipient_id=config.get("GOOGLE_PAY_RECIPIENT_ID") or f"merchant:{merchant_id}",
        root_keys=load_root_keys(root_keys) if root_keys else simulator_root_keys(seed),
        private_key=load_private_key(private_key) if private_key else simulator_keys(seed)["merchant"],
        processor=processor,
        checkout_url=config["PUBLIC_BASE_URL"] + checkout_path,
    )


def build(env):
    """Google Pay as GOOGLE_PAY_PROCESSOR has it (checked in either mode): in simulator mode DIRECT
    tokens charged by the simulator's processor; in live mode not offered (unset), DIRECT tokens
    charged by the merchant's processor, or PAYMENT_GATEWAY tokens through a gateway (`paypal`)."""
    config = env.config
    choice = processor_choice(config)
    if config["GATEWAY_MODE"] == "simulator":
        gateway = google_pay_gateway(config)
        if env.db is not None:
            gateway.processor.keep_charges(env.db)  # in the store, so any process finds its charges and refunds
        return gateway
    if choice == NONE:
        return None
    if choice == DIRECT:
        return google_pay_gateway(config, direct_processor(config))
    return PaymentGatewayGooglePay(gateway_processor(choice, env), config["PUBLIC_BASE_URL"] + pages.LIVE_CHECKOUT_PATH)


def currencies(config):
    """Google Pay hands its token to a processor, which decides the currencies: in live mode through a
    gateway, those that gateway takes for Google Pay; DIRECT's (and the simulator's) every currency
    the wallets can hold."""
    choice = processor_choice(config)
    if config["GATEWAY_MODE"] == "live" and choice not in (NONE, DIRECT):
        return gateway_registry(config).get(choice).processes_currencies.get(GATEWAY_NAME, ())
    return tuple(CURRENCY_DECIMALS)


GATEWAY = GatewayEntry(
    name="google_pay",
    label="Google Pay",
    currencies=currencies,
    webhook_slug="google-pay",
    build_live=build,
    build_simulator=build,
    # Its checkout page posts the token itself: nothing to verify, the page waits for the credit.
    checkout_return=CheckoutReturn(order_id="payment_order_id", confirm=AWAIT_CREDIT),
    live_pages=pages.live_pages,
    simulator_pages=pages.simulator_pages,
    # The simulated processor's charges and refunds, by idempotency key (`_id`); a charge by its id and
    # a charge's refunds (what is left to refund).
    simulator_collections={CHARGES_COLLECTION: [([("id", 1)], {})], REFUNDS_COLLECTION: [([("charge_id", 1)], {})]},
    settings={
        "GOOGLE_PAY_PROCESSOR": "",  # who charges the tokens in live mode: direct, or a gateway (paypal)
        "GOOGLE_PAY_DIRECT_PROCESSOR": "",  # direct: package.module:factory of the merchant's card processor
        "GOOGLE_PAY_MERCHANT_ID": "",
        "GOOGLE_PAY_RECIPIENT_ID": "",
        "GOOGLE_PAY_ROOT_SIGNING_KEYS": "",
        "GOOGLE_PAY_PRIVATE_KEY": "",
        **simulator_seed.SETTING,
    },
    simulator_settings={"GOOGLE_PAY_MERCHANT_ID": DEV_GOOGLE_PAY_MERCHANT_ID, **simulator_seed.DEV_SETTING},
)
