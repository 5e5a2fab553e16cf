"""Settling against reports and requests a careful gateway would never send (SPEC §11; found by a
red-team pass): an amount beyond what the store can hold is an unreadable row, not a 500, and one bad
day never stops the worker settling the next; rows that cannot be read leave an open
`unreadable_rows` exception (so `settle` exits 1), resolved once a settling reads them all; a day
before 2000 or after the last report day today's captures can settle on is 400 (exit 2), never a 500
or a settled day in the future that silences the missing-day alert; a PayPal fee given back on a
refund lowers the day's fees."""

import datetime

import pytest

from backend import __main__ as cli
from backend.gateways.paypal.settlement import read_transaction
from backend.gateways.razorpay.settlement import SettlementReport
from tests.helpers import BASE, bearer
from tests.integration.after_credit.support import razorpay_topup, wallet
from tests.integration.settlement.support import DAY, report
from tests.integration.settlement.test_settle_day import worker_settles

ADMIN = bearer("admin_1", "admin")
BEYOND_INT64 = 10**20  # paise: an integer JSON can carry and MongoDB cannot


class Recon:
    """Razorpay's recon pages as its SDK hands them over (`settlement_recon`), per day."""

    def __init__(self, items_of_day):
        self.items_of_day = items_of_day

    def settlement_recon(self, year, month, day, count, skip):
        return self.items_of_day(datetime.date(year, month, day))[skip : skip + count]


def item(entity_id, kind, amount, payment_id=None):
    return {
        "entity_id": entity_id,
        "type": kind,
        "amount": amount,
        "currency": "INR",
        "fee": 0,
        "tax": 0,
        "payment_id": payment_id,
        "order_id": None,
        "notes": "{}",
        "settlement_id": "setl_DGlQ1Rj8os78Ec",
    }


def razorpay_items(integration, items_of_day):
    adapter = integration.payments.gateway("razorpay")
    adapter.settlement_report = lambda day: SettlementReport(Recon(items_of_day), day, pause=lambda s: None)


def settle_over_http(client, gateway, date):
    return client.post(f"{BASE}/settlements", json={"gateway": gateway, "date": date}, headers=ADMIN)


def test_an_amount_beyond_what_the_store_holds_is_an_unreadable_row(client, integration):
    razorpay_items(integration, lambda day: [item("pay_Huge1", "payment", BEYOND_INT64)])
    response = settle_over_http(client, "razorpay", DAY.isoformat())
    assert response.status_code == 200, response.get_json()  # was 500 (OverflowError)
    answer = response.get_json()
    assert (answer["captured"], answer["matched"]) == (0, 0)
    assert [(e["kind"], e["status"]) for e in answer["exceptions"]] == [("unreadable_rows", "open")]


def test_one_day_the_store_cannot_take_does_not_stop_the_worker_settling_the_next(app, db, integration, monkeypatch):
    poisoned = DAY - datetime.timedelta(days=1)
    razorpay_items(integration, lambda day: [item("pay_Big1", "payment", 5000)] if day == poisoned else [])
    books = integration.settlement.books
    record_day = books.record_day

    def store_refuses(gateway, day, figures):
        if day == poisoned:
            raise OverflowError("MongoDB can only handle up to 8-byte ints")
        return record_day(gateway, day, figures)

    monkeypatch.setattr(books, "record_day", store_refuses)
    worker_settles(app, db, integration, datetime.datetime.combine(DAY - datetime.timedelta(days=1), datetime.time(12)))
    worker_settles(app, db, integration, datetime.datetime.combine(DAY + datetime.timedelta(days=1), datetime.time(12)))
    assert books.day("razorpay", DAY) is not None  # was None: the run stopped at the poisoned day


def test_unreadable_rows_leave_an_open_exception_until_a_settling_reads_them(
    app, api, db, integration, monkeypatch, capsys
):
    monkeypatch.setattr(cli, "create_app", lambda: app)
    _order, payment_id = razorpay_topup(api, db, "cust_a", "100.00")
    items = [item("rfnd_Dash1", "refund", "3000", payment_id)]  # a dashboard refund, its amount as text
    razorpay_items(integration, lambda day: items)
    assert cli.main(["settle", "--gateway", "razorpay", "--date", DAY.isoformat()]) == 1  # was 0, "nothing open"
    printed = capsys.readouterr().out
    assert (
        '"kind": "unreadable_rows", "status": "open", "payment_id": null, "payment_order_id": null, "rows": 1'
        in printed
    )
    assert "1 open exception" in printed
    [noted] = integration.settlement.books.of_day("razorpay", DAY)
    assert (noted["kind"], noted["status"], noted["rows"]) == ("unreadable_rows", "open", 1)
    assert wallet(api, "cust_a")[0] == 100  # nothing taken back on a row not read
    items[0]["amount"] = 3000  # the gateway's report, put right
    assert cli.main(["settle", "--gateway", "razorpay", "--date", DAY.isoformat()]) == 0
    kinds = sorted((e["kind"], e["status"]) for e in integration.settlement.books.of_day("razorpay", DAY))
    assert kinds == [("refund_not_applied", "resolved"), ("unreadable_rows", "resolved")]
    assert wallet(api, "cust_a")[0] == 70


