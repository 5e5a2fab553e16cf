"""Holds under races and crashes (SPEC §10, §8): 40 authorisations at once for 10 orders on a balance
that covers 4 hold exactly 4; a capture racing a void of one hold: exactly one wins; a payment racing
an authorisation for the last of the balance never overdraws; a crash before any write of
authorise, capture or void is healed by recovery, and the money moves once."""

import datetime

import pytest
from pymongo.errors import AutoReconnect

from backend.audit import AuditLog
from backend.order_authorizations import OrderAuthorizations
from backend.wallet_accounts import WalletAccounts
from backend.wallet_service import WalletService
from tests.faults import crash_each_write
from tests.helpers import bearer, run_in_threads, unique


def test_forty_authorisations_for_ten_orders_hold_exactly_four(api, integration):
    api.topup("cust_a", "100.00")
    orders = [api.add_order("cust_a", 2500) for _ in range(10)]

    def authorize(index):
        body = {"order_id": orders[index % 10], "customer_id": "cust_a", "amount": "25.00"}
        return api.post("/order/authorize", body, bearer("cust_a")).status_code

    codes = run_in_threads(40, authorize)
    assert codes.count(200) == 4, codes
    wallet = api.status("cust_a").get_json()["wallet"]
    assert (wallet["balance"], wallet["held"], wallet["available"]) == (100, 100, 0)
    assert api.db["orders"].count_documents({"payment_status": "authorized"}) == 4
    assert integration.reconcile() == []


def test_a_capture_racing_a_void_of_one_hold_one_wins(api, integration):
    for round_ in range(10):
        customer = f"cust_{round_}"
        api.topup(customer, "100.00")
        order_id = api.add_order(customer, 6000)
        body = {"order_id": order_id, "customer_id": customer, "amount": "60.00"}
        assert api.post("/order/authorize", body, bearer(customer)).status_code == 200

        def race(index, who=customer, order=order_id):
            if index == 0:
                return api.post("/order/capture", {"order_id": order, "amount": "60.00"}, bearer(who)).status_code
            return api.post("/order/void", {"order_id": order}, bearer(who)).status_code

        codes = run_in_threads(2, race)
        assert sorted(codes) == [200, 409], codes
        wallet = api.status(customer).get_json()["wallet"]
        status = api.db["orders"].find_one({"order_id": order_id})["payment_status"]
        captured = codes[0] == 200
        assert (wallet["balance"], wallet["held"], status) == ((40, 0, "paid") if captured else (100, 0, "pending"))
    assert integration.reconcile() == []


def test_a_payment_racing_an_authorisation_for_the_last_of_the_balance_never_overdraws(api, integration):
    api.topup("cust_a", "50.00")
    to_pay, to_hold = api.add_order("cust_a", 5000), api.add_order("cust_a", 5000)

    def race(index):
        if index == 0:
            return api.pay(to_pay, "cust_a", 50).status_code
        body = {"order_id": to_hold, "customer_id": "cust_a", "amount": "50.00"}
        return api.post("/order/authorize", body, bearer("cust_a")).status_code

    assert sorted(run_in_threads(2, race)) == [200, 402]
    wallet = api.status("cust_a").get_json()["wallet"]
    assert wallet["balance"] - wallet["held"] == 0 and wallet["balance"] >= 0
    assert integration.reconcile() == []


def stale_authorizations(db):
    """Every authorisation old enough for the worker to look at (the crashed request is over)."""
    db["orders"].update_many({}, {"$set": {"authorization.authorized_at": datetime.datetime(2000, 1, 1)}})


def funded_order(api, integration):
    customer_id = unique("cust")
    api.topup(customer_id, "100.00")
    return {"customer_id": customer_id, "order_id": api.add_order(customer_id, 6000)}


def figures(healthy, state):
    wallet = healthy.wallet.get_wallet(state["customer_id"], "INR")
    order = healthy.orders.get(state["order_id"])
    return wallet["balance_minor"], wallet.get("held_minor", 0), order["payment_status"]


def test_a_crash_during_an_authorisation_is_healed(app, db, api, integration):
    def operation(crashy, state):
        WalletAccounts(crashy).authorize_order(state["order_id"], state["customer_id"], 6000)

    def check(healthy, state, crash_at):
        # Either it held (and the order is authorised) or nothing did (and the order is payable).
        assert figures(healthy, state) in ((10000, 6000, "authorized"), (10000, 0, "pending")), crash_at

    assert (
        crash_each_write(app, db, lambda: funded_order(api, integration), operation, check, stale_authorizations) >= 3
    )


def test_a_void_after_a_crashed_authorisation_before_recovery_leaves_no_hold_without_its_order(
    app, db, api, integration
):
    """The authorisation dies after any of its writes (its hold entry in, the wallet not rolled
    forward to it, say), and the customer voids before recovery runs: afterwards the order is
    authorised with its hold, or pending with none, never pending with the money held."""
    voided = {}

    def operation(crashy, state):
        voided.update(state)
        WalletAccounts(crashy).authorize_order(state["order_id"], state["customer_id"], 6000)

    def void_first(db):
        api.post("/order/void", {"order_id": voided["order_id"]}, bearer(voided["customer_id"]))
        stale_authorizations(db)

    def check(healthy, state, crash_at):
        assert figures(healthy, state) in ((10000, 6000, "authorized"), (10000, 0, "pending")), crash_at

    assert crash_each_write(app, db, lambda: funded_order(api, integration), operation, check, void_first) >= 3


