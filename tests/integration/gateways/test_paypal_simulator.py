"""PayPal through the app in simulator mode: initiate, approve, verify (the service captures), webhooks."""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from backend.gateways.paypal.simulator import (
    COLLECTION,
    DEV_PAYPAL_CLIENT_ID,
    DEV_PAYPAL_WEBHOOK_ID,
    paypal_id,
    signed_headers,
)
from backend.gateways.paypal.simulator_keys import new_signing_pair
from tests.helpers import BASE, bearer, snapshot
from tests.integration.support import assert_error, balance_minor, ledger

WEBHOOK = f"{BASE}/webhook/paypal"


@pytest.fixture
def initiated(api):
    """A ₹10.50 PayPal top-up of cust_a: the initiate response body."""
    response = api.initiate("cust_a", "10.50", method="paypal")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def local(url):
    return url.removeprefix("http://localhost")


def approve(client, order_id):
    return client.post(f"/simulator/paypal/checkout/{order_id}/pay")


def verify(api, order_id, customer_id="cust_a"):
    return api.post("/wallet/topup/verify", {"order_id": order_id, "payment_method": "paypal"}, bearer(customer_id))


def capture_webhook(
    db,
    order_id,
    value="10.50",
    currency="INR",
    capture_id=None,
    with_order_id=True,
    event_type="PAYMENT.CAPTURE.COMPLETED",
):
    """(raw body, headers) of a PayPal capture event for our payment order, signed by the simulator."""
    resource = {
        "id": capture_id or paypal_id(),
        "status": "COMPLETED",
        "final_capture": True,
        "amount": {"currency_code": currency, "value": value},
        "custom_id": db["payment_orders"].find_one({"_id": order_id})["reference"],
    }
    if with_order_id:
        resource["supplementary_data"] = {"related_ids": {"order_id": order_id}}
    body = json.dumps(
        {
            "id": "WH-" + paypal_id(),
            "event_version": "1.0",
            "resource_type": "capture",
            "event_type": event_type,
            "resource": resource,
            "links": [],
        }
    ).encode()
    return body, signed_headers(body, DEV_PAYPAL_WEBHOOK_ID)


def test_initiate_returns_checkout_page_with_pay_button(client, db, initiated):
    order_id = initiated["payment_order_id"]
    assert re.fullmatch(r"[A-Z0-9]{17}", order_id)
    assert initiated["key_id"] == DEV_PAYPAL_CLIENT_ID
    assert (initiated["amount"], initiated["currency"]) == (10.5, "INR")
    assert initiated["redirect_url"] == f"http://localhost/simulator/paypal/checkout/{order_id}"
    page = client.get(local(initiated["redirect_url"]))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<button id="pay"' in text and '<button id="fail"' in text and "10.50" in text
    assert db["payment_orders"].find_one({"_id": order_id})["gateway"] == "paypal"


def test_pay_approves_and_redirects_with_paypal_order_id(client, db, initiated):
    order_id = initiated["payment_order_id"]
    response = approve(client, order_id)
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query == {"paypal_order_id": [order_id], "payment_method": ["paypal"]}
    assert db[COLLECTION].find_one({"_id": order_id})["status"] == "APPROVED"
    assert balance_minor(db, "cust_a") == 0  # approval alone moves no money


def test_fail_redirects_with_payment_error(client, db, initiated):
    response = client.post(f"/simulator/paypal/checkout/{initiated['payment_order_id']}/fail")
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["Location"]).query)["payment_error"] == ["payment_failed"]
    assert balance_minor(db, "cust_a") == 0


def test_verify_captures_and_credits_once(api, client, db, initiated):
    order_id = initiated["payment_order_id"]
    approve(client, order_id)
    response = verify(api, order_id)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["wallet_balance"] == 10.5
    assert balance_minor(db, "cust_a") == 1050
    assert len(ledger(db, "cust_a")) == 1
    simulated = db[COLLECTION].find_one({"_id": order_id})
    assert simulated["status"] == "COMPLETED"
    assert db["payment_orders"].find_one({"_id": order_id})["gateway_payment_id"] == simulated["capture"]["id"]
    # The simulator also posted the signed PAYMENT.CAPTURE.COMPLETED during the capture; it verified and
    # credited first, and verify found the credit done: one credit, recorded once.
    credited = list(db["integration_logs"].find({"event": "wallet.credited", "gateway": "paypal"}))
    assert [(e["event_type"], e["reason"]) for e in credited] == [("PAYMENT.CAPTURE.COMPLETED",) * 2]


