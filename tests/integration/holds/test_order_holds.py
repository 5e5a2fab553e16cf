"""Authorise now, take later (SPEC §10) over HTTP: authorise → partial capture → the rest released;
authorise → void; authorise → expiry by the worker; each repeated with the same key returns the first
answer; the refusals; refunds of a captured order as of any paid order; reconcile after each."""

import datetime

import pytest

from backend.flows.order_holds import OrderHolds
from backend.wallet_accounts import WalletAccounts
from backend.worker import Worker
from tests.helpers import BASE, bearer, snapshot
from tests.integration.after_credit.support import razorpay_topup
from tests.integration.support import assert_error, assert_money, balance_minor, failing_once

ADMIN = bearer("admin_1", "admin")


@pytest.fixture
def funded(api):
    """cust_a with 100.00 and a pending order of 60.00: the order id."""
    api.topup("cust_a", "100.00")
    return api.add_order("cust_a", 6000)


def authorize(api, order_id, amount="60.00", customer_id="cust_a", headers=None):
    return api.post(
        "/order/authorize",
        {"order_id": order_id, "customer_id": customer_id, "amount": amount},
        headers or bearer(customer_id),
    )


def capture(api, order_id, amount, headers=None):
    return api.post("/order/capture", {"order_id": order_id, "amount": amount}, headers or bearer("cust_a"))


def void(api, order_id, headers=None):
    return api.post("/order/void", {"order_id": order_id}, headers or bearer("cust_a"))


def figures(api):
    wallet = api.status("cust_a").get_json()["wallet"]
    return wallet["balance"], wallet["held"], wallet["available"]


def order_status(api, order_id):
    return api.db["orders"].find_one({"order_id": order_id})["payment_status"]


def test_authorise_then_capture_part_releases_the_rest(api, integration, funded):
    held = authorize(api, funded)
    assert held.status_code == 200, held.get_json()
    body = held.get_json()
    assert set(body) >= {"success", "hold_id", "available_balance", "currency", "expires_at"}
    assert_money(body["available_balance"], 40)
    assert body["expires_at"].endswith("Z")
    assert figures(api) == (100, 60, 40) and order_status(api, funded) == "authorized"
    assert integration.reconcile() == []
    captured = capture(api, funded, "45.00")
    assert captured.status_code == 200, captured.get_json()
    body = captured.get_json()
    assert (body["captured"], body["released"], body["remaining_balance"]) == (45, 15, 55)
    assert figures(api) == (55, 0, 55) and order_status(api, funded) == "paid"
    assert integration.reconcile() == []
    # Refunds of a captured order: as of any paid order, up to what was captured.
    assert api.refund(funded, "cust_a", 45).status_code == 200
    assert_error(api.refund(funded, "cust_a", 1), 409, "refund_exceeds_paid")
    assert figures(api) == (100, 0, 100)
    assert integration.reconcile() == []


def test_a_capture_above_the_hold_is_refused(api, funded):
    authorize(api, funded)
    assert_error(capture(api, funded, "60.01"), 409, "capture_exceeds_hold")
    assert figures(api) == (100, 60, 40)


def test_capture_and_void_happen_once(api, funded):
    authorize(api, funded)
    assert capture(api, funded, "60.00").status_code == 200
    assert_error(capture(api, funded, "60.00"), 409, "hold_not_found")
    assert_error(void(api, funded), 409, "hold_not_found")  # a void after capture is refused
    assert figures(api) == (40, 0, 40)


def test_authorise_then_void_puts_the_order_back_to_pending(api, integration, funded):
    authorize(api, funded)
    voided = void(api, funded)
    assert voided.status_code == 200, voided.get_json()
    assert_money(voided.get_json()["released"], 60)
    assert figures(api) == (100, 0, 100) and order_status(api, funded) == "pending"
    assert_error(void(api, funded), 409, "hold_not_found")
    assert api.pay(funded, "cust_a", 60).status_code == 200  # pending again: payable
    assert integration.reconcile() == []


