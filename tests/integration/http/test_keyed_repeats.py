"""Repeats of keyed refunds and payments (their Idempotency-Key kept by the ledger entry, not a claim;
backend/idempotency.py) after the shop changed the order: reissued in another currency, malformed,
refunded by other keys, reopened, moved to another customer and back. The entry the key made answers
each repeat as the first request was answered, and no money moves twice. Written by a red-team pass;
the moved, reopened, reissued and malformed cases failed before the entry was consulted first."""

import pytest

from tests.conftest import app_with
from tests.helpers import bearer, run_in_threads, snapshot, unique
from tests.integration.support import assert_error, balance_minor, paid_order

ADMIN = bearer("admin_1", "admin")


@pytest.fixture
def app():
    yield from app_with(SUPPORTED_CURRENCIES="INR,USD,JPY")


def with_key(headers, key):
    return dict(headers, **{"Idempotency-Key": key})


def refund(api, order_id, customer_id, amount, key, currency=None, reason="rt"):
    body = {"order_id": order_id, "customer_id": customer_id, "amount": amount, "reason": reason}
    if currency is not None:
        body["currency"] = currency
    return api.post("/order/refund-to-wallet", body, with_key(ADMIN, key))


def refunds_of(db, order_id):
    return list(db["ledger_entries"].find({"kind": "refund", "reference.order_id": order_id}))


def reissue(db, order_id, **changes):
    order = db["orders"].find_one({"order_id": order_id})
    fields = ("order_id", "customer_id", "amount_minor", "currency", "payment_status")
    db["orders"].replace_one(
        {"order_id": order_id}, dict({k: order[k] for k in fields}, payment_status="pending", **changes)
    )


def keyed_payment(api, key):
    """A new customer with 100.00 pays a pending 30.00 order under `key`: (customer, order id, the
    request's headers, its 200 answer)."""
    customer = unique("cust")
    api.topup(customer, 100)
    order_id = api.add_order(customer, 3000)
    headers = with_key(bearer(customer), key)
    first = api.pay(order_id, customer, 30, headers=headers)
    assert first.status_code == 200
    return customer, order_id, headers, first


# --- refunds ---------------------------------------------------------------------------------------


def test_refund_repeat_after_the_shop_reissued_the_order_in_another_currency_answers_the_refund(api, db, integration):
    customer = unique("cust")
    order_id = paid_order(api, customer, 10000)
    key = unique("k")
    first = refund(api, order_id, customer, 30, key, currency="INR")
    assert first.status_code == 200, first.get_json()
    reissue(db, order_id, currency="JPY")  # the shop writes the order anew, in another currency
    again = refund(api, order_id, customer, 30, key, currency="INR")
    assert (again.status_code, again.get_json()) == (200, first.get_json())
    assert len(refunds_of(db, order_id)) == 1


def test_refund_repeat_after_the_shop_wrote_a_malformed_order_answers_the_refund(api, db, integration):
    customer = unique("cust")
    order_id = paid_order(api, customer, 10000)
    key = unique("k")
    first = refund(api, order_id, customer, 30, key)
    assert first.status_code == 200, first.get_json()
    db["orders"].update_one({"order_id": order_id}, {"$set": {"amount_minor": 100.5}})
    again = refund(api, order_id, customer, 30, key)
    assert (again.status_code, again.get_json()) == (200, first.get_json())


def test_refund_repeat_after_other_keys_refunded_the_rest(api, db, integration):
    customer = unique("cust")
    order_id = paid_order(api, customer, 10000)
    first = refund(api, order_id, customer, 30, "k-a")
    assert first.status_code == 200
    assert refund(api, order_id, customer, 70, "k-b").status_code == 200
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "refunded"
    again = refund(api, order_id, customer, 30, "k-a")
    assert (again.status_code, again.get_json()) == (200, first.get_json())
    assert_error(refund(api, order_id, customer, 1, "k-c"), 409, "refund_exceeds_paid")
    assert balance_minor(db, customer) == 10000
    assert integration.reconcile() == []


def test_refund_repeat_after_reopen_and_pay_again(api, db, integration):
    customer = unique("cust")
    order_id = paid_order(api, customer, 10000)
    first = refund(api, order_id, customer, 100, "k-full")
    assert first.status_code == 200
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "pending"}})
    assert api.pay(order_id, customer, 100).status_code == 200
    again = refund(api, order_id, customer, 100, "k-full")
    assert (again.status_code, again.get_json()) == (200, first.get_json())
    assert len(refunds_of(db, order_id)) == 1
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "paid"
    assert integration.reconcile() == []


