"""A late payment of a lapsed top-up (tests/integration/topups/test_lapsed_topups.py) racing what
frees or takes the room it needs, found by a review: a report that read its top-up while it was
still open must not credit a payment another report has refused and given back, nor credit past a
limit the sweep's expiry let an initiate fill; a refusal cut short by a crash is finished by the
worker; a Google Pay token over a limit is never charged; a refused top-up stays refused."""

import datetime
import threading

import pytest

from backend.errors import StoreUnavailable
from backend.flows.topups import Topups
from backend.gateways.google_pay.simulator import CHARGES_COLLECTION, REFUNDS_COLLECTION, payment_data, simulator_token
from backend.payment_orders import PaymentOrders
from backend.sweep import GatewaySweep
from tests.helpers import BASE, bearer, checkout_signature
from tests.integration.settlement.support import DAY, capture_row, report
from tests.integration.support import confirm_by_webhook, initiated
from tests.integration.topups import test_lapsed_topups as lapsed_topups
from tests.integration.topups.test_lapsed_topups import given_back, lapsed

limited, api = lapsed_topups.limited, lapsed_topups.api  # the same app, limits set


def verify(api, customer_id, order_id, payment_id):
    body = {"order_id": order_id, "payment_id": payment_id, "signature": checkout_signature(order_id, payment_id)}
    return api.post("/wallet/topup/verify", body, bearer(customer_id))


def balance_minor(api, customer_id):
    wallet = api.db["wallets"].find_one({"_id": f"{customer_id}:INR"})
    return 0 if wallet is None else wallet["balance_minor"]


def webhook_paused_after_its_read(monkeypatch, integration, api, order_id, payment_id):
    """A capture webhook of `payment_id` in a thread, paused once it has read `order_id`; (started, go,
    result): the test acts while it waits, then sets `go`."""
    started, go, result = threading.Event(), threading.Event(), {}
    real = integration.payment_orders.for_event

    def for_event(gateway, event):
        read = real(gateway, event)
        if read is not None and read.payment_order.id == order_id and not started.is_set():
            started.set()
            assert go.wait(30)
        return read

    monkeypatch.setattr(integration.payment_orders, "for_event", for_event)

    def deliver():
        result["status"] = confirm_by_webhook(api.client, order_id, 6000, payment_id=payment_id).status_code

    thread = threading.Thread(target=deliver)
    thread.start()
    assert started.wait(30)
    return thread, go, result


def test_a_webhook_that_read_the_top_up_open_does_not_credit_a_payment_verify_gave_back(limited, api, monkeypatch):
    order_id = initiated(api, "cust_a", "60.00")
    thread, go, result = webhook_paused_after_its_read(
        monkeypatch, limited.extensions["integration"], api, order_id, "pay_Late"
    )
    assert PaymentOrders(api.db).sweep.expire(order_id, "nothing captured")
    initiated(api, "cust_a", "70.00")  # the room the expired top-up held, taken
    assert verify(api, "cust_a", order_id, "pay_Late").status_code == 422
    go.set()
    thread.join(30)
    assert result["status"] == 200
    status = api.db["payment_orders"].find_one({"_id": order_id})["status"]
    assert (balance_minor(api, "cust_a"), given_back(api, "pay_Late"), status) == (0, [6000], "refused")


def test_a_webhook_that_read_the_top_up_open_does_not_credit_past_a_limit_the_sweep_let_fill(limited, api, monkeypatch):
    integration = limited.extensions["integration"]
    order_id = initiated(api, "cust_a", "60.00")
    thread, go, result = webhook_paused_after_its_read(monkeypatch, integration, api, order_id, "pay_Late")
    assert PaymentOrders(api.db).sweep.expire(order_id, "nothing captured")
    initiated(api, "cust_a", "70.00")
    go.set()
    thread.join(30)
    assert result["status"] == 200
    assert integration.limits.headroom("cust_a", "INR")[0]["used_minor"] <= 10000
    assert given_back(api, "pay_Late") == [6000]


