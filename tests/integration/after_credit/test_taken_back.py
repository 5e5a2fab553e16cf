"""Over HTTP with signed webhooks, for Razorpay and PayPal each (SPEC §9): a gateway refund of a credited
top-up takes it back once (its webhooks delivered again, and in reverse order); money already spent
becomes debt, which the next top-up pays first; a dispute holds, then won releases or lost takes back;
reconcile is clean after each step."""

import datetime
import threading

import pytest

from backend.gateways.paypal.api import RefundRefused as PayPalRefused
from backend.gateways.razorpay.api import RefundRefused as RazorpayRefused
from tests.helpers import bearer, token
from tests.integration.after_credit.support import paypal_topup, redeliver, simulator, topup, wallet, withdraw
from tests.integration.support import assert_money

GATEWAYS = ["razorpay", "paypal"]


def assert_wallet(api, customer_id, balance, held, debt):
    shown = wallet(api, customer_id)
    for value, expected in zip(shown, (balance, held, balance - held, debt), strict=True):
        assert_money(value, expected)


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_a_gateway_refund_takes_the_top_up_back_once(gateway, api, client, db, integration, posted):
    _order, payment_id = topup(gateway, api, client, db, "cust_a", "100.00")
    posted.webhooks.clear()
    simulator(integration, gateway).dashboard_refund(payment_id, 4000, "INR")
    assert_wallet(api, "cust_a", 60, 0, 0)
    for _ in range(3):
        for webhook in posted.webhooks:
            assert redeliver(client, gateway, webhook).status_code == 200
    for webhook in reversed(posted.webhooks):
        assert redeliver(client, gateway, webhook).status_code == 200
    assert_wallet(api, "cust_a", 60, 0, 0)
    assert integration.reconcile() == []


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_webhooks_of_a_refund_in_reverse_order_take_it_back_once(gateway, api, client, db, integration):
    """The refund's webhooks caught as the simulator posts them, then delivered newest first."""
    _order, payment_id = topup(gateway, api, client, db, "cust_a", "100.00")
    sim_api, caught = integration.payments.gateway(gateway).api, []
    sim_api.deliver_webhook = lambda body, headers, wait=False: caught.append((body, dict(headers))) or 200
    simulator(integration, gateway).dashboard_refund(payment_id, 10000, "INR")
    assert caught and wallet(api, "cust_a")[0] == 100  # nothing delivered yet
    for webhook in reversed(caught):
        assert redeliver(client, gateway, webhook).status_code == 200
    assert_wallet(api, "cust_a", 0, 0, 0)
    assert integration.reconcile() == []


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_money_already_spent_becomes_debt_and_the_next_top_up_pays_it(gateway, api, client, db, integration):
    _order, payment_id = topup(gateway, api, client, db, "cust_a", "100.00")
    order_id = api.add_order("cust_a", 7000)
    assert api.pay(order_id, "cust_a", 70).status_code == 200
    simulator(integration, gateway).dashboard_refund(payment_id, 10000, "INR")
    assert_wallet(api, "cust_a", 0, 0, 70)
    assert integration.reconcile() == []
    topup(gateway, api, client, db, "cust_a", "50.00")
    assert_wallet(api, "cust_a", 0, 0, 20)
    topup(gateway, api, client, db, "cust_a", "50.00")
    assert_wallet(api, "cust_a", 30, 0, 0)
    kinds = [t["kind"] for t in api.status("cust_a").get_json()["recent_transactions"]]
    assert kinds[:2] == ["debt_repayment", "topup"]
    assert integration.reconcile() == []


