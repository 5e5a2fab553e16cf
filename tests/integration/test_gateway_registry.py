"""A fourth gateway, defined here and nowhere in backend/, joins through the registry alone:
initiate → its checkout page → its signed webhook → the customer's return (verify) → one credit."""
import hashlib
import hmac
import json
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Blueprint, redirect

from backend import create_app
from backend.clock import new_id
from backend.config import load_config
from backend.errors import ConfigError, InvalidRequest, InvalidSignature
from backend.gateways.base import CREDIT_WALLET, IGNORE, CheckoutOrder, ConfirmedPayment, WebhookEvent
from backend.gateways.entry import GatewayEntry
from backend.gateways.registry import REGISTRY
from backend.limits import WEBHOOK_LIMIT
from backend.validation import parse_json_object, require_id, signature_text
from tests.conftest import app_config
from tests.helpers import BASE, bearer
from tests.integration.support import assert_error, balance_minor, ledger
from tests.unit.test_config import SAFE_PRODUCTION

WEBHOOK = f"{BASE}/webhook/test-pay"
DEV_SECRET = "testpay_dev_secret"
CUSTOMER = "cust_tp"


def sign(secret, text):
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


# --- the gateway: an API object (here only simulated), an adapter, pages, one entry ------------
class SimulatedTestPayApi:
    def create_order(self, amount_minor, currency):
        return {"id": new_id("tp"), "amount": amount_minor, "currency": currency}


class FourthPayGateway:
    """Checkout returns `payment_ref` + `proof` = HMAC(order|payment); webhooks sign the raw body."""

    name = "testpay"
    key_id = "tp_public_key"

    def __init__(self, api, secret, checkout_url):
        self.api, self.secret, self.checkout_url = api, secret, checkout_url

    def create_order(self, reference, amount_minor, currency, customer_id):
        order_id = self.api.create_order(amount_minor, currency)["id"]
        return CheckoutOrder(order_id, f"{self.checkout_url}/{order_id}")

    def confirm_checkout(self, payment_order, fields):
        expected = sign(self.secret, f"{payment_order.id}|{fields['payment_ref']}")
        if not hmac.compare_digest(expected, fields["proof"]):
            raise InvalidSignature("The TestPay proof does not match.")
        return ConfirmedPayment(fields["payment_ref"])

    def parse_webhook(self, raw_body, headers):
        expected = sign(self.secret, raw_body.decode("utf-8", "replace"))
        if not hmac.compare_digest(expected, headers.get("X-TestPay-Signature", "")):
            raise InvalidSignature("The TestPay signature does not match.")
        event = parse_json_object(raw_body)
        if event.get("type") != "payment.succeeded":
            return WebhookEvent(str(event.get("id")), str(event.get("type")), IGNORE)
        if not isinstance(event.get("amount_minor"), int):
            raise InvalidRequest("The TestPay event lacks an amount.")
        return WebhookEvent(event["id"], event["type"], CREDIT_WALLET, payment_order_id=event["order"],
                            gateway_payment_id=event["payment"], amount_minor=event["amount_minor"],
                            currency=event["currency"])


def signed_event(secret, payment_order, payment_ref, amount_minor=None):
    event = {"id": new_id("tpevt"), "type": "payment.succeeded", "order": payment_order.id,
             "payment": payment_ref, "amount_minor": payment_order.amount_minor if amount_minor is None else amount_minor,
             "currency": payment_order.currency}
    body = json.dumps(event)
    return body.encode(), {"Content-Type": "application/json", "X-TestPay-Signature": sign(secret, body)}


def simulator_pages(context):
    pages = Blueprint("testpay_simulator", __name__, url_prefix="/simulator/testpay/checkout")
    secret = context.config["TESTPAY_SECRET"]

    @pages.get("/<order_id>")
    def checkout_page(order_id):
        payment_order = context.payment_order_or_404(order_id)
        return f"TestPay: pay {payment_order.amount_minor} {payment_order.currency}"

    @pages.post("/<order_id>/pay")
    def pay(order_id):
        payment_order = context.payment_order_or_404(order_id)
        payment_ref = "tppay_" + secrets.token_hex(6)
        context.deliver_webhook(*signed_event(secret, payment_order, payment_ref))
        proof = sign(secret, f"{order_id}|{payment_ref}")
        return redirect(f"{context.config['CHECKOUT_RETURN_URL']}?tp_order={order_id}&tp_payment={payment_ref}"
                        f"&tp_proof={proof}", code=303)

    return pages


def build_simulator(env):
    return FourthPayGateway(SimulatedTestPayApi(), env.config["TESTPAY_SECRET"],
                          env.config["PUBLIC_BASE_URL"] + "/simulator/testpay/checkout")


TESTPAY = GatewayEntry(
    name="testpay", webhook_slug="test-pay",
    build_live=lambda env: None, build_simulator=build_simulator,
    checkout_return_fields=lambda body: {"payment_ref": require_id(body, "payment_ref"),
                                         "proof": signature_text(body, "proof")},
    simulator_pages=simulator_pages,
    settings={"TESTPAY_SECRET": ""}, simulator_settings={"TESTPAY_SECRET": DEV_SECRET},
    required_in_production=("TESTPAY_SECRET",),
)


@pytest.fixture
def testpay():
    REGISTRY.register(TESTPAY)
    yield TESTPAY
    REGISTRY.unregister(TESTPAY.name)


@pytest.fixture
def tp_app(testpay):
    app = create_app(app_config())
    yield app
    database = app.extensions["wallet_db"]
    if getattr(database, "client", None) is not None:
        database.client.drop_database(database.name)


