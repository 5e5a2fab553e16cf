"""The simulated gateways' dashboards over HTTP (backend/gateways/simulator_dashboard.py): an admin
refunds, reverses or disputes a credited top-up as the gateway would, its simulator posts the signed
webhooks, and the wallet follows (SPEC §9); who may, what is refused, and that live mode has none."""

import pytest

from backend import create_app
from tests.conftest import app_config, drop_store
from tests.helpers import BASE, bearer
from tests.integration.after_credit.support import paypal_topup, razorpay_topup, topup, wallet
from tests.integration.support import assert_money

ADMIN = bearer("admin_1", "admin")
GATEWAYS = ["razorpay", "paypal"]


def dashboard(gateway, path):
    return f"/simulator/{gateway}/dashboard/{path}"


def act(client, gateway, payment_id, action, amount, currency="INR", headers=ADMIN):
    """POST .../payments/<payment_id>/<action> (refund, reverse or dispute)."""
    body = {"amount": amount, "currency": currency}
    return client.post(dashboard(gateway, f"payments/{payment_id}/{action}"), json=body, headers=headers)


def resolve(client, gateway, dispute_id, payment_id, amount, outcome, headers=ADMIN):
    body = {"payment_id": payment_id, "amount": amount, "currency": "INR", "outcome": outcome}
    return client.post(dashboard(gateway, f"disputes/{dispute_id}/resolve"), json=body, headers=headers)


def assert_wallet(api, customer_id, balance, held, debt):
    shown = wallet(api, customer_id)
    for value, expected in zip(shown, (balance, held, balance - held, debt), strict=True):
        assert_money(value, expected)


@pytest.fixture
def posts(integration):
    """Every webhook the Razorpay and PayPal simulators post from now on (delivered as usual)."""
    kept = []
    for name in GATEWAYS:
        api = integration.payments.gateway(name).api

        def deliver_and_keep(body, headers, wait=False, deliver=api.deliver_webhook):
            kept.append(body)
            return deliver(body, headers, wait)

        api.deliver_webhook = deliver_and_keep
    return kept


# --- what the gateway does, and what the wallet does with it -----------------------------------
@pytest.mark.parametrize("gateway", GATEWAYS)
def test_a_dashboard_refund_takes_the_money_back(gateway, api, client, db, integration):
    _order, payment_id = topup(gateway, api, client, db, "cust_a", "100.00")
    response = act(client, gateway, payment_id, "refund", "40.00")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"success": True, "refund_id": response.get_json()["refund_id"]}
    assert isinstance(response.get_json()["refund_id"], str) and response.get_json()["refund_id"]
    assert_wallet(api, "cust_a", 60, 0, 0)
    assert integration.reconcile() == []


def test_a_dashboard_refund_of_money_already_spent_becomes_debt(api, client, db):
    _order, payment_id = razorpay_topup(api, db, "cust_a", "100.00")
    assert api.pay(api.add_order("cust_a", 7000), "cust_a", 70).status_code == 200
    assert act(client, "razorpay", payment_id, "refund", 100).status_code == 200
    assert_wallet(api, "cust_a", 0, 0, 70)


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_a_dispute_holds_and_lost_takes_it_back(gateway, api, client, db, integration):
    _order, payment_id = topup(gateway, api, client, db, "cust_a", "100.00")
    opened = act(client, gateway, payment_id, "dispute", 60)
    assert opened.status_code == 200, opened.get_json()
    dispute_id = opened.get_json()["dispute_id"]
    assert opened.get_json() == {"success": True, "dispute_id": dispute_id}
    assert_wallet(api, "cust_a", 100, 60, 0)
    resolved = resolve(client, gateway, dispute_id, payment_id, "60.00", "lost")
    assert (resolved.status_code, resolved.get_json()) == (200, {"success": True})
    assert_wallet(api, "cust_a", 40, 0, 0)
    assert integration.reconcile() == []


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_a_dispute_won_releases_the_hold(gateway, api, client, db):
    _order, payment_id = topup(gateway, api, client, db, "cust_a", "100.00")
    dispute_id = act(client, gateway, payment_id, "dispute", "25.50").get_json()["dispute_id"]
    assert_wallet(api, "cust_a", 100, 25.5, 0)
    assert resolve(client, gateway, dispute_id, payment_id, "25.50", "won").status_code == 200
    assert_wallet(api, "cust_a", 100, 0, 0)


