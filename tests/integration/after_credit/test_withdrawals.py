"""Withdrawals (SPEC §9) over HTTP: refunded to the customer's own top-ups through their gateways,
newest first; completed by the gateways' webhooks; a refused refund gives its part back; more than
the top-ups can take back is refused; a crash mid-way heals with the worker and moves money once."""

import contextlib
import datetime

import pytest
from pymongo.errors import AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError

from backend.flows.withdrawals import Withdrawals
from backend.gateways.paypal.simulator_cases import REFUNDS_COLLECTION as PAYPAL_REFUNDS
from backend.gateways.paypal.simulator_cases import REFUNDS_REFUSED
from backend.gateways.razorpay.api import RefundRefused
from backend.gateways.razorpay.simulator import REFUNDS_COLLECTION as RAZORPAY_REFUNDS
from backend.wallet_accounts import WalletAccounts
from tests.conftest import app_with
from tests.helpers import BASE, Api, bearer, razorpay_event, signed_webhook, snapshot
from tests.integration.after_credit.support import paypal_topup, razorpay_topup, wallet, withdraw
from tests.integration.support import assert_error, assert_money, failing_once


class Crash(Exception):
    pass


@pytest.fixture
def two_topups(api, client, db):
    """cust_a topped up 60.00 by Razorpay, then 50.00 by PayPal: {gateway: payment id}."""
    _order, razorpay_payment = razorpay_topup(api, db, "cust_a", "60.00")
    _order, paypal_capture = paypal_topup(api, client, db, "cust_a", "50.00")
    return {"razorpay": razorpay_payment, "paypal": paypal_capture}


def assert_wallet(api, balance, held):
    shown = wallet(api, "cust_a")
    for value, expected in zip(shown, (balance, held, balance - held, 0), strict=True):
        assert_money(value, expected)


def test_a_withdrawal_spread_over_two_gateways_completes_by_their_webhooks(api, db, integration, two_topups):
    response = withdraw(api, "cust_a", "80.00")
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["status"] == "completed"
    refunds = [(r["gateway"], r["payment_id"], r["amount"], r["status"]) for r in body["refunds"]]
    assert refunds == [  # newest first: all of PayPal's 50.00, then 30.00 of Razorpay's
        ("paypal", two_topups["paypal"], 50, "processed"),
        ("razorpay", two_topups["razorpay"], 30, "processed"),
    ]
    assert_wallet(api, 30, 0)
    assert db[PAYPAL_REFUNDS].count_documents({}) == 1 and db[RAZORPAY_REFUNDS].count_documents({}) == 1
    again = api.client.get(f"{BASE}/wallet/withdrawals/{body['withdrawal_id']}", headers=bearer("cust_a"))
    assert again.get_json()["status"] == "completed"
    assert integration.reconcile() == []


def test_a_refused_refund_gives_its_part_back(api, integration, two_topups):
    integration.payments.gateway("razorpay").api.refuse_refunds()
    body = withdraw(api, "cust_a", "80.00").get_json()
    assert body["status"] == "partially_completed"
    assert [r["status"] for r in body["refunds"]] == ["processed", "failed"]
    assert_wallet(api, 60, 0)  # 50.00 went back through PayPal; Razorpay's 30.00 is available again
    assert integration.reconcile() == []


def test_a_pending_refund_holds_its_part_until_the_gateway_says(api, integration, two_topups):
    integration.payments.gateway("paypal").api.cases.hold_refunds = True
    body = withdraw(api, "cust_a", "50.00").get_json()
    assert body["status"] == "pending"
    assert_wallet(api, 110, 50)  # out of available at once, out of the balance when PayPal confirms
    integration.payments.gateway("paypal").api.cases.settle_refunds()
    assert_wallet(api, 60, 0)


