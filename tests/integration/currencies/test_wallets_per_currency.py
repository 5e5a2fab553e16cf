"""Wallets per currency (SUPPORTED_CURRENCIES): a customer's USD wallet beside its INR one, each topped
up through a gateway that takes its currency, paid from and refunded into separately; a gateway
refuses a currency it does not take; a currency without minor units (JPY) is whole units end to end."""

import pytest

from backend import create_app
from backend.errors import ConfigError
from tests.conftest import app_config, app_with, drop_store
from tests.helpers import BASE, Api, bearer, snapshot
from tests.integration.support import assert_error

CUSTOMER = "cust_multi"


@pytest.fixture
def app():
    yield from app_with(SUPPORTED_CURRENCIES="INR,USD,JPY")


def initiate(api, amount, method, currency=None):
    body = {"customer_id": CUSTOMER, "amount": amount, "payment_method": method}
    if currency is not None:
        body["currency"] = currency
    return api.post("/wallet/topup/initiate", body, bearer(CUSTOMER))


def paypal_topup(api, amount, currency):
    """Initiate in `currency`, approve on PayPal's simulator page, verify: the service captures."""
    response = initiate(api, amount, "paypal", currency)
    assert response.status_code == 200, response.get_json()
    order_id = response.get_json()["payment_order_id"]
    assert api.client.post(f"/simulator/paypal/checkout/{order_id}/pay").status_code == 303
    verified = api.post("/wallet/topup/verify", {"order_id": order_id, "payment_method": "paypal"}, bearer(CUSTOMER))
    assert verified.status_code == 200, verified.get_json()
    return response.get_json(), verified.get_json()


def status(api, currency=None):
    query = f"?currency={currency}" if currency else ""
    return api.client.get(f"{BASE}/status/{CUSTOMER}{query}", headers=bearer(CUSTOMER)).get_json()


def statement(api, currency):
    response = api.client.get(f"{BASE}/wallet/{CUSTOMER}/statement.csv?currency={currency}", headers=bearer(CUSTOMER))
    assert response.status_code == 200
    return response.get_data(as_text=True).strip().splitlines()


def order_request(api, path, order_id, amount, currency=None, headers=None):
    body = {"order_id": order_id, "customer_id": CUSTOMER, "amount": amount, "reason": "returned"}
    if currency is not None:
        body["currency"] = currency
    return api.post(path, body, headers or bearer(CUSTOMER))


def test_a_usd_wallet_beside_an_inr_one_top_up_pay_refund_status_and_csv_apart(api):
    initiated, verified = paypal_topup(api, "40.00", "USD")
    assert initiated["currency"] == "USD" and initiated["amount"] == 40.0
    assert verified["wallet_balance"] == 40.0 and verified["currency"] == "USD"
    api.topup(CUSTOMER, "500.00")  # Razorpay, in the default currency (INR)

    usd_order = api.add_order(CUSTOMER, 2500, currency="USD")
    inr_order = api.add_order(CUSTOMER, 20000, currency="INR")
    paid = order_request(api, "/order/pay-with-wallet", usd_order, "25.00", "USD")
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json()["remaining_balance"] == 15.0 and paid.get_json()["currency"] == "USD"
    assert api.pay(inr_order, CUSTOMER, "200.00").get_json()["remaining_balance"] == 300.0

    admin = bearer("admin_1", "admin")
    refunded = order_request(api, "/order/refund-to-wallet", usd_order, "10.00", "USD", admin)
    assert refunded.status_code == 200 and refunded.get_json()["new_balance"] == 25.0
    assert api.refund(inr_order, CUSTOMER, "50.00").get_json()["new_balance"] == 350.0

    usd, inr = status(api, "USD"), status(api)
    assert usd["wallet"]["balance"] == 25.0 and usd["wallet"]["currency"] == "USD"
    assert inr["wallet"]["balance"] == 350.0 and inr["wallet"]["currency"] == "INR"
    assert {t["currency"] for t in usd["recent_transactions"]} == {"USD"}
    assert [t["amount"] for t in usd["recent_transactions"]] == [10.0, 25.0, 40.0]
    assert [t["amount"] for t in inr["recent_transactions"]] == [50.0, 200.0, 500.0]

    usd_rows, inr_rows = statement(api, "USD"), statement(api, "INR")
    assert len(usd_rows) == 4 and len(inr_rows) == 4  # a header and three entries each
    assert all(",USD," in row for row in usd_rows[1:]) and all(",INR," in row for row in inr_rows[1:])


