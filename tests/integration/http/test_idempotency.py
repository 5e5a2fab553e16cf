"""Idempotency-Key on initiate, pay and refund: the same key and body move money once, another body
under the key is 409, a key of its own is another request."""

import datetime
import hashlib
import time

import pytest
from pymongo.errors import PyMongoError

from backend.clock import utcnow
from backend.errors import IdempotencyKeyInProgress
from backend.idempotency import WAIT_SECONDS_MAX, IdempotencyStore, KeyedOperation, request_fingerprint
from tests.helpers import BASE, bearer, run_in_threads, snapshot, unique
from tests.integration.support import assert_error, balance_minor, cancelled_while_paying, paid_order

ADMIN = bearer("admin_1", "admin")

SHOP_FIELDS = ("order_id", "customer_id", "amount_minor", "currency", "payment_status")


def test_idempotency_key_released_after_500(api, db, integration, monkeypatch):
    key = {"Idempotency-Key": unique("idk")}
    headers = {**bearer("cust_a"), **key}

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    with monkeypatch.context() as patch:
        patch.setattr(integration, "initiate_wallet_topup_payment", broken)
        assert_error(api.initiate("cust_a", 10, headers=headers), 500, "internal_error")
    retry = api.initiate("cust_a", 10, headers=headers)
    assert retry.status_code == 200, retry.get_json()
    assert len(list(db["payment_orders"].find({}))) == 1


# --- Idempotency-Key on POSTs 1, 3 and 4 -------------------------------------------------------
def with_key(headers, key):
    return {**headers, "Idempotency-Key": key}