def test_more_than_the_top_ups_can_take_back_is_refused(api, db, integration, two_topups):
    order_id = api.add_order("cust_a", 100)
    assert api.pay(order_id, "cust_a", 1).status_code == 200  # 109.00 left, 110.00 refundable
    integration.wallet.credit("cust_a", "INR", 5000, "refund", "refund:shop", {"order_id": "ord_shop"})
    response = withdraw(api, "cust_a", "150.00")
    assert response.status_code == 409
    assert response.get_json()["error"] == "withdrawal_exceeds_refundable"
    assert response.get_json()["refundable"] == 110
    assert "At most 110.00 INR can be refunded" in response.get_json()["message"]
    assert db["withdrawals"].count_documents({}) == 0 and db["gateway_refunds"].count_documents({}) == 0


def test_beyond_available_is_insufficient_funds_first(api, db, two_topups):
    assert_error(withdraw(api, "cust_a", "500.00"), 402, "insufficient_funds")
    assert db["withdrawals"].count_documents({}) == 0


def test_a_customer_withdraws_only_from_their_own_wallet(api, two_topups):
    assert_error(withdraw(api, "cust_a", "1.00", headers=bearer("cust_b")), 403, "forbidden")


def test_withdrawable_says_what_can_go_back(api, two_topups):
    quote = api.client.get(f"{BASE}/wallet/cust_a/withdrawable", headers=bearer("cust_a")).get_json()
    assert (quote["available"], quote["refundable"], quote["withdrawable"]) == (110, 110, 110)