def test_a_hold_past_its_time_is_released_by_the_worker(api, db, integration, funded):
    authorize(api, funded)
    db["orders"].update_one({"order_id": funded}, {"$set": {"authorization.expires_at": datetime.datetime(2000, 1, 1)}})
    assert integration.recover(grace_seconds=60)["authorizations"] == 1
    assert figures(api) == (100, 0, 100) and order_status(api, funded) == "pending"
    assert_error(capture(api, funded, "60.00"), 409, "hold_not_found")
    assert integration.reconcile() == []


@pytest.mark.parametrize("shop_action", ["cancelled", "reissued"])
def test_the_worker_releases_a_hold_whose_order_the_shop_dropped_once_past_its_time(
    api, app, db, integration, funded, shop_action, caplog
):
    """Found by a red-team pass: an authorised order the shop cancels (or writes anew as `pending`,
    authorised again) kept its hold for good: void answers `hold_not_found` and the expiry looks
    only at authorised orders. The worker's reconcile releases such a hold once past its time."""
    assert authorize(api, funded).status_code == 200
    if shop_action == "cancelled":
        db["orders"].update_one({"order_id": funded}, {"$set": {"payment_status": "cancelled"}})
    else:
        db["orders"].delete_one({"order_id": funded})
        api.add_order("cust_a", 2000, order_id=funded)
        assert authorize(api, funded, "20.00").status_code == 200  # held too: 80 of 100

    def reconcile_job():
        db["worker_leases"].delete_many({})  # as an hour later
        return Worker(integration, db, app.config).run_once()["reconcile"]

    assert reconcile_job() == 1  # orphan_hold, not past its time: reported, kept
    assert figures(api)[1] == (60 if shop_action == "cancelled" else 80)
    opened = db["ledger_entries"].find_one({"kind": "checkout_hold", "amount_minor": 6000})
    past_its_time = opened["created_at"] - datetime.timedelta(seconds=app.config["HOLD_TTL_SECONDS"] + 1)
    db["ledger_entries"].update_one({"_id": opened["_id"]}, {"$set": {"created_at": past_its_time}})
    assert reconcile_job() == 0
    assert figures(api) == ((100, 0, 100) if shop_action == "cancelled" else (100, 20, 80))
    assert integration.reconcile() == []
    released = db["integration_logs"].find_one({"event": "order.authorization_expired"})
    assert (released["order_id"], released["amount_minor"], released["reason"]) == (funded, 6000, "orphan_hold")
    assert "orphaned hold past its time released" in caplog.text
    if shop_action == "reissued":
        assert capture(api, funded, "20.00").status_code == 200  # the new life's hold is untouched
    assert reconcile_job() == 0


@pytest.mark.parametrize(
    "edit", [{"$unset": {"currency": ""}}, {"$unset": {"customer_id": ""}}, {"$set": {"customer_id": "cust_b"}}]
)
def test_a_hold_past_its_time_is_released_from_its_wallet_whatever_the_shop_wrote_on_its_order(
    api, db, integration, funded, edit, caplog
):
    """Found by a red-team pass: the expiry read the order's own customer and currency, so an
    authorised order the shop left without one raised, and recovery released no other expired hold
    (run after run). The hold is in the wallet recorded when authorised: released there."""
    assert authorize(api, funded).status_code == 200
    api.topup("cust_ok", "100.00")
    other = api.add_order("cust_ok", 6000)
    assert authorize(api, other, customer_id="cust_ok").status_code == 200
    expired = {"$set": {"authorization.expires_at": datetime.datetime(2000, 1, 1)}}
    db["orders"].update_many({"order_id": {"$in": [funded, other]}}, expired)
    db["orders"].update_one({"order_id": funded}, edit)
    assert integration.recover(grace_seconds=60)["authorizations"] == 2
    assert figures(api) == (100, 0, 100)
    assert api.status("cust_ok").get_json()["wallet"]["held"] == 0
    assert [db["orders"].find_one({"order_id": o})["payment_status"] for o in (funded, other)] == ["pending"] * 2
    assert integration.reconcile() == []


