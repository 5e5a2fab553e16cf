"""The gateway sweep (backend/sweep.py): top-ups whose webhook never arrived and whose customer never
came back, looked up at the gateway and credited once, marked failed, or expired.

Simulators: Pay is pressed on the simulator's page while its webhooks are dropped; Razorpay and
PayPal live: recorded HTTP answers (`responses`). The sweep's clock is injected, so ages and leases
need no waiting."""

import datetime
import json
import time
from urllib.parse import urlsplit

import pytest
import responses

from backend import create_app
from backend.clock import utcnow
from backend.config import load_config
from backend.errors import ConfigError
from backend.gateways.delivery import Delivery
from backend.gateways.google_pay.simulator import CHARGES_COLLECTION
from backend.gateways.paypal.simulator import COLLECTION as PAYPAL_ORDERS
from backend.gateways.razorpay.simulator import PAYMENTS_COLLECTION as RAZORPAY_PAYMENTS
from backend.sweep import LEASE_SECONDS, OUTCOMES, GatewaySweep, sweep_from_config
from backend.wallet_payment_integration import WalletPaymentIntegration
from backend.wallet_service import WalletService
from tests.conftest import app_config
from tests.faults import CrashingDatabase, SimulatedCrash
from tests.helpers import (
    BASE,
    Clock,
    bearer,
    checkout_signature,
    razorpay_event,
    run_in_threads,
    signed_webhook,
    unique,
)
from tests.integration.support import balance_minor, ledger

STALE, EXPIRE = 600, 86400
NOTHING = dict.fromkeys(OUTCOMES, 0)
AMOUNT_MINOR = {"razorpay": 25000, "paypal": 1050, "google_pay": 12345}


def clock_ahead(seconds=0):
    """The sweep's 'now': `seconds` after the real now, moved by hand."""
    return Clock(utcnow() + datetime.timedelta(seconds=seconds))


def counts(**nonzero):
    return dict(NOTHING, **nonzero)


def sweep(integration, clock, batch_max=100):
    return GatewaySweep(integration, clock).run(STALE, EXPIRE, batch_max)


@pytest.fixture
def dropped(monkeypatch):
    """Simulators' webhooks (and Google Pay's token post) are lost: returned here, never delivered."""
    lost = []

    def drop(self, path, body, headers, wait=False):
        lost.append((path, body, headers))
        return None

    monkeypatch.setattr(Delivery, "__call__", drop)
    return lost


def initiate(api, customer_id, gateway):
    amount = f"{AMOUNT_MINOR[gateway] / 100:.2f}"
    response = api.initiate(customer_id, amount, method=gateway)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def press(client, initiated, button="pay"):
    """Press a button on the simulator's checkout page of the initiated top-up."""
    response = client.post(urlsplit(initiated["redirect_url"]).path + "/" + button)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def audit(db, event, **match):
    return list(db["integration_logs"].find(dict(event=event, **match)))


def status_of(db, payment_order_id):
    return db["payment_orders"].find_one({"_id": payment_order_id})["status"]


# --- each simulator: paid, but nobody told the service ---------------------------------------
def test_razorpay_simulator_payment_credited_once_by_the_sweep(api, client, db, integration, dropped):
    order_id = initiate(api, "cust_s", "razorpay")["payment_order_id"]
    back = press(client, {"redirect_url": f"http://localhost/simulator/razorpay/checkout/{order_id}"})
    assert [path for path, _, _ in dropped] == [f"{BASE}/webhook/razorpay"]
    assert balance_minor(db, "cust_s") == 0
    payment = db[RAZORPAY_PAYMENTS].find_one({"order_id": order_id})
    assert payment["status"] == "captured" and payment["id"] in back.headers["Location"]
    clock = clock_ahead(STALE + 1)
    assert sweep(integration, clock) == counts(credited=1)
    assert balance_minor(db, "cust_s") == 25000
    stored = db["payment_orders"].find_one({"_id": order_id})
    assert (stored["status"], stored["gateway_payment_id"]) == ("paid", payment["id"])
    credited = audit(db, "sweep.credited")
    assert [(a["outcome"], a["payment_order_id"], a["gateway_payment_id"]) for a in credited] == [
        ("ok", order_id, payment["id"])
    ]
    assert [a["reason"] for a in audit(db, "wallet.credited")] == ["sweep"]
    clock.advance(EXPIRE * 2)
    assert sweep(integration, clock) == NOTHING
    assert balance_minor(db, "cust_s") == 25000 and len(ledger(db, "cust_s")) == 1


