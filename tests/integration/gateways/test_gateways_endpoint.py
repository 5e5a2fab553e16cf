"""GET /gateways: the gateways offered, in order, as the web page reads them."""

from backend import create_app
from tests.conftest import app_config, drop_store
from tests.helpers import BASE
from tests.razorpay_support import KEY_ID, KEY_SECRET, WEBHOOK_SECRET

# --- 11. GET /gateways -------------------------------------------------------------------------
BUILT_IN_GATEWAYS = [
    {
        "name": "razorpay",
        "label": "Razorpay",
        "currencies": ["INR"],
        "checkout_return": {
            "order_id": "razorpay_order_id",
            "match": ["razorpay_order_id", "razorpay_payment_id"],
            "verify_fields": {"payment_id": "razorpay_payment_id", "signature": "razorpay_signature"},
            "confirm": "verify",
            "pay_again_charges": True,
        },
        "settlement": True,
    },
    {
        "name": "paypal",
        "label": "PayPal",
        "currencies": ["INR"],
        "checkout_return": {
            "order_id": "paypal_order_id",
            "match": ["paypal_order_id"],
            "verify_fields": {},
            "confirm": "verify",
            "pay_again_charges": False,
        },
        "settlement": True,
    },
    {
        "name": "google_pay",
        "label": "Google Pay",
        "currencies": ["INR"],
        "checkout_return": {
            "order_id": "payment_order_id",
            "match": [],
            "verify_fields": {},
            "confirm": "await_credit",
            "pay_again_charges": False,
        },
        "settlement": False,
    },
]


# In simulator mode, what each gateway's simulator dashboard offers (Google Pay has none).
SIMULATOR_DASHBOARDS = {
    "razorpay": {"refund": True, "reverse": False, "dispute": True},
    "paypal": {"refund": True, "reverse": True, "dispute": True},
}


def in_simulator_mode(description):
    dashboard = SIMULATOR_DASHBOARDS.get(description["name"])
    return description if dashboard is None else {**description, "simulator_dashboard": dashboard}


def test_gateways_describes_the_offered_gateways_in_order_without_auth(client):
    response = client.get(f"{BASE}/gateways")
    assert response.status_code == 200
    assert response.get_json() == {
        "success": True,
        "currencies": ["INR"],
        "gateways": [in_simulator_mode(g) for g in BUILT_IN_GATEWAYS],
    }


def test_each_gateway_lists_the_supported_currencies_it_takes_in_their_order():
    app = create_app(app_config(SUPPORTED_CURRENCIES="USD,INR,JPY", DEFAULT_CURRENCY="USD"))
    body = app.test_client().get(f"{BASE}/gateways").get_json()
    assert body["currencies"] == ["USD", "INR", "JPY"]
    assert {g["name"]: g["currencies"] for g in body["gateways"]} == {
        "razorpay": ["INR"],
        "paypal": ["USD", "INR", "JPY"],
        "google_pay": ["USD", "INR", "JPY"],
    }
    drop_store(app)


def test_gateways_lists_only_what_live_mode_offers_without_simulator_dashboards():
    keys = {"RAZORPAY_KEY_ID": KEY_ID, "RAZORPAY_KEY_SECRET": KEY_SECRET, "RAZORPAY_WEBHOOK_SECRET": WEBHOOK_SECRET}
    app = create_app(app_config(GATEWAY_MODE="live", **keys))  # PayPal without its keys, Google Pay without a processor
    assert app.test_client().get(f"{BASE}/gateways").get_json()["gateways"] == BUILT_IN_GATEWAYS[:1]
    drop_store(app)
    app = create_app(app_config(GATEWAY_MODE="live"))  # nor Razorpay without its
    assert app.test_client().get(f"{BASE}/gateways").get_json()["gateways"] == []
    drop_store(app)
