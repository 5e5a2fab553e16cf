"""Google Pay through the app in simulator mode: initiate, the simulator's sheet, the token post."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from backend import create_app
from backend.gateways.google_pay.entry import google_pay_gateway
from backend.gateways.google_pay.simulator import (
    DEV_GOOGLE_PAY_MERCHANT_ID,
    TEST_PAN,
    payment_data,
    simulator_keys,
    simulator_token,
)
from backend.gateways.google_pay.token import mint_token
from tests.conftest import app_config
from tests.google_pay_support import LIVE_KEYS, FakeProcessor
from tests.helpers import BASE, bearer, snapshot
from tests.integration.support import assert_error, balance_minor, initiated, ledger

WEBHOOK = f"{BASE}/webhook/google-pay"
CUSTOMER = "cust_g"


def initiate(api, amount=500):
    response = api.initiate(CUSTOMER, amount, method="google_pay")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def gateway(app):
    return app.extensions["integration"].payments.gateway("google_pay")


def post_token(client, payment_order_id, token):
    return client.post(WEBHOOK, json={"payment_order_id": payment_order_id, "paymentData": payment_data(token)})


def press(client, body, button):
    return client.post(urlsplit(body["redirect_url"]).path + "/" + button)


def test_initiate_returns_the_simulator_sheet(api, client, db):
    body = initiate(api)
    order_id = body["payment_order_id"]
    assert order_id.startswith("gpay_")
    assert body["key_id"] == DEV_GOOGLE_PAY_MERCHANT_ID
    assert body["redirect_url"] == f"http://localhost/simulator/google-pay/checkout/{order_id}"
    stored = db["payment_orders"].find_one({"_id": order_id})
    assert (stored["gateway"], stored["amount_minor"], stored["status"]) == ("google_pay", 50000, "created")
    page = client.get(urlsplit(body["redirect_url"]).path)
    assert page.status_code == 200
    assert 'id="pay"' in page.get_data(as_text=True) and 'id="fail"' in page.get_data(as_text=True)


def test_pay_credits_the_initiated_amount_once(api, client, db):
    body = initiate(api, "123.45")
    response = press(client, body, "pay")
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert parse_qs(location.query) == {
        "payment_order_id": [body["payment_order_id"]],
        "payment_method": ["google_pay"],
    }
    assert balance_minor(db, CUSTOMER) == 12345
    assert len(ledger(db, CUSTOMER)) == 1
    stored = db["payment_orders"].find_one({"_id": body["payment_order_id"]})
    assert stored["status"] == "paid" and stored["gateway_payment_id"].startswith("gpch_")


def test_same_token_posted_again_credits_once(app, api, client, db):
    order_id = initiate(api)["payment_order_id"]
    token = simulator_token(gateway(app))
    for _ in range(3):
        response = post_token(client, order_id, token)
        assert response.status_code == 200, response.get_json()
    assert balance_minor(db, CUSTOMER) == 50000
    assert len(ledger(db, CUSTOMER)) == 1
    assert db["webhook_events"].count_documents({"gateway": "google_pay"}) == 1  # the token, claimed once


def test_token_cannot_be_replayed_for_another_payment_order(app, api, client, db):
    first, second = initiate(api, 10)["payment_order_id"], initiate(api, 9000)["payment_order_id"]
    token = simulator_token(gateway(app))
    assert post_token(client, first, token).status_code == 200
    assert post_token(client, second, token).status_code == 200  # acknowledged as a duplicate
    assert balance_minor(db, CUSTOMER) == 1000
    assert db["payment_orders"].find_one({"_id": second})["status"] == "created"


NEVER_EXPIRES_MS = 9999999999999


def card_message(message_id):
    return {
        "messageId": message_id,
        "messageExpiration": str(NEVER_EXPIRES_MS),
        "paymentMethod": "CARD",
        "paymentMethodDetails": {"pan": TEST_PAN},
    }


def minted(app, message, root, intermediate, recipient_id=None):
    """A token of `message` signed by `root` and `intermediate`, encrypted for the app's merchant key."""
    recipient_id = recipient_id or gateway(app).recipient_id
    public_key = gateway(app).private_key.public_key()
    return mint_token(message, recipient_id, root, intermediate, public_key, NEVER_EXPIRES_MS)


def forged_by_another_root(app):
    other = ec.generate_private_key(ec.SECP256R1())
    return minted(app, card_message("msg_forged"), other, other)


def for_another_merchant(app):
    keys = simulator_keys()
    message = {"messageId": "msg_other", "messageExpiration": str(NEVER_EXPIRES_MS)}
    return minted(app, message, keys["root"], keys["intermediate"], "merchant:00000000000000000001")


def tampered(app):
    token = json.loads(simulator_token(gateway(app)))
    token["signedMessage"] = token["signedMessage"].replace('"tag"', ' "tag"')
    return json.dumps(token)