@pytest.mark.parametrize("gateway", GATEWAYS)
@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_a_dispute_holds_then_won_releases_or_lost_takes_back(gateway, outcome, api, client, db, integration):
    _order, payment_id = topup(gateway, api, client, db, "cust_a", "100.00")
    sim = simulator(integration, gateway)
    dispute_id = sim.open_dispute(payment_id, 6000, "INR")
    assert_wallet(api, "cust_a", 100, 60, 0)
    assert integration.reconcile() == []
    order_id = api.add_order("cust_a", 5000)
    assert api.pay(order_id, "cust_a", 50).status_code == 402  # held money cannot be spent
    resolution = {"won": "won", "lost": "lost"}[outcome]
    if gateway == "paypal":
        resolution = {"won": "RESOLVED_SELLER_FAVOUR", "lost": "RESOLVED_BUYER_FAVOUR"}[outcome]
    sim.resolve_dispute(dispute_id, payment_id, 6000, "INR", resolution)
    if outcome == "won":
        assert_wallet(api, "cust_a", 100, 0, 0)
    else:
        assert_wallet(api, "cust_a", 40, 0, 0)
    assert integration.reconcile() == []


def metric_value(text, name):
    return next((float(line.split()[1]) for line in text.splitlines() if line.startswith(name + " ")), None)


def test_metrics_count_open_disputes_wallets_in_debt_and_money_taken_back(api, client, db, integration):
    _order, payment_id = topup("razorpay", api, client, db, "cust_a", "100.00")
    order_id = api.add_order("cust_a", 9000)
    assert api.pay(order_id, "cust_a", 90).status_code == 200
    sim = simulator(integration, "razorpay")
    dispute_id = sim.open_dispute(payment_id, 10000, "INR")
    text = client.get("/metrics").get_data(as_text=True)
    assert (metric_value(text, "wallet_disputes_open"), metric_value(text, "wallet_wallets_in_debt")) == (1, 0)
    sim.resolve_dispute(dispute_id, payment_id, 10000, "INR", "lost")
    text = client.get("/metrics").get_data(as_text=True)
    assert (metric_value(text, "wallet_disputes_open"), metric_value(text, "wallet_wallets_in_debt")) == (0, 1)
    assert metric_value(text, "wallet_gateway_refunds_overdue") == 0
    assert 'wallet_audit_events_total{event="wallet.chargeback",outcome="ok"} 1.0' in text


def test_the_support_view_shows_the_figures_and_what_the_gateway_did(api, client, db, integration):
    _order, payment_id = topup("razorpay", api, client, db, "cust_a", "100.00")
    sim = simulator(integration, "razorpay")
    sim.open_dispute(payment_id, 2500, "INR")
    sim.dashboard_refund(payment_id, 1000, "INR")
    admin = {"Authorization": f"Bearer {token('admin_1', 'admin')}"}
    body = client.get("/api/integration/support/customers/cust_a", headers=admin).get_json()
    assert body["wallet"]["held"] == 25 and body["wallet"]["available"] == 65 and body["wallet"]["balance"] == 90
    events = [w["event"] for w in body["webhooks"]]
    assert "wallet.dispute_hold" in events and "wallet.topup_reversal" in events


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_a_gateway_refund_of_a_top_up_already_withdrawn_takes_nothing_more(
    gateway, api, client, db, integration, monkeypatch
):
    """A withdrawal refunded the whole top-up through its gateway; a refund of it reported afterwards
    (which a gateway refuses beyond what is left of a payment: here the simulator is made to report
    it anyway) finds the payment taken back already and moves nothing, though the wallet has money."""
    _order, payment_id = topup(gateway, api, client, db, "cust_a", "100.50")
    withdrawn = withdraw(api, "cust_a", "100.50")
    assert withdrawn.status_code == 202 and withdrawn.get_json()["status"] == "completed", withdrawn.get_json()
    topup("razorpay", api, client, db, "cust_a", "200.00")
    assert_wallet(api, "cust_a", 200, 0, 0)
    module = "razorpay.simulator" if gateway == "razorpay" else "paypal.simulator_cases"
    keep_anyway = lambda refunds, document, *args: refunds.insert_one(document)  # noqa: E731 (refuses nothing)
    monkeypatch.setattr(f"backend.gateways.{module}.keep_within", keep_anyway)
    simulator(integration, gateway).dashboard_refund(payment_id, 10050, "INR")
    assert_wallet(api, "cust_a", 200, 0, 0)
    assert integration.reconcile() == []