def test_paypal_simulator_approved_order_is_captured_and_credited(api, client, db, integration, dropped):
    initiated = initiate(api, "cust_p", "paypal")
    order_id = initiated["payment_order_id"]
    press(client, initiated)  # approved; the customer never returns, so nobody captures
    assert db[PAYPAL_ORDERS].find_one({"_id": order_id})["status"] == "APPROVED"
    assert sweep(integration, clock_ahead(STALE + 1)) == counts(credited=1)
    simulated = db[PAYPAL_ORDERS].find_one({"_id": order_id})
    assert simulated["status"] == "COMPLETED"
    assert balance_minor(db, "cust_p") == 1050
    assert db["payment_orders"].find_one({"_id": order_id})["gateway_payment_id"] == simulated["capture"]["id"]
    assert [path for path, _, _ in dropped] == [f"{BASE}/webhook/paypal"]  # the capture's webhook, lost


def test_paypal_simulator_completed_order_is_credited_without_a_second_capture(api, client, db, integration, dropped):
    initiated = initiate(api, "cust_p2", "paypal")
    order_id = initiated["payment_order_id"]
    press(client, initiated)
    payment_order = integration.find_payment_order(order_id)
    paypal_api = integration.payments.gateway("paypal").api
    paypal_api.capture_order(order_id, f"{payment_order.reference}-capture")  # captured; the credit was lost
    capture_id = db[PAYPAL_ORDERS].find_one({"_id": order_id})["capture"]["id"]
    assert sweep(integration, clock_ahead(STALE + 1)) == counts(credited=1)
    assert balance_minor(db, "cust_p2") == 1050
    assert db[PAYPAL_ORDERS].find_one({"_id": order_id})["capture"]["id"] == capture_id
    assert db["payment_orders"].find_one({"_id": order_id})["gateway_payment_id"] == capture_id


def test_google_pay_simulator_charge_whose_credit_was_lost_is_credited(app, api, client, db, integration, monkeypatch):
    """The token was charged, then the service stopped before the ledger entry (a crash)."""
    initiated = initiate(api, "cust_g", "google_pay")
    order_id = initiated["payment_order_id"]

    def crash(*args, **kwargs):
        raise SimulatedCrash("the service stopped after the charge")

    with monkeypatch.context() as patch:
        patch.setattr(integration.wallet, "credit", crash)
        back = press(client, initiated)
    assert "payment_error=payment_rejected" in back.headers["Location"]
    assert balance_minor(db, "cust_g") == 0 and status_of(db, order_id) == "created"
    charge = db[CHARGES_COLLECTION].find_one({"_id": order_id})
    assert (charge["status"], charge["amount_minor"]) == ("succeeded", 12345)
    assert sweep(integration, clock_ahead(STALE + 1)) == counts(credited=1)
    assert balance_minor(db, "cust_g") == 12345
    assert db["payment_orders"].find_one({"_id": order_id})["gateway_payment_id"] == charge["id"]


def test_failed_payment_is_marked_failed_and_left_alone(api, client, db, integration, dropped):
    initiated = initiate(api, "cust_f", "razorpay")
    order_id = initiated["payment_order_id"]
    press(client, initiated, "fail")
    clock = clock_ahead(STALE + 1)
    assert sweep(integration, clock) == counts(failed=1)
    stored = db["payment_orders"].find_one({"_id": order_id})
    assert (stored["status"], stored["failure_reason"]) == ("failed", "BAD_REQUEST_ERROR")
    assert [(a["outcome"], a["reason"]) for a in audit(db, "sweep.failed")] == [("ok", "BAD_REQUEST_ERROR")]
    clock.advance(EXPIRE * 2)
    assert sweep(integration, clock) == NOTHING
    assert status_of(db, order_id) == "failed" and balance_minor(db, "cust_f") == 0