def signed_with_a_lone_surrogate_message_id(app):
    """Signed and encrypted as a real token is, its messageId the JSON escape of half a surrogate
    pair, which no store can keep (found by a red-team pass: 500 as its event was recorded)."""
    keys = simulator_keys(gateway(app).processor.seed)
    return minted(app, card_message("\ud800"), keys["root"], keys["intermediate"])


FORGERIES = {
    "another root key": forged_by_another_root,
    "another merchant": for_another_merchant,
    "tampered": tampered,
    "not a token": lambda app: "{}",
    "a lone surrogate as messageId": signed_with_a_lone_surrogate_message_id,
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_token_credits_nothing(app, api, client, db, forge):
    order_id = initiate(api)["payment_order_id"]
    before = snapshot(db)
    assert_error(post_token(client, order_id, forge(app)), 400, "invalid_signature")
    assert snapshot(db) == before
    assert db["integration_logs"].count_documents({"event": "webhook.rejected", "gateway": "google_pay"}) == 1


BAD_BODIES = {
    "no payment order id": lambda token: {"paymentData": payment_data(token)},
    "operator as id": lambda token: {"payment_order_id": {"$gt": ""}, "paymentData": payment_data(token)},
    "no paymentData": lambda token: {"payment_order_id": "gpay_x"},
    "gateway tokenization": lambda token: {
        "payment_order_id": "gpay_x",
        "paymentData": {"paymentMethodData": {"tokenizationData": {"type": "PAYMENT_GATEWAY", "token": token}}},
    },
    "token not a string": lambda token: {"payment_order_id": "gpay_x", "paymentData": payment_data(json.loads(token))},
}


@pytest.mark.parametrize("make_body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_malformed_post_is_invalid_request(app, client, db, make_body):
    before = snapshot(db)
    response = client.post(WEBHOOK, json=make_body(simulator_token(gateway(app))))
    assert_error(response, 400, "invalid_request")
    assert snapshot(db) == before


def test_unknown_payment_order_is_acknowledged_and_ignored(app, client, db):
    """Documented choice: 200 and nothing charged, credited or claimed."""
    response = post_token(client, "gpay_unknown", simulator_token(gateway(app)))
    assert response.status_code == 200, response.get_json()
    assert ledger(db) == []
    assert db["webhook_events"].count_documents({}) == 0
    assert db["integration_logs"].find_one({"event": "webhook.received"})["outcome"] == "ignored"


def test_token_cannot_credit_another_gateways_payment_order(app, api, client, db):
    razorpay_order_id = initiated(api, CUSTOMER, 500)
    assert post_token(client, razorpay_order_id, simulator_token(gateway(app))).status_code == 200
    assert balance_minor(db, CUSTOMER) == 0


def test_pay_again_on_a_credited_top_up_charges_nothing_and_says_it_was_paid(api, client, db):
    """Back to the sheet and Pay again: the token is not charged, and the way back says the top-up
    was paid already (so the wallet page does not announce a new credit)."""
    body = initiate(api, "10.00")
    assert "payment_error" not in press(client, body, "pay").headers["Location"]
    charges = db["simulator_google_pay_charges"].count_documents({})
    response = press(client, body, "pay")
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {
        "payment_order_id": [body["payment_order_id"]],
        "payment_method": ["google_pay"],
        "payment_error": ["already_paid"],
    }
    assert db["simulator_google_pay_charges"].count_documents({}) == charges
    assert (balance_minor(db, CUSTOMER), len(ledger(db, CUSTOMER))) == (1000, 1)


def test_fail_credits_nothing_and_posts_nothing(api, client, db):
    body = initiate(api)
    before = snapshot(db)
    response = press(client, body, "fail")
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["Location"]).query)["payment_error"] == ["payment_failed"]
    assert snapshot(db) == before


def test_checkout_verify_does_not_apply(api, client):
    order_id = initiate(api)["payment_order_id"]
    response = client.post(
        f"{BASE}/wallet/topup/verify",
        headers=bearer(CUSTOMER),
        json={"order_id": order_id, "payment_method": "google_pay"},
    )
    assert_error(response, 400, "invalid_request")


def test_card_data_is_never_stored_or_logged(api, client, db, caplog):
    press(client, initiate(api), "pay")
    assert balance_minor(db, CUSTOMER) == 50000
    stored = repr([list(db[name].find({})) for name in db.list_collection_names()])
    assert TEST_PAN not in stored and "paymentMethodDetails" not in stored
    assert TEST_PAN not in caplog.text


def test_health_lists_google_pay(client):
    assert "google_pay" in client.get(f"{BASE}/health").get_json()["features"]["gateways"]