def test_paypals_simulator_refuses_a_dashboard_refund_or_reversal_beyond_what_is_left(api, client, db):
    """As PayPal does, and as Razorpay's simulator does: a capture it made, withdrawn whole, cannot be
    refunded or reversed again from the dashboard (409 `refund_refused`, nothing posted or moved)."""
    _order, capture_id = topup("paypal", api, client, db, "cust_a", "100.50")
    assert withdraw(api, "cust_a", "60.00").get_json()["status"] == "completed"
    dashboard = f"/simulator/paypal/dashboard/payments/{capture_id}"
    admin = bearer("admin_1", "admin")
    for action in ("refund", "reverse"):
        refused = client.post(f"{dashboard}/{action}", json={"amount": "40.51", "currency": "INR"}, headers=admin)
        assert refused.status_code == 409 and refused.get_json()["error"] == "refund_refused", refused.get_json()
    assert_wallet(api, "cust_a", 40.50, 0, 0)
    made = client.post(f"{dashboard}/refund", json={"amount": "40.50", "currency": "INR"}, headers=admin)
    assert made.status_code == 200, made.get_json()
    assert_wallet(api, "cust_a", 0, 0, 0)


def test_a_lost_dispute_of_a_top_up_already_withdrawn_takes_nothing_and_says_what_it_did_not_take(
    api, client, db, integration
):
    """The gateway paid a 200.00 top-up back twice: a withdrawal refunded it whole, then the buyer won
    a dispute of it. The wallet gives back at most what the top-up credited: the lost dispute takes
    nothing more, and what the cap cut is on record (`capped_minor`), the merchant's loss."""
    topup("razorpay", api, client, db, "cust_a", "100.00")
    _order, capture_id = topup("paypal", api, client, db, "cust_a", "200.00")
    withdrawn = withdraw(api, "cust_a", "200.00")
    assert withdrawn.status_code == 202, withdrawn.get_json()
    assert [(r["gateway"], r["amount"]) for r in withdrawn.get_json()["refunds"]] == [("paypal", 200)]
    paypal = integration.payments.gateway("paypal").api
    dispute_id = paypal.cases.open_dispute(capture_id, 20000, "INR")
    paypal.cases.resolve_dispute(dispute_id, capture_id, 20000, "INR", "RESOLVED_BUYER_FAVOUR")
    assert_wallet(api, "cust_a", 100, 0, 0)
    assert integration.reconcile() == []
    cut = [(e["kind"], e["capped_minor"]) for e in db["ledger_entries"].find({"capped_minor": {"$exists": True}})]
    assert cut == [("chargeback", 20000)]
    assert db["integration_logs"].find_one({"event": "wallet.chargeback"})["capped_minor"] == 20000


def test_money_held_for_a_withdrawal_part_in_flight_stays_held_after_a_lost_dispute_cut_the_hold(
    api, client, db, integration
):
    """Found by a review: two parts share the withdrawal's hold; a lost dispute of one part's top-up
    cut the hold, and a release by that part (when it was capped) freed the money still held for the
    other part, which the customer could then spend. Nothing is released: the payment is refused."""
    _order, older = topup("paypal", api, client, db, "cust_a", "100.00")
    _order, newer = topup("paypal", api, client, db, "cust_a", "100.00")
    cases = integration.payments.gateway("paypal").api.cases
    cases.hold_refunds = True
    assert withdraw(api, "cust_a", "200.00").status_code == 202
    dispute_id = cases.open_dispute(newer, 10000, "INR")
    cases.resolve_dispute(dispute_id, newer, 10000, "INR", "RESOLVED_BUYER_FAVOUR")
    assert_wallet(api, "cust_a", 100, 100, 0)
    cases._settle(cases.refunds.find_one({"capture_id": newer, "status": "PENDING"}))  # the newer top-up's part
    order_id = api.add_order("cust_a", 10000)
    assert api.pay(order_id, "cust_a", 100).status_code == 402  # nothing of the older part's 100.00 is spendable
    assert integration.reconcile() == []


def simulator_payment(gateway, api, client, db):
    """A 100.00 top-up paid by a payment the simulator keeps (Razorpay's on its checkout page); its id."""
    if gateway == "paypal":
        return topup(gateway, api, client, db, "cust_a", "100.00")[1]
    payment_order_id = api.initiate("cust_a", "100.00").get_json()["payment_order_id"]
    assert client.post(f"/simulator/razorpay/checkout/{payment_order_id}/pay").status_code == 303
    return db["payment_orders"].find_one({"_id": payment_order_id})["gateway_payment_id"]