def test_a_crash_during_a_capture_is_healed(app, db, api, integration):
    def setup():
        state = funded_order(api, integration)
        WalletAccounts(integration).authorize_order(state["order_id"], state["customer_id"], 6000)
        return state

    def operation(crashy, state):
        WalletAccounts(crashy).capture_order(state["order_id"], 4000)

    def check(healthy, state, crash_at):
        assert figures(healthy, state) in ((6000, 0, "paid"), (10000, 6000, "authorized")), crash_at

    assert crash_each_write(app, db, setup, operation, check, stale_authorizations) >= 3


def test_a_crash_during_a_void_is_healed(app, db, api, integration):
    def setup():
        state = funded_order(api, integration)
        WalletAccounts(integration).authorize_order(state["order_id"], state["customer_id"], 6000)
        return state

    def operation(crashy, state):
        WalletAccounts(crashy).void_order(state["order_id"])

    def check(healthy, state, crash_at):
        assert figures(healthy, state) in ((10000, 0, "pending"), (10000, 6000, "authorized")), crash_at

    assert crash_each_write(app, db, setup, operation, check, stale_authorizations) >= 3


def test_a_void_while_the_authorisation_makes_its_hold_leaves_no_hold_without_its_order(api, integration, monkeypatch):
    """The void finds the order authorised but its hold not in the wallet yet: 409, and the order stays
    authorised, so the hold the authorisation then makes can be voided (before, the order went back to
    `pending` and its hold stayed in the wallet for good, named by no order)."""
    api.topup("cust_a", "50.00")
    order_id = api.add_order("cust_a", 1000)
    real_hold = integration.holds.hold

    def void_first(*args, **kwargs):
        monkeypatch.setattr(integration.holds, "hold", real_hold)
        assert api.post("/order/void", {"order_id": order_id}, bearer("cust_a")).status_code == 409
        return real_hold(*args, **kwargs)

    monkeypatch.setattr(integration.holds, "hold", void_first)
    body = {"order_id": order_id, "customer_id": "cust_a", "amount": "10.00"}
    assert api.post("/order/authorize", body, bearer("cust_a")).status_code == 200
    assert api.db["orders"].find_one({"order_id": order_id})["payment_status"] == "authorized"
    assert api.post("/order/void", {"order_id": order_id}, bearer("cust_a")).status_code == 200
    wallet = api.status("cust_a").get_json()["wallet"]
    assert (wallet["balance"], wallet["held"], wallet["available"]) == (50, 0, 50)
    assert integration.reconcile() == []


def test_a_capture_just_before_the_worker_expires_its_hold_leaves_the_order_paid(api, db, integration, monkeypatch):
    """The worker's expiry finds no capture, then the capture takes the hold before the worker's
    release: the order must end `paid`, not `pending` and payable again (the customer paid twice)."""
    api.topup("cust_a", "50.00")
    order_id = api.add_order("cust_a", 1000)
    body = {"order_id": order_id, "customer_id": "cust_a", "amount": "10.00"}
    assert api.post("/order/authorize", body, bearer("cust_a")).status_code == 200
    order = db["orders"].find_one({"order_id": order_id})
    hold_key, hold_id = order["authorization"]["hold_key"], order["authorization"]["hold_id"]
    db["orders"].update_one(
        {"order_id": order_id}, {"$set": {"authorization.expires_at": datetime.datetime(2000, 1, 1)}}
    )
    real_release = integration.holds.release

    def captured_first(*args, **kwargs):
        monkeypatch.setattr(integration.holds, "release", real_release)
        reference = {"order_id": order_id, "order_life": order["authorization"]["life"]}
        integration.holds.capture(
            "cust_a", "INR", hold_id, 1000, f"capture:{hold_key}", reference, (Exception, Exception)
        )
        return real_release(*args, **kwargs)

    monkeypatch.setattr(integration.holds, "release", captured_first)
    integration.recover(grace_seconds=0)
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "paid"
    assert api.pay(order_id, "cust_a", 10).status_code == 409
    wallet = api.status("cust_a").get_json()["wallet"]
    assert (wallet["balance"], wallet["held"]) == (40, 0)
    assert integration.reconcile() == []


def store_gone(*args, **kwargs):
    raise AutoReconnect("store gone")


def keyed(customer_id, key):
    return {**bearer(customer_id), "Idempotency-Key": key}