# --- abandoned: pending, then expired ---------------------------------------------------------
@pytest.mark.parametrize("gateway", ["razorpay", "paypal", "google_pay"])
def test_abandoned_payment_order_expires_after_the_ttl_and_stays_expired(api, db, integration, gateway):
    order_id = initiate(api, "cust_x", gateway)["payment_order_id"]
    clock = clock_ahead(STALE - 30)
    assert sweep(integration, clock) == NOTHING  # not stale yet
    clock.advance(60)
    assert sweep(integration, clock) == counts(pending=1)
    assert sweep(integration, clock) == NOTHING  # looked up just now: not again until about its age again
    pending = audit(db, "sweep.pending")
    assert [(a["outcome"], a["payment_order_id"], a["gateway"]) for a in pending] == [("pending", order_id, gateway)]
    clock.advance(EXPIRE)
    assert sweep(integration, clock) == counts(expired=1)
    stored = db["payment_orders"].find_one({"_id": order_id})
    assert stored["status"] == "expired" and stored["expired_at"] == clock.now
    assert [a["payment_order_id"] for a in audit(db, "sweep.expired")] == [order_id]
    clock.advance(EXPIRE * 5)
    assert sweep(integration, clock) == NOTHING
    assert status_of(db, order_id) == "expired" and balance_minor(db, "cust_x") == 0
    assert ledger(db, "cust_x") == []


def test_pending_payment_order_is_looked_up_ever_more_rarely(api, db, integration):
    initiate(api, "cust_b", "razorpay")
    clock, looked_up_at = clock_ahead(STALE + 1), []
    for _ in range(24 * 60):  # every minute of a day
        if sweep(integration, clock)["pending"]:
            looked_up_at.append(clock.now)
        clock.advance(60)
    assert 5 <= len(looked_up_at) <= 12, len(looked_up_at)
    assert len(audit(db, "sweep.pending")) == len(looked_up_at)


def test_expired_payment_order_credited_only_by_a_fresh_gateway_confirmation(api, client, db, integration):
    """Decided: an expired top-up whose payment the gateway later confirms (a capture webhook, here the
    simulator's after Pay) is credited, once: the money was taken."""
    initiated = initiate(api, "cust_late", "razorpay")
    clock = clock_ahead(EXPIRE + 1)
    assert sweep(integration, clock) == counts(expired=1)
    press(client, initiated)  # the simulator records the payment and its webhook is delivered
    assert balance_minor(db, "cust_late") == 25000
    assert status_of(db, initiated["payment_order_id"]) == "paid"
    clock.advance(EXPIRE)
    assert sweep(integration, clock) == NOTHING
    assert len(ledger(db, "cust_late")) == 1


def test_expired_payment_order_verify_credits_and_a_failure_changes_nothing(api, client, db, integration):
    order_id = initiate(api, "cust_late2", "razorpay")["payment_order_id"]
    assert sweep(integration, clock_ahead(EXPIRE + 1)) == counts(expired=1)
    failed = razorpay_event("payment.failed", order_id, "pay_lateF", 25000, status="failed")
    body, headers = signed_webhook(failed)
    assert client.post(f"{BASE}/webhook/razorpay", data=body, headers=headers).status_code == 200
    assert status_of(db, order_id) == "expired"
    response = api.post(
        "/wallet/topup/verify",
        {"payment_id": "pay_late1", "order_id": order_id, "signature": checkout_signature(order_id, "pay_late1")},
        bearer("cust_late2"),
    )
    assert response.status_code == 200, response.get_json()
    assert balance_minor(db, "cust_late2") == 25000 and status_of(db, order_id) == "paid"


