"""The built-in gateways' entries: how each is built for live and simulator mode, and its pages."""
from ..checkout_pages import google_pay as google_pay_pages
from ..checkout_pages import paypal as paypal_pages
from ..checkout_pages import razorpay as razorpay_pages
from ..errors import ConfigError
from ..validation import require_id, signature_text
from .entry import GatewayEntry
from .google_pay import GooglePayGateway, load_private_key, load_root_keys
from .google_pay_simulator import (
    DEV_GOOGLE_PAY_MERCHANT_ID, DEV_SIMULATOR_SEED, SimulatorProcessor, simulator_keys, simulator_root_keys,
)
from .paypal import PayPalGateway
from .paypal_api import PayPalApi
from .paypal_simulator import (
    DEV_PAYPAL_CLIENT_ID, DEV_PAYPAL_CLIENT_SECRET, DEV_PAYPAL_WEBHOOK_ID, SimulatedPayPalApi,
)
from .razorpay import RazorpayApi, RazorpayGateway
from .razorpay_simulator import (
    DEV_RAZORPAY_KEY_ID, DEV_RAZORPAY_KEY_SECRET, DEV_RAZORPAY_WEBHOOK_SECRET, SimulatedRazorpayApi,
)

RAZORPAY_KEYS = ("RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "RAZORPAY_WEBHOOK_SECRET")
# The PayPal and Google Pay simulators derive their keys (PayPal's RSA key and certificate, Google
# Pay's root, intermediate and merchant keys) from SIMULATOR_SEED, so all processes of a deployment
# sharing its configuration verify each other's webhooks and tokens. Both entries declare it.
SIMULATOR_SEED_SETTING = {"SIMULATOR_SEED": ""}
SIMULATOR_SEED_DEV = {"SIMULATOR_SEED": DEV_SIMULATOR_SEED}


# --- Razorpay ----------------------------------------------------------------------------------
def _razorpay(config, api, checkout_path):
    return RazorpayGateway(api, config["RAZORPAY_KEY_ID"], config["RAZORPAY_KEY_SECRET"],
                           config["RAZORPAY_WEBHOOK_SECRET"], config["PUBLIC_BASE_URL"] + checkout_path)


def _razorpay_live(env):
    config = env.config
    api = RazorpayApi(config["RAZORPAY_KEY_ID"], config["RAZORPAY_KEY_SECRET"], config["GATEWAY_TIMEOUT_SECONDS"])
    return _razorpay(config, api, razorpay_pages.LIVE_CHECKOUT_PATH)


def _razorpay_simulator(env):
    return _razorpay(env.config, SimulatedRazorpayApi(env.db), razorpay_pages.SIMULATOR_CHECKOUT_PATH)


def _razorpay_checkout_fields(body):
    return {"payment_id": require_id(body, "payment_id"), "signature": signature_text(body, "signature")}


RAZORPAY = GatewayEntry(
    name="razorpay", webhook_slug="razorpay",
    build_live=_razorpay_live, build_simulator=_razorpay_simulator,
    checkout_return_fields=_razorpay_checkout_fields,
    live_pages=razorpay_pages.live_pages, simulator_pages=razorpay_pages.simulator_pages,
    settings=dict.fromkeys(RAZORPAY_KEYS, ""),
    simulator_settings=dict(zip(RAZORPAY_KEYS, (DEV_RAZORPAY_KEY_ID, DEV_RAZORPAY_KEY_SECRET,
                                                DEV_RAZORPAY_WEBHOOK_SECRET))),
    required_in_production=RAZORPAY_KEYS,
)


# --- PayPal ------------------------------------------------------------------------------------
def _paypal(config, api):
    base_url = config["PUBLIC_BASE_URL"]
    return PayPalGateway(api, config["PAYPAL_WEBHOOK_ID"], config["PAYPAL_CLIENT_ID"],
                         return_url=base_url + paypal_pages.RETURN_PATH, cancel_url=base_url + paypal_pages.CANCEL_PATH)


def _paypal_live(env):
    """PayPal, offered only once its client id, secret and webhook id are all set."""
    config = env.config
    if not (config["PAYPAL_CLIENT_ID"] and config["PAYPAL_CLIENT_SECRET"] and config["PAYPAL_WEBHOOK_ID"]):
        return None
    return _paypal(config, PayPalApi(config["PAYPAL_API_BASE"], config["PAYPAL_CLIENT_ID"],
                                     config["PAYPAL_CLIENT_SECRET"], config["GATEWAY_TIMEOUT_SECONDS"]))


def _paypal_simulator(env):
    config = env.config
    approve_url = config["PUBLIC_BASE_URL"] + paypal_pages.SIMULATOR_APPROVE_PATH
    return _paypal(config, SimulatedPayPalApi(env.db, approve_url, config["PAYPAL_WEBHOOK_ID"], env.deliver_webhook,
                                              seed=config["SIMULATOR_SEED"]))


PAYPAL = GatewayEntry(
    name="paypal", webhook_slug="paypal",
    build_live=_paypal_live, build_simulator=_paypal_simulator,
    live_pages=paypal_pages.live_pages, simulator_pages=paypal_pages.simulator_pages,
    settings={"PAYPAL_CLIENT_ID": "", "PAYPAL_CLIENT_SECRET": "", "PAYPAL_WEBHOOK_ID": "",
              "PAYPAL_API_BASE": "https://api-m.sandbox.paypal.com", **SIMULATOR_SEED_SETTING},
    simulator_settings={"PAYPAL_CLIENT_ID": DEV_PAYPAL_CLIENT_ID, "PAYPAL_CLIENT_SECRET": DEV_PAYPAL_CLIENT_SECRET,
                        "PAYPAL_WEBHOOK_ID": DEV_PAYPAL_WEBHOOK_ID, **SIMULATOR_SEED_DEV},
)


# --- Google Pay --------------------------------------------------------------------------------
def google_pay_gateway(config, processor=None):
    """Google Pay for `config`'s mode, or None in live mode without a card processor (not offered).

    DIRECT ECv2 tokens: the recipient id defaults to `merchant:<merchant id>`; in simulator mode the
    simulator's own keys (derived from SIMULATOR_SEED) stand in for unset ones, and its processor
    charges nothing."""
    simulated = config["GATEWAY_MODE"] == "simulator"
    seed = config.get("SIMULATOR_SEED") or DEV_SIMULATOR_SEED
    processor = processor or (SimulatorProcessor(seed) if simulated else None)
    if processor is None:
        return None
    root_keys, private_key = config["GOOGLE_PAY_ROOT_SIGNING_KEYS"], config["GOOGLE_PAY_PRIVATE_KEY"]
    merchant_id = config["GOOGLE_PAY_MERCHANT_ID"]
    if not simulated and not (root_keys and private_key and merchant_id):
        raise ConfigError("Google Pay needs GOOGLE_PAY_MERCHANT_ID, GOOGLE_PAY_ROOT_SIGNING_KEYS "
                          "and GOOGLE_PAY_PRIVATE_KEY in live mode.")
    checkout_path = google_pay_pages.SIMULATOR_CHECKOUT_PATH if simulated else google_pay_pages.LIVE_CHECKOUT_PATH
    return GooglePayGateway(
        merchant_id=merchant_id,
        recipient_id=config.get("GOOGLE_PAY_RECIPIENT_ID") or f"merchant:{merchant_id}",
        root_keys=load_root_keys(root_keys) if root_keys else simulator_root_keys(seed),
        private_key=load_private_key(private_key) if private_key else simulator_keys(seed)["merchant"],
        processor=processor,
        checkout_url=config["PUBLIC_BASE_URL"] + checkout_path,
    )


def _google_pay(env):
    gateway = google_pay_gateway(env.config)  # the mode is in the config; live has no processor yet
    if gateway is not None and isinstance(gateway.processor, SimulatorProcessor) and env.db is not None:
        gateway.processor.keep_charges(env.db)  # in the store, so any process's sweep finds its charges
    return gateway


GOOGLE_PAY = GatewayEntry(
    name="google_pay", webhook_slug="google-pay",
    build_live=_google_pay, build_simulator=_google_pay,
    live_pages=google_pay_pages.live_pages, simulator_pages=google_pay_pages.simulator_pages,
    settings={"GOOGLE_PAY_MERCHANT_ID": "", "GOOGLE_PAY_RECIPIENT_ID": "", "GOOGLE_PAY_ROOT_SIGNING_KEYS": "",
              "GOOGLE_PAY_PRIVATE_KEY": "", **SIMULATOR_SEED_SETTING},
    simulator_settings={"GOOGLE_PAY_MERCHANT_ID": DEV_GOOGLE_PAY_MERCHANT_ID, **SIMULATOR_SEED_DEV},
)