def test_initiate_same_key_same_body_once(api, db):
    headers = with_key(bearer("cust_a"), "key-1")
    first = api.initiate("cust_a", 10, headers=headers)
    second = api.initiate("cust_a", 10, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_json() == first.get_json()
    assert len(list(db["payment_orders"].find({}))) == 1


def test_initiate_without_key_twice_is_two_topups(api, db):
    first = api.initiate("cust_a", 10)
    second = api.initiate("cust_a", 10)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.get_json()["payment_order_id"] != second.get_json()["payment_order_id"]
    assert len(list(db["payment_orders"].find({}))) == 2


def test_initiate_different_keys_are_two_topups(api, db):
    first = api.initiate("cust_a", 10, headers=with_key(bearer("cust_a"), "key-1"))
    second = api.initiate("cust_a", 10, headers=with_key(bearer("cust_a"), "key-2"))
    assert first.get_json()["payment_order_id"] != second.get_json()["payment_order_id"]
    assert len(list(db["payment_orders"].find({}))) == 2


def test_same_key_two_customers_are_independent(api, db):
    first = api.initiate("cust_a", 10, headers=with_key(bearer("cust_a"), "key-1"))
    second = api.initiate("cust_b", 10, headers=with_key(bearer("cust_b"), "key-1"))
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.get_json()["payment_order_id"] != second.get_json()["payment_order_id"]


def test_pay_same_key_same_body_moves_money_once(api, db):
    api.topup("cust_a", 100)
    order_id = api.add_order("cust_a", 3000)
    headers = with_key(bearer("cust_a"), "key-pay")
    first = api.pay(order_id, "cust_a", 30, headers=headers)
    second = api.pay(order_id, "cust_a", 30, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_json() == first.get_json()
    assert balance_minor(db, "cust_a") == 7000
    assert len(list(db["ledger_entries"].find({"kind": "payment"}))) == 1


def test_pay_repeats_of_one_key_at_once_move_money_once_and_answer_alike(api, db):
    """A payment's success is not stored under its key (the ledger answers a repeat): repeats that
    arrive while the first still runs run with it, and the ledger keeps them to one debit."""
    api.topup("cust_a", 100)
    order_id = api.add_order("cust_a", 3000)
    headers = with_key(bearer("cust_a"), "key-pay-race")
    answers = run_in_threads(8, lambda _: api.pay(order_id, "cust_a", 30, headers=headers))
    assert {a.status_code for a in answers} == {200}, [a.get_json() for a in answers]
    assert len({a.get_data() for a in answers}) == 1
    assert balance_minor(db, "cust_a") == 7000
    assert len(list(db["ledger_entries"].find({"kind": "payment"}))) == 1


def test_pay_refused_under_a_key_is_refused_alike_once_the_wallet_could_pay(api, db):
    """A payment's key is kept by the ledger; only a refusal is stored under it, and a repeat answers it."""
    order_id = api.add_order("cust_r", 3000)
    headers = with_key(bearer("cust_r"), "key-pay-refused")
    first = api.pay(order_id, "cust_r", 30, headers=headers)
    assert_error(first, 402, "insufficient_funds")
    api.topup("cust_r", 100)
    again = api.pay(order_id, "cust_r", 30, headers=headers)
    assert (again.status_code, again.get_json()) == (402, first.get_json())
    assert balance_minor(db, "cust_r") == 10000
    other_order_id = api.add_order("cust_r", 3000)
    assert_error(api.pay(other_order_id, "cust_r", 30, headers=headers), 409, "idempotency_key_reused")


def test_pay_repeat_is_answered_from_the_debit_and_writes_nothing(api, db):
    api.topup("cust_w", 100)
    order_id = api.add_order("cust_w", 3000)
    headers = with_key(bearer("cust_w"), "key-pay-once")
    first = api.pay(order_id, "cust_w", 30, headers=headers)
    assert first.status_code == 200, first.get_json()
    assert db["idempotency_keys"].count_documents({}) == 0  # the debit keeps the key
    before = snapshot(db)
    again = api.pay(order_id, "cust_w", 30, headers=headers)
    assert (again.status_code, again.get_json()) == (200, first.get_json())
    assert snapshot(db) == before


def test_pay_key_used_again_after_its_day_is_a_new_payment(api, db):
    """A key lives 24 h (its record's TTL); a debit made with it more than 24 h ago no longer claims it."""
    api.topup("cust_d", 100)
    first_order, second_order = api.add_order("cust_d", 3000), api.add_order("cust_d", 3000)
    headers = with_key(bearer("cust_d"), "key-pay-daily")
    assert api.pay(first_order, "cust_d", 30, headers=headers).status_code == 200
    assert_error(api.pay(second_order, "cust_d", 30, headers=headers), 409, "idempotency_key_reused")
    day_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=24, minutes=1)
    db["ledger_entries"].update_many({"kind": "payment"}, {"$set": {"created_at": day_ago}})
    second = api.pay(second_order, "cust_d", 30, headers=headers)
    assert second.status_code == 200, second.get_json()
    assert balance_minor(db, "cust_d") == 4000


def age_entries(db, kind):
    """Entries of `kind` made 24 h and a minute ago: past their key's life."""
    day_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=24, minutes=1)
    db["ledger_entries"].update_many({"kind": kind}, {"$set": {"created_at": day_ago}})


def test_pay_key_used_again_after_its_day_on_the_order_the_shop_reissued_pays_it(api, db):
    """Found by a red-team pass: the re-issued order (the shop replaced the paid one's document) met
    the old debit under its first life's key, taken as this key's, and was answered 200 with it
    while nothing was paid."""
    api.topup("cust_ri", 100)
    order_id = api.add_order("cust_ri", 3000)
    headers = with_key(bearer("cust_ri"), "key-pay-reissued")
    first = api.pay(order_id, "cust_ri", 30, headers=headers)
    assert first.status_code == 200
    age_entries(db, "payment")
    db["orders"].delete_one({"order_id": order_id})
    api.add_order("cust_ri", 3000, order_id=order_id)
    second = api.pay(order_id, "cust_ri", 30, headers=headers)
    assert second.status_code == 200, second.get_json()
    assert second.get_json()["transaction_id"] != first.get_json()["transaction_id"]
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "paid"
    assert balance_minor(db, "cust_ri") == 4000