def test_a_webhook_that_read_a_failed_top_up_still_open_is_checked_once_it_aged(limited, api, monkeypatch):
    order_id = initiated(api, "cust_a", "60.00")
    PaymentOrders(api.db).mark_failed(order_id, "card declined")
    thread, go, result = webhook_paused_after_its_read(
        monkeypatch, limited.extensions["integration"], api, order_id, "pay_Retry"
    )
    aged = datetime.datetime.utcnow() - datetime.timedelta(days=1, seconds=1)
    api.db["payment_orders"].update_one({"_id": order_id}, {"$set": {"created_at": aged}})
    initiated(api, "cust_a", "70.00")
    assert verify(api, "cust_a", order_id, "pay_Retry").status_code == 422
    go.set()
    thread.join(30)
    assert (balance_minor(api, "cust_a"), given_back(api, "pay_Retry")) == (0, [6000])


def test_settlement_that_read_the_top_up_open_does_not_credit_a_payment_given_back_meanwhile(limited, api, monkeypatch):
    integration = limited.extensions["integration"]
    other = lapsed(api, "cust_b", "60.00")
    api.topup("cust_b", "70.00")
    order_id = initiated(api, "cust_a", "60.00")  # still `created` when settlement reads the page
    rows = [
        capture_row(api.db["payment_orders"].find_one({"_id": other}), payment_id="pay_Other"),
        capture_row(api.db["payment_orders"].find_one({"_id": order_id}), payment_id="pay_Late"),
    ]
    report(integration, "razorpay", rows)
    real_ask, done = integration.our_refunds.ask_if_requested, []

    def meanwhile(record):
        status = real_ask(record)
        if not done:  # while row 1's refund is asked: cust_a's top-up expires, its room is taken, it is reported
            done.append(True)
            assert PaymentOrders(api.db).sweep.expire(order_id, "nothing captured")
            initiated(api, "cust_a", "70.00")
            assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Late").status_code == 200
        return status

    monkeypatch.setattr(integration.our_refunds, "ask_if_requested", meanwhile)
    integration.settle("razorpay", DAY)
    assert (balance_minor(api, "cust_a"), given_back(api, "pay_Late")) == (0, [6000])


class ProcessDied(BaseException):
    """Not an Exception: nothing after it runs, as when the process dies."""


def test_a_refusal_cut_short_before_its_refund_was_asked_is_asked_by_the_worker(limited, api, monkeypatch):
    integration = limited.extensions["integration"]
    order_id = lapsed(api, "cust_a", "60.00")
    api.topup("cust_a", "70.00")

    def died(_record):
        raise ProcessDied()

    with monkeypatch.context() as patch:
        patch.setattr(integration.our_refunds, "ask_if_requested", died)
        with pytest.raises(ProcessDied):
            confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Late")
    assert api.db["payment_orders"].find_one({"_id": order_id})["status"] == "refused"
    assert given_back(api, "pay_Late") == []
    integration.our_refunds.retry_due(100, older_than_seconds=0)  # the worker
    assert (balance_minor(api, "cust_a"), given_back(api, "pay_Late")) == (7000, [6000])


def test_a_payment_given_back_before_its_top_up_was_marked_refused_is_given_back_again(limited, api, monkeypatch):
    """The refund is recorded before the top-up is marked `refused`; a crash between the two, then
    room in the wallet, and the same payment reported again: given back, not credited."""
    integration = limited.extensions["integration"]
    order_id = lapsed(api, "cust_a", "60.00")
    api.topup("cust_a", "70.00")

    def died(*_args):
        raise ProcessDied()

    with monkeypatch.context() as patch:
        patch.setattr(integration.payment_orders.limits, "refuse", died)
        with pytest.raises(ProcessDied):
            confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Late")
    assert api.db["payment_orders"].find_one({"_id": order_id})["status"] == "expired"
    assert api.pay(api.add_order("cust_a", 7000), "cust_a", 70).status_code == 200  # room for 100.00 now
    assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Late").status_code == 200
    integration.our_refunds.retry_due(100, older_than_seconds=0)
    assert (balance_minor(api, "cust_a"), given_back(api, "pay_Late")) == (0, [6000])
    assert api.db["payment_orders"].find_one({"_id": order_id})["status"] == "refused"