@pytest.mark.parametrize("step", ["capture", "void"])
def test_a_retry_after_operation_pending_answers_its_own_try_and_never_moves_a_later_hold(
    api, db, integration, monkeypatch, step
):
    """Found by a red-team pass: a capture (or void) answered 503 `operation_pending` (its entry in, the
    order not written); the worker finished it; the order was authorised again (reopened by the shop
    after the capture); the retry with the first key then captured (voided) the new hold. It now
    answers what its first try did, and the new hold stays."""
    api.topup("cust_rp", "100.00")
    order_id = api.add_order("cust_rp", 3000)
    authorize = {"order_id": order_id, "customer_id": "cust_rp", "amount": 30}
    assert api.post("/order/authorize", authorize, keyed("cust_rp", "a1")).status_code == 200
    body = {"order_id": order_id, "amount": 30} if step == "capture" else {"order_id": order_id}
    failing = "mark_captured" if step == "capture" else "unclaim"
    with monkeypatch.context() as patch:
        patch.setattr(OrderAuthorizations, failing, store_gone)
        first = api.post(f"/order/{step}", body, keyed("cust_rp", f"{step}-pending"))
    assert (first.status_code, first.get_json()["error"]) == (503, "operation_pending")
    stale = datetime.datetime(2000, 1, 1)
    db["orders"].update_one({"order_id": order_id}, {"$set": {"authorization.authorized_at": stale}})
    integration.recover(grace_seconds=0)  # the worker writes the first try to the order
    db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "pending"}})  # (reopened)
    assert api.post("/order/authorize", authorize, keyed("cust_rp", "a2")).status_code == 200
    retry = api.post(f"/order/{step}", body, keyed("cust_rp", f"{step}-pending"))
    assert retry.status_code == 200, retry.get_json()
    kind = "capture" if step == "capture" else "hold_release"
    made = db["ledger_entries"].find_one({"kind": kind})
    assert made["_id"] == first.get_json()["transaction_id"]  # the 503's
    answered = retry.get_json()
    if step == "capture":
        assert (answered["transaction_id"], answered["captured"]) == (made["_id"], 30)
    else:
        assert (answered["released"], answered["payment_status"]) == (30, "pending")
    assert db["ledger_entries"].count_documents({"kind": kind}) == 1
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "authorized"  # the new hold stays
    assert integration.reconcile() == []


def test_an_authorisation_retried_after_operation_pending_and_a_void_holds_nothing_more(
    api, db, integration, monkeypatch
):
    """Found by a red-team pass: the retry of an authorisation that answered 503 (its hold made) and was
    voided meanwhile made a second hold under the same key."""
    api.topup("cust_ra", "100.00")
    order_id = api.add_order("cust_ra", 3000)
    body = {"order_id": order_id, "customer_id": "cust_ra", "amount": 30}
    record = AuditLog.record

    def fails_on_authorized(self, event, *args, **kwargs):
        if event == "order.authorized":
            store_gone()
        return record(self, event, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(AuditLog, "record", fails_on_authorized)
        first = api.post("/order/authorize", body, keyed("cust_ra", "auth-pending"))
    assert (first.status_code, first.get_json()["error"]) == (503, "operation_pending")
    assert api.post("/order/void", {"order_id": order_id}, keyed("cust_ra", "void-1")).status_code == 200
    retry = api.post("/order/authorize", body, keyed("cust_ra", "auth-pending"))
    assert (retry.status_code, retry.get_json()["error"]) == (409, "order_not_payable")
    assert db["ledger_entries"].count_documents({"kind": "checkout_hold"}) == 1
    assert api.status("cust_ra").get_json()["wallet"]["held"] == 0
    assert api.post("/order/authorize", body, keyed("cust_ra", "auth-new")).status_code == 200  # a new key holds
    assert integration.reconcile() == []


def test_a_capture_right_after_an_authorisation_left_its_wallet_behind_captures(api, db, integration, monkeypatch):
    """Found by a red-team pass: the authorisation answered 503 `operation_pending` (its hold entry in,
    the wallet not rolled forward to it) and a capture before the worker ran answered 409
    `hold_not_found` for a hold the ledger holds. The capture rolls the wallet forward and takes it."""
    api.topup("cust_cb", "100.00")
    order_id = api.add_order("cust_cb", 3000)
    roll = WalletService.roll

    def hold_not_rolled(self, entry):
        if entry["kind"] == "checkout_hold":
            store_gone()
        return roll(self, entry)

    with monkeypatch.context() as patch:
        patch.setattr(WalletService, "roll", hold_not_rolled)
        body = {"order_id": order_id, "customer_id": "cust_cb", "amount": 30}
        first = api.post("/order/authorize", body, bearer("cust_cb"))
    assert (first.status_code, first.get_json()["error"]) == (503, "operation_pending")
    assert db["wallets"].find_one({"customer_id": "cust_cb"})["held_minor"] == 0  # the hold is in the ledger only
    captured = api.post("/order/capture", {"order_id": order_id, "amount": 30}, bearer("cust_cb"))
    assert captured.status_code == 200, captured.get_json()
    assert (captured.get_json()["captured"], captured.get_json()["remaining_balance"]) == (30, 70)
    wallet = api.status("cust_cb").get_json()["wallet"]
    assert (wallet["balance"], wallet["held"]) == (70, 0)
    assert db["orders"].find_one({"order_id": order_id})["payment_status"] == "paid"
    assert integration.reconcile() == []