def test_refund_key_used_again_after_its_day_is_a_new_refund(api, db):
    """Found by a red-team pass: the refund's ledger key was the key's alone, so the same body a day
    later was answered 200 with the old refund and credited nothing, and another body was 409."""
    order_id = paid_order(api, "cust_rd", 10000)
    headers = with_key(bearer("admin_1", "admin"), "key-refund-daily")
    first = api.refund(order_id, "cust_rd", 10, headers=headers)
    assert first.status_code == 200
    age_entries(db, "refund")
    db["idempotency_keys"].delete_many({})  # as the TTL index does
    second = api.refund(order_id, "cust_rd", 10, headers=headers)
    assert second.status_code == 200, second.get_json()
    assert second.get_json()["transaction_id"] != first.get_json()["transaction_id"]
    assert api.refund(order_id, "cust_rd", 10, headers=headers).get_json() == second.get_json()  # its repeat
    age_entries(db, "refund")
    other_order = paid_order(api, "cust_rd", 5000)
    assert api.refund(other_order, "cust_rd", 20, headers=headers).status_code == 200
    assert db["orders"].find_one({"order_id": order_id})["refunded_minor"] == 2000
    assert balance_minor(db, "cust_rd") == 2000 + 2000


def test_two_payments_sent_at_once_under_one_key_make_one_and_the_other_is_409(api, db, monkeypatch):
    """SPEC §5: the same key with another body is a 409. Found by red-team passes: two bodies sent at
    once under one key (both read the key before either paid) were both paid. A keyed payment now
    takes the key's place for its life (one payment per wallet, key and life, a unique index)."""
    api.topup("cust_2b", 100)
    first_order, second_order = api.add_order("cust_2b", 3000), api.add_order("cust_2b", 1000)
    headers = with_key(bearer("cust_2b"), "key-two-bodies")
    earlier, answers = KeyedOperation.earlier, {}

    def first_pays_meanwhile(self, document):
        made = earlier(self, document)
        if not answers:  # the second body has read the key (nothing yet): the first pays now
            answers["first"] = None
            answers["first"] = api.pay(first_order, "cust_2b", 30, headers=headers)
        return made

    with monkeypatch.context() as patch:
        patch.setattr(KeyedOperation, "earlier", first_pays_meanwhile)
        second = api.pay(second_order, "cust_2b", 10, headers=headers)
    first = answers["first"]
    assert first.status_code == 200, first.get_json()
    assert_error(second, 409, "idempotency_key_reused")
    assert db["orders"].find_one({"order_id": second_order})["payment_status"] == "pending"
    assert balance_minor(db, "cust_2b") == 7000
    assert db["ledger_entries"].count_documents({"kind": "payment"}) == 1
    assert api.pay(first_order, "cust_2b", 30, headers=headers).get_json() == first.get_json()
    assert_error(api.pay(second_order, "cust_2b", 10, headers=headers), 409, "idempotency_key_reused")
    assert api.pay(second_order, "cust_2b", 10).status_code == 200  # without the key it pays


def test_one_payment_sent_twice_at_once_across_a_reissue_of_its_order_makes_one_debit(
    api, db, integration, monkeypatch
):
    """Found by a red-team pass: two requests with one key and body at once, the shop re-issuing the
    order between their reads. Each debited a life of the order (one given back, one paid) and they
    answered differently. Now the second finds the first's debit under the key and answers its outcome."""
    api.topup("cust_g3", "100")
    order_id = api.add_order("cust_g3", 3000)
    assert api.pay(order_id, "cust_g3", 30).status_code == 200
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "pending"}})  # reopened
    headers = with_key(bearer("cust_g3"), "key-g3")
    real, answers = integration.orders.with_wallets, {}

    def reissued_and_repeated_meanwhile(*args, **kwargs):
        read = real(*args, **kwargs)
        if not answers:  # the first has read the reopened life: the shop re-issues, the repeat runs
            answers["second"] = None
            order = db["orders"].find_one({"order_id": order_id})
            db["orders"].replace_one({"order_id": order_id}, {k: order[k] for k in SHOP_FIELDS})
            answers["second"] = api.pay(order_id, "cust_g3", 30, headers=headers)
        return read

    with monkeypatch.context() as patch:
        patch.setattr(integration.orders, "with_wallets", reissued_and_repeated_meanwhile)
        first = api.pay(order_id, "cust_g3", 30, headers=headers)
    second = answers["second"]
    assert (first.status_code, first.get_json()) == (second.status_code, second.get_json())
    assert db["ledger_entries"].count_documents({"kind": "payment", "operation_id": {"$exists": True}}) == 1
    integration.recover(grace_seconds=0)
    assert integration.reconcile() == []
    paid = db["orders"].find_one({"order_id": order_id})["payment_status"] == "paid"
    assert balance_minor(db, "cust_g3") == 10000 - 3000 - (3000 if paid else 0)