def test_a_google_pay_token_of_a_lapsed_top_up_over_a_limit_is_never_charged(limited, api):
    integration = limited.extensions["integration"]
    order_id = api.initiate("cust_a", "60.00", method="google_pay").get_json()["payment_order_id"]
    assert PaymentOrders(api.db).sweep.expire(order_id, "nothing captured")
    api.topup("cust_a", "70.00")
    token = simulator_token(integration.payments.gateway("google_pay"))
    body = {"payment_order_id": order_id, "paymentData": payment_data(token)}
    assert api.client.post(f"{BASE}/webhook/google-pay", json=body).status_code == 200
    assert balance_minor(api, "cust_a") == 7000
    assert (api.db[CHARGES_COLLECTION].count_documents({}), api.db[REFUNDS_COLLECTION].count_documents({})) == (0, 0)
    outcomes = [e["outcome"] for e in api.db["integration_logs"].find({"event": "webhook.received"})]
    assert "over_limit" in outcomes


def test_a_refused_top_up_stays_refused_when_the_limits_are_unset_later(limited, api):
    order_id = lapsed(api, "cust_a", "60.00")
    api.topup("cust_a", "70.00")
    assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_First").status_code == 200
    limited.extensions["integration"].limits.limits_minor = {}  # restarted with the settings emptied
    assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Again").status_code == 200
    assert api.db["payment_orders"].find_one({"_id": order_id})["status"] == "refused"
    assert (balance_minor(api, "cust_a"), given_back(api, "pay_Again")) == (7000, [6000])


# --- found by a second review: a lease that ran out, a lease that is held ----------------------------
def lease_ran_out(api):
    past = datetime.datetime.utcnow() - datetime.timedelta(seconds=1)
    api.db["customer_leases"].update_many({}, {"$set": {"until": past}})


def lease_held_by_a_dead_process(api, customer_id):
    until = datetime.datetime.utcnow() + datetime.timedelta(seconds=10)
    api.db["customer_leases"].insert_one({"_id": f"topup_limits:{customer_id}", "owner": "dead", "until": until})


def test_a_refusal_whose_lease_ran_out_while_another_report_credited_gives_nothing_back(limited, api, monkeypatch):
    integration = limited.extensions["integration"]
    order_id = lapsed(api, "cust_a", "60.00")
    api.topup("cust_a", "70.00")
    real_record, seen = integration.our_refunds.record_give_back, {}

    def slow_record(payment_order, payment_id, *args, **fields):
        if payment_id == "pay_Late" and not seen:  # decided to refuse; the process stalls past its lease
            lease_ran_out(api)
            assert api.pay(api.add_order("cust_a", 7000), "cust_a", 70).status_code == 200  # room now
            seen["verify"] = verify(api, "cust_a", order_id, "pay_Late")
        return real_record(payment_order, payment_id, *args, **fields)

    monkeypatch.setattr(integration.our_refunds, "record_give_back", slow_record)
    response = confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Late")
    integration.our_refunds.retry_due(100, older_than_seconds=0)
    assert (seen["verify"].status_code, response.status_code) == (200, 200)
    assert (balance_minor(api, "cust_a"), given_back(api, "pay_Late")) == (6000, [])
    assert api.db["gateway_refunds"].count_documents({}) == 0
    assert api.db["payment_orders"].find_one({"_id": order_id})["status"] == "paid"


def test_a_credit_decided_while_another_report_comes_is_credited_once(limited, api, monkeypatch):
    order_id = lapsed(api, "cust_a", "60.00")
    api.topup("cust_a", "30.00")
    real_credit, seen = Topups._credit, {}

    def slow_credit(self, payment_order, payment_id, *args):
        if payment_id == "pay_Late" and not seen:  # decided `credit`; the process stalls past its lease
            lease_ran_out(api)
            seen["initiate"] = api.initiate("cust_a", "70.00")  # the decided credit still counts
            seen["verify"] = verify(api, "cust_a", order_id, "pay_Late")
        return real_credit(self, payment_order, payment_id, *args)

    monkeypatch.setattr(Topups, "_credit", slow_credit)
    assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Late").status_code == 200
    assert seen["initiate"].status_code == 422
    assert seen["verify"].status_code == 200
    assert (balance_minor(api, "cust_a"), given_back(api, "pay_Late")) == (9000, [])


def test_an_open_top_up_is_credited_whoever_holds_the_customers_limits_lease(limited, api):
    webhook_order, verify_order = initiated(api, "cust_a", "30.00"), initiated(api, "cust_a", "20.00")
    lease_held_by_a_dead_process(api, "cust_a")  # or an initiate of the customer in its gateway call
    assert confirm_by_webhook(api.client, webhook_order, 3000, payment_id="pay_W").status_code == 200
    assert verify(api, "cust_a", verify_order, "pay_V").status_code == 200
    assert balance_minor(api, "cust_a") == 5000


