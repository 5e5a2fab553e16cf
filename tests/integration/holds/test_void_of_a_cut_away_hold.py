"""The void of a hold a gateway's take-back cut away whole releases nothing, yet writes its release
(a memo of 0, keyed by the hold, with the request's operation): a retry of that void (after a 5xx
freed its key's claim) is answered from the ledger, and never voids a later authorisation of the
order, whatever the shop or other voids wrote on the order meanwhile."""

from backend.flows.order_holds import OrderHolds
from tests.helpers import bearer
from tests.integration.after_credit.support import razorpay_topup
from tests.integration.holds.test_order_holds import authorize, figures, order_status, void
from tests.integration.orders.test_order_lives import reissue
from tests.integration.support import failing_once


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
