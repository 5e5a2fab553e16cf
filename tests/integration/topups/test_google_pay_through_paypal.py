"""A Google Pay top-up in live mode through PayPal (GOOGLE_PAY_PROCESSOR=paypal) over HTTP: initiate,
the checkout page (PayPal's Google Pay configuration script), the page's post that has the service
capture, and PayPal's PAYMENT.CAPTURE.COMPLETED webhook through PayPal's own verification, which
credits the Google Pay payment order once. PayPal's answers are recorded (tests/google_pay_support.py,
tests/paypal_support.py) and served by `responses`; nothing reaches the internet."""

import json
import re

import pytest
import responses

from backend import create_app
from tests.conftest import app_config, drop_store
from tests.google_pay_support import (
    GOOGLE_PAY_CAPTURE_ID,
    GOOGLE_PAY_ORDER_ID,
    PAYPAL_API,
    PAYPAL_KEYS,
    paypal_order_captured,
    paypal_order_created,
)
from tests.helpers import BASE, bearer
from tests.integration.settlement.support import DAY, capture_row, report
from tests.paypal_support import CERT_URL, capture_event, signed, token_answer

ORDERS_URL = f"{PAYPAL_API}/v2/checkout/orders"
CAPTURE_URL = f"{ORDERS_URL}/{GOOGLE_PAY_ORDER_ID}/capture"
CUSTOMER = "cust_gp"