def paid_out_minor(sim, gateway, payment_id):
    amount, failed = ("amount", "failed") if gateway == "razorpay" else ("amount_minor", "FAILED")
    return sum(r[amount] for r in sim.refunds.find({"status": {"$ne": failed}}) if payment_id in r.values())


def ahead_of_each_keep(sim, monkeypatch, step):
    """`step()` runs once, the first time the simulator is about to keep a refund."""
    keep, ran = sim.refunds.insert_one, []

    def step_then_keep(record, *args, **kwargs):
        if not ran and record.get("_id") != "switches":
            ran.append(True)
            step()
        return keep(record, *args, **kwargs)

    monkeypatch.setattr(sim.refunds, "insert_one", step_then_keep)


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_a_simulators_dashboard_refund_during_a_withdrawals_refund_leaves_one_refund(
    gateway, api, client, db, integration, monkeypatch
):
    """Found by a red-team pass: each simulator checked what was left of a payment, then kept the
    refund; a dashboard refund landing in between made both (200.00 refunded of a 100.00 capture,
    and the wallet, booking what the gateway reported, ended with 100.00 of debt). A refund is now
    kept first, then checked against every refund kept: the one that checks last is refused."""
    payment_id = simulator_payment(gateway, api, client, db)
    sim = simulator(integration, gateway)
    dashboard = []

    def dashboard_refund():
        try:
            dashboard.append(sim.dashboard_refund(payment_id, 10000, "INR"))
        except (PayPalRefused, RazorpayRefused):
            dashboard.append("refused")

    ahead_of_each_keep(sim, monkeypatch, dashboard_refund)
    withdrawn = withdraw(api, "cust_a", "100.00").get_json()
    assert dashboard != ["refused"] and withdrawn["status"] == "failed", (dashboard, withdrawn)  # was both made
    assert paid_out_minor(sim, gateway, payment_id) == 10000  # was 20000: 200.00 refunded of a 100.00 payment
    assert_wallet(api, "cust_a", 0, 0, 0)  # was debt 100.00
    assert integration.reconcile() == []


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_a_repeat_of_a_refund_request_in_flight_is_the_same_refund(gateway, api, client, db, integration, monkeypatch):
    """Found by a review of the fix above, in its first form (counting on the payment before keeping):
    a repeat of the same request (its PayPal-Request-Id, its Idempotency-Key) landing while the first
    was in flight was refused as beyond the payment. Kept first, the two collide on the key: one
    refund answers both."""
    payment_id = simulator_payment(gateway, api, client, db)
    sim = simulator(integration, gateway)

    def ask():  # one request, as the adapter sends it (the same each time: a retry)
        if gateway == "paypal":
            body = {"amount": {"currency_code": "INR", "value": "100.00"}, "custom_id": "wd_ref_1"}
            return sim.refund_capture(payment_id, body, "wd_ref_1-refund")["id"]
        data = {"amount": 10000, "speed": "normal", "notes": {"reference": "wd_ref_1"}}
        return sim.refund_payment(payment_id, data, "wd_ref_1")["id"]

    repeat = []
    ahead_of_each_keep(sim, monkeypatch, lambda: repeat.append(ask()))
    assert repeat == [ask()]
    assert paid_out_minor(sim, gateway, payment_id) == 10000