def test_one_malformed_authorised_order_does_not_stop_the_expiry_of_the_others(api, db, integration, caplog):
    api.topup("cust_ok", "100.00")
    other = api.add_order("cust_ok", 6000)
    assert authorize(api, other, customer_id="cust_ok").status_code == 200
    db["orders"].update_one({"order_id": other}, {"$set": {"authorization.expires_at": datetime.datetime(2000, 1, 1)}})
    broken = {  # the wallet's authorisation (`hold_key`), the rest of the document gone
        "order_id": "ord_broken",
        "payment_status": "authorized",
        "authorization": {"hold_key": "checkout_hold:ord_broken:auth_x", "expires_at": datetime.datetime(2000, 1, 1)},
    }
    db["orders"].insert_one(broken)
    assert integration.recover(grace_seconds=60)["authorizations"] == 1
    assert api.status("cust_ok").get_json()["wallet"]["held"] == 0
    assert "expiry: authorised order ord_broken skipped" in caplog.text


def test_malformed_authorised_orders_filling_a_page_do_not_keep_later_holds_from_expiring(api, db, integration):
    api.topup("cust_ok", "100.00")
    past = datetime.datetime(2000, 1, 1)
    for n in range(5):  # found before the good one, more than a page of 2; the last without an order_id
        broken = {"hold_key": f"checkout_hold:ord_broken_{n}:auth_x", "expires_at": past}
        db["orders"].insert_one(
            {"order_id": f"ord_broken_{n}", "payment_status": "authorized", "authorization": broken}
            if n < 4
            else {"payment_status": "authorized", "authorization": broken}
        )
    other = api.add_order("cust_ok", 6000)
    assert authorize(api, other, customer_id="cust_ok").status_code == 200
    db["orders"].update_one({"order_id": other}, {"$set": {"authorization.expires_at": past}})
    assert integration.order_holds.expire(grace_seconds=60, limit=2) == 1
    assert api.status("cust_ok").get_json()["wallet"]["held"] == 0
    assert order_status(api, other) == "pending"
    assert api.client.get(f"{BASE}/health").get_json()["features"]["holds"] == {"expired": 5}  # still alerted


def test_a_run_looks_at_each_order_once_however_many_pages_malformed_ones_fill(db, integration, monkeypatch):
    """Found by a review: an order the run could not move on (left authorised) was read and counted
    again on every further page (5 such orders and 300 malformed ones: 305 counted)."""
    past = datetime.datetime(2000, 1, 1)
    for n in range(9):
        authorization = {"hold_key": f"checkout_hold:ord_{n}:auth_x", "expires_at": past}
        db["orders"].insert_one(
            {"order_id": f"ord_{n}", "payment_status": "authorized", "authorization": authorization}
        )
    looked_at = []

    def put_right(order):  # the odd ones stay authorised (moved on by nobody), the even ones are malformed
        looked_at.append(order["order_id"])
        if int(order["order_id"][-1]) % 2 == 0:
            raise KeyError("customer_id")
        return 1

    monkeypatch.setattr(integration.order_holds, "_put_right", put_right)
    assert integration.order_holds.expire(grace_seconds=60, limit=2) == 4
    assert sorted(looked_at) == [f"ord_{n}" for n in range(9)]


def test_orders_the_shops_own_checkout_authorised_are_left_to_the_shop(api, db, integration, caplog, funded):
    """An order marked `authorized` by the shop's own card checkout, with an `authorization` of its
    own: not the wallet's hold. The worker neither reads it nor logs it, /health and /metrics do not
    count it as a hold past its time, and a capture or void of it is 409 `hold_not_found` (was a 500)."""
    card = {"gateway": "card", "auth_code": "A1", "expires_at": datetime.datetime(2000, 1, 1)}
    db["orders"].insert_one(
        {
            "order_id": "ord_card",
            "customer_id": "cust_a",
            "amount_minor": 6000,
            "currency": "INR",
            "payment_status": "authorized",
            "authorization": card,
        }
    )
    assert integration.recover(grace_seconds=0)["authorizations"] == 0
    assert "ord_card" not in caplog.text
    assert api.client.get(f"{BASE}/health").get_json()["features"]["holds"] == {"expired": 0}
    listed = api.client.get(f"{BASE}/orders?customer_id=cust_a", headers=bearer("cust_a")).get_json()["orders"]
    assert "authorization" not in next(o for o in listed if o["order_id"] == "ord_card")  # not a wallet hold
    before = snapshot(db)
    for response in (capture(api, "ord_card", "60.00"), void(api, "ord_card")):
        assert_error(response, 409, "hold_not_found")
        assert response.get_json()["message"] == "The order was not authorised from the wallet."
    assert snapshot(db) == before


