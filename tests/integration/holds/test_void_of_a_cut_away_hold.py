"""The void of a hold a gateway's take-back cut away whole releases nothing, yet writes its release
(a memo of 0, keyed by the hold, with the request's operation): a retry of that void (after a 5xx
freed its key's claim) is answered from the ledger, and never voids a later authorisation of the
order, whatever the shop or other voids wrote on the order meanwhile."""

import datetime

from pymongo.errors import AutoReconnect

from backend.flows.order_holds import OrderHolds
from tests.helpers import bearer
from tests.integration.after_credit.support import razorpay_topup
from tests.integration.holds.test_order_holds import authorize, capture, figures, order_status, void
from tests.integration.orders.test_order_lives import reissue
from tests.integration.support import assert_error, failing_once


def cut_away(api, db, integration):
    _order, payment_id = razorpay_topup(api, db, "cust_a", "60.00")
    order_id = api.add_order("cust_a", 6000)
    assert authorize(api, order_id).status_code == 200
    integration.payments.gateway("razorpay").api.dashboard_refund(payment_id, 6000, "INR")
    assert figures(api) == (0, 0, 0) and order_status(api, order_id) == "authorized"
    return order_id


def void_failing_after_the_order_was_written(api, order_id, headers, monkeypatch):
    with monkeypatch.context() as patch:
        failing_once(patch, OrderHolds, "_audit")  # the store fails after the order was made pending
        first = void(api, order_id, headers=headers)
    assert first.status_code >= 500 and order_status(api, order_id) == "pending"


def test_a_retried_void_of_a_cut_away_hold_answers_as_its_first_try_would_have(api, db, integration, monkeypatch):
    order_id = cut_away(api, db, integration)
    headers = {**bearer("cust_a"), "Idempotency-Key": "void-cut-1"}
    void_failing_after_the_order_was_written(api, order_id, headers, monkeypatch)
    again = void(api, order_id, headers=headers)
    assert again.status_code == 200, again.get_json()
    assert (again.get_json()["released"], again.get_json()["payment_status"]) == (0, "pending")
    assert db["integration_logs"].count_documents({"event": "order.voided", "order_id": order_id}) == 1
    assert integration.reconcile() == []


def test_a_retried_void_never_voids_a_later_authorisation(api, db, integration, monkeypatch):
    order_id = cut_away(api, db, integration)
    headers = {**bearer("cust_a"), "Idempotency-Key": "void-cut-2"}
    void_failing_after_the_order_was_written(api, order_id, headers, monkeypatch)
    api.topup("cust_a", "60.00")
    assert authorize(api, order_id).status_code == 200  # the order authorised anew
    hold_id = db["orders"].find_one({"order_id": order_id})["authorization"]["hold_id"]
    again = void(api, order_id, headers=headers)  # the client retries its first void
    assert again.status_code == 200 and again.get_json()["released"] == 0
    assert order_status(api, order_id) == "authorized"
    assert db["orders"].find_one({"order_id": order_id})["authorization"]["hold_id"] == hold_id
    assert figures(api) == (60, 60, 0)
    assert integration.reconcile() == []


def test_a_retried_void_never_voids_the_authorisation_of_an_order_the_shop_reissued(api, db, integration, monkeypatch):
    order_id = cut_away(api, db, integration)
    headers = {**bearer("cust_a"), "Idempotency-Key": "void-cut-reissued"}
    void_failing_after_the_order_was_written(api, order_id, headers, monkeypatch)
    reissue(db, order_id)  # the shop writes the order anew (its own fields only)
    api.topup("cust_a", "60.00")
    assert authorize(api, order_id).status_code == 200
    again = void(api, order_id, headers=headers)  # the client retries its first void
    assert again.status_code == 200 and again.get_json()["released"] == 0, again.get_json()
    assert order_status(api, order_id) == "authorized"
    assert figures(api) == (60, 60, 0)