@pytest.mark.parametrize(
    ("gateway", "date"), [("razorpay", "0001-01-01"), ("paypal", "9999-12-31"), ("razorpay", "1999-12-31")]
)
def test_a_day_out_of_range_is_400_and_exit_2(app, client, monkeypatch, capsys, gateway, date):
    response = settle_over_http(client, gateway, date)
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_request")  # was 500 at the edges
    monkeypatch.setattr(cli, "create_app", lambda: app)
    assert cli.main(["settle", "--gateway", gateway, "--date", date]) == 2  # was an OverflowError, exit 1
    assert "invalid_request" in capsys.readouterr().err


def metric_age_days(client, gateway):
    prefix = f'wallet_settlement_last_day_age_days{{gateway="{gateway}"}} '
    [line] = [text for text in client.get("/metrics").get_data(as_text=True).splitlines() if text.startswith(prefix)]
    return float(line[len(prefix) :])


def test_a_day_in_the_future_is_refused_and_the_missing_day_alert_still_fires(client, integration):
    report(integration, "razorpay", [])
    today = datetime.datetime.now(datetime.UTC).date()
    assert settle_over_http(client, "razorpay", (today - datetime.timedelta(days=10)).isoformat()).status_code == 200
    assert metric_age_days(client, "razorpay") == 10.0
    typo = settle_over_http(client, "razorpay", "2062-11-30")
    assert (typo.status_code, typo.get_json()["error"]) == (400, "invalid_request")
    assert typo.get_json()["message"] == (  # for a person (a browser walk-through found it garbled)
        f"The day must be from 2000-01-01 to {today + datetime.timedelta(days=2)}: no report of razorpay for a "
        "later day can list anything yet (a report lists a day's captures on the day they settle)."
    )
    assert metric_age_days(client, "razorpay") == 10.0  # was −13,145: the alert could never fire again
    latest = today + datetime.timedelta(days=2)  # Razorpay settles T+2: today's captures, ahead of time
    assert settle_over_http(client, "razorpay", latest.isoformat()).status_code == 200
    assert settle_over_http(client, "razorpay", (latest + datetime.timedelta(days=1)).isoformat()).status_code == 400


def paypal_info(transaction_id, code, value, fee, reference_id, reference_type):
    return {
        "transaction_id": transaction_id,
        "paypal_reference_id": reference_id,
        "paypal_reference_id_type": reference_type,
        "transaction_event_code": code,
        "transaction_initiation_date": "2026-11-30T10:15:00+0000",
        "transaction_amount": {"currency_code": "INR", "value": value},
        "fee_amount": {"currency_code": "INR", "value": fee},
        "transaction_status": "S",
    }


def test_a_paypal_fee_given_back_on_a_refund_lowers_the_days_fees(integration):
    capture = paypal_info("2GG279541U471931P", "T0006", "10.00", "-0.59", "5O190127TN364715T", "ODR")
    refund = paypal_info("1JU08902781691411", "T1107", "-10.00", "0.29", "2GG279541U471931P", "TXN")
    report(integration, "paypal", [read_transaction(capture), read_transaction(refund)])
    document, _exceptions = integration.settle("paypal", DAY)
    # PayPal kept 0.59 − 0.29 = 0.30; the merchant's balance moved 10.00 − 0.59 − 10.00 + 0.29 = −0.30
    assert (document["fees_minor"], document["settled_minor"]) == (30, -30)  # was (88, −88)


def unreadable_rows(integration):
    [noted] = [e for e in integration.settlement.books.of_day("razorpay", DAY) if e["kind"] == "unreadable_rows"]
    return noted["status"], noted["rows"]


def test_each_settling_of_a_day_says_how_many_rows_it_could_not_read(integration):
    """Found by a review: the exception kept the first settling's count, and stayed resolved when a
    later settling found unreadable rows again."""
    items = [item("pay_Bad1", "payment", "5000")]  # an amount as text
    razorpay_items(integration, lambda day: items)
    integration.settle("razorpay", DAY)
    assert unreadable_rows(integration) == ("open", 1)
    items += [item(f"pay_Bad{n}", "payment", "5000") for n in range(2, 6)]  # the gateway's data caught up
    integration.settle("razorpay", DAY)
    assert unreadable_rows(integration) == ("open", 5)  # was ("open", 1)
    items[:] = []  # the report, put right
    integration.settle("razorpay", DAY)
    assert unreadable_rows(integration)[0] == "resolved"
    items[:] = [item("pay_Bad6", "payment", "7000")]  # and wrong again
    integration.settle("razorpay", DAY)
    assert unreadable_rows(integration) == ("open", 1)  # was ("resolved", 5): an unread row hidden