def test_razorpay_refuses_a_currency_it_does_not_take_naming_those_it_does_and_keeps_nothing(api):
    before = snapshot(api.db)
    response = initiate(api, "10.00", "razorpay", "USD")
    assert response.status_code == 400
    body = response.get_json()
    assert body == {
        "success": False,
        "error": "payment_method_unavailable",
        "message": body["message"],
        "currencies": ["INR"],
    }
    assert "takes INR" in body["message"]
    assert snapshot(api.db) == before


def test_a_currency_the_service_does_not_keep_is_refused_at_initiate(api):
    before = snapshot(api.db)
    assert_error(initiate(api, "10.00", "paypal", "GBP"), 400, "invalid_request")
    assert_error(initiate(api, "10.00", "paypal", "usd"), 400, "invalid_request")
    assert snapshot(api.db) == before


def test_an_amount_is_read_in_the_currency_named_and_must_be_the_orders(api):
    paypal_topup(api, "40.00", "USD")
    usd_order = api.add_order(CUSTOMER, 2500, currency="USD")
    before = snapshot(api.db)
    assert_error(order_request(api, "/order/pay-with-wallet", usd_order, "25.00", "INR"), 400, "currency_mismatch")
    assert snapshot(api.db) == before
    # Not named: read in the default currency, which has as many decimals as the order's.
    assert api.pay(usd_order, CUSTOMER, "25.00").status_code == 200


def test_jpy_has_no_minor_units(api):
    initiated, verified = paypal_topup(api, "1500", "JPY")
    assert initiated["amount"] == 1500 and verified["wallet_balance"] == 1500
    assert api.db["payment_orders"].find_one({"_id": initiated["payment_order_id"]})["amount_minor"] == 1500
    assert_error(initiate(api, "10.50", "paypal", "JPY"), 400, "invalid_amount")

    jpy_order = api.add_order(CUSTOMER, 1000, currency="JPY")
    # Not named, the amount would be read in rupees (2 decimals): refused rather than guessed.
    assert_error(api.pay(jpy_order, CUSTOMER, "1000"), 400, "currency_mismatch")
    paid = order_request(api, "/order/pay-with-wallet", jpy_order, "1000", "JPY")
    assert paid.status_code == 200 and paid.get_json()["remaining_balance"] == 500
    assert status(api, "JPY")["wallet"]["balance"] == 500


def test_wallet_reads_of_a_currency_no_longer_supported_still_answer(app):
    other = create_app(app_config(MONGODB_DB=app.config["MONGODB_DB"], SUPPORTED_CURRENCIES="INR"))
    try:
        body = Api(other.test_client(), other.extensions["wallet_db"]).client.get(
            f"{BASE}/status/{CUSTOMER}?currency=USD", headers=bearer(CUSTOMER)
        )
        assert body.status_code == 200 and body.get_json()["wallet"]["currency"] == "USD"
    finally:
        drop_store(other)


def test_supported_currencies_must_be_known_and_include_the_default():
    with pytest.raises(ConfigError, match="XYZ"):
        create_app(app_config(SUPPORTED_CURRENCIES="INR,XYZ"))
    with pytest.raises(ConfigError, match="DEFAULT_CURRENCY"):
        create_app(app_config(SUPPORTED_CURRENCIES="USD"))


def gateway_currencies(**settings):
    app = create_app(app_config(**settings))
    try:
        body = app.test_client().get(f"{BASE}/gateways").get_json()
        return {g["name"]: g["currencies"] for g in body["gateways"]}
    finally:
        drop_store(app)


def test_a_gateways_currencies_setting_lists_what_the_merchants_account_takes():
    narrowed = gateway_currencies(SUPPORTED_CURRENCIES="INR,USD", PAYPAL_CURRENCIES="USD")
    assert narrowed["paypal"] == ["USD"] and narrowed["razorpay"] == ["INR"]
    widened = gateway_currencies(SUPPORTED_CURRENCIES="INR,USD", RAZORPAY_CURRENCIES="INR,USD")
    assert widened["razorpay"] == ["INR", "USD"]
    alone = gateway_currencies(PAYPAL_CURRENCIES="USD")  # only INR supported: PayPal takes none of it
    assert "paypal" not in alone


def test_a_currencies_setting_naming_one_the_gateway_cannot_take_refuses_to_start():
    with pytest.raises(ConfigError, match="PAYPAL_CURRENCIES"):
        create_app(app_config(PAYPAL_CURRENCIES="USD,XYZ"))
    with pytest.raises(ConfigError, match="RAZORPAY_CURRENCIES"):
        create_app(app_config(RAZORPAY_CURRENCIES="INR,ABC"))