def test_refund_repeat_after_reissue_pending(api, db, integration):
    customer = unique("cust")
    order_id = paid_order(api, customer, 10000)
    first = refund(api, order_id, customer, 40, "k-ri")
    reissue(db, order_id)
    again = refund(api, order_id, customer, 40, "k-ri")
    assert (again.status_code, again.get_json()) == (200, first.get_json())
    assert len(refunds_of(db, order_id)) == 1


def test_refund_key_first_404_then_order_exists(api, db, integration):
    customer = unique("cust")
    api.topup(customer, 100)
    order_id = unique("ord")
    first = refund(api, order_id, customer, 30, "k-404")
    assert_error(first, 404, "order_not_found")
    api.add_order(customer, 10000, order_id=order_id)
    assert api.pay(order_id, customer, 100).status_code == 200
    again = refund(api, order_id, customer, 30, "k-404")
    assert (again.status_code, again.get_json()) == (404, first.get_json())
    before = snapshot(db)
    assert_error(refund(api, order_id, customer, 31, "k-404"), 409, "idempotency_key_reused")
    assert snapshot(db) == before
    assert len(refunds_of(db, order_id)) == 0


def test_refund_key_used_then_404_body_is_409(api, db, integration):
    customer = unique("cust")
    order_id = paid_order(api, customer, 10000)
    assert refund(api, order_id, customer, 30, "k-x").status_code == 200
    before = snapshot(db)
    assert_error(refund(api, unique("ord"), customer, 30, "k-x"), 409, "idempotency_key_reused")
    assert snapshot(db) == before
    # and the key still answers its refund
    assert refund(api, order_id, customer, 30, "k-x").status_code == 200
    assert len(refunds_of(db, order_id)) == 1


def test_refund_key_other_body_reason_only_is_409_nothing_written(api, db, integration):
    customer = unique("cust")
    order_id = paid_order(api, customer, 10000)
    assert refund(api, order_id, customer, 30, "k-r", reason="a").status_code == 200
    before = snapshot(db)
    assert_error(refund(api, order_id, customer, 30, "k-r", reason="b"), 409, "idempotency_key_reused")
    assert snapshot(db) == before


def test_refund_key_two_currencies(api, db, integration):
    customer = unique("cust")
    order_id = paid_order(api, customer, 10000)
    first = refund(api, order_id, customer, 30, "k-cur")
    assert first.status_code == 200
    # same amount and order, currency named: another body
    assert_error(refund(api, order_id, customer, 30, "k-cur", currency="INR"), 409, "idempotency_key_reused")
    # a USD order with the same key: 409
    usd_order = api.add_order(customer, 3000, currency="USD")
    db["orders"].update_one({"order_id": usd_order}, {"$set": {"payment_status": "paid"}})  # at the shop
    assert_error(refund(api, usd_order, customer, 30, "k-cur", currency="USD"), 409, "idempotency_key_reused")
    assert db["wallets"].find_one({"_id": f"{customer}:USD"}) is None
    again = refund(api, order_id, customer, 30, "k-cur")
    assert (again.status_code, again.get_json()) == (200, first.get_json())


def test_concurrent_repeats_of_one_key_against_other_keys_never_exceed_paid(api, db, integration):
    for round_ in range(5):
        customer = unique("cust")
        order_id = paid_order(api, customer, 10000)

        def go(i, order_id=order_id, customer=customer, round_=round_):
            if i < 6:
                return ("K", refund(api, order_id, customer, 60, f"k-same-{round_}"))
            return ("B", refund(api, order_id, customer, 60, f"k-other-{round_}-{i}"))

        answers = run_in_threads(10, go)
        refunds = refunds_of(db, order_id)
        assert sum(e["amount_minor"] for e in refunds) <= 10000
        k_answers = {(a.status_code, a.get_data()) for who, a in answers if who == "K"}
        assert len(k_answers) == 1, k_answers
        again = refund(api, order_id, customer, 60, f"k-same-{round_}")
        assert {(again.status_code, again.get_data())} == k_answers
        assert integration.reconcile() == []