@pytest.fixture
def tp_client(tp_app):
    return tp_app.test_client()


def initiate(client, amount="12.34"):
    response = client.post(f"{BASE}/wallet/topup/initiate", headers=bearer(CUSTOMER),
                           json={"customer_id": CUSTOMER, "amount": amount, "payment_method": "testpay"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def verify(client, order_id, payment_ref, proof):
    return client.post(f"{BASE}/wallet/topup/verify", headers=bearer(CUSTOMER), json={
        "order_id": order_id, "payment_method": "testpay", "payment_ref": payment_ref, "proof": proof})


# --- the flow over HTTP ----------------------------------------------------------------------
def test_fourth_gateway_tops_up_once_through_page_webhook_and_return(tp_app, tp_client):
    started = initiate(tp_client)
    order_id = started["payment_order_id"]
    assert started["key_id"] == "tp_public_key" and (started["amount"], started["currency"]) == (12.34, "INR")
    assert started["redirect_url"] == f"http://localhost/simulator/testpay/checkout/{order_id}"
    page = tp_client.get(f"/simulator/testpay/checkout/{order_id}")
    assert (page.status_code, page.get_data(as_text=True)) == (200, "TestPay: pay 1234 INR")

    paid = tp_client.post(f"/simulator/testpay/checkout/{order_id}/pay")  # posts the signed webhook
    assert paid.status_code == 303
    db = tp_app.extensions["wallet_db"]
    assert balance_minor(db, CUSTOMER) == 1234  # credited by the webhook
    back = {k: v[0] for k, v in parse_qs(urlsplit(paid.headers["Location"]).query).items()}
    returned = verify(tp_client, order_id, back["tp_payment"], back["tp_proof"])
    assert returned.status_code == 200, returned.get_json()
    assert returned.get_json()["message"] == "Payment verified; wallet credited."
    assert returned.get_json()["wallet_balance"] == 12.34
    assert balance_minor(db, CUSTOMER) == 1234  # once, however many confirmations
    [entry] = ledger(db, CUSTOMER)
    assert entry["reference"] == {"payment_order_id": order_id, "gateway": "testpay",
                                  "gateway_payment_id": back["tp_payment"]}
    assert db["payment_orders"].find_one({"_id": order_id})["status"] == "paid"


def test_fourth_gateway_return_alone_credits_and_its_webhook_then_is_a_duplicate(tp_app, tp_client):
    order_id = initiate(tp_client, "5")["payment_order_id"]
    proof = sign(DEV_SECRET, f"{order_id}|tppay_1")
    assert verify(tp_client, order_id, "tppay_1", proof).status_code == 200
    payment_order = tp_app.extensions["integration"].find_payment_order(order_id)
    body, headers = signed_event(DEV_SECRET, payment_order, "tppay_1")
    for _ in range(2):
        response = tp_client.post(WEBHOOK, data=body, headers=headers)
        assert (response.status_code, response.get_json()) == (200, {"success": True})
    assert balance_minor(tp_app.extensions["wallet_db"], CUSTOMER) == 500


def test_fourth_gateway_rejects_forged_proofs_signatures_and_amounts(tp_app, tp_client):
    db = tp_app.extensions["wallet_db"]
    order_id = initiate(tp_client, "5")["payment_order_id"]
    assert_error(verify(tp_client, order_id, "tppay_1", "0" * 64), 400, "invalid_signature")
    assert_error(verify(tp_client, order_id, "tppay_1", None), 400, "invalid_request")  # its fields are validated
    payment_order = tp_app.extensions["integration"].find_payment_order(order_id)
    body, headers = signed_event("not-the-secret", payment_order, "tppay_2")
    assert_error(tp_client.post(WEBHOOK, data=body, headers=headers), 400, "invalid_signature")
    body, headers = signed_event(DEV_SECRET, payment_order, "tppay_3", amount_minor=1)
    assert_error(tp_client.post(WEBHOOK, data=body, headers=headers), 400, "amount_mismatch")
    assert balance_minor(db, CUSTOMER) == 0


def test_fourth_gateway_is_offered_listed_and_rate_limited_as_a_webhook(testpay, tp_client):
    assert "testpay" in tp_client.get(f"{BASE}/health").get_json()["features"]["gateways"]
    limited = create_app(app_config(RATE_LIMITS_ENABLED="true")).test_client()
    assert limited.post(WEBHOOK, data=b"{}").headers["X-RateLimit-Limit"] == WEBHOOK_LIMIT.split()[0]
    refused = tp_client.post(f"{BASE}/wallet/topup/initiate", headers=bearer(CUSTOMER),
                             json={"customer_id": CUSTOMER, "amount": "1", "payment_method": "nopay"})
    body = assert_error(refused, 400, "unsupported_payment_method")
    assert body["message"] == "`payment_method` must be one of: razorpay, paypal, google_pay, testpay."


def test_fourth_gateway_settings_and_production_checks_come_from_its_entry(testpay):
    assert load_config(app_config())["TESTPAY_SECRET"] == DEV_SECRET
    production = dict(SAFE_PRODUCTION, GATEWAY_MODE="live")
    with pytest.raises(ConfigError, match="TESTPAY_SECRET must be set"):
        load_config(production)
    assert load_config(dict(production, TESTPAY_SECRET="live-secret"))["TESTPAY_SECRET"] == "live-secret"


def test_without_the_entry_the_gateway_does_not_exist(client):
    assert client.post(WEBHOOK, data=b"{}").status_code == 404
    assert client.get("/simulator/testpay/checkout/tp_x").status_code == 404