def test_a_paypal_reversal_takes_the_money_back(api, client, db, integration):
    _order, capture_id = paypal_topup(api, client, db, "cust_a", "100.00")
    response = act(client, "paypal", capture_id, "reverse", "30.00")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"success": True, "reversal_id": response.get_json()["reversal_id"]}
    assert_wallet(api, "cust_a", 70, 0, 0)
    assert integration.reconcile() == []


@pytest.mark.parametrize(
    "gateway, says",
    [
        ("razorpay", "The total refund amount is greater than the refund payment amount"),
        ("paypal", "the amount is more than is left to refund of this payment (REFUND_AMOUNT_EXCEEDED)"),
    ],
)
def test_a_refund_beyond_what_is_left_of_a_payment_the_simulator_made_is_refused(gateway, says, api, client, db):
    if gateway == "razorpay":  # paid on the simulator's page: a payment the simulator made
        initiated = api.initiate("cust_a", "10.00").get_json()
        assert client.post(f"/simulator/razorpay/checkout/{initiated['payment_order_id']}/pay").status_code == 303
        payment_id = db["payment_orders"].find_one({"_id": initiated["payment_order_id"]})["gateway_payment_id"]
    else:
        _order, payment_id = paypal_topup(api, client, db, "cust_a", "10.00")
    response = act(client, gateway, payment_id, "refund", "10.01")
    assert response.status_code == 409
    assert response.get_json()["error"] == "refund_refused"
    assert response.get_json()["message"] == f"The simulated gateway refused the refund: {says}"  # for a person
    assert_wallet(api, "cust_a", 10, 0, 0)


# --- what has no dashboard -----------------------------------------------------------------------
def test_razorpay_has_no_reversals(api, client, db, posts):
    _order, payment_id = razorpay_topup(api, db, "cust_a", "100.00")
    response = act(client, "razorpay", payment_id, "reverse", 10)
    assert (response.status_code, response.get_json()["error"]) == (404, "not_found")
    assert posts == []
    assert_wallet(api, "cust_a", 100, 0, 0)


@pytest.mark.parametrize("gateway", ["google_pay", "stripe"])
def test_a_gateway_without_a_dashboard_is_not_found(client, gateway):
    response = act(client, gateway, "pay_X1", "refund", 10)
    assert (response.status_code, response.get_json()["error"]) == (404, "not_found")


def test_live_mode_has_no_dashboards():
    app = create_app(app_config(GATEWAY_MODE="live"))
    client = app.test_client()
    for path in ("payments/pay_X1/refund", "payments/pay_X1/reverse", "payments/pay_X1/dispute", "disputes/d1/resolve"):
        body = {"payment_id": "pay_X1", "amount": 10, "currency": "INR", "outcome": "won"}
        response = client.post(dashboard("razorpay", path), json=body, headers=ADMIN)
        assert (response.status_code, response.get_json()["error"]) == (404, "not_found"), path
    drop_store(app)


# --- who may -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer not-a-token"}, 401, "invalid_token"),
        (bearer("cust_a"), 403, "forbidden"),
    ],
    ids=["no token", "bad token", "customer"],
)
@pytest.mark.parametrize("action", ["refund", "reverse", "dispute", "resolve"])
def test_only_an_admin_may_play_the_gateway(action, headers, status, error, api, client, db, posts):
    _order, capture_id = paypal_topup(api, client, db, "cust_a", "100.00")
    posts.clear()
    if action == "resolve":
        response = resolve(client, "paypal", "PP-D-12345678", capture_id, 10, "lost", headers=headers)
    else:
        response = act(client, "paypal", capture_id, action, 10, headers=headers)
    assert (response.status_code, response.get_json()["error"]) == (status, error)
    assert posts == []
    assert_wallet(api, "cust_a", 100, 0, 0)