def test_verify_again_credits_nothing_more(api, client, db, initiated):
    order_id = initiated["payment_order_id"]
    approve(client, order_id)
    assert verify(api, order_id).status_code == 200
    again = verify(api, order_id)
    assert again.status_code == 200, again.get_json()
    assert balance_minor(db, "cust_a") == 1050
    assert len(ledger(db, "cust_a")) == 1


def test_verify_after_paying_a_credited_order_again_says_nothing_more_was_added(api, client, db, initiated):
    """Back to the approval page and Pay again: PayPal captures an order once, so that return
    brought no payment; verify says the top-up was credited before, not "wallet credited"."""
    order_id = initiated["payment_order_id"]
    approve(client, order_id)
    first = verify(api, order_id).get_json()
    assert (first["already_credited"], first["message"]) == (False, "Payment verified; wallet credited.")
    approve(client, order_id)
    again = verify(api, order_id)
    assert again.status_code == 200, again.get_json()
    body = again.get_json()
    assert body["already_credited"] is True
    assert body["message"] == "Payment verified; this top-up was already credited earlier, so nothing more was added."
    assert (body["wallet_balance"], balance_minor(db, "cust_a"), len(ledger(db, "cust_a"))) == (10.5, 1050, 1)


def test_verify_before_approval_is_not_captured(api, db, initiated):
    before = snapshot(db)
    assert_error(verify(api, initiated["payment_order_id"]), 409, "payment_not_captured")
    assert snapshot(db) == before


def test_verify_another_customers_order_forbidden(api, client, db, initiated):
    approve(client, initiated["payment_order_id"])
    assert_error(verify(api, initiated["payment_order_id"], customer_id="cust_b"), 403, "forbidden")
    assert balance_minor(db, "cust_a") == 0


def test_webhook_then_verify_credits_once(api, client, db, initiated):
    order_id = initiated["payment_order_id"]
    body, headers = capture_webhook(db, order_id)
    assert client.post(WEBHOOK, data=body, headers=headers).status_code == 200
    assert balance_minor(db, "cust_a") == 1050
    approve(client, order_id)
    assert verify(api, order_id).status_code == 200
    assert balance_minor(db, "cust_a") == 1050
    assert len(ledger(db, "cust_a")) == 1
    assert db[COLLECTION].find_one({"_id": order_id})["status"] == "APPROVED"  # credited: not charged again


def test_verify_then_webhook_credits_once(api, client, db, initiated):
    order_id = initiated["payment_order_id"]
    approve(client, order_id)
    assert verify(api, order_id).status_code == 200
    capture_id = db[COLLECTION].find_one({"_id": order_id})["capture"]["id"]
    body, headers = capture_webhook(db, order_id, capture_id=capture_id)
    assert client.post(WEBHOOK, data=body, headers=headers).status_code == 200
    assert balance_minor(db, "cust_a") == 1050
    assert len(ledger(db, "cust_a")) == 1


def test_webhook_naming_only_the_custom_id_credits(client, db, initiated):
    body, headers = capture_webhook(db, initiated["payment_order_id"], with_order_id=False)
    assert client.post(WEBHOOK, data=body, headers=headers).status_code == 200
    assert balance_minor(db, "cust_a") == 1050


def test_webhook_naming_the_payment_order_id_as_custom_id_credits(client, db, initiated):
    """SPEC §6: "our payment order id as `custom_id`": the id initiate answered, with no related order id."""
    payment_order_id = initiated["payment_order_id"]
    body, _headers = capture_webhook(db, payment_order_id, with_order_id=False)
    event = json.loads(body)
    event["resource"]["custom_id"] = payment_order_id
    body = json.dumps(event).encode()
    assert client.post(WEBHOOK, data=body, headers=signed_headers(body, DEV_PAYPAL_WEBHOOK_ID)).status_code == 200
    assert balance_minor(db, "cust_a") == 1050
    other = db["payment_orders"].find_one({"_id": payment_order_id})
    assert (other["status"], other["gateway_payment_id"]) == ("paid", event["resource"]["id"])