def test_sheet_for_unknown_or_razorpay_order_is_404(api, client):
    razorpay_order_id = initiated(api, CUSTOMER, 5)
    for order_id in ("gpay_unknown", razorpay_order_id):
        assert client.get(f"/simulator/google-pay/checkout/{order_id}").status_code == 404
        assert client.post(f"/simulator/google-pay/checkout/{order_id}/pay").status_code == 404


def test_live_checkout_page_opens_google_pay_with_our_key():
    """Live mode: offered only with a processor; the page carries the merchant id and public key."""
    live = create_app(app_config(GATEWAY_MODE="live", **LIVE_KEYS))
    database = live.extensions["wallet_db"]
    payments = live.extensions["integration"].payments
    assert "google_pay" not in payments.gateways
    assert live.test_client().get("/checkout/google-pay/gpay_1").status_code == 404
    payments.gateways["google_pay"] = google_pay_gateway(live.config, FakeProcessor())
    database["payment_orders"].insert_one(
        {
            "_id": "gpay_1",
            "reference": "wtp_1",
            "gateway": "google_pay",
            "customer_id": CUSTOMER,
            "amount_minor": 50000,
            "currency": "INR",
            "status": "created",
        }
    )
    page = live.test_client().get("/checkout/google-pay/gpay_1").get_data(as_text=True)
    if getattr(database, "client", None) is not None:  # a real server: drop this test's database
        database.client.drop_database(database.name)
    assert "https://pay.google.com/gp/p/js/pay.js" in page and "BCR2DN4T000000" in page
    assert payments.gateways["google_pay"].merchant_public_key_text() in page
    assert '"amount": "500.00"' in page and '"environment": "PRODUCTION"' in page


def test_simulator_pay_says_so_when_the_token_is_not_accepted(api, client, monkeypatch):
    payment_order_id = api.initiate("cust_gr", "9", method="google_pay").get_json()["payment_order_id"]
    monkeypatch.setattr("backend.gateways.delivery.Delivery.__call__", lambda *args, **kwargs: 400)
    response = client.post(f"/simulator/google-pay/checkout/{payment_order_id}/pay")
    assert response.status_code == 303
    assert "payment_error=payment_rejected" in response.headers["Location"]
    assert api.balance("cust_gr") == 0


def test_a_token_charged_whose_credit_failed_is_never_charged_for_another_payment_order(
    app, api, client, db, monkeypatch
):
    """Found by a red-team pass: a store error after the charge released the token's claim, so the same
    token posted for another customer's payment order was charged again and credited there, and the
    sweep credited the first charge too."""
    from pymongo.errors import PyMongoError

    integration = app.extensions["integration"]
    first = initiate(api)["payment_order_id"]
    other = api.initiate("cust_h", 500, method="google_pay").get_json()["payment_order_id"]
    credit, failed = integration.wallet.credit, []

    def credit_fails_once(*args, **kwargs):
        if not failed:
            failed.append(True)
            raise PyMongoError("connection reset")
        return credit(*args, **kwargs)

    monkeypatch.setattr(integration.wallet, "credit", credit_fails_once)
    token = simulator_token(gateway(app))
    assert post_token(client, first, token).status_code == 503
    assert post_token(client, other, token).status_code == 200  # acknowledged, a duplicate: not charged
    assert db["simulator_google_pay_charges"].count_documents({}) == 1
    assert post_token(client, first, token).status_code == 200  # posted again for its own top-up: credited
    assert db["simulator_google_pay_charges"].count_documents({}) == 1
    assert (balance_minor(db, CUSTOMER), balance_minor(db, "cust_h")) == (50000, 0)


def test_a_token_whose_charge_timed_out_after_taking_the_money_is_never_charged_for_another_order(
    app, api, client, db, monkeypatch
):
    """Found by a review of the fix above: a failing charge still released the claim, though a processor
    that times out may have charged, so the token was charged again for another customer's top-up."""
    from backend.errors import GatewayUnavailable

    processor = gateway(app).processor
    first = initiate(api)["payment_order_id"]
    other = api.initiate("cust_h", 500, method="google_pay").get_json()["payment_order_id"]
    charge = processor.charge

    def charged_then_timed_out(*args, **kwargs):
        charge(*args, **kwargs)
        raise GatewayUnavailable("The processor did not answer in time.")

    monkeypatch.setattr(processor, "charge", charged_then_timed_out)
    token = simulator_token(gateway(app))
    assert post_token(client, first, token).status_code == 502
    monkeypatch.undo()
    assert post_token(client, other, token).status_code == 200  # a duplicate: charged nothing
    assert post_token(client, first, token).status_code == 200  # posted again for its own: the same charge
    assert db["simulator_google_pay_charges"].count_documents({}) == 1
    assert (balance_minor(db, CUSTOMER), balance_minor(db, "cust_h")) == (50000, 0)