@pytest.fixture
def app():
    app = create_app(
        app_config(
            GATEWAY_MODE="live",
            DEFAULT_CURRENCY="USD",  # PayPal takes Google Pay in 22 currencies; INR is not one
            GOOGLE_PAY_PROCESSOR="paypal",
            GATEWAY_TIMEOUT_SECONDS="4",
            **PAYPAL_KEYS,
        )
    )
    yield app
    drop_store(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def paypal_cert(http, paypal_key):
    http.add(responses.GET, CERT_URL, body=paypal_key[1], content_type="application/x-x509-ca-cert")


def initiate(client, http, amount="10.50"):
    token_answer(http)
    http.add(responses.POST, ORDERS_URL, json=paypal_order_created(), status=201)
    response = client.post(
        f"{BASE}/wallet/topup/initiate",
        json={"customer_id": CUSTOMER, "amount": amount, "payment_method": "google_pay"},
        headers=bearer(CUSTOMER),
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def reference(http):
    """Our reference, as initiate gave it to PayPal (the order's custom_id)."""
    create = next(c for c in http.calls if c.request.url == ORDERS_URL)
    return json.loads(create.request.body)["purchase_units"][0]["custom_id"]


def capture_answer(http, value="10.50", status="COMPLETED"):
    answer = paypal_order_captured(reference(http), value, "USD", status=status)
    http.add(responses.POST, CAPTURE_URL, json=answer, status=201)


def page_post(client):
    """What the checkout page posts once PayPal approved the buyer's Google Pay payment."""
    return client.post(f"{BASE}/webhook/google-pay", json={"payment_order_id": GOOGLE_PAY_ORDER_ID})


def paypal_webhook(client, http, paypal_key, value="10.50"):
    """PayPal's PAYMENT.CAPTURE.COMPLETED of the Google Pay capture, signed as PayPal signs."""
    event = json.loads(capture_event(value=value, order_id=GOOGLE_PAY_ORDER_ID))
    event["resource"].update(id=GOOGLE_PAY_CAPTURE_ID, custom_id=reference(http))
    body = json.dumps(event).encode()
    # live mode reads the webhook's capture back from PayPal: PayPal has it as the webhook tells it
    http.upsert(responses.GET, f"{PAYPAL_API}/v2/payments/captures/{GOOGLE_PAY_CAPTURE_ID}", json=event["resource"])
    return client.post(f"{BASE}/webhook/paypal", data=body, headers=signed(paypal_key, body))


def balance(client):
    response = client.get(f"{BASE}/status/{CUSTOMER}", headers=bearer(CUSTOMER))
    assert response.status_code == 200
    return response.get_json()["wallet"]["balance"]


def topup_credits(db):
    return list(db.ledger_entries.find({"customer_id": CUSTOMER, "kind": "topup"}))


def calls_to(http, url):
    return [c for c in http.calls if c.request.url == url]


def test_a_google_pay_top_up_through_paypal_credits_once(client, db, http, paypal_key, paypal_cert):
    started = initiate(client, http)
    assert (started["payment_order_id"], started["key_id"], started["currency"]) == (
        GOOGLE_PAY_ORDER_ID,
        PAYPAL_KEYS["PAYPAL_CLIENT_ID"],
        "USD",
    )
    assert started["redirect_url"] == f"http://localhost/checkout/google-pay/{GOOGLE_PAY_ORDER_ID}"

    page = client.get(started["redirect_url"].removeprefix("http://localhost"))
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert re.search(r'src="https://www\.paypal\.com/sdk/js\?client-id=AbCdLiveClientId&amp;components=googlepay', html)
    assert "paypal.Googlepay().config()" in html and "https://pay.google.com/gp/p/js/pay.js" in html
    assert f'"capture_url": "http://localhost{BASE}/webhook/google-pay"' in html

    capture_answer(http)
    captured = page_post(client)
    assert captured.status_code == 200, captured.get_json()
    assert balance(client) == 10.5

    assert paypal_webhook(client, http, paypal_key).status_code == 200  # the capture's own webhook: nothing more
    assert paypal_webhook(client, http, paypal_key).status_code == 200  # and its redelivery
    assert page_post(client).status_code == 200  # the page posting again captures nothing
    [credit] = topup_credits(db)
    assert (credit["amount_minor"], credit["reference"]["gateway_payment_id"]) == (1050, GOOGLE_PAY_CAPTURE_ID)
    assert len(calls_to(http, CAPTURE_URL)) == 1
    assert balance(client) == 10.5

    status = client.get(f"{BASE}/wallet/topup/{GOOGLE_PAY_ORDER_ID}/status", headers=bearer(CUSTOMER))
    assert status.get_json()["status"] == "credited"
    verify = client.post(
        f"{BASE}/wallet/topup/verify",
        json={"order_id": GOOGLE_PAY_ORDER_ID, "payment_method": "google_pay"},
        headers=bearer(CUSTOMER),
    )
    assert verify.status_code == 200
    assert (verify.get_json()["wallet_balance"], verify.get_json()["already_credited"]) == (10.5, True)
    assert len(calls_to(http, CAPTURE_URL)) == 1  # a credited top-up is never captured again


def test_paypals_webhook_credits_the_google_pay_top_up_when_the_capture_completes_later(
    client, db, http, paypal_key, paypal_cert
):
    initiate(client, http)
    capture_answer(http, status="PENDING")
    pending = page_post(client)
    assert (pending.status_code, pending.get_json()["error"]) == (409, "payment_not_captured")
    assert balance(client) == 0

    assert paypal_webhook(client, http, paypal_key).status_code == 200
    assert paypal_webhook(client, http, paypal_key).status_code == 200
    [credit] = topup_credits(db)
    assert (credit["amount_minor"], credit["reference"]["gateway"]) == (1050, "google_pay")
    assert balance(client) == 10.5


def test_a_capture_of_another_amount_credits_nothing(client, db, http):
    initiate(client, http)
    capture_answer(http, value="1.00")
    refused = page_post(client)
    assert (refused.status_code, refused.get_json()["error"]) == (400, "amount_mismatch")
    assert topup_credits(db) == [] and balance(client) == 0
    assert db.integration_logs.count_documents({"event": "topup.amount_mismatch"}) == 1


def test_paypals_webhook_of_another_amount_credits_nothing(client, db, http, paypal_key, paypal_cert):
    initiate(client, http)
    refused = paypal_webhook(client, http, paypal_key, value="1.00")
    assert (refused.status_code, refused.get_json()["error"]) == (400, "amount_mismatch")
    assert topup_credits(db) == [] and balance(client) == 0


def test_paypals_settlement_report_matches_the_google_pay_capture(client, db, http, integration):
    initiate(client, http)
    capture_answer(http)
    assert page_post(client).status_code == 200
    report(integration, "paypal", [capture_row(db.payment_orders.find_one({"_id": GOOGLE_PAY_ORDER_ID}))])
    document, exceptions = integration.settle("paypal", DAY)
    assert (exceptions, document["matched"]) == ([], 1)


def test_paypals_settlement_report_credits_a_google_pay_capture_nobody_confirmed(client, db, http, integration):
    initiate(client, http)  # captured at PayPal; the page's post and PayPal's webhook both lost
    payment_order = dict(db.payment_orders.find_one({"_id": GOOGLE_PAY_ORDER_ID}), gateway_payment_id="7HK0LOST")
    report(integration, "paypal", [capture_row(payment_order)])
    _document, exceptions = integration.settle("paypal", DAY)
    assert [(e["kind"], e["status"]) for e in exceptions] == [("captured_not_credited", "resolved")]
    assert balance(client) == 10.5 and len(topup_credits(db)) == 1


def test_the_page_of_an_unknown_top_up_is_not_found(client):
    assert client.get("/checkout/google-pay/8VX00000AB000000C").status_code == 404


def paypal_refund_webhook(client, paypal_key, refund_id="8MC585209K746392H", value="4.00", http=None):
    """PayPal's PAYMENT.CAPTURE.REFUNDED of a refund made in PayPal's dashboard (no reference of ours),
    linking up to the Google Pay capture; PayPal's API has the refund as the webhook tells it."""
    resource = {
        "id": refund_id,
        "amount": {"currency_code": "USD", "value": value},
        "status": "COMPLETED",
        "links": [{"href": f"{PAYPAL_API}/v2/payments/captures/{GOOGLE_PAY_CAPTURE_ID}", "rel": "up"}],
    }
    event = {
        "id": f"WH-{refund_id}",
        "event_version": "1.0",
        "resource_type": "refund",
        "event_type": "PAYMENT.CAPTURE.REFUNDED",
        "resource": resource,
    }
    body = json.dumps(event).encode()
    if http is not None:  # live mode reads the refund back from PayPal
        http.upsert(responses.GET, f"{PAYPAL_API}/v2/payments/refunds/{refund_id}", json=resource)
    return client.post(f"{BASE}/webhook/paypal", data=body, headers=signed(paypal_key, body))


def test_a_paypal_dashboard_refund_of_a_google_pay_top_up_takes_it_back_once(client, db, http, paypal_key, paypal_cert):
    initiate(client, http)
    capture_answer(http)
    assert page_post(client).status_code == 200 and balance(client) == 10.5
    assert paypal_refund_webhook(client, paypal_key, http=http).status_code == 200
    assert paypal_refund_webhook(client, paypal_key, http=http).status_code == 200  # redelivered: nothing more
    assert balance(client) == 6.5
    [taken] = list(db.ledger_entries.find({"customer_id": CUSTOMER, "kind": {"$ne": "topup"}}))
    assert (taken["amount_minor"], taken["reference"]["payment_order_id"]) == (400, GOOGLE_PAY_ORDER_ID)


def test_a_paypal_refund_before_the_google_pay_credit_waits_and_applies_when_it_credits(
    client, db, http, paypal_key, paypal_cert
):
    initiate(client, http)
    assert paypal_refund_webhook(client, paypal_key, http=http).status_code == 200  # before the capture is credited
    assert balance(client) == 0
    capture_answer(http)
    assert page_post(client).status_code == 200
    assert balance(client) == 6.5


def test_a_paypal_refund_of_a_google_pay_top_up_withdrawn_whole_takes_nothing_more(
    client, db, http, paypal_key, paypal_cert
):
    """The withdrawal refunded the whole capture through PayPal; a refund of it PayPal reports later
    (the same money: PayPal refunds no more than is left) moves nothing. The withdrawal's part and
    PayPal's case count towards one total though PayPal reports the case (SPEC §9)."""
    initiate(client, http)
    capture_answer(http)
    assert page_post(client).status_code == 200 and balance(client) == 10.5
    refund = {
        "id": "1JU08902781691411",
        "status": "COMPLETED",
        "amount": {"currency_code": "USD", "value": "10.50"},
        "links": [{"href": f"{PAYPAL_API}/v2/payments/captures/{GOOGLE_PAY_CAPTURE_ID}", "rel": "up"}],
    }
    http.add(
        responses.POST, f"{PAYPAL_API}/v2/payments/captures/{GOOGLE_PAY_CAPTURE_ID}/refund", json=refund, status=201
    )
    withdrawn = client.post(
        f"{BASE}/wallet/withdraw", json={"customer_id": CUSTOMER, "amount": "10.50"}, headers=bearer(CUSTOMER)
    )
    assert withdrawn.status_code == 202 and withdrawn.get_json()["status"] == "completed", withdrawn.get_json()
    assert balance(client) == 0
    assert (
        paypal_refund_webhook(client, paypal_key, http=http, refund_id="8MC585209K746392H", value="10.50").status_code
        == 200
    )
    wallet = client.get(f"{BASE}/status/{CUSTOMER}", headers=bearer(CUSTOMER)).get_json()["wallet"]
    assert (wallet["balance"], wallet["debt"]) == (0, 0)