def test_a_crash_between_the_hold_and_the_gateway_call_heals_with_the_worker(
    api, db, integration, monkeypatch, two_topups
):
    ask = integration.our_refunds.ask
    monkeypatch.setattr(integration.our_refunds, "ask", lambda record: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        WalletAccounts(integration).withdraw("cust_a", 8000)
    assert_wallet(api, 110, 80)  # held, nothing asked of any gateway yet
    monkeypatch.setattr(integration.our_refunds, "ask", ask)
    past = datetime.datetime(2000, 1, 1)
    db["withdrawals"].update_many({}, {"$set": {"lease_until": past}})  # the lease ran out
    integration.recover(grace_seconds=0)
    integration.recover(grace_seconds=0)
    assert_wallet(api, 30, 0)
    assert db[PAYPAL_REFUNDS].count_documents({}) == 1 and db[RAZORPAY_REFUNDS].count_documents({}) == 1
    assert integration.reconcile() == []


def test_a_plan_left_by_a_request_that_died_before_its_hold_is_not_planned_again(api, db, integration, monkeypatch):
    """Found by a red-team pass: a withdrawal recorded by a request that died before its hold and
    part records left its plan in its document only; another withdrawal planned the same top-up,
    and the worker, carrying the first on, asked the gateway for money already refunded."""
    razorpay_topup(api, db, "cust_w", "60.00")
    _po, newest = razorpay_topup(api, db, "cust_w", "60.00")
    hold = integration.withdrawals.holds.hold
    monkeypatch.setattr(integration.withdrawals.holds, "hold", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        WalletAccounts(integration).withdraw("cust_w", 6000)
    monkeypatch.setattr(integration.withdrawals.holds, "hold", hold)
    assert WalletAccounts(integration).withdrawable("cust_w")["refundable_minor"] == 6000  # the newest is planned
    assert WalletAccounts(integration).withdraw("cust_w", 6000)["status"] == "completed"
    db["withdrawals"].update_many({}, {"$set": {"lease_until": datetime.datetime(2000, 1, 1)}})
    integration.recover(grace_seconds=0)  # the worker carries the first one on
    asked: dict = {}
    for record in db["gateway_refunds"].find({"status": {"$ne": "failed"}}):
        asked[record["gateway_payment_id"]] = asked.get(record["gateway_payment_id"], 0) + record["amount_minor"]
    assert asked[newest] == 6000 and sum(asked.values()) == 12000
    assert wallet(api, "cust_w")[:3] == (0, 0, 0)
    assert integration.reconcile() == []


def test_a_crash_between_the_gateways_answer_and_the_debit_heals_with_the_worker(
    api, db, integration, monkeypatch, two_topups
):
    ended = integration.withdrawals._part_ended
    monkeypatch.setattr(integration.our_refunds, "on_end", {"withdrawal": lambda record, status: throw()})
    with contextlib.suppress(Crash):  # the refund's webhook (inline here) dies before the debit
        WalletAccounts(integration).withdraw("cust_a", 5000)
    assert db[PAYPAL_REFUNDS].count_documents({}) == 1
    assert_wallet(api, 110, 50)  # PayPal refunded; the ledger never heard
    integration.our_refunds.on_end["withdrawal"] = ended
    db["gateway_refunds"].update_many({}, {"$set": {"updated_at": datetime.datetime(2000, 1, 1)}})
    integration.recover(grace_seconds=0)
    integration.recover(grace_seconds=0)
    assert_wallet(api, 60, 0)
    assert db[PAYPAL_REFUNDS].count_documents({}) == 1
    assert integration.reconcile() == []


def throw():
    raise Crash()


def test_a_refund_refused_at_once_by_paypal_gives_its_part_back(api, integration, two_topups):
    integration.payments.gateway("paypal").api.cases.refund_outcome = REFUNDS_REFUSED
    body = withdraw(api, "cust_a", "20.00").get_json()
    assert body["status"] == "failed"
    assert_wallet(api, 110, 0)


def test_a_retry_of_a_withdrawal_that_died_after_its_hold_carries_it_on(api, db, integration, monkeypatch, two_topups):
    ask = integration.our_refunds.ask
    monkeypatch.setattr(integration.our_refunds, "ask", lambda record: throw())
    with pytest.raises(Crash):
        WalletAccounts(integration).withdraw("cust_a", 11000, withdrawal_id="wdr_retry")
    monkeypatch.setattr(integration.our_refunds, "ask", ask)
    retried = WalletAccounts(integration).withdraw(
        "cust_a", 11000, withdrawal_id="wdr_retry"
    )  # all of it is held already
    assert retried["status"] == "completed"
    assert_wallet(api, 0, 0)
    assert db["withdrawals"].count_documents({}) == 1
    assert integration.reconcile() == []


def test_withdraw_has_the_money_endpoints_rate_limit():
    from backend.limits import MONEY_ENDPOINTS

    assert "integration.withdraw" in MONEY_ENDPOINTS


def test_a_key_used_again_after_its_day_is_a_new_withdrawal(api, db, two_topups):
    """Found by a red-team pass: the withdrawal's id was made from the key alone, so once the key's
    record was gone (its TTL, 24 h) the same key with another amount answered 202 with the old
    withdrawal, and nothing was withdrawn. A crashed request's claim, taken over, keeps its id."""
    headers = {**bearer("cust_a"), "Idempotency-Key": "key-daily-withdrawal"}
    first = withdraw(api, "cust_a", "10.00", headers=headers).get_json()
    assert withdraw(api, "cust_a", "10.00", headers=headers).get_json() == first
    db["idempotency_keys"].delete_many({})  # what MongoDB's TTL monitor does a day later
    later = withdraw(api, "cust_a", "20.00", headers=headers)
    assert later.status_code == 202, later.get_json()
    assert later.get_json()["withdrawal_id"] != first["withdrawal_id"]
    assert (later.get_json()["amount"], later.get_json()["status"]) == (20, "completed")
    assert_wallet(api, 80, 0)


def test_a_withdrawal_retried_with_its_key_after_a_store_error_is_the_same_withdrawal(
    api, db, integration, monkeypatch, two_topups
):
    """Found by a review: the hold and parts were written, then the store failed (503); the 5xx
    dropped the key's claim and the retry's new claim made a second withdrawal of the same money.
    The retry now takes the claim over, with its operation id: one withdrawal, carried on."""
    failing_once(monkeypatch, Withdrawals, "_ask")
    headers = {**bearer("cust_a"), "Idempotency-Key": "key-withdraw-503"}
    first = withdraw(api, "cust_a", "40.00", headers=headers)
    assert (first.status_code, first.get_json()["error"]) == (503, "operation_pending")
    again = withdraw(api, "cust_a", "40.00", headers=headers)
    assert again.status_code == 202 and again.get_json()["status"] == "completed", again.get_json()
    assert db["withdrawals"].count_documents({}) == 1
    assert_wallet(api, 70, 0)
    assert_error(withdraw(api, "cust_a", "30.00", headers=headers), 409, "idempotency_key_reused")


@pytest.mark.parametrize("failing", ["_prepare", "_ask"])
def test_a_withdrawal_stopped_by_a_store_error_once_recorded_answers_operation_pending(
    api, db, integration, monkeypatch, two_topups, failing
):
    """Found by a red-team pass: the withdrawal was recorded (and held), then the store failed; the
    answer was 503 `store_unavailable`, "nothing was written", yet the worker carried the withdrawal
    on, and a client that retried as told without a key withdrew twice. It now answers 503
    `operation_pending` with the withdrawal's id, which the worker finishes once."""
    failing_once(monkeypatch, Withdrawals, failing)
    first = withdraw(api, "cust_a", "40.00")
    body = first.get_json()
    assert (first.status_code, body["error"]) == (503, "operation_pending"), body
    assert set(body) == {"success", "error", "message", "withdrawal_id"}
    assert body["withdrawal_id"] == db["withdrawals"].find_one({})["_id"]
    db["withdrawals"].update_many({}, {"$set": {"lease_until": datetime.datetime(2000, 1, 1)}})
    integration.recover(grace_seconds=0)  # the worker carries it on
    followed = api.client.get(f"{BASE}/wallet/withdrawals/{body['withdrawal_id']}", headers=bearer("cust_a"))
    assert (followed.status_code, followed.get_json()["status"]) == (200, "completed")
    assert_wallet(api, 70, 0)
    assert integration.reconcile() == []


def test_a_store_error_giving_the_customers_lease_back_after_the_hold_is_operation_pending(
    api, db, integration, monkeypatch, two_topups
):
    """Found by a review of the fix above: a store error as the customer's lease was given back, after
    the hold was made, still answered `store_unavailable`."""
    leases = integration.withdrawals.leases.leases
    give_back = leases.delete_one
    failed = []

    def store_gone_once(*args, **kwargs):
        if not failed:
            failed.append(True)
            raise AutoReconnect("store gone")
        return give_back(*args, **kwargs)

    monkeypatch.setattr(leases, "delete_one", store_gone_once)
    first = withdraw(api, "cust_a", "40.00")
    body = first.get_json()
    assert db["ledger_entries"].count_documents({"kind": "withdrawal_hold"}) == 1  # recorded and held
    assert (first.status_code, body["error"], body["withdrawal_id"]) == (
        503,
        "operation_pending",
        db["withdrawals"].find_one({})["_id"],
    )


def test_a_withdrawal_written_whose_acknowledgement_was_lost_is_operation_pending(
    api, db, integration, monkeypatch, two_topups
):
    """Found by a second review: the withdrawal's insert was applied and its answer lost; that still
    answered `store_unavailable`, and a retry without a key withdrew twice (110.00 → 30.00)."""
    withdrawals = integration.withdrawals.book.collection
    insert = withdrawals.insert_one

    def written_then_connection_lost(document, *args, **kwargs):
        insert(document, *args, **kwargs)
        raise AutoReconnect("connection lost before the reply")

    monkeypatch.setattr(withdrawals, "insert_one", written_then_connection_lost)
    first = withdraw(api, "cust_a", "40.00")
    monkeypatch.setattr(withdrawals, "insert_one", insert)
    body = first.get_json()
    assert (first.status_code, body["error"], body["withdrawal_id"]) == (
        503,
        "operation_pending",
        db["withdrawals"].find_one({})["_id"],
    )
    db["withdrawals"].update_many({}, {"$set": {"lease_until": datetime.datetime(2000, 1, 1)}})
    integration.recover(grace_seconds=0)  # the worker carries it on
    assert_wallet(api, 70, 0)


def test_a_withdrawal_whose_insert_times_out_and_lands_later_is_operation_pending(
    api, db, integration, monkeypatch, two_topups
):
    """Found by a third review: the form above read the withdrawal back to decide; a write still in
    flight was not found, so the answer was `store_unavailable` and the worker then carried the
    withdrawal on. An insert whose outcome is unknown is now `operation_pending`, whatever a read says."""
    withdrawals = integration.withdrawals.book.collection
    insert = withdrawals.insert_one
    in_flight = []

    def timed_out(document, *args, **kwargs):
        in_flight.append(dict(document))
        raise NetworkTimeout("timed out waiting for the reply")

    monkeypatch.setattr(withdrawals, "insert_one", timed_out)
    first = withdraw(api, "cust_a", "40.00")
    monkeypatch.setattr(withdrawals, "insert_one", insert)
    body = first.get_json()
    assert (first.status_code, body["error"], body["withdrawal_id"]) == (503, "operation_pending", in_flight[0]["_id"])
    insert(in_flight[0])  # the write is applied after all
    db["withdrawals"].update_many({}, {"$set": {"lease_until": datetime.datetime(2000, 1, 1)}})
    integration.recover(grace_seconds=0)  # the worker carries it on
    followed = api.client.get(f"{BASE}/wallet/withdrawals/{body['withdrawal_id']}", headers=bearer("cust_a"))
    assert (followed.status_code, followed.get_json()["status"]) == (200, "completed")
    assert_wallet(api, 70, 0)


def test_a_withdrawal_never_recorded_for_a_store_error_is_followed_to_a_404(
    api, db, integration, monkeypatch, two_topups
):
    """Its outcome unknown, the answer is `operation_pending`; the withdrawal it names was never
    recorded, so GET answers 404 and nothing moved."""
    withdrawals = integration.withdrawals.book.collection

    def no_server(*args, **kwargs):
        raise ServerSelectionTimeoutError("no primary")

    monkeypatch.setattr(withdrawals, "insert_one", no_server)
    first = withdraw(api, "cust_a", "40.00")
    monkeypatch.undo()
    body = first.get_json()
    assert (first.status_code, body["error"]) == (503, "operation_pending")
    integration.recover(grace_seconds=0)
    followed = api.client.get(f"{BASE}/wallet/withdrawals/{body['withdrawal_id']}", headers=bearer("cust_a"))
    assert (followed.status_code, followed.get_json()["error"]) == (404, "withdrawal_not_found")
    assert_wallet(api, 110, 0)


def test_top_ups_past_the_newest_hundred_can_be_withdrawn_once_those_are_used_up(api, db, monkeypatch):
    """Found by a SPEC pass: only the newest 100 top-ups were read, so once they were withdrawn the
    older ones could never be (refundable 0.00), however much the wallet held. A withdrawal still
    takes from at most 100 top-ups; the plan now reads past those used up."""
    monkeypatch.setattr(
        "backend.flows.withdrawal_plans.TOPUPS_PAGE", 7, raising=False
    )  # pages end inside and at the end
    for _ in range(105):
        api.topup("cust_many", "1.00")
    over = withdraw(api, "cust_many", "105.00")
    assert (over.status_code, over.get_json()["error"], over.get_json()["refundable"]) == (
        409,
        "withdrawal_exceeds_refundable",
        100,
    )
    first = withdraw(api, "cust_many", "100.00")
    assert first.status_code == 202, first.get_json()
    second = withdraw(api, "cust_many", "5.00")
    assert second.status_code == 202, second.get_json()
    paid = {part["payment_id"] for w in (first, second) for part in w.get_json()["refunds"]}
    credited = {po["gateway_payment_id"] for po in db["payment_orders"].find({"customer_id": "cust_many"})}
    assert paid == credited and len(paid) == 105
    assert_error(withdraw(api, "cust_many", "0.01"), 402, "insufficient_funds")


def test_a_withdrawal_from_a_hand_signed_topup_in_another_currency_than_the_default_completes():
    """The Razorpay simulator refunded a payment it never made (signed by hand) in DEFAULT_CURRENCY:
    an INR top-up's refund came back in USD, was kept as a mismatch, and the withdrawal stayed
    pending with its part held. It refunds such a payment as the top-up it credited: INR, up to it."""
    for app in app_with(DEFAULT_CURRENCY="USD", SUPPORTED_CURRENCIES="USD,INR"):
        api = Api(app.test_client(), app.extensions["wallet_db"])
        initiated = api.post(
            "/wallet/topup/initiate",
            {"customer_id": "cust_a", "amount": "60.00", "payment_method": "razorpay", "currency": "INR"},
            bearer("cust_a"),
        ).get_json()
        event = razorpay_event("payment.captured", initiated["payment_order_id"], "pay_hand_1", 6000)
        webhook_body, headers = signed_webhook(event)
        assert api.client.post(f"{BASE}/webhook/razorpay", data=webhook_body, headers=headers).status_code == 200
        body = {"customer_id": "cust_a", "amount": "25.00", "currency": "INR"}
        response = api.post("/wallet/withdraw", body, bearer("cust_a"))
        assert response.status_code == 202, response.get_json()
        assert response.get_json()["status"] == "completed"
        refunds = list(app.extensions["wallet_db"][RAZORPAY_REFUNDS].find({"payment_id": "pay_hand_1"}))
        assert [(r["amount"], r["currency"]) for r in refunds] == [(2500, "INR")]
        shown = api.client.get(f"{BASE}/status/cust_a?currency=INR", headers=bearer("cust_a")).get_json()["wallet"]
        assert (shown["balance"], shown["held"], shown["currency"]) == (35, 0, "INR")
        simulator = app.extensions["integration"].payments.gateway("razorpay").api
        with pytest.raises(RefundRefused):  # beyond what is left of the 60.00 it credited
            simulator.dashboard_refund("pay_hand_1", 3501, "INR")


def parts_of(response):
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    return body["status"], [(part["payment_id"], part["amount"]) for part in body["refunds"]]


def test_no_part_is_planned_below_its_gateways_smallest_refund(api, db):
    """Razorpay refunds at least 1.00 INR. The newest top-up with 0.50 left was planned first at
    every withdrawal, refused at every one (`partially_completed`), and counted as withdrawable."""
    _order, older = razorpay_topup(api, db, "cust_a", "100.00")
    _order, newer = razorpay_topup(api, db, "cust_a", "100.00")
    assert parts_of(withdraw(api, "cust_a", "99.50")) == ("completed", [(newer, 99.5)])
    assert parts_of(withdraw(api, "cust_a", "50.00")) == ("completed", [(older, 50)])  # 0.50 left of the newer
    quote = api.client.get(f"{BASE}/wallet/cust_a/withdrawable", headers=bearer("cust_a")).get_json()
    assert (quote["available"], quote["refundable"], quote["withdrawable"]) == (50.5, 50, 50)


def test_a_rest_below_the_smallest_refund_is_taken_from_the_part_before(api, db):
    _order, older = razorpay_topup(api, db, "cust_a", "100.00")
    _order, newer = razorpay_topup(api, db, "cust_a", "100.00")
    assert parts_of(withdraw(api, "cust_a", "100.50")) == ("completed", [(newer, 99.5), (older, 1)])
    assert_wallet(api, 99.5, 0)


def test_an_amount_no_gateway_can_refund_is_refused_with_nothing_written(api, db):
    razorpay_topup(api, db, "cust_a", "100.00")
    before = snapshot(db)
    response = withdraw(api, "cust_a", "0.50")
    assert_error(response, 400, "invalid_amount")
    assert "smallest refund" in response.get_json()["message"]
    # (a real server keeps the collection of the customer's lease, taken and let go, empty)
    assert {k: v for k, v in snapshot(db).items() if v} == {k: v for k, v in before.items() if v}


def test_a_topup_whose_refund_the_gateway_refused_lately_is_planned_after_the_others(api, db, integration, monkeypatch):
    """A gateway refusing one payment's refunds for good made every withdrawal plan it first again and
    fail on it, while an older top-up could have given the money back."""
    _order, older = razorpay_topup(api, db, "cust_a", "100.00")
    _order, newer = razorpay_topup(api, db, "cust_a", "100.00")
    simulator = integration.payments.gateway("razorpay").api
    refund_payment = simulator.refund_payment

    def refusing_the_newer(payment_id, data, key):
        if payment_id == newer:
            raise RefundRefused("The payment is too old to be refunded.")
        return refund_payment(payment_id, data, key)

    monkeypatch.setattr(simulator, "refund_payment", refusing_the_newer)
    assert parts_of(withdraw(api, "cust_a", "50.00")) == ("failed", [(newer, 50)])
    assert parts_of(withdraw(api, "cust_a", "50.00")) == ("completed", [(older, 50)])
    assert parts_of(withdraw(api, "cust_a", "60.00")) == ("partially_completed", [(older, 50), (newer, 10)])
    assert_wallet(api, 100, 0)


def test_what_withdrawable_promises_is_planned_when_a_newer_topup_cannot_take_part(api, db):
    """Found by a review: 5.00 and then 1.00 through Razorpay, 4.50 spent: withdrawable said 1.50,
    and a withdrawal of 1.50 was 400 (1.00 from the newer left 0.50, below Razorpay's 1.00)."""
    _order, older = razorpay_topup(api, db, "cust_a", "5.00")
    razorpay_topup(api, db, "cust_a", "1.00")
    assert api.pay(api.add_order("cust_a", 450), "cust_a", "4.50").status_code == 200
    quote = api.client.get(f"{BASE}/wallet/cust_a/withdrawable", headers=bearer("cust_a")).get_json()
    assert quote["withdrawable"] == 1.5
    assert parts_of(withdraw(api, "cust_a", "1.50")) == ("completed", [(older, 1.5)])


def test_a_simulator_refund_whose_request_died_before_it_settled_is_settled_when_asked_again(
    api, db, integration, monkeypatch
):
    """Found by a stress run (kill -9 of a web process): the Razorpay simulator kept the refund
    `pending`, then the process died before it settled it; asked again, it answered `pending` for good,
    and the withdrawal's part stayed held. Razorpay settles every refund it accepted: so does it now."""
    _order, payment_id = razorpay_topup(api, db, "cust_a", "60.00")
    simulator = integration.payments.gateway("razorpay").api
    monkeypatch.setattr(simulator, "_settle", lambda *args: (_ for _ in ()).throw(Crash()))  # the process dies
    with contextlib.suppress(Crash):  # (the request answers what it can: the part is not settled)
        withdraw(api, "cust_a", "25.00")
    monkeypatch.undo()
    stranded = {"payment_id": payment_id, "status": "pending"}
    assert db[RAZORPAY_REFUNDS].count_documents(stranded) == 1
    db[RAZORPAY_REFUNDS].update_one(stranded, {"$inc": {"created_at": -60}})  # a minute later
    integration.our_refunds.retry_due(limit=10, older_than_seconds=0)  # the worker asks again
    assert [r["status"] for r in db[RAZORPAY_REFUNDS].find({"payment_id": payment_id})] == ["processed"]
    assert_wallet(api, 35, 0)
