"""A fourth gateway, Acme Pay, whose whole code is its own folder (tests/fixtures/acme_pay: adapter,
simulator with its own collection and index, checkout page, entry), joins through GATEWAY_PACKAGES
alone: initiate → its checkout page → its signed webhook → the customer's return (verify) → one credit.
The registry itself: built from the packages named, refusing what is not a gateway."""

import datetime
import pathlib
from urllib.parse import parse_qs, urlsplit

import pytest

from backend import create_app
from backend.clock import utcnow
from backend.config import load_config
from backend.errors import ConfigError
from backend.gateways.entry import GatewayEntry
from backend.gateways.registry import BUILT_IN_PACKAGES, GatewayRegistry, gateway_registry, load_registry
from backend.limits import WEBHOOK_LIMIT
from backend.sweep import sweep_from_config
from tests.config_support import SAFE_PRODUCTION
from tests.conftest import app_config, drop_store
from tests.fixtures.acme_pay.simulator import COLLECTION, DEV_SECRET, sign, signed_event
from tests.helpers import BASE, Clock, bearer
from tests.integration.support import assert_error, balance_minor, ledger

ROOT = pathlib.Path(__file__).resolve().parents[3]
WEBHOOK = f"{BASE}/webhook/acme-pay"
CHECKOUT = "/simulator/acme-pay/checkout"
CUSTOMER = "cust_acme"
WITH_ACME = ",".join((*BUILT_IN_PACKAGES, "tests.fixtures.acme_pay"))


def acme_config(**overrides):
    return app_config(GATEWAY_PACKAGES=WITH_ACME, **overrides)


@pytest.fixture
def acme_app():
    app = create_app(acme_config())
    yield app
    drop_store(app)


@pytest.fixture
def acme_client(acme_app):
    return acme_app.test_client()