def test_same_webhook_twice_credits_once(client, db, initiated):
    body, headers = capture_webhook(db, initiated["payment_order_id"])
    assert client.post(WEBHOOK, data=body, headers=headers).status_code == 200
    assert client.post(WEBHOOK, data=body, headers=signed_headers(body, DEV_PAYPAL_WEBHOOK_ID)).status_code == 200
    assert balance_minor(db, "cust_a") == 1050
    assert len(ledger(db, "cust_a")) == 1


def forged(body, headers):
    return {
        "unsigned": {"Content-Type": "application/json"},
        "another key": signed_headers(body, DEV_PAYPAL_WEBHOOK_ID, new_signing_pair()[0]),
        "another webhook id": signed_headers(body, "WH-SOMEONE-ELSES"),
        "signature of another body": dict(
            headers,
            **{
                "PAYPAL-TRANSMISSION-SIG": signed_headers(body + b" ", DEV_PAYPAL_WEBHOOK_ID)["PAYPAL-TRANSMISSION-SIG"]
            },
        ),
    }


@pytest.mark.parametrize("kind", ["unsigned", "another key", "another webhook id", "signature of another body"])
def test_forged_webhook_credits_nothing(client, db, initiated, kind):
    body, headers = capture_webhook(db, initiated["payment_order_id"])
    before = snapshot(db)
    assert_error(client.post(WEBHOOK, data=body, headers=forged(body, headers)[kind]), 400, "invalid_signature")
    assert snapshot(db) == before
    assert balance_minor(db, "cust_a") == 0


def test_simulator_trusts_no_other_certificate_and_fetches_nothing(client, db, initiated):
    body, _ = capture_webhook(db, initiated["payment_order_id"])
    cert_url = "https://api-m.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"
    headers = signed_headers(body, DEV_PAYPAL_WEBHOOK_ID, cert_url=cert_url)
    with responses.RequestsMock() as http:
        assert_error(client.post(WEBHOOK, data=body, headers=headers), 400, "invalid_signature")
        assert len(http.calls) == 0
    assert balance_minor(db, "cust_a") == 0


@pytest.mark.parametrize("value, currency", [("10.51", "INR"), ("10.49", "INR"), ("1050", "INR"), ("10.50", "USD")])
def test_webhook_amount_differs_credits_nothing(client, db, initiated, value, currency):
    body, headers = capture_webhook(db, initiated["payment_order_id"], value=value, currency=currency)
    before = snapshot(db)
    assert_error(client.post(WEBHOOK, data=body, headers=headers), 400, "amount_mismatch")
    after = snapshot(db)
    # nothing is kept but the transmission's body digest (another body under it is refused)
    [delivery] = db["webhook_deliveries"].find({})
    assert delivery["_id"] == f"paypal:{headers['PAYPAL-TRANSMISSION-ID']}"
    assert dict(after, webhook_deliveries=[]) == dict(before, webhook_deliveries=[])
    assert balance_minor(db, "cust_a") == 0
    assert_error(client.post(WEBHOOK, data=body, headers=headers), 400, "amount_mismatch")  # judged afresh


def test_denied_capture_recorded(client, db, initiated):
    order_id = initiated["payment_order_id"]
    body, headers = capture_webhook(db, order_id, event_type="PAYMENT.CAPTURE.DENIED")
    assert client.post(WEBHOOK, data=body, headers=headers).status_code == 200
    assert db["payment_orders"].find_one({"_id": order_id})["status"] == "failed"
    assert balance_minor(db, "cust_a") == 0


def test_health_lists_paypal(client):
    assert "paypal" in client.get(f"{BASE}/health").get_json()["features"]["gateways"]


def test_live_mode_without_paypal_keys_refuses_paypal_and_keeps_no_idempotency_record():
    from backend import create_app
    from tests.conftest import app_config

    live = create_app(
        app_config(
            GATEWAY_MODE="live", RAZORPAY_KEY_ID="rzp_test_x", RAZORPAY_KEY_SECRET="s", RAZORPAY_WEBHOOK_SECRET="w"
        )
    )
    headers = dict(bearer("cust_pp"), **{"Idempotency-Key": "k-1"})
    response = live.test_client().post(
        "/api/integration/wallet/topup/initiate",
        headers=headers,
        json={"customer_id": "cust_pp", "amount": 10, "payment_method": "paypal"},
    )
    assert response.status_code == 400 and response.get_json()["error"] == "unsupported_payment_method"
    assert live.extensions["wallet_db"]["idempotency_keys"].count_documents({}) == 0