def test_the_repeat_of_a_payment_given_back_gets_the_first_answer_word_for_word(api, db, integration, monkeypatch):
    """Found by a review: its repeat said "this payment was returned", the first "the amount was"."""
    api.topup("cust_gb", 100)
    order_id = api.add_order("cust_gb", 3000)
    headers = with_key(bearer("cust_gb"), "key-given-back")
    with monkeypatch.context() as patch:
        cancelled_while_paying(patch, integration, db, order_id)
        first = api.pay(order_id, "cust_gb", 30, headers=headers)
    assert_error(first, 409, "order_not_payable")
    again = api.pay(order_id, "cust_gb", 30, headers=headers)
    assert (again.status_code, again.get_json()) == (409, first.get_json())


@pytest.mark.parametrize("other_order", ["ord_nowhere", "someone_elses"])
def test_pay_key_reused_for_an_order_not_found_is_409_and_the_retry_still_answers_its_payment(api, db, other_order):
    """Found by a red-team pass: a 404 under a key that had paid was stored as that key's answer."""
    api.topup("cust_k", 100)
    order_id = api.add_order("cust_k", 3000)
    if other_order == "someone_elses":
        other_order = api.add_order("cust_other", 3000)
    headers = with_key(bearer("cust_k"), f"key-poison-{other_order}")
    first = api.pay(order_id, "cust_k", 30, headers=headers)
    assert first.status_code == 200, first.get_json()
    before = snapshot(db)
    assert_error(api.pay(other_order, "cust_k", 30, headers=headers), 409, "idempotency_key_reused")
    assert snapshot(db) == before
    again = api.pay(order_id, "cust_k", 30, headers=headers)
    assert (again.status_code, again.get_json()) == (200, first.get_json())


def test_pay_and_a_refused_other_body_sent_at_once_under_one_key_each_repeat_gets_its_first_answer(
    api, db, monkeypatch
):
    """Found by a red-team pass: two bodies sent at once under one key, one refused (its order was
    paid already) after both had read the key. The refusal was stored under the key after the other
    had paid, and every repeat of that payment got 409 `idempotency_key_reused`."""
    api.topup("cust_two", 100)
    order_id, paid_id = api.add_order("cust_two", 3000), api.add_order("cust_two", 1000)
    other_order = api.add_order("cust_two", 500)
    assert api.pay(paid_id, "cust_two", 10).status_code == 200
    headers = with_key(bearer("cust_two"), "key-two-bodies")
    store_refusal, answers = IdempotencyStore._store_refusal, {}

    def paid_meanwhile(self, keyed, error):  # the payment reads the key, finds nothing and pays
        answers["paid"] = api.pay(order_id, "cust_two", 30, headers=headers)
        store_refusal(self, keyed, error)

    with monkeypatch.context() as patch:
        patch.setattr(IdempotencyStore, "_store_refusal", paid_meanwhile)
        refused = api.pay(paid_id, "cust_two", 10, headers=headers)
    assert_error(refused, 409, "order_already_paid")
    paid = answers["paid"]
    assert paid.status_code == 200, paid.get_json()
    before = snapshot(db)
    again = api.pay(order_id, "cust_two", 30, headers=headers)
    assert (again.status_code, again.get_json()) == (200, paid.get_json())
    refused_again = api.pay(paid_id, "cust_two", 10, headers=headers)
    assert (refused_again.status_code, refused_again.get_json()) == (409, refused.get_json())
    assert_error(api.pay(other_order, "cust_two", 5, headers=headers), 409, "idempotency_key_reused")
    assert snapshot(db) == before
    assert balance_minor(db, "cust_two") == 6000