def test_an_authorisation_with_no_hold_key_is_the_shops_everywhere(api, db, integration, funded):
    """Found by a code-quality read: a null `hold_key` was counted as the wallet's by the worker and
    /health (`$exists`) but refused as not the wallet's by capture and void."""
    nulled = {"hold_key": None, "hold_id": "h1", "amount_minor": 6000, "expires_at": datetime.datetime(2000, 1, 1)}
    db["orders"].update_one({"order_id": funded}, {"$set": {"payment_status": "authorized", "authorization": nulled}})
    assert api.client.get(f"{BASE}/health").get_json()["features"]["holds"] == {"expired": 0}
    assert integration.order_holds.expire(grace_seconds=0) == 0
    assert_error(capture(api, funded, "60.00"), 409, "hold_not_found")


SHOP_CHANGES = {
    "cancelled": lambda api, db, order_id: db["orders"].update_one(
        {"order_id": order_id}, {"$set": {"payment_status": "cancelled"}}
    ),
    "reissued": lambda api, db, order_id: (
        db["orders"].delete_one({"order_id": order_id}),
        api.add_order("cust_a", 6000, order_id=order_id),
    ),
}


@pytest.mark.parametrize("shop_change", SHOP_CHANGES)
def test_a_capture_whose_order_the_shop_changed_meanwhile_is_given_back(
    api, db, integration, funded, monkeypatch, shop_change
):
    """Found by a red-team pass: a capture that read its order authorised, the shop cancelling or
    re-issuing it before the capture's debit, took the money for good (a re-issued order was then
    paid again: 120.00 for a 60.00 order). It is given back, as a payment is (409 order_not_payable)."""
    assert authorize(api, funded).status_code == 200
    real_capture = integration.holds.capture

    def shop_changes_meanwhile(*args, **kwargs):
        SHOP_CHANGES[shop_change](api, db, funded)
        return real_capture(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(integration.holds, "capture", shop_changes_meanwhile)
        refused = capture(api, funded, "60.00")
    assert_error(refused, 409, "order_not_payable")
    assert figures(api) == (100, 0, 100)
    reversal = db["ledger_entries"].find_one({"kind": "reversal"})
    capture_entry = db["ledger_entries"].find_one({"kind": "capture"})
    assert (reversal["reference"]["reversal_of"], capture_entry["settled"]) == (capture_entry["_id"], "given_back")
    assert capture(api, funded, "60.00").status_code == 409  # never captured again
    if shop_change == "reissued":
        assert api.pay(funded, "cust_a", 60).status_code == 200  # paid once, by the payment
        assert figures(api) == (40, 0, 40)
    integration.recover(grace_seconds=0)
    assert integration.reconcile() == []
    assert db["ledger_entries"].count_documents({"kind": "reversal"}) == 1


def test_a_capture_interrupted_then_cancelled_by_the_shop_is_given_back_by_recovery(
    api, db, integration, funded, monkeypatch
):
    assert authorize(api, funded).status_code == 200
    with monkeypatch.context() as patch:
        failing_once(patch, integration.authorizations, "mark_captured")
        pending = capture(api, funded, "60.00")
    assert (pending.status_code, pending.get_json()["error"]) == (503, "operation_pending")
    db["orders"].update_one({"order_id": funded}, {"$set": {"payment_status": "cancelled"}})
    integration.recover(grace_seconds=60)  # its request let it go (operation_pending): claimed at once
    assert figures(api) == (100, 0, 100)
    assert db["ledger_entries"].find_one({"kind": "capture"})["settled"] == "given_back"
    assert integration.reconcile() == []


def test_a_capture_is_decided_paid_once(api, db, integration, funded):
    assert authorize(api, funded).status_code == 200
    assert capture(api, funded, "60.00").status_code == 200
    assert db["ledger_entries"].find_one({"kind": "capture"})["settled"] == "paid"
    db["orders"].update_one({"order_id": funded}, {"$set": {"payment_status": "cancelled"}})  # after: the shop's
    integration.recover(grace_seconds=0)
    assert figures(api) == (40, 0, 40) and db["ledger_entries"].count_documents({"kind": "reversal"}) == 0


def test_a_live_hold_is_left_alone_by_the_worker(api, db, integration, funded):
    authorize(api, funded)
    stale = datetime.datetime.utcnow() - datetime.timedelta(hours=1)
    db["orders"].update_one({"order_id": funded}, {"$set": {"authorization.authorized_at": stale}})
    assert integration.recover(grace_seconds=60)["authorizations"] == 0
    assert figures(api) == (100, 60, 40) and order_status(api, funded) == "authorized"


@pytest.mark.parametrize("step", ["authorize", "capture", "void"])
def test_a_repeat_with_the_same_key_returns_the_first_answer(api, funded, step):
    key = {"Idempotency-Key": f"key-{step}", **bearer("cust_a")}
    first = authorize(api, funded, headers=key if step == "authorize" else None)
    if step == "capture":
        first = capture(api, funded, "30.00", headers=key)
    elif step == "void":
        first = void(api, funded, headers=key)
    again = {
        "authorize": lambda: authorize(api, funded, headers=key),
        "capture": lambda: capture(api, funded, "30.00", headers=key),
        "void": lambda: void(api, funded, headers=key),
    }[step]()
    assert (again.status_code, again.get_json()) == (first.status_code, first.get_json())


def test_refusals(api, funded):
    assert_error(authorize(api, funded, amount="59.00"), 400, "order_amount_mismatch")
    other = api.add_order("cust_a", 50000)
    assert_error(authorize(api, other, amount="500.00"), 402, "insufficient_funds")
    assert order_status(api, other) == "pending"
    assert_error(capture(api, funded, "10.00"), 409, "hold_not_found")  # never authorised
    assert authorize(api, funded).status_code == 200
    assert_error(authorize(api, funded), 409, "order_not_payable")  # authorised already
    assert_error(api.pay(funded, "cust_a", 60), 409, "order_not_payable")  # held, not payable
    assert_error(capture(api, funded, "10.00", headers=bearer("cust_b")), 403, "forbidden")  # SPEC §10
    assert_error(void(api, funded, headers=bearer("cust_b")), 403, "forbidden")
    assert order_status(api, funded) == "authorized"
    assert_error(authorize(api, funded, customer_id="cust_b", headers=bearer("cust_a")), 403, "forbidden")
    assert capture(api, funded, "10.00", headers=ADMIN).status_code == 200  # an admin may capture any
    refusal = authorize(api, funded)  # paid now (SPEC §10's errors: not `order_already_paid`)
    assert_error(refusal, 409, "order_not_payable")
    assert refusal.get_json()["message"] == "This order is already paid; it cannot be authorised."


def test_held_money_cannot_be_spent_or_withdrawn(api, funded):
    authorize(api, funded)
    other = api.add_order("cust_a", 5000)
    assert_error(api.pay(other, "cust_a", 50), 402, "insufficient_funds")
    assert api.pay(other, "cust_a", 50).status_code == 402
    response = api.client.get(f"{BASE}/wallet/cust_a/withdrawable", headers=bearer("cust_a"))
    assert response.get_json()["available"] == 40


def test_health_and_metrics_count_holds_past_their_time(api, db, funded):
    authorize(api, funded)
    db["orders"].update_one({"order_id": funded}, {"$set": {"authorization.expires_at": datetime.datetime(2000, 1, 1)}})
    assert api.client.get(f"{BASE}/health").get_json()["features"]["holds"] == {"expired": 1}
    assert "wallet_holds_expired 1.0" in api.client.get("/metrics").get_data(as_text=True)


def test_the_orders_list_shows_an_authorised_orders_hold(api, funded):
    authorize(api, funded)
    listed = api.client.get(f"{BASE}/orders?customer_id=cust_a&status=authorized", headers=bearer("cust_a")).get_json()
    [order] = listed["orders"]
    assert order["payment_status"] == "authorized"
    assert order["authorization"]["amount"] == 60 and order["authorization"]["expires_at"].endswith("Z")


def test_a_hold_a_gateway_took_back_cannot_be_captured_and_its_void_makes_the_order_payable_again(api, db, integration):
    _order, payment_id = razorpay_topup(api, db, "cust_a", "60.00")
    order_id = api.add_order("cust_a", 6000)
    authorize(api, order_id)
    integration.payments.gateway("razorpay").api.dashboard_refund(payment_id, 6000, "INR")  # cuts the hold away
    assert figures(api) == (0, 0, 0)
    assert_error(capture(api, order_id, "60.00"), 409, "hold_not_found")
    assert order_status(api, order_id) == "authorized"  # a refused capture changes nothing
    voided = void(api, order_id, headers={**bearer("cust_a"), "Idempotency-Key": "void-cut-1"})
    assert voided.status_code == 200, voided.get_json()
    assert voided.get_json() == {
        "success": True,
        "order_id": order_id,
        "payment_status": "pending",
        "released": 0,
        "available_balance": 0,
        "currency": "INR",
    }
    assert order_status(api, order_id) == "pending"
    audit = db["integration_logs"].find_one({"event": "order.voided", "order_id": order_id})
    assert (audit["amount_minor"], audit["reason"]) == (0, "the gateway took the held money back")
    again = void(api, order_id, headers={**bearer("cust_a"), "Idempotency-Key": "void-cut-1"})
    assert again.get_json() == voided.get_json()
    assert_error(void(api, order_id), 409, "hold_not_found")  # voided: nothing left to void
    assert integration.reconcile() == []


def test_a_hold_cut_in_part_can_be_captured_only_up_to_what_is_left(api, db, integration):
    razorpay_topup(api, db, "cust_a", "50.00")
    _order, payment_id = razorpay_topup(api, db, "cust_a", "50.00")
    order_id = api.add_order("cust_a", 8000)
    authorize(api, order_id, amount="80.00")
    integration.payments.gateway("razorpay").api.dashboard_refund(payment_id, 5000, "INR")  # 20 available, 30 cut
    assert figures(api) == (50, 50, 0)
    assert_error(capture(api, order_id, "60.00"), 409, "capture_exceeds_hold")
    assert capture(api, order_id, "50.00").get_json()["captured"] == 50
    assert integration.reconcile() == []


def test_released_is_what_the_hold_gave_back_after_a_take_back_cut_it(api, db, integration):
    razorpay_topup(api, db, "cust_a", "50.00")
    _order, payment_id = razorpay_topup(api, db, "cust_a", "50.00")
    order_id = api.add_order("cust_a", 8000)
    authorize(api, order_id, amount="80.00")
    integration.payments.gateway("razorpay").api.dashboard_refund(payment_id, 5000, "INR")  # the hold: 50.00 left
    body = capture(api, order_id, "10.00").get_json()
    assert (body["captured"], body["released"]) == (10, 40)


def test_a_hold_past_its_time_is_not_captured_before_the_worker_releases_it(api, db, funded):
    authorize(api, funded)
    db["orders"].update_one({"order_id": funded}, {"$set": {"authorization.expires_at": datetime.datetime(2000, 1, 1)}})
    assert_error(capture(api, funded, "60.00"), 409, "hold_not_found")
    assert figures(api) == (100, 60, 40)


def test_a_hold_past_its_time_is_voided_as_the_worker_would_release_it(api, db, integration, funded):
    authorize(api, funded)
    db["orders"].update_one({"order_id": funded}, {"$set": {"authorization.expires_at": datetime.datetime(2000, 1, 1)}})
    voided = void(api, funded)
    assert voided.status_code == 200, voided.get_json()
    assert_money(voided.get_json()["released"], 60)
    assert figures(api) == (100, 0, 100) and order_status(api, funded) == "pending"
    assert integration.recover(grace_seconds=60)["authorizations"] == 0  # nothing left for the worker
    assert integration.reconcile() == []


def test_a_capture_is_counted_in_the_statistics_as_a_capture(api, funded):
    authorize(api, funded)
    assert capture(api, funded, "45.00").status_code == 200
    statistics = api.status("cust_a").get_json()["statistics"]
    assert (statistics["topup_count"], statistics["payment_count"], statistics["capture_count"]) == (1, 0, 1)
    assert_money(statistics["total_captures"], 45)
    assert statistics["transaction_count"] == 2


def test_a_capture_retried_after_its_order_was_not_marked_finishes_it(api, db, integration, monkeypatch, funded):
    authorize(api, funded)
    marks = integration.authorizations.mark_captured
    monkeypatch.setattr(
        integration.authorizations, "mark_captured", lambda entry: (_ for _ in ()).throw(RuntimeError())
    )
    with pytest.raises(RuntimeError):
        WalletAccounts(integration).capture_order(funded, 6000)
    monkeypatch.setattr(integration.authorizations, "mark_captured", marks)
    entry, released = WalletAccounts(integration).capture_order(funded, 6000)
    assert (entry["amount_minor"], released) == (6000, 0)
    assert order_status(api, funded) == "paid" and figures(api) == (40, 0, 40)


def test_an_authorisation_retried_with_its_key_after_a_crash_returns_that_authorisation(
    api, integration, monkeypatch, funded
):
    hold = integration.holds.hold
    monkeypatch.setattr(integration.holds, "hold", lambda *a, **k: (_ for _ in ()).throw(RuntimeError()))
    with pytest.raises(RuntimeError):
        WalletAccounts(integration).authorize_order(funded, "cust_a", 6000, operation_id="idk_1")
    monkeypatch.setattr(integration.holds, "hold", hold)
    held = WalletAccounts(integration).authorize_order(funded, "cust_a", 6000, operation_id="idk_1")
    assert held["entry"]["kind"] == "checkout_hold" and figures(api) == (100, 60, 40)
    assert_error(authorize(api, funded), 409, "order_not_payable")  # another request: authorised already


def test_an_authorisation_retried_with_its_key_after_operation_pending_returns_its_hold(
    api, db, integration, monkeypatch, funded
):
    """Found by a review: the hold was made, its audit entry failed (503 `operation_pending`), the
    5xx dropped the key's claim, and the retry (a new claim, a new operation id) was 409
    `order_not_payable` with the money still held. The retry takes the claim over: 200, the same hold."""
    failing_once(monkeypatch, OrderHolds, "_audit")
    headers = {**bearer("cust_a"), "Idempotency-Key": "key-authorize-503"}
    first = authorize(api, funded, headers=headers)
    assert (first.status_code, first.get_json()["error"]) == (503, "operation_pending")
    again = authorize(api, funded, headers=headers)
    assert again.status_code == 200, again.get_json()
    hold_id = db["orders"].find_one({"order_id": funded})["authorization"]["hold_id"]
    assert again.get_json()["hold_id"] == hold_id
    assert db["ledger_entries"].count_documents({"kind": "checkout_hold"}) == 1
    assert figures(api) == (100, 60, 40)


@pytest.mark.parametrize(
    "first_life, second_life", [("paid", "captured"), ("captured", "captured"), ("captured", "paid")]
)
def test_the_refunds_of_a_reissued_orders_capture_are_capped_by_what_it_captured(api, db, first_life, second_life):
    """Found by a red-team pass: an authorisation took the order's ticket as its life, which a
    re-issued order shares with its earlier life (None), so the new capture's refunds took places
    among the old life's: 90.00 refunded against a 50.00 capture. An authorisation has a life of its own."""
    api.topup("cust_a", "200.00")
    order_id = api.add_order("cust_a", 10000)
    for life, amount in ((first_life, "100.00"), (second_life, "50.00")):
        if life == "paid":
            assert api.pay(order_id, "cust_a", float(amount)).status_code == 200
        else:
            assert authorize(api, order_id, amount).status_code == 200
            assert capture(api, order_id, amount, ADMIN).status_code == 200
        if life == first_life and amount == "100.00":
            assert api.refund(order_id, "cust_a", 10).status_code == 200
            db["orders"].delete_one({"order_id": order_id})  # the shop writes it anew, for 50.00
            api.add_order("cust_a", 5000, order_id=order_id)
    assert [api.refund(order_id, "cust_a", amount).status_code for amount in (30, 20)] == [200, 200]
    assert_error(api.refund(order_id, "cust_a", 40), 409, "refund_exceeds_paid")
    order = db["orders"].find_one({"order_id": order_id})
    assert (order["paid_minor"], order["refunded_minor"], order["payment_status"]) == (5000, 5000, "refunded")
    assert balance_minor(db, "cust_a") == 20000 - 10000 + 1000 - 5000 + 5000