def test_gateway_without_look_up_is_never_swept_nor_expired(db, integration, monkeypatch):
    class NoLookUp:
        name = "nolookup"

    monkeypatch.setitem(integration.payments.gateways, "nolookup", NoLookUp())
    integration.payment_orders.create("nl_order1", "wtp_nl1", "nolookup", "cust_n", 100, "INR")
    clock = clock_ahead(EXPIRE * 3)
    assert sweep(integration, clock) == NOTHING
    assert status_of(db, "nl_order1") == "created"
    assert db["integration_logs"].count_documents({"event": {"$regex": "^sweep"}}) == 0


def test_a_look_up_that_breaks_unexpectedly_is_audited_and_the_run_goes_on(
    api, client, db, integration, dropped, monkeypatch
):
    """One payment order whose look-up raises something no adapter should (a bug, an SDK's own
    error): audited as `sweep.pending` / `error`, left `created` and looked up again after the lease;
    the other due payment orders of the run are still swept."""
    broken = initiate(api, "cust_e", "razorpay")["payment_order_id"]
    press(client, initiate(api, "cust_e", "razorpay"))
    gateway = integration.payments.gateway("razorpay")
    real_look_up = gateway.look_up

    def look_up(payment_order):
        if payment_order.id == broken:
            raise TypeError("argument of type 'NoneType' is not iterable")
        return real_look_up(payment_order)

    monkeypatch.setattr(gateway, "look_up", look_up)
    clock = clock_ahead(STALE + 1)
    assert sweep(integration, clock) == counts(error=1, credited=1)
    assert balance_minor(db, "cust_e") == 25000 and status_of(db, broken) == "created"
    assert [(a["payment_order_id"], a["outcome"], a["error"], a["reason"]) for a in audit(db, "sweep.pending")] == [
        (broken, "error", "unexpected_error", "TypeError")
    ]
    assert [a["reason"] for a in audit(db, "sweep.ran")] == ["credited=1, error=1"]
    assert sweep(integration, clock) == NOTHING  # leased
    monkeypatch.setattr(gateway, "look_up", real_look_up)
    clock.advance(LEASE_SECONDS + 1)
    assert sweep(integration, clock) == counts(pending=1)


# --- at the same time as others ----------------------------------------------------------------
def test_sweeps_running_at_once_look_each_order_up_once_and_credit_once(
    api, client, db, integration, dropped, monkeypatch
):
    orders = []
    for _ in range(6):
        initiated = initiate(api, "cust_t", "razorpay")
        press(client, initiated)
        orders.append(initiated["payment_order_id"])
    gateway = integration.payments.gateway("razorpay")
    real_look_up, looked_up = gateway.look_up, []

    def slow_look_up(payment_order):
        looked_up.append(payment_order.id)
        time.sleep(0.01)  # let the other sweeps try the same order meanwhile
        return real_look_up(payment_order)

    monkeypatch.setattr(gateway, "look_up", slow_look_up)
    clock = clock_ahead(STALE + 1)
    results = run_in_threads(4, lambda i: sweep(integration, clock))
    assert sum(r["credited"] for r in results) == 6
    assert sorted(looked_up) == sorted(orders)
    assert balance_minor(db, "cust_t") == 6 * 25000
    assert len(ledger(db, "cust_t")) == 6
    assert integration.reconcile() == []


def test_sweep_racing_the_webhook_credits_once(api, client, db, integration, dropped, monkeypatch):
    initiated = initiate(api, "cust_r", "razorpay")
    press(client, initiated)
    ((path, body, headers),) = dropped
    gateway = integration.payments.gateway("razorpay")
    real_look_up = gateway.look_up

    def webhook_arrives_meanwhile(payment_order):
        answer = real_look_up(payment_order)
        assert client.post(path, data=body, headers=headers).status_code == 200
        return answer

    monkeypatch.setattr(gateway, "look_up", webhook_arrives_meanwhile)
    assert sweep(integration, clock_ahead(STALE + 1)) == counts(credited=1)
    assert balance_minor(db, "cust_r") == 25000 and len(ledger(db, "cust_r")) == 1
    assert [a["reason"] for a in audit(db, "wallet.credited")] == ["payment.captured"]