def initiate(client, amount="12.34"):
    response = client.post(
        f"{BASE}/wallet/topup/initiate",
        headers=bearer(CUSTOMER),
        json={"customer_id": CUSTOMER, "amount": amount, "payment_method": "acme_pay"},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def verify(client, order_id, payment_ref, proof):
    return client.post(
        f"{BASE}/wallet/topup/verify",
        headers=bearer(CUSTOMER),
        json={"order_id": order_id, "payment_method": "acme_pay", "payment_ref": payment_ref, "proof": proof},
    )


def simulated_order(app, order_id):
    return app.extensions["wallet_db"][COLLECTION].find_one({"_id": order_id})


# --- the flow over HTTP ----------------------------------------------------------------------
def test_fourth_gateway_tops_up_once_through_page_webhook_and_return(acme_app, acme_client):
    started = initiate(acme_client)
    order_id = started["payment_order_id"]
    assert started["key_id"] == "acme_public_key" and (started["amount"], started["currency"]) == (12.34, "INR")
    assert started["redirect_url"] == f"http://localhost{CHECKOUT}/{order_id}"
    page = acme_client.get(f"{CHECKOUT}/{order_id}")
    assert page.status_code == 200 and "Acme Pay: pay 1234 INR" in page.get_data(as_text=True)

    paid = acme_client.post(f"{CHECKOUT}/{order_id}/pay")  # posts the signed webhook
    assert paid.status_code == 303
    db = acme_app.extensions["wallet_db"]
    assert balance_minor(db, CUSTOMER) == 1234  # credited by the webhook
    back = {k: v[0] for k, v in parse_qs(urlsplit(paid.headers["Location"]).query).items()}
    assert back["payment_method"] == "acme_pay" and back["acme_order"] == order_id
    returned = verify(acme_client, order_id, back["acme_payment"], back["acme_proof"])
    assert returned.status_code == 200, returned.get_json()
    assert returned.get_json()["message"] == "Payment verified; wallet credited."
    assert returned.get_json()["wallet_balance"] == 12.34
    assert balance_minor(db, CUSTOMER) == 1234  # once, however many confirmations
    [entry] = ledger(db, CUSTOMER)
    assert entry["reference"] == {
        "payment_order_id": order_id,
        "gateway": "acme_pay",
        "gateway_payment_id": back["acme_payment"],
    }
    assert db["payment_orders"].find_one({"_id": order_id})["status"] == "paid"
    assert simulated_order(acme_app, order_id)["status"] == "paid"  # the simulator's own record


def test_fourth_gateway_return_alone_credits_and_its_webhook_then_is_a_duplicate(acme_app, acme_client):
    order_id = initiate(acme_client, "5")["payment_order_id"]
    proof = sign(DEV_SECRET, f"{order_id}|acmepay_1")
    returned = verify(acme_client, order_id, "acmepay_1", proof)
    assert returned.status_code == 200 and returned.get_json()["message"] == "Payment verified; wallet credited."
    body, headers = signed_event(DEV_SECRET, simulated_order(acme_app, order_id), "acmepay_1")
    for _ in range(2):
        response = acme_client.post(WEBHOOK, data=body, headers=headers)
        assert (response.status_code, response.get_json()) == (200, {"success": True})
    assert balance_minor(acme_app.extensions["wallet_db"], CUSTOMER) == 500


def test_fourth_gateway_rejects_forged_proofs_signatures_and_amounts(acme_app, acme_client):
    db = acme_app.extensions["wallet_db"]
    order_id = initiate(acme_client, "5")["payment_order_id"]
    assert_error(verify(acme_client, order_id, "acmepay_1", "0" * 64), 400, "invalid_signature")
    assert_error(verify(acme_client, order_id, "acmepay_1", None), 400, "invalid_request")  # its fields are validated
    order = simulated_order(acme_app, order_id)
    body, headers = signed_event("not-the-secret", order, "acmepay_2")
    assert_error(acme_client.post(WEBHOOK, data=body, headers=headers), 400, "invalid_signature")
    body, headers = signed_event(DEV_SECRET, order, "acmepay_3", amount_minor=1)
    assert_error(acme_client.post(WEBHOOK, data=body, headers=headers), 400, "amount_mismatch")
    assert balance_minor(db, CUSTOMER) == 0


def test_fourth_gateway_fail_on_its_page_credits_nothing(acme_app, acme_client):
    order_id = initiate(acme_client)["payment_order_id"]
    failed = acme_client.post(f"{CHECKOUT}/{order_id}/fail")
    assert failed.status_code == 303 and "payment_error=payment_failed" in failed.headers["Location"]
    assert balance_minor(acme_app.extensions["wallet_db"], CUSTOMER) == 0
    assert acme_client.get(f"{CHECKOUT}/acme_unknown").status_code == 404


def test_fourth_gateway_is_offered_listed_and_rate_limited_as_a_webhook(acme_client):
    assert "acme_pay" in acme_client.get(f"{BASE}/health").get_json()["features"]["gateways"]
    limited = create_app(acme_config(RATE_LIMITS_ENABLED="true")).test_client()
    assert limited.post(WEBHOOK, data=b"{}").headers["X-RateLimit-Limit"] == WEBHOOK_LIMIT.split()[0]
    refused = acme_client.post(
        f"{BASE}/wallet/topup/initiate",
        headers=bearer(CUSTOMER),
        json={"customer_id": CUSTOMER, "amount": "1", "payment_method": "nopay"},
    )
    body = assert_error(refused, 400, "unsupported_payment_method")
    assert body["message"] == "`payment_method` must be one of: razorpay, paypal, google_pay, acme_pay."


def test_fourth_gateway_settings_and_production_checks_come_from_its_entry():
    assert load_config(acme_config())["ACME_PAY_SECRET"] == DEV_SECRET
    production = dict(SAFE_PRODUCTION, GATEWAY_MODE="live", GATEWAY_PACKAGES=WITH_ACME)
    with pytest.raises(ConfigError, match="ACME_PAY_SECRET must be set"):
        load_config(production)
    assert load_config(dict(production, ACME_PAY_SECRET="live-secret"))["ACME_PAY_SECRET"] == "live-secret"
    assert "ACME_PAY_SECRET" not in load_config(app_config())  # only where its package is named


def test_fourth_gateways_simulator_keeps_its_orders_in_its_own_indexed_collection(acme_app, acme_client):
    db = acme_app.extensions["wallet_db"]
    indexes = [spec["key"] for spec in db[COLLECTION].index_information().values()]
    assert [("reference", 1)] in [[(field, int(direction)) for field, direction in key] for key in indexes]
    order_id = initiate(acme_client)["payment_order_id"]
    order = simulated_order(acme_app, order_id)
    assert (order["amount_minor"], order["currency"], order["status"]) == (1234, "INR", "open")
    gateway = acme_app.extensions["integration"].payments.gateway("acme_pay")
    payment_order = acme_app.extensions["integration"].find_payment_order(order_id)
    again = gateway.create_order(payment_order.reference, 1234, "INR", CUSTOMER)  # one order per reference
    assert again.gateway_order_id == order_id and db[COLLECTION].count_documents({}) == 1
    plain = create_app(app_config())  # without its package: no collection, no index
    assert COLLECTION not in plain.extensions["wallet_db"].list_collection_names()
    drop_store(plain)


def test_the_sweep_credits_a_fourth_gateway_top_up_whose_webhook_and_return_were_lost(acme_app, acme_client):
    order_id = initiate(acme_client, "7")["payment_order_id"]
    acme_app.extensions["integration"].payments.gateway("acme_pay").api.pay(order_id)  # paid at Acme; nothing came back
    db = acme_app.extensions["wallet_db"]
    assert balance_minor(db, CUSTOMER) == 0
    clock = Clock(utcnow() + datetime.timedelta(seconds=acme_app.config["SWEEP_STALE_AFTER_SECONDS"] + 1))
    assert sweep_from_config(acme_app.extensions["integration"], acme_app.config, clock)["credited"] == 1
    assert balance_minor(db, CUSTOMER) == 700


def test_a_gateway_that_takes_none_of_the_supported_currencies_is_not_offered():
    app = create_app(acme_config(DEFAULT_CURRENCY="USD"))  # Acme Pay and Razorpay take INR only
    assert set(app.extensions["integration"].payments.gateways) == {"paypal", "google_pay"}
    drop_store(app)
    app = create_app(acme_config(DEFAULT_CURRENCY="USD", SUPPORTED_CURRENCIES="USD,INR"))
    assert set(app.extensions["integration"].payments.gateways) == {"razorpay", "paypal", "google_pay", "acme_pay"}
    drop_store(app)


def test_without_its_package_the_gateway_does_not_exist(client):
    assert client.post(WEBHOOK, data=b"{}").status_code == 404
    assert client.get(f"{CHECKOUT}/acme_x").status_code == 404


def test_nothing_outside_its_folder_names_the_fourth_gateway():
    """Its code is its folder: the backend and the web page never name it (the tests that load it do)."""
    files = [
        path
        for folder in ("backend", "frontend/src")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and path.suffix in (".py", ".js", ".jsx")
    ]
    assert len(files) > 50
    named = [str(path.relative_to(ROOT)) for path in files if "acme" in path.read_text().lower()]
    assert named == []


# --- the registry ----------------------------------------------------------------------------
def test_the_built_in_gateways_are_the_default_packages_in_order():
    assert BUILT_IN_PACKAGES == ("backend.gateways.razorpay", "backend.gateways.paypal", "backend.gateways.google_pay")
    assert gateway_registry({}).names() == ("razorpay", "paypal", "google_pay")
    assert gateway_registry({"GATEWAY_PACKAGES": " backend.gateways.paypal , "}).names() == ("paypal",)
    assert load_config(app_config(GATEWAY_PACKAGES=""))["GATEWAY_PACKAGES"] == BUILT_IN_PACKAGES


def test_gateway_packages_must_each_hold_a_gateway_entry():
    with pytest.raises(ConfigError, match="tests.fixtures.no_such_gateway"):
        load_config(app_config(GATEWAY_PACKAGES="backend.gateways.razorpay,tests.fixtures.no_such_gateway"))
    with pytest.raises(ConfigError, match="`entry.GATEWAY` is not a GatewayEntry"):
        load_registry(("backend.gateways",))  # a package whose `entry` module is the shared one: no GATEWAY
    with pytest.raises(ConfigError, match="registered already"):
        load_registry(("backend.gateways.paypal", "backend.gateways.paypal"))


def test_a_registry_refuses_a_second_gateway_of_a_name_or_webhook_slug():
    first = GatewayEntry(name="one", webhook_slug="one", build_live=lambda env: None, build_simulator=lambda env: None)
    GatewayRegistry([first])
    for clash in (dict(name="one", webhook_slug="other"), dict(name="other", webhook_slug="one")):
        with pytest.raises(ValueError, match="registered already"):
            GatewayRegistry(
                [first, GatewayEntry(**clash, build_live=first.build_live, build_simulator=first.build_simulator)]
            )


def test_the_web_page_learns_the_fourth_gateway_and_its_return_from_the_api(acme_client):
    described = acme_client.get(f"{BASE}/gateways").get_json()["gateways"]
    assert [gateway["name"] for gateway in described] == ["razorpay", "paypal", "google_pay", "acme_pay"]
    assert described[-1] == {
        "name": "acme_pay",
        "label": "Acme Pay",
        "currencies": ["INR"],
        "checkout_return": {
            "order_id": "acme_order",
            "match": ["acme_order"],
            "verify_fields": {"payment_ref": "acme_payment", "proof": "acme_proof"},
            "confirm": "verify",
            "pay_again_charges": False,
        },
        "settlement": False,
    }