def test_a_lapsed_top_up_under_a_held_lease_is_settled_again_the_rest_of_its_day_healed(limited, api):
    """Found by two reviews: the whole day stopped at that row (a 503, nothing after it healed); then,
    left an open row in a day recorded as settled, the worker never settled it again."""
    integration = limited.extensions["integration"]
    stuck, other = lapsed(api, "cust_a", "60.00"), initiated(api, "cust_b", "50.00")
    rows = [
        capture_row(api.db["payment_orders"].find_one({"_id": stuck}), payment_id="pay_A"),
        capture_row(api.db["payment_orders"].find_one({"_id": other}), payment_id="pay_B"),
    ]
    report(integration, "razorpay", rows)
    lease_held_by_a_dead_process(api, "cust_a")
    with pytest.raises(StoreUnavailable):
        integration.settle("razorpay", DAY)
    assert (balance_minor(api, "cust_a"), balance_minor(api, "cust_b")) == (0, 5000)
    assert api.db["settlements"].count_documents({}) == 0  # not recorded: the worker settles it again
    api.db["customer_leases"].delete_many({})
    _document, exceptions = integration.settle("razorpay", DAY)
    assert {e["status"] for e in exceptions} == {"resolved"}
    assert balance_minor(api, "cust_a") == 6000


def give_back_left_by_a_report_that_died(integration, api, order_id, payment_id):
    payment_order = PaymentOrders(api.db).get(order_id)
    integration.our_refunds.record_give_back(payment_order, payment_id, "lapsed_payment", limit="X")


def test_the_worker_waits_for_a_decided_credit_and_withdraws_the_give_back_of_the_payment_it_credited(limited, api):
    integration = limited.extensions["integration"]
    order_id = lapsed(api, "cust_a", "60.00")
    give_back_left_by_a_report_that_died(integration, api, order_id, "pay_Late")
    assert PaymentOrders(api.db).limits.decide(order_id, "credit")  # another report decided first
    integration.our_refunds.retry_due(100, older_than_seconds=0)
    assert api.db["gateway_refunds"].count_documents({"status": "requested"}) == 1  # waits: not asked
    assert verify(api, "cust_a", order_id, "pay_Late").status_code == 200  # the decided credit lands
    integration.our_refunds.retry_due(100, older_than_seconds=0)
    assert api.db["gateway_refunds"].count_documents({}) == 0
    assert (balance_minor(api, "cust_a"), given_back(api, "pay_Late")) == (6000, [])


def test_the_worker_gives_back_a_payment_whose_top_up_another_payment_credited(limited, api):
    """Found by a review: the worker withdrew pay_1's give-back because the top-up was decided
    `credit`, though pay_2 was the payment credited: pay_1 was neither credited nor refunded."""
    integration = limited.extensions["integration"]
    order_id = lapsed(api, "cust_a", "60.00")
    give_back_left_by_a_report_that_died(integration, api, order_id, "pay_1")
    assert verify(api, "cust_a", order_id, "pay_2").status_code == 200  # room: pay_2 is credited
    integration.our_refunds.retry_due(100, older_than_seconds=0)
    assert (balance_minor(api, "cust_a"), given_back(api, "pay_1"), given_back(api, "pay_2")) == (6000, [6000], [])


def test_the_worker_decides_a_give_back_a_report_left_so_no_credit_of_that_payment_follows(limited, api):
    """Found by a review: the worker checked the decision, then asked; a report deciding `credit` in
    between credited the payment it gave back."""
    integration = limited.extensions["integration"]
    order_id = lapsed(api, "cust_a", "60.00")
    give_back_left_by_a_report_that_died(integration, api, order_id, "pay_Late")
    integration.our_refunds.retry_due(100, older_than_seconds=0)  # decides `give_back`, then asks
    assert api.db["payment_orders"].find_one({"_id": order_id})["status"] == "refused"
    assert verify(api, "cust_a", order_id, "pay_Late").status_code == 422  # room or not: given back
    assert (balance_minor(api, "cust_a"), given_back(api, "pay_Late")) == (0, [6000])