# --- crashes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("gateway", ["razorpay", "paypal"])
@pytest.mark.parametrize("recover_first", [False, True], ids=["next run", "recovery, then next run"])
def test_a_crash_before_any_write_of_a_sweep_is_healed(app, api, client, db, dropped, gateway, recover_first):
    """Crash before write 1, 2, ... of a sweep crediting a paid top-up, until a sweep completes; each
    time the next run (after the lease), with or without recovery first, credits it exactly once."""
    healthy = app.extensions["integration"]
    crash_at = 1
    while True:
        customer_id = unique("cust")
        initiated = initiate(api, customer_id, gateway)
        press(client, initiated)
        crashing = CrashingDatabase(db, crash_at)
        integration = WalletPaymentIntegration(WalletService(crashing), healthy.payments, crashing, currency="INR")
        clock = clock_ahead(STALE + 1)
        try:
            GatewaySweep(integration, clock).run(STALE, EXPIRE, 100)
        except SimulatedCrash:
            pass
        if recover_first:
            healthy.recover(grace_seconds=0)
        clock.advance(LEASE_SECONDS + 1)
        GatewaySweep(healthy, clock).run(STALE, EXPIRE, 100)
        context = f"crash before write {crash_at}"
        assert balance_minor(db, customer_id) == AMOUNT_MINOR[gateway], context
        assert len(ledger(db, customer_id)) == 1, context
        assert status_of(db, initiated["payment_order_id"]) == "paid", context
        assert healthy.reconcile() == [], context
        if not crashing.crashed:
            break
        crash_at += 1
    assert crash_at >= 8  # claim, the ledger's writes, finalize, audit: each was crashed before


# --- live mode, recorded answers ---------------------------------------------------------------
RZP_KEY_ID, RZP_KEY_SECRET = "rzp_test_LiveKey000001", "live_key_secret_for_tests"
RZP_ORDER = "order_LiveSweep1"
RZP_ORDERS_URL = "https://api.razorpay.com/v1/orders"
PAYPAL_API = "https://api-m.sandbox.paypal.com"
PP_ORDER, PP_CAPTURE = "5O190127TN364715T", "3C679366HH908993F"
PP_ORDER_URL = f"{PAYPAL_API}/v2/checkout/orders/{PP_ORDER}"


@pytest.fixture
def live(http):
    app = create_app(
        app_config(
            GATEWAY_MODE="live",
            RAZORPAY_KEY_ID=RZP_KEY_ID,
            RAZORPAY_KEY_SECRET=RZP_KEY_SECRET,
            RAZORPAY_WEBHOOK_SECRET="live_webhook_secret",
            PAYPAL_CLIENT_ID="AbCdLiveClientId",
            PAYPAL_CLIENT_SECRET="live-client-secret",
            PAYPAL_WEBHOOK_ID="8PT597110X687430LKGECATA",
        )
    )
    return app


