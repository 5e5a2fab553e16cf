"""A payment of a top-up that lapsed (the sweep expired it, or its payment failed over a day ago) came
later than the limits count (SPEC §10 counts open top-ups only). It is credited when it fits the
limits now; otherwise it is given back at its gateway, its top-up `refused` for good, and nothing
is credited, whichever way it is reported (a webhook, verify, settlement)."""

import datetime

import pytest

from backend.gateways.paypal.simulator_cases import REFUNDS_COLLECTION as PAYPAL_REFUNDS
from backend.gateways.razorpay.simulator import REFUNDS_COLLECTION as RAZORPAY_REFUNDS
from backend.payment_orders import PaymentOrders
from tests.conftest import app_with
from tests.helpers import BASE, Api, bearer, checkout_signature, run_in_threads
from tests.integration.settlement.support import DAY, capture_row, report
from tests.integration.support import assert_money, confirm_by_webhook, initiated

BALANCE_MAX = "MINIMUM_KYC_BALANCE_MAX"


@pytest.fixture
def limited():
    """Minimum-level limits: 100.00 balance, 1,000.00 a month."""
    yield from app_with(MINIMUM_KYC_BALANCE_MAX="100", MINIMUM_KYC_MONTHLY_TOPUP_MAX="1000")


@pytest.fixture
def api(limited):
    return Api(limited.test_client(), limited.extensions["wallet_db"])


def lapsed(api, customer_id, amount):
    """A top-up initiated, never paid, then expired by the sweep; its payment order id."""
    order_id = initiated(api, customer_id, amount)
    assert PaymentOrders(api.db).sweep.expire(order_id, "nothing captured")
    return order_id


def given_back(api, payment_id):
    return [r["amount"] for r in api.db[RAZORPAY_REFUNDS].find({"payment_id": payment_id})]


def test_a_late_payment_that_would_pass_a_limit_is_given_back_not_credited(api):
    order_id = lapsed(api, "cust_a", "60.00")
    api.topup("cust_a", "70.00")  # fits: the expired top-up no longer counts
    for _ in range(2):  # and its redelivery
        response = confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Late", event_id="evt_late")
        assert response.status_code == 200
    assert_money(api.balance("cust_a"), 70)
    assert given_back(api, "pay_Late") == [6000]
    payment_order = api.db["payment_orders"].find_one({"_id": order_id})
    assert (payment_order["status"], payment_order["refused_limit"]) == ("refused", BALANCE_MAX)
    refund = api.db["gateway_refunds"].find_one({"gateway_payment_id": "pay_Late"})
    assert (refund["purpose"], refund["status"]) == ("lapsed_payment", "processed")
    audit = api.db["integration_logs"].find_one({"event": "topup.limit_exceeded", "payment_order_id": order_id})
    assert (audit["outcome"], audit["reason"], audit["gateway_payment_id"]) == ("rejected", BALANCE_MAX, "pay_Late")
    outcomes = [e["outcome"] for e in api.db["integration_logs"].find({"event": "webhook.received"})]
    assert outcomes.count("over_limit") == 2
    topup = api.client.get(f"{BASE}/wallet/topup/{order_id}/status", headers=bearer("cust_a")).get_json()
    assert topup["status"] == "refused"


def test_a_late_payment_that_fits_the_limits_is_credited_once(api):
    order_id = lapsed(api, "cust_a", "60.00")
    api.topup("cust_a", "30.00")
    for _ in range(2):
        assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Late").status_code == 200
    assert_money(api.balance("cust_a"), 90)
    assert api.db["payment_orders"].find_one({"_id": order_id})["status"] == "paid"
    assert given_back(api, "pay_Late") == []


def test_verify_of_a_late_payment_over_a_limit_answers_limit_exceeded_and_gives_it_back(api):
    order_id = lapsed(api, "cust_a", "60.00")
    api.topup("cust_a", "50.00")
    signature = checkout_signature(order_id, "pay_Late")
    body = {"order_id": order_id, "payment_id": "pay_Late", "signature": signature}
    response = api.post("/wallet/topup/verify", body, bearer("cust_a"))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()
    assert (error["error"], error["limit"]) == ("limit_exceeded", BALANCE_MAX)
    assert_money(error["headroom"], 50)
    assert "goes back" in error["message"]
    assert_money(api.balance("cust_a"), 50)
    assert given_back(api, "pay_Late") == [6000]


def test_a_refused_top_up_stays_refused_when_room_comes_later(api):
    order_id = lapsed(api, "cust_a", "60.00")
    api.topup("cust_a", "70.00")
    assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_First").status_code == 200
    assert api.pay(api.add_order("cust_a", 7000), "cust_a", 70).status_code == 200  # balance 0: room for 100.00
    assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Again").status_code == 200
    assert_money(api.balance("cust_a"), 0)
    assert given_back(api, "pay_First") == given_back(api, "pay_Again") == [6000]