def test_pay_under_a_fresh_key_for_an_order_not_found_is_404_alike_once_it_exists(api, db):
    headers = with_key(bearer("cust_n"), "key-404")
    first = api.pay("ord_later", "cust_n", 30, headers=headers)
    assert_error(first, 404, "order_not_found")
    api.topup("cust_n", 100)
    db["orders"].insert_one(
        {
            "order_id": "ord_later",
            "customer_id": "cust_n",
            "amount_minor": 3000,
            "currency": "INR",
            "payment_status": "pending",
        }
    )
    again = api.pay("ord_later", "cust_n", 30, headers=headers)
    assert (again.status_code, again.get_json()) == (404, first.get_json())
    assert balance_minor(db, "cust_n") == 10000


def test_pay_retried_across_the_deploy_that_folded_keys_into_the_ledger_answers_its_payment(api, db):
    """Found by a red-team pass: a debit of the version before has no fingerprint, its key's claim
    (kept 24 h, `in_progress`) has the body's."""
    api.topup("cust_dep", 100)
    order_id = api.add_order("cust_dep", 3000)
    headers = with_key(bearer("cust_dep"), "key-deploy")
    first = api.pay(order_id, "cust_dep", 30, headers=headers)
    assert first.status_code == 200, first.get_json()
    entry = db["ledger_entries"].find_one({"kind": "payment"})
    db["ledger_entries"].update_one({"_id": entry["_id"]}, {"$unset": {"operation_fingerprint": ""}})
    key_id = hashlib.sha256(b"cust_dep\n/api/integration/order/pay-with-wallet\nkey-deploy").hexdigest()
    assert "idk_" + key_id[:32] == entry["operation_id"]
    now = datetime.datetime.now(datetime.UTC)
    body = {"order_id": order_id, "customer_id": "cust_dep", "amount": 30}
    claim = {"fingerprint": request_fingerprint(body), "state": "in_progress", "created_at": now, "started_at": now}
    db["idempotency_keys"].insert_one(dict(claim, _id=key_id))
    again = api.pay(order_id, "cust_dep", 30, headers=headers)
    assert (again.status_code, again.get_json()) == (200, first.get_json())
    other_order = api.add_order("cust_dep", 3000)
    assert_error(api.pay(other_order, "cust_dep", 30, headers=headers), 409, "idempotency_key_reused")


