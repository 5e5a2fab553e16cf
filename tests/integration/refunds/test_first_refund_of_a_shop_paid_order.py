"""The first refund of an order paid at the shop's checkout pins the order's refund wallet and life;
what the checkout took is pinned only when that refund rolls in. So a first refund that never
happened (its process died, or the store refused its insert) caps nothing later, and one refused
for a reused Idempotency-Key pins nothing (found by a red-team pass)."""

import pytest

from tests.faults import SimulatedCrash, crashing_integration
from tests.helpers import bearer, snapshot
from tests.integration.support import balance_minor, failing_once


def paid_at_the_shop(api, db, customer_id, amount_minor):
    order_id = api.add_order(customer_id, amount_minor)
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "paid"}})
    return order_id


def reopened_and_paid_at_the_shop(db, order_id, amount_minor):
    db["orders"].update_one(
        {"order_id": order_id}, {"$set": {"payment_status": "pending", "amount_minor": amount_minor}}
    )
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "paid"}})


def test_a_first_refund_that_died_caps_nothing_after_the_shop_took_another_amount(app, api, db, integration):
    api.topup("cust_p1", "10")
    order_id = paid_at_the_shop(api, db, "cust_p1", 2500)
    try:  # the pin is written, then the process dies before the refund's insert
        crashing_integration(app, db, crash_at=2)[0].process_refund_to_wallet(order_id, "cust_p1", 2500, "x", "rf_p1")
    except SimulatedCrash:
        pass
    integration.recover(grace_seconds=0)
    reopened_and_paid_at_the_shop(db, order_id, 1000)
    assert api.refund(order_id, "cust_p1", 25).status_code == 409  # the checkout took 10.00
    assert api.refund(order_id, "cust_p1", 10).status_code == 200
    assert balance_minor(db, "cust_p1") == 2000 and integration.reconcile() == []


def test_a_first_refund_the_store_refused_caps_nothing_after_the_shop_took_another_amount(
    api, db, integration, monkeypatch
):
    api.topup("cust_p2", "10")
    order_id = paid_at_the_shop(api, db, "cust_p2", 2500)
    failing_once(monkeypatch, integration.wallet.entries, "insert_one")
    assert api.refund(order_id, "cust_p2", 25).status_code == 503
    monkeypatch.undo()
    reopened_and_paid_at_the_shop(db, order_id, 1000)
    assert api.refund(order_id, "cust_p2", 25).status_code == 409
    assert balance_minor(db, "cust_p2") == 1000 and integration.reconcile() == []


def test_a_refund_refused_for_a_reused_key_pins_nothing(api, db):
    api.topup("cust_p3", "10")
    first, second = paid_at_the_shop(api, db, "cust_p3", 2500), paid_at_the_shop(api, db, "cust_p3", 2500)
    admin = dict(bearer("admin_1", "admin"), **{"Idempotency-Key": "k-p3"})
    assert api.refund(first, "cust_p3", 10, headers=admin).status_code == 200
    db["idempotency_keys"].delete_many({})  # a day later: the key's record expired
    before = db["orders"].find_one({"order_id": second})
    refused = api.refund(second, "cust_p3", 10, headers=admin)
    assert (refused.status_code, refused.get_json()["error"]) == (409, "idempotency_key_reused")
    assert db["orders"].find_one({"order_id": second}) == before


def test_what_the_checkout_took_is_kept_once_the_first_refund_rolled_in(api, db, integration):
    api.topup("cust_p4", "10")
    order_id = paid_at_the_shop(api, db, "cust_p4", 2500)
    assert api.refund(order_id, "cust_p4", 10).status_code == 200
    db["orders"].update_one({"order_id": order_id}, {"$set": {"amount_minor": 1000}})  # the shop changes it
    assert api.refund(order_id, "cust_p4", 15).status_code == 200  # 25.00 was taken: 15.00 still fits
    assert api.refund(order_id, "cust_p4", 1).status_code == 409
    assert integration.reconcile() == []


def test_a_shop_paid_order_whose_refund_count_the_shop_wrote_as_null_is_refunded(api, db, integration):
    """Found by a red-team pass: `refund_seq: null` (no refund yet, as the order's roll reads it) made
    the refund fail with a TypeError (500)."""
    order_id = paid_at_the_shop(api, db, "cust_p3", 2500)
    db["orders"].update_one({"order_id": order_id}, {"$set": {"refund_seq": None}})
    assert api.refund(order_id, "cust_p3", 10).status_code == 200
    assert balance_minor(db, "cust_p3") == 1000 and integration.reconcile() == []


@pytest.mark.parametrize("refund_seq", ["1", "", [], False, 1.5])
def test_a_shop_paid_order_whose_refund_count_is_no_number_is_not_refunded(api, db, refund_seq):
    order_id = paid_at_the_shop(api, db, "cust_p4", 2500)
    db["orders"].update_one({"order_id": order_id}, {"$set": {"refund_seq": refund_seq}})
    before = snapshot(db)
    refused = api.refund(order_id, "cust_p4", 10)
    assert (refused.status_code, refused.get_json()["error"]) == (409, "order_not_refundable")
    assert snapshot(db) == before