def test_a_payment_that_failed_over_a_day_ago_is_checked_and_one_that_failed_lately_is_not(api):
    old = initiated(api, "cust_a", "60.00")
    recent = initiated(api, "cust_b", "60.00")
    for order_id in (old, recent):
        PaymentOrders(api.db).mark_failed(order_id, "card declined")
    two_days_ago = datetime.datetime.utcnow() - datetime.timedelta(days=2)
    api.db["payment_orders"].update_one({"_id": old}, {"$set": {"created_at": two_days_ago}})
    api.topup("cust_a", "70.00")
    refused_topup = confirm_by_webhook(api.client, old, 6000, payment_id="pay_Old")
    assert refused_topup.status_code == 200
    assert_money(api.balance("cust_a"), 70)
    assert given_back(api, "pay_Old") == [6000]
    # cust_b's failed top-up still counts as open: its later payment was counted at initiate
    assert confirm_by_webhook(api.client, recent, 6000, payment_id="pay_Recent").status_code == 200
    assert_money(api.balance("cust_b"), 60)


def test_a_lapsed_top_up_credited_already_is_not_checked_again(api):
    """A credit whose payment order was not yet marked `paid` (a crash between the two writes)."""
    order_id = lapsed(api, "cust_a", "60.00")
    assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Late").status_code == 200
    api.topup("cust_a", "40.00")  # the balance is at the limit now
    api.db["payment_orders"].update_one({"_id": order_id}, {"$set": {"status": "expired"}, "$unset": {"decision": ""}})
    assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Late").status_code == 200
    assert_money(api.balance("cust_a"), 100)
    assert given_back(api, "pay_Late") == []


def test_settling_a_capture_of_a_lapsed_top_up_over_a_limit_gives_it_back(limited, api):
    order_id = lapsed(api, "cust_a", "60.00")
    api.topup("cust_a", "70.00")
    payment_order = api.db["payment_orders"].find_one({"_id": order_id})
    integration = limited.extensions["integration"]
    report(integration, "razorpay", [capture_row(payment_order, payment_id="pay_Settled")])
    _document, exceptions = integration.settle("razorpay", DAY)
    found = [(e["kind"], e["status"], e["payment_id"]) for e in exceptions]
    assert ("captured_not_credited", "resolved", "pay_Settled") in found
    assert_money(api.balance("cust_a"), 70)
    assert given_back(api, "pay_Settled") == [6000]


def test_two_late_payments_at_once_cannot_both_pass_a_limit_that_fits_one(api):
    orders = [lapsed(api, "cust_a", "60.00") for _ in range(4)]
    codes = run_in_threads(
        4, lambda i: confirm_by_webhook(api.client, orders[i], 6000, payment_id=f"pay_Race{i}").status_code
    )
    assert codes == [200] * 4
    assert_money(api.balance("cust_a"), 60)
    statuses = sorted(api.db["payment_orders"].find_one({"_id": o})["status"] for o in orders)
    assert statuses == ["paid", "refused", "refused", "refused"]
    assert api.db[RAZORPAY_REFUNDS].count_documents({}) == 3


def test_without_limits_a_late_payment_is_credited(app):
    api = Api(app.test_client(), app.extensions["wallet_db"])
    order_id = lapsed(api, "cust_a", "60.00")
    assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Late").status_code == 200
    assert_money(api.balance("cust_a"), 60)


def test_a_paypal_order_approved_after_it_lapsed_is_captured_and_given_back_over_a_limit(api):
    order_id = api.initiate("cust_a", "60.00", method="paypal").get_json()["payment_order_id"]
    assert PaymentOrders(api.db).sweep.expire(order_id, "nothing captured")
    api.topup("cust_a", "70.00")
    assert api.client.post(f"/simulator/paypal/checkout/{order_id}/pay").status_code == 303
    verified = api.post("/wallet/topup/verify", {"order_id": order_id, "payment_method": "paypal"}, bearer("cust_a"))
    assert (verified.status_code, verified.get_json()["error"]) == (422, "limit_exceeded")
    assert_money(api.balance("cust_a"), 70)
    refund = api.db["gateway_refunds"].find_one({"payment_order_id": order_id})
    assert (refund["purpose"], refund["status"], refund["amount_minor"]) == ("lapsed_payment", "processed", 6000)
    assert api.db[PAYPAL_REFUNDS].count_documents({"capture_id": refund["gateway_payment_id"]}) == 1


def test_the_support_view_lists_a_late_payment_given_back(api):
    order_id = lapsed(api, "cust_a", "60.00")
    api.topup("cust_a", "70.00")
    assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Late").status_code == 200
    view = api.client.get(f"{BASE}/support/customers/cust_a", headers=bearer("admin_1", "admin")).get_json()
    outcomes = [(w["event"], w["outcome"]) for w in view["webhooks"]]
    assert outcomes[:3] == [
        ("webhook.received", "over_limit"),
        ("gateway_refund.processed", "ok"),
        ("topup.lapsed_payment_refund", "ok"),
    ]