def test_refund_same_key_same_body_moves_money_once(api, db):
    order_id = paid_order(api, "cust_a", 10000)
    headers = with_key(bearer("admin_1", "admin"), "key-refund")
    first = api.refund(order_id, "cust_a", 30, headers=headers)
    second = api.refund(order_id, "cust_a", 30, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_json() == first.get_json()
    assert balance_minor(db, "cust_a") == 3000
    assert len(list(db["ledger_entries"].find({"kind": "refund"}))) == 1
    assert db["orders"].find_one({"order_id": order_id})["refunded_minor"] == 3000


def test_refund_repeat_is_answered_from_its_credit_and_writes_nothing(api, db):
    order_id = paid_order(api, "cust_rw", 10000)
    headers = with_key(ADMIN, "key-refund-once")
    first = api.refund(order_id, "cust_rw", 30, headers=headers)
    assert first.status_code == 200, first.get_json()
    assert db["idempotency_keys"].count_documents({}) == 0  # the credit keeps the key
    before = snapshot(db)
    again = api.refund(order_id, "cust_rw", 30, headers=headers)
    assert (again.status_code, again.get_json()) == (200, first.get_json())
    assert snapshot(db) == before


def test_refund_repeats_of_one_key_at_once_move_money_once_and_answer_alike(api, db):
    order_id = paid_order(api, "cust_rr", 10000)
    headers = with_key(ADMIN, "key-refund-race")
    answers = run_in_threads(8, lambda _: api.refund(order_id, "cust_rr", 30, headers=headers))
    assert {a.status_code for a in answers} == {200}, [a.get_json() for a in answers]
    assert len({a.get_data() for a in answers}) == 1
    assert balance_minor(db, "cust_rr") == 3000
    assert len(list(db["ledger_entries"].find({"kind": "refund"}))) == 1


def test_refund_refused_under_a_key_is_refused_alike_and_another_body_is_409(api, db):
    order_id = paid_order(api, "cust_rf", 10000)
    headers = with_key(ADMIN, "key-refund-refused")
    first = api.refund(order_id, "cust_rf", 101, headers=headers)
    assert_error(first, 409, "refund_exceeds_paid")
    again = api.refund(order_id, "cust_rf", 101, headers=headers)
    assert (again.status_code, again.get_json()) == (409, first.get_json())
    assert_error(api.refund(order_id, "cust_rf", 30, headers=headers), 409, "idempotency_key_reused")
    assert balance_minor(db, "cust_rf") == 0


def test_refund_different_keys_are_two_refunds(api, db):
    order_id = paid_order(api, "cust_a", 10000)
    assert api.refund(order_id, "cust_a", 30, headers=with_key(ADMIN, "r-1")).status_code == 200
    assert api.refund(order_id, "cust_a", 30, headers=with_key(ADMIN, "r-2")).status_code == 200
    assert balance_minor(db, "cust_a") == 6000


def test_initiate_same_key_other_body_409(api, db):
    headers = with_key(bearer("cust_a"), "key-1")
    assert api.initiate("cust_a", 10, headers=headers).status_code == 200
    before = snapshot(db)
    assert_error(api.initiate("cust_a", 11, headers=headers), 409, "idempotency_key_reused")
    assert snapshot(db) == before


def test_pay_same_key_other_body_409(api, db):
    api.topup("cust_a", 100)
    order_id = api.add_order("cust_a", 3000)
    other_order_id = api.add_order("cust_a", 3000)
    headers = with_key(bearer("cust_a"), "key-pay")
    assert api.pay(order_id, "cust_a", 30, headers=headers).status_code == 200
    before = snapshot(db)
    assert_error(api.pay(other_order_id, "cust_a", 30, headers=headers), 409, "idempotency_key_reused")
    assert snapshot(db) == before


def test_refund_same_key_other_body_409(api, db):
    order_id = paid_order(api, "cust_a", 10000)
    headers = with_key(ADMIN, "key-refund")
    assert api.refund(order_id, "cust_a", 30, headers=headers).status_code == 200
    before = snapshot(db)
    assert_error(api.refund(order_id, "cust_a", 31, headers=headers), 409, "idempotency_key_reused")
    assert snapshot(db) == before


@pytest.mark.parametrize("key", ["k" * 256, "key\twith-tab", "clé"])
def test_invalid_idempotency_key_400(api, db, key):
    before = snapshot(db)
    response = api.client.post(
        f"{BASE}/wallet/topup/initiate",
        json={"customer_id": "cust_a", "amount": 10},
        headers={**bearer("cust_a"), "Idempotency-Key": key},
    )
    assert_error(response, 400, "invalid_request")
    assert snapshot(db) == before


def test_a_claim_taken_over_after_a_crash_carries_its_operation_on_and_a_new_claim_is_a_new_one(db):
    """A request that died holding its key (`in_progress`) is taken over after the grace with the
    same operation id (a withdrawal's id, an authorisation's), so the ledger's keys keep it one
    movement; a claim made once the record is gone (24 h) has an id of its own; a claim written
    before claims kept their id is taken over with the key's."""
    clock = [utcnow()]
    store = IdempotencyStore(db, grace_seconds=60, clock=lambda: clock[0])
    stored, claim = store._claim("key_a", "fp")
    crashed = claim.operation_id
    assert stored is None and crashed == db["idempotency_keys"].find_one({"_id": "key_a"})["operation_id"]
    clock[0] += datetime.timedelta(seconds=61)
    assert store._claim("key_a", "fp")[1].operation_id == crashed
    db["idempotency_keys"].delete_many({})
    assert store._claim("key_a", "fp")[1].operation_id != crashed
    now = clock[0]
    legacy = {"_id": "key_b", "fingerprint": "fp", "state": "in_progress", "created_at": now, "started_at": now}
    db["idempotency_keys"].insert_one(legacy)
    clock[0] += datetime.timedelta(seconds=61)
    assert store._claim("key_b", "fp")[1].operation_id == "idk_key_b"


def test_a_request_taken_over_after_the_grace_neither_releases_nor_answers_for_the_taker(db, monkeypatch):
    """A slow request whose claim was taken over (past the grace) and that then fails with a 5xx
    (release) or finishes (complete) leaves the taker's claim as it is: a third request waits for the
    taker instead of running beside it, and the taker's answer is the one stored."""
    clock = [utcnow()]
    store = IdempotencyStore(db, grace_seconds=60, clock=lambda: clock[0])
    _, slow = store._claim("key_s", "fp")
    clock[0] += datetime.timedelta(seconds=61)
    _, taker = store._claim("key_s", "fp")
    taken = db["idempotency_keys"].find_one({"_id": "key_s"})
    store._release(slow)
    store._complete(slow, {"success": False}, 409)
    assert db["idempotency_keys"].find_one({"_id": "key_s"}) == taken  # still the taker's, in progress
    monkeypatch.setattr("backend.idempotency.WAIT_SECONDS_MAX", 0.2)
    with pytest.raises(IdempotencyKeyInProgress):  # not released: a third request is not let in
        store._claim("key_s", "fp")
    store._complete(taker, {"success": True}, 200)
    assert store._claim("key_s", "fp") == ({"payload": {"success": True}, "status_code": 200}, None)


def test_a_refusal_whose_answer_cannot_be_stored_is_answered_and_its_repeat_runs_at_once(api, db, monkeypatch):
    api.topup("cust_r", "10")
    headers = {**bearer("cust_r"), "Idempotency-Key": "wd-refused"}
    body = {"customer_id": "cust_r", "amount": "50.00"}  # beyond what is available: 402
    real_complete = IdempotencyStore._complete

    def store_down_once(self, *args):
        monkeypatch.setattr(IdempotencyStore, "_complete", real_complete)
        raise PyMongoError("connection reset")

    monkeypatch.setattr(IdempotencyStore, "_complete", store_down_once)
    assert_error(api.post("/wallet/withdraw", body, headers), 402, "insufficient_funds")
    started = time.monotonic()
    assert_error(api.post("/wallet/withdraw", body, headers), 402, "insufficient_funds")
    assert time.monotonic() - started < WAIT_SECONDS_MAX  # ran again, did not wait for the claim
    assert db["idempotency_keys"].find_one()["state"] == "completed"


@pytest.mark.parametrize("step", ["capture", "void"])
def test_a_key_of_an_admin_is_not_a_key_of_a_customer_with_the_same_subject(api, db, step):
    """Found by a red-team pass: a key is scoped by the token's subject and the path, so a customer
    whose subject equals an admin's got the admin's stored capture (void) of another customer's order
    by sending the same key and body, where the request itself is 403. An admin's fingerprint now
    has the role in it: the customer's repeat is another request (409), and learns nothing."""
    api.topup("cust_o", "100.00")
    order_id = api.add_order("cust_o", 3000)
    authorize = {"order_id": order_id, "customer_id": "cust_o", "amount": 30}
    assert api.post("/order/authorize", authorize, bearer("cust_o")).status_code == 200
    body = {"order_id": order_id, "amount": 30} if step == "capture" else {"order_id": order_id}
    assert api.post(f"/order/{step}", body, with_key(bearer("alice", "admin"), "k-shared")).status_code == 200
    replay = api.post(f"/order/{step}", body, with_key(bearer("alice"), "k-shared"))
    assert_error(replay, 409, "idempotency_key_reused")
    assert_error(api.post(f"/order/{step}", body, with_key(bearer("alice"), "k-own")), 403, "forbidden")
    assert api.post(f"/order/{step}", body, with_key(bearer("alice", "admin"), "k-shared")).status_code == 200