def test_a_google_pay_token_of_a_top_up_decided_give_back_is_never_charged(limited, api):
    integration = limited.extensions["integration"]
    order_id = api.initiate("cust_a", "60.00", method="google_pay").get_json()["payment_order_id"]
    assert PaymentOrders(api.db).sweep.expire(order_id, "nothing captured")
    assert PaymentOrders(api.db).limits.decide(order_id, "give_back")  # a report died before `refused`
    token = simulator_token(integration.payments.gateway("google_pay"))
    body = {"payment_order_id": order_id, "paymentData": payment_data(token)}
    assert api.client.post(f"{BASE}/webhook/google-pay", json=body).status_code == 200
    assert api.db[CHARGES_COLLECTION].count_documents({}) == 0


def test_a_failed_top_up_is_decided_under_the_lease_with_the_clock_of_then(limited, api):
    """Found by a review: whether a `failed` top-up still counts depends on the clock, read before a
    lease-free write: one that lapsed meanwhile was credited after an initiate used its room."""
    order_id = initiated(api, "cust_a", "60.00")
    PaymentOrders(api.db).mark_failed(order_id, "card declined")
    lease_held_by_a_dead_process(api, "cust_a")
    assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Retry").status_code == 503
    assert api.db["payment_orders"].find_one({"_id": order_id}).get("decision") is None
    api.db["customer_leases"].delete_many({})
    assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Retry").status_code == 200
    assert balance_minor(api, "cust_a") == 6000


def test_the_sweep_asks_a_decided_top_up_it_cannot_expire_ever_more_rarely(limited, api):
    """Found by a review: a top-up decided `credit` whose report died before the credit, and that the
    gateway calls pending, was looked up on every sweep, forever."""
    integration = limited.extensions["integration"]
    order_id = initiated(api, "cust_a", "60.00")
    assert PaymentOrders(api.db).limits.claim_open(order_id)  # the report died after deciding
    two_days_ago = datetime.datetime.utcnow() - datetime.timedelta(days=2)
    api.db["payment_orders"].update_one({"_id": order_id}, {"$set": {"created_at": two_days_ago}})
    assert GatewaySweep(integration).run(0, 86400, 100)["skipped"] == 1
    assert api.db["payment_orders"].find_one({"_id": order_id})["status"] == "created"
    assert sum(GatewaySweep(integration).run(0, 86400, 100).values()) == 0  # not due again so soon


def test_a_process_whose_limits_are_unset_follows_a_give_back_another_decided(limited, api, monkeypatch):
    """Found by a review: during a rolling restart that unset the limits, a process without them
    credited a payment that a process with them had decided to give back: credited and refunded."""
    integration = limited.extensions["integration"]
    order_id = lapsed(api, "cust_a", "60.00")
    api.topup("cust_a", "70.00")
    limits, seen = integration.payment_orders.limits, {}
    real_refuse = limits.refuse

    def another_process_reports_it_meanwhile(payment_order_id, limit):
        if not seen:
            saved, integration.limits.limits_minor = integration.limits.limits_minor, {}
            seen["other"] = confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Late")
            integration.limits.limits_minor = saved
        return real_refuse(payment_order_id, limit)

    monkeypatch.setattr(limits, "refuse", another_process_reports_it_meanwhile)
    assert verify(api, "cust_a", order_id, "pay_Late").status_code == 422
    assert seen["other"].status_code == 503  # it waited for the deciding process's lease
    integration.limits.limits_minor = {}  # the restart done: no process has limits
    assert confirm_by_webhook(api.client, order_id, 6000, payment_id="pay_Late").status_code == 200  # redelivered
    integration.our_refunds.retry_due(100, older_than_seconds=0)
    assert (balance_minor(api, "cust_a"), given_back(api, "pay_Late")) == (7000, [6000])


@pytest.mark.parametrize(("decision", "shown"), [("credit", "pending"), ("give_back", "refused")])
def test_a_top_up_decided_and_cut_short_shows_what_was_decided(limited, api, decision, shown):
    order_id = lapsed(api, "cust_a", "60.00")
    assert PaymentOrders(api.db).limits.decide(order_id, decision)  # its report died after deciding
    status = api.client.get(f"{BASE}/wallet/topup/{order_id}/status", headers=bearer("cust_a")).get_json()
    assert status["status"] == shown