def test_the_worker_asking_again_during_the_request_never_gives_back_money_paypal_paid_out(
    api, client, db, integration, monkeypatch
):
    """The same, through the service: the worker's retry (same reference) lands while the request asks."""
    _order, capture_id = topup("paypal", api, client, db, "cust_a", "100.00")
    sim = simulator(integration, "paypal")
    nested = []
    ahead_of_each_keep(
        sim, monkeypatch, lambda: nested.append(integration.our_refunds.ask(db["gateway_refunds"].find_one({})))
    )
    withdraw(api, "cust_a", "100.00")
    assert paid_out_minor(sim, "paypal", capture_id) == 10000
    assert (nested[0]["status"], db["gateway_refunds"].find_one({})["status"]) == ("processed", "processed")
    assert_wallet(api, "cust_a", 0, 0, 0)  # the review's failing form: failed, and 100.00 back in the wallet
    assert integration.reconcile() == []


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_a_refund_booked_in_a_simulators_books_counts_against_its_payment(gateway, api, client, db, integration):
    """A refund the books keep without a webhook (`book_refund`) is in the same collection, and counts."""
    payment_id = simulator_payment(gateway, api, client, db)
    now = datetime.datetime.now(datetime.UTC)
    if gateway == "razorpay":
        simulator(integration, gateway).books.book_refund("rfnd_Booked1", payment_id, 10000, "INR", now)
    else:
        integration.payments.gateway("paypal").api.books.book_refund(payment_id, 10000, "INR", now)
    with pytest.raises((PayPalRefused, RazorpayRefused)):  # 100.00 of 100.00 refunded already
        simulator(integration, gateway).dashboard_refund(payment_id, 10000, "INR")


class Read(list):
    """What a `find` read, whole; `limit` as a cursor has it (pymongo's `find_one` calls it)."""

    def limit(self, _count):
        return self


def meet(barrier):
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass  # the other request never got this far (refused before it kept anything)


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_a_refund_that_fits_is_made_beside_one_that_never_can_be(gateway, api, client, db, integration, monkeypatch):
    """Found by a second review: a refund that could never be made (150.00 of a 100.00 payment), kept
    for a moment beside a 30.00 withdrawal's, made both be refused. One that cannot fit beside the
    refunds kept is now refused before it is kept. The barriers make the two overlap as the review's
    interleaving did (each kept, then each reading), where the code lets them get that far."""
    payment_id = simulator_payment(gateway, api, client, db)
    sim = simulator(integration, gateway)
    insert, find = sim.refunds.insert_one, sim.refunds.find
    both_in, both_reading, reads = threading.Barrier(2, timeout=3), threading.Barrier(2, timeout=3), []

    def insert_then_meet(document, *args, **kwargs):
        kept = insert(document, *args, **kwargs)
        if document.get("_id") != "switches":
            meet(both_in)
        return kept

    def read_then_meet(*args, **kwargs):
        found = Read(find(*args, **kwargs))
        if len(reads) < 2:
            reads.append(True)
            meet(both_reading)
        return found

    monkeypatch.setattr(sim.refunds, "insert_one", insert_then_meet)
    monkeypatch.setattr(sim.refunds, "find", read_then_meet)
    dashboard = []

    def too_large_dashboard_refund():
        try:
            dashboard.append(sim.dashboard_refund(payment_id, 15000, "INR"))
        except (PayPalRefused, RazorpayRefused):
            dashboard.append("refused")

    other = threading.Thread(target=too_large_dashboard_refund)
    other.start()
    withdrawn = withdraw(api, "cust_a", "30.00").get_json()
    other.join()
    assert (dashboard, withdrawn["status"]) == (["refused"], "completed"), withdrawn  # was failed too
    assert_wallet(api, "cust_a", 70, 0, 0)


def test_a_reversal_told_by_the_id_of_a_refund_already_taken_back_takes_nothing(api, client, db, integration):
    """Found by a review: a refund and a reversal are cases of their own, so a PAYMENT.CAPTURE.REVERSED
    naming a refund's id (PayPal's API knows it: the read-back passes) took the same money again."""
    _order, capture_id = paypal_topup(api, client, db, "cust_a", "50.00")
    cases = integration.payments.gateway("paypal").api.cases
    refund_id = cases.dashboard_refund(capture_id, 2000, "INR")
    assert wallet(api, "cust_a")[0] == 30
    cases._post_refund("PAYMENT.CAPTURE.REVERSED", cases.refunds.find_one({"_id": refund_id}), "reversed")
    assert wallet(api, "cust_a")[0] == 30
    [mismatch] = list(db["integration_logs"].find({"event": "gateway_case.mismatch"}))
    assert (mismatch["case"], mismatch["case_id"]) == ("reversal", refund_id)