# --- what is refused -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"amount": "-1", "currency": "INR"}, "invalid_amount"),
        ({"amount": "10.001", "currency": "INR"}, "invalid_amount"),
        ({"amount": 0, "currency": "INR"}, "invalid_amount"),
        ({"amount": True, "currency": "INR"}, "invalid_amount"),
        ({"currency": "INR"}, "invalid_amount"),
        ({"amount": 10, "currency": "GBP"}, "invalid_request"),
        ({"amount": 10, "currency": ["INR"]}, "invalid_request"),
        ({"amount": 10}, "invalid_request"),
    ],
    ids=[
        "negative",
        "three decimals",
        "zero",
        "boolean",
        "no amount",
        "other currency",
        "currency list",
        "no currency",
    ],
)
@pytest.mark.parametrize("action", ["refund", "dispute"])
def test_a_refund_or_dispute_of_an_invalid_amount_or_currency_is_refused(action, body, error, api, db, client, posts):
    _order, payment_id = razorpay_topup(api, db, "cust_a", "100.00")
    posts.clear()
    response = client.post(dashboard("razorpay", f"payments/{payment_id}/{action}"), json=body, headers=ADMIN)
    assert (response.status_code, response.get_json()["error"]) == (400, error)
    assert posts == []
    assert_wallet(api, "cust_a", 100, 0, 0)


@pytest.mark.parametrize("payment_id", ["p" * 65, "pay%20X1", "pay$1"], ids=["too long", "space", "dollar"])
def test_a_payment_id_outside_the_id_pattern_is_refused(payment_id, client, posts):
    response = act(client, "paypal", payment_id, "reverse", 10)
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_request")
    assert posts == []


def test_a_body_that_is_not_a_json_object_is_refused(client, posts):
    response = client.post(
        dashboard("razorpay", "payments/pay_X1/refund"), data=b"[1]", headers=ADMIN, content_type="application/json"
    )
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_request")
    assert posts == []


@pytest.mark.parametrize(
    ("dispute_id", "change", "error"),
    [
        ("disp_X1", {"outcome": "closed"}, "invalid_request"),
        ("disp_X1", {"outcome": None}, "invalid_request"),
        ("disp_X1", {"payment_id": "pay X1"}, "invalid_request"),
        ("disp_X1", {"payment_id": None}, "invalid_request"),
        ("disp_X1", {"amount": "ten"}, "invalid_amount"),
        ("disp_X1", {"currency": "JPY"}, "invalid_request"),
        ("d" * 65, {}, "invalid_request"),
    ],
    ids=[
        "outcome closed",
        "no outcome",
        "bad payment id",
        "no payment id",
        "bad amount",
        "bad currency",
        "bad dispute id",
    ],
)
def test_an_invalid_resolution_is_refused(dispute_id, change, error, api, db, client, posts):
    _order, payment_id = razorpay_topup(api, db, "cust_a", "100.00")
    assert act(client, "razorpay", payment_id, "dispute", 60).status_code == 200
    posts.clear()
    body = {"payment_id": payment_id, "amount": 60, "currency": "INR", "outcome": "lost"} | change
    response = client.post(dashboard("razorpay", f"disputes/{dispute_id}/resolve"), json=body, headers=ADMIN)
    assert (response.status_code, response.get_json()["error"]) == (400, error)
    assert posts == []
    assert_wallet(api, "cust_a", 100, 60, 0)


# --- what the web page is told -------------------------------------------------------------------
def test_the_gateways_description_says_what_each_dashboard_offers(client):
    described = {g["name"]: g.get("simulator_dashboard") for g in client.get(f"{BASE}/gateways").get_json()["gateways"]}
    assert described == {
        "razorpay": {"refund": True, "reverse": False, "dispute": True},
        "paypal": {"refund": True, "reverse": True, "dispute": True},
        "google_pay": None,
    }