def test_a_retried_void_never_voids_a_third_authorisation_after_a_second_cut_away_void(
    api, db, integration, monkeypatch
):
    order_id = cut_away(api, db, integration)
    first = {**bearer("cust_a"), "Idempotency-Key": "void-cut-first"}
    void_failing_after_the_order_was_written(api, order_id, first, monkeypatch)
    # authorised anew, that hold cut away too, and voided under another key
    _order, payment_id = razorpay_topup(api, db, "cust_a", "60.00")
    assert authorize(api, order_id).status_code == 200
    integration.payments.gateway("razorpay").api.dashboard_refund(payment_id, 6000, "INR")
    second = void(api, order_id, headers={**bearer("cust_a"), "Idempotency-Key": "void-cut-second"})
    assert second.status_code == 200 and second.get_json()["released"] == 0
    api.topup("cust_a", "60.00")
    assert authorize(api, order_id).status_code == 200  # a third authorisation
    again = void(api, order_id, headers=first)  # the client retries its very first void
    assert again.status_code == 200 and again.get_json()["released"] == 0, again.get_json()
    assert order_status(api, order_id) == "authorized"
    assert figures(api) == (60, 60, 0)


def test_a_capture_racing_the_void_of_a_cut_away_hold_finds_no_hold(api, db, integration, monkeypatch):
    """The void's memo closes the hold: a capture that read the order before is 409 `hold_not_found`, not
    `capture_exceeds_hold` (it asked for less than was authorised)."""
    order_id = cut_away(api, db, integration)
    capture_as_read = OrderHolds._capture

    def void_first(self, *args, **kwargs):
        monkeypatch.setattr(OrderHolds, "_capture", capture_as_read)
        assert void(api, order_id).status_code == 200
        return capture_as_read(self, *args, **kwargs)

    monkeypatch.setattr(OrderHolds, "_capture", void_first)
    assert_error(capture(api, order_id, "10.00"), 409, "hold_not_found")
    assert order_status(api, order_id) == "pending" and figures(api) == (0, 0, 0)
    assert integration.reconcile() == []


def test_the_workers_expiry_meeting_a_void_of_a_cut_away_hold_audits_the_void_only(api, db, integration, monkeypatch):
    order_id = cut_away(api, db, integration)
    db["orders"].update_one(
        {"order_id": order_id}, {"$set": {"authorization.expires_at": datetime.datetime(2000, 1, 1)}}
    )
    release = OrderHolds._release
    voided = []

    def void_before_the_workers_release(self, order, authorization, must_exist=True, operation_id=None):
        if not voided and operation_id is None:  # the worker's release (the void below has a key)
            voided.append(void(api, order_id, headers={**bearer("cust_a"), "Idempotency-Key": "void-cut-7"}))
        return release(self, order, authorization, must_exist=must_exist, operation_id=operation_id)

    monkeypatch.setattr(OrderHolds, "_release", void_before_the_workers_release)
    integration.recover(grace_seconds=0)
    assert [response.status_code for response in voided] == [200]
    events = [e["event"] for e in db["integration_logs"].find({"order_id": order_id, "event": {"$regex": "^order\\."}})]
    assert "order.voided" in events and "order.authorization_expired" not in events
    assert order_status(api, order_id) == "pending" and figures(api) == (0, 0, 0)
    assert integration.reconcile() == []


def test_a_void_answered_by_the_workers_closing_of_a_hold_never_made_blames_no_gateway(
    api, db, integration, monkeypatch
):
    api.topup("cust_a", "100.00")
    order_id = api.add_order("cust_a", 6000)
    with monkeypatch.context() as patch:
        patch.setattr(integration.holds, "hold", lambda *_a, **_k: (_ for _ in ()).throw(AutoReconnect("gone")))
        authorize(api, order_id)  # the authorisation dies before its hold
    db["orders"].update_one(
        {"order_id": order_id}, {"$set": {"authorization.authorized_at": datetime.datetime(2000, 1, 1)}}
    )
    read_order = OrderHolds._order

    def read_then_the_worker_closes_it(self, *args, **kwargs):
        order = read_order(self, *args, **kwargs)
        integration.recover(grace_seconds=0)
        return order

    monkeypatch.setattr(OrderHolds, "_order", read_then_the_worker_closes_it)
    void(api, order_id)
    voided = db["integration_logs"].find_one({"event": "order.voided", "order_id": order_id})
    assert voided is not None and voided.get("reason") is None
    assert integration.reconcile() == []