# --- payments (the same folding, 77bce3b) ------------------------------------------------------------


def test_pay_repeat_after_the_shop_reissued_the_order_moves_no_money(api, db, integration):
    customer, order_id, headers, first = keyed_payment(api, "pay-key")
    reissue(db, order_id)
    again = api.pay(order_id, customer, 30, headers=headers)
    assert (again.status_code, again.get_json()) == (200, first.get_json())
    assert db["ledger_entries"].count_documents({"kind": "payment", "customer_id": customer}) == 1
    assert balance_minor(db, customer) == 7000


def test_pay_repeat_after_the_shop_reopened_the_order_with_another_amount(api, db, integration):
    customer, order_id, headers, first = keyed_payment(api, "pay-key2")
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "pending", "amount_minor": 4000}})
    again = api.pay(order_id, customer, 30, headers=headers)
    assert (again.status_code, again.get_json()) == (200, first.get_json())


def test_pay_repeat_after_the_shop_reopened_the_order_moves_no_money(api, db, integration):
    customer, order_id, headers, first = keyed_payment(api, "pay-key3")
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "pending"}})  # the shop reopens
    again = api.pay(order_id, customer, 30, headers=headers)
    assert db["ledger_entries"].count_documents({"kind": "payment", "customer_id": customer}) == 1
    assert balance_minor(db, customer) == 7000
    assert (again.status_code, again.get_json()) == (200, first.get_json())


def test_refund_repeat_after_the_shop_moved_the_order_to_another_customer_answers_the_refund(api, db, integration):
    customer = unique("cust")
    order_id = paid_order(api, customer, 10000)
    first = refund(api, order_id, customer, 30, "k-moved")
    assert first.status_code == 200
    db["orders"].update_one({"order_id": order_id}, {"$set": {"customer_id": unique("other")}})  # the shop moves it
    again = refund(api, order_id, customer, 30, "k-moved")
    assert (again.status_code, again.get_json()) == (200, first.get_json())


def test_pay_repeat_after_the_shop_moved_the_order_to_another_customer_answers_the_payment(api, db, integration):
    customer, order_id, headers, first = keyed_payment(api, "pay-moved")
    db["orders"].update_one({"order_id": order_id}, {"$set": {"customer_id": unique("other")}})
    again = api.pay(order_id, customer, 30, headers=headers)
    assert (again.status_code, again.get_json()) == (200, first.get_json())


def test_refund_key_answers_its_refund_once_the_moved_order_is_moved_back(api, db, integration):
    customer = unique("cust")
    order_id = paid_order(api, customer, 10000)
    first = refund(api, order_id, customer, 30, "k-moved-back")
    assert first.status_code == 200
    db["orders"].update_one({"order_id": order_id}, {"$set": {"customer_id": "someone_else"}})
    refund(api, order_id, customer, 30, "k-moved-back")  # answered 404 (see above)
    db["orders"].update_one({"order_id": order_id}, {"$set": {"customer_id": customer}})
    again = refund(api, order_id, customer, 30, "k-moved-back")
    assert db["idempotency_keys"].count_documents({}) == 0, list(db["idempotency_keys"].find({}))
    assert (again.status_code, again.get_json()) == (200, first.get_json())


def test_two_refund_bodies_sent_at_once_under_one_key_the_other_is_409_every_time(api, db, monkeypatch):
    """Found by a red-team pass: a body differing only in `reason`, sent while the first was being
    refunded, was answered the first's 200 (its repeat later 409)."""
    from backend.idempotency import KeyedOperation

    customer = unique("cust")
    order_id = paid_order(api, customer, 10000)
    earlier, first = KeyedOperation.earlier, {}

    def the_first_runs_meanwhile(self, document):
        made = earlier(self, document)
        if not first:
            first["answer"] = None
            first["answer"] = refund(api, order_id, customer, 30, "k-reasons", reason="a")
        return made

    with monkeypatch.context() as patch:
        patch.setattr(KeyedOperation, "earlier", the_first_runs_meanwhile)
        second = refund(api, order_id, customer, 30, "k-reasons", reason="b")
    assert first["answer"].status_code == 200
    assert_error(second, 409, "idempotency_key_reused")
    assert_error(refund(api, order_id, customer, 30, "k-reasons", reason="b"), 409, "idempotency_key_reused")
    assert len(refunds_of(db, order_id)) == 1