def live_initiate(app, http, method):
    if method == "razorpay":
        http.add(
            responses.POST,
            RZP_ORDERS_URL,
            json={
                "id": RZP_ORDER,
                "entity": "order",
                "amount": 50000,
                "amount_paid": 0,
                "amount_due": 50000,
                "currency": "INR",
                "receipt": "wtp_x",
                "status": "created",
                "attempts": 0,
                "notes": [],
                "created_at": 1700000000,
            },
        )
    else:
        http.add(
            responses.POST,
            PAYPAL_API + "/v1/oauth2/token",
            json={"access_token": "A21AAFakeToken", "token_type": "Bearer", "expires_in": 32400},
        )
        http.add(
            responses.POST,
            PAYPAL_API + "/v2/checkout/orders",
            json={
                "id": PP_ORDER,
                "status": "PAYER_ACTION_REQUIRED",
                "links": [
                    {
                        "href": f"https://www.sandbox.paypal.com/checkoutnow?token={PP_ORDER}",
                        "rel": "payer-action",
                        "method": "GET",
                    }
                ],
            },
        )
    response = app.test_client().post(
        f"{BASE}/wallet/topup/initiate",
        headers=bearer("cust_live"),
        json={"customer_id": "cust_live", "amount": 500, "payment_method": method},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["payment_order_id"]


def razorpay_payments(*payments):
    return {
        "entity": "collection",
        "count": len(payments),
        "items": [
            dict(
                {
                    "entity": "payment",
                    "currency": "INR",
                    "order_id": RZP_ORDER,
                    "method": "upi",
                    "amount_refunded": 0,
                    "captured": p.get("status") == "captured",
                    "error_code": None,
                    "created_at": 1700000100,
                },
                **p,
            )
            for p in payments
        ],
    }


def paypal_order(status, capture_status=None, value="500.00"):
    unit = {"reference_id": "wtp_x", "amount": {"currency_code": "INR", "value": value}}
    if capture_status:
        unit["payments"] = {
            "captures": [
                {
                    "id": PP_CAPTURE,
                    "status": capture_status,
                    "final_capture": True,
                    "amount": {"currency_code": "INR", "value": value},
                }
            ]
        }
    return {"id": PP_ORDER, "intent": "CAPTURE", "status": status, "purchase_units": [unit]}


def live_requests(http):
    return [(c.request.method, c.request.url) for c in http.calls if "oauth2" not in c.request.url]


def test_live_razorpay_captured_payment_credited_once(live, http):
    order_id = live_initiate(live, http, "razorpay")
    http.add(
        responses.GET,
        f"{RZP_ORDERS_URL}/{order_id}/payments",
        json=razorpay_payments(
            {"id": "pay_LiveF1", "status": "failed", "amount": 50000, "error_code": "BAD_REQUEST_ERROR"},
            {"id": "pay_LiveS1", "status": "captured", "amount": 50000},
        ),
    )
    integration, db, clock = live.extensions["integration"], live.extensions["wallet_db"], clock_ahead(STALE + 1)
    assert sweep(integration, clock) == counts(credited=1)
    assert balance_minor(db, "cust_live") == 50000
    assert db["payment_orders"].find_one({"_id": order_id})["gateway_payment_id"] == "pay_LiveS1"
    clock.advance(EXPIRE * 2)
    assert sweep(integration, clock) == NOTHING
    assert live_requests(http) == [("POST", RZP_ORDERS_URL), ("GET", f"{RZP_ORDERS_URL}/{order_id}/payments")]


def test_live_razorpay_other_amount_credits_nothing_and_never_expires(live, http):
    order_id = live_initiate(live, http, "razorpay")
    http.add(
        responses.GET,
        f"{RZP_ORDERS_URL}/{order_id}/payments",
        json=razorpay_payments({"id": "pay_LiveM1", "status": "captured", "amount": 100}),
    )
    integration, db, clock = live.extensions["integration"], live.extensions["wallet_db"], clock_ahead(STALE + 1)
    assert sweep(integration, clock) == counts(mismatch=1)
    assert balance_minor(db, "cust_live") == 0 and status_of(db, order_id) == "created"
    assert [a["reason"] for a in audit(db, "topup.amount_mismatch")] == ["sweep"]
    assert [(a["outcome"], a["error"]) for a in audit(db, "sweep.credited")] == [("rejected", "amount_mismatch")]
    clock.advance(EXPIRE * 2)
    assert sweep(integration, clock) == counts(mismatch=1)  # money was taken: never expired
    assert status_of(db, order_id) == "created" and balance_minor(db, "cust_live") == 0


def test_live_razorpay_unavailable_changes_nothing_and_is_tried_again_after_the_lease(live, http):
    order_id = live_initiate(live, http, "razorpay")
    url = f"{RZP_ORDERS_URL}/{order_id}/payments"
    http.add(responses.GET, url, json={"error": {"code": "SERVER_ERROR", "description": "error"}}, status=500)
    integration, db, clock = live.extensions["integration"], live.extensions["wallet_db"], clock_ahead(EXPIRE + 1)
    assert sweep(integration, clock) == counts(unavailable=1)  # old enough to expire, but nobody answered
    assert status_of(db, order_id) == "created"
    assert [(a["outcome"], a["error"]) for a in audit(db, "sweep.pending")] == [("unavailable", "gateway_unavailable")]
    assert sweep(integration, clock) == NOTHING  # leased
    http.replace(
        responses.GET, url, json=razorpay_payments({"id": "pay_LiveS2", "status": "captured", "amount": 50000})
    )
    clock.advance(LEASE_SECONDS + 1)
    assert sweep(integration, clock) == counts(credited=1)
    assert balance_minor(db, "cust_live") == 50000


@pytest.mark.parametrize("garbage", ["null", "5", '"error"', '{"error": null}'])
def test_live_razorpay_garbage_error_is_audited_and_the_run_goes_on(live, http, garbage):
    """An error answer whose JSON is not Razorpay's error object makes the SDK itself fail: that
    payment order is audited as unavailable, and the captured top-up after it is still credited."""
    client = live.test_client()
    for order_id in ("order_LiveBad1", "order_LiveGood2"):
        http.add(
            responses.POST,
            RZP_ORDERS_URL,
            json={"id": order_id, "entity": "order", "amount": 50000, "currency": "INR", "status": "created"},
        )
        response = client.post(
            f"{BASE}/wallet/topup/initiate",
            headers=bearer("cust_live"),
            json={"customer_id": "cust_live", "amount": 500, "payment_method": "razorpay"},
        )
        assert response.get_json()["payment_order_id"] == order_id
    http.add(
        responses.GET,
        f"{RZP_ORDERS_URL}/order_LiveBad1/payments",
        body=garbage,
        status=500,
        content_type="application/json",
    )
    http.add(
        responses.GET,
        f"{RZP_ORDERS_URL}/order_LiveGood2/payments",
        json=razorpay_payments(
            {"id": "pay_LiveG2", "status": "captured", "amount": 50000, "order_id": "order_LiveGood2"}
        ),
    )
    integration, db = live.extensions["integration"], live.extensions["wallet_db"]
    assert sweep(integration, clock_ahead(STALE + 1)) == counts(unavailable=1, credited=1)
    assert balance_minor(db, "cust_live") == 50000
    assert (status_of(db, "order_LiveBad1"), status_of(db, "order_LiveGood2")) == ("created", "paid")
    assert [(a["payment_order_id"], a["outcome"], a["error"]) for a in audit(db, "sweep.pending")] == [
        ("order_LiveBad1", "unavailable", "gateway_unavailable")
    ]


@pytest.mark.parametrize("approved", [True, False], ids=["APPROVED: captured", "COMPLETED"])
def test_live_paypal_order_credited_once(live, http, approved):
    order_id = live_initiate(live, http, "paypal")
    if approved:
        http.add(responses.GET, PP_ORDER_URL, json=paypal_order("APPROVED"))
        http.add(responses.POST, PP_ORDER_URL + "/capture", json=paypal_order("COMPLETED", "COMPLETED"), status=201)
    else:
        http.add(responses.GET, PP_ORDER_URL, json=paypal_order("COMPLETED", "COMPLETED"))
    integration, db, clock = live.extensions["integration"], live.extensions["wallet_db"], clock_ahead(STALE + 1)
    assert sweep(integration, clock) == counts(credited=1)
    assert balance_minor(db, "cust_live") == 50000
    assert db["payment_orders"].find_one({"_id": order_id})["gateway_payment_id"] == PP_CAPTURE
    expected = [("GET", PP_ORDER_URL)] + ([("POST", PP_ORDER_URL + "/capture")] if approved else [])
    assert live_requests(http)[1:] == expected
    if approved:
        assert http.calls[-1].request.headers["PayPal-Request-Id"].endswith("-capture")
    clock.advance(EXPIRE * 2)
    assert sweep(integration, clock) == NOTHING
    assert len(ledger(db, "cust_live")) == 1


def test_live_paypal_order_paypal_no_longer_knows_expires(live, http):
    order_id = live_initiate(live, http, "paypal")
    http.add(
        responses.GET,
        PP_ORDER_URL,
        status=404,
        json={"name": "RESOURCE_NOT_FOUND", "details": [{"issue": "INVALID_RESOURCE_ID"}]},
    )
    integration, db = live.extensions["integration"], live.extensions["wallet_db"]
    assert sweep(integration, clock_ahead(EXPIRE + 1)) == counts(expired=1)
    assert status_of(db, order_id) == "expired"
    assert [a["reason"] for a in audit(db, "sweep.expired")] == ["not_found"]


# --- settings, the worker's call, metrics ------------------------------------------------------
def test_settings_default_and_refusals(monkeypatch):
    for key in ("SWEEP_STALE_AFTER_SECONDS", "SWEEP_EXPIRE_AFTER_SECONDS", "SWEEP_BATCH_MAX"):
        monkeypatch.delenv(key, raising=False)
    config = load_config({"APP_ENV": "test"})
    assert (config["SWEEP_STALE_AFTER_SECONDS"], config["SWEEP_EXPIRE_AFTER_SECONDS"], config["SWEEP_BATCH_MAX"]) == (
        600,
        86400,
        100,
    )
    assert load_config({"APP_ENV": "test", "SWEEP_BATCH_MAX": "7"})["SWEEP_BATCH_MAX"] == 7
    for bad in ("0", "-5", "ten", ""):
        with pytest.raises(ConfigError, match="SWEEP_EXPIRE_AFTER_SECONDS"):
            load_config({"APP_ENV": "test", "SWEEP_EXPIRE_AFTER_SECONDS": bad})


def test_sweep_from_config_uses_the_configured_ages_and_batch(dropped):
    app = create_app(app_config(SWEEP_STALE_AFTER_SECONDS="60", SWEEP_EXPIRE_AFTER_SECONDS="3600", SWEEP_BATCH_MAX="2"))
    client, integration = app.test_client(), app.extensions["integration"]
    for _ in range(3):
        response = client.post(
            f"{BASE}/wallet/topup/initiate", headers=bearer("cust_c"), json={"customer_id": "cust_c", "amount": 1}
        )
        assert response.status_code == 200
    clock = clock_ahead(61)
    assert sweep_from_config(integration, app.config, clock) == counts(pending=2)
    assert sweep_from_config(integration, app.config, clock) == counts(pending=1)
    clock.advance(3600)
    assert sweep_from_config(integration, app.config, clock) == counts(expired=2)
    assert sweep_from_config(integration, app.config, clock) == counts(expired=1)


def test_sweep_outcomes_are_audited_and_counted_in_metrics(api, client, db, integration, dropped):
    press(client, initiate(api, "cust_m", "razorpay"))
    initiate(api, "cust_m", "razorpay")
    assert sweep(integration, clock_ahead(STALE + 1)) == counts(credited=1, pending=1)
    ran = audit(db, "sweep.ran")
    assert [(a["count"], a["reason"]) for a in ran] == [(2, "credited=1, pending=1")]
    text = client.get("/metrics").get_data(as_text=True)
    assert 'wallet_audit_events_total{event="sweep.credited",outcome="ok"} 1.0' in text
    assert 'wallet_audit_events_total{event="sweep.pending",outcome="pending"} 1.0' in text
    entries = audit(db, "sweep.credited") + audit(db, "sweep.pending")
    assert all(
        set(e)
        <= {
            "_id",
            "event",
            "outcome",
            "created_at",
            "customer_id",
            "payment_order_id",
            "gateway",
            "gateway_payment_id",
            "transaction_id",
            "amount_minor",
            "currency",
            "reason",
            "error",
        }
        for e in entries
    )
    assert not any("card" in json.dumps(e, default=str) for e in entries)
