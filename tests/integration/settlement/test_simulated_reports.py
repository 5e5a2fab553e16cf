"""Settling a day against the simulators' own reports (SPEC §11, issue 19's first point), per
gateway: a day of 200 captures and 20 refunds matches with no exception; the same day with a lost
webhook, a refund made in the dashboard, a different amount and an unknown payment gives exactly those
four exceptions, the first two healed (credited / taken back once, reconcile clean), the last two
open; settling the day again changes nothing."""

import datetime

from tests.helpers import bearer

CAPTURES, REFUNDS = 200, 20


def razorpay_day(api, client, db, count):
    """`count` top-ups paid on the Razorpay simulator's checkout page (its books keep them); the
    settlement day (T+2) and the payment orders."""
    orders = []
    for i in range(count):
        body = api.initiate(f"cust_{i % 10}", "10.00").get_json()
        assert client.post(f"/simulator/razorpay/checkout/{body['payment_order_id']}/pay").status_code == 303
        orders.append(db["payment_orders"].find_one({"_id": body["payment_order_id"]}))
    return datetime.datetime.utcnow().date() + datetime.timedelta(days=2), orders


def balances(api):
    return sum(api.status(f"cust_{i}").get_json()["wallet"]["balance"] for i in range(10))


def test_razorpay_a_day_that_agrees_then_four_disagreements(api, client, db, integration):
    day, orders = razorpay_day(api, client, db, CAPTURES)
    simulator = integration.payments.gateway("razorpay").api
    books = simulator.books
    for order in orders[:REFUNDS]:  # refunds made in the dashboard: their webhooks take the money back
        simulator.dashboard_refund(order["gateway_payment_id"], 300, "INR")
    document, exceptions = integration.settle("razorpay", day)
    assert exceptions == []
    assert (document["payments"], document["refunds"], document["matched"]) == (CAPTURES, REFUNDS, CAPTURES + REFUNDS)
    assert (document["captured_minor"], document["refunded_minor"]) == (CAPTURES * 1000, REFUNDS * 300)
    assert document["fees_minor"] > 0 and document["tax_minor"] > 0
    assert integration.reconcile() == []

    now = datetime.datetime.utcnow()
    lost = api.initiate("cust_0", "10.00").get_json()["payment_order_id"]
    books.book_payment("pay_lostwebhook1", lost, 1000, "INR", now)  # captured; its webhook never came
    books.book_refund("rfnd_dashboard01", orders[50]["gateway_payment_id"], 200, "INR", now)  # no webhook
    books.book_payment(orders[60]["gateway_payment_id"], orders[60]["_id"], 999, "INR", now)  # another amount
    books.book_payment("pay_unknown00001", "order_unknown0001", 1000, "INR", now)  # no top-up of ours
    before = balances(api)
    _document, exceptions = integration.settle("razorpay", day)
    found = sorted((e["kind"], e["status"]) for e in exceptions)
    assert found == [
        ("amount_mismatch", "open"),
        ("captured_not_credited", "resolved"),
        ("refund_not_applied", "resolved"),
        ("unknown_payment", "open"),
    ]
    assert balances(api) == before + 10 - 2  # the lost capture credited once, the dashboard refund taken back once
    assert integration.reconcile() == []
    again, exceptions_again = integration.settle("razorpay", day)
    assert balances(api) == before + 8
    assert sorted((e["kind"], e["status"]) for e in exceptions_again) == found
    settled = api.client.get(f"/api/integration/settlements?gateway=razorpay&date={day}", headers=bearer("a", "admin"))
    assert settled.get_json()["matched"] == again["matched"]


def paypal_day(api, client, db, count):
    """`count` PayPal top-ups approved on the simulator's page and captured at verify (its books keep
    the captures, on today's UTC day); the day and the payment orders."""
    orders = []
    for i in range(count):
        customer = f"cust_{i % 10}"
        order_id = api.initiate(customer, "10.00", method="paypal").get_json()["payment_order_id"]
        assert client.post(f"/simulator/paypal/checkout/{order_id}/pay").status_code == 303
        body = {"order_id": order_id, "payment_method": "paypal"}
        assert api.post("/wallet/topup/verify", body, bearer(customer)).status_code == 200
        orders.append(db["payment_orders"].find_one({"_id": order_id}))
    return datetime.datetime.now(datetime.UTC).date(), orders


def test_paypal_a_day_that_agrees_then_four_disagreements(api, client, db, integration):
    day, orders = paypal_day(api, client, db, CAPTURES)
    simulator = integration.payments.gateway("paypal").api
    for order in orders[:REFUNDS]:  # refunds made in the dashboard: their webhooks take the money back
        simulator.cases.dashboard_refund(order["gateway_payment_id"], 300, "INR")
    document, exceptions = integration.settle("paypal", day)
    assert exceptions == []
    assert (document["payments"], document["refunds"], document["matched"]) == (CAPTURES, REFUNDS, CAPTURES + REFUNDS)
    assert (document["captured_minor"], document["refunded_minor"]) == (CAPTURES * 1000, REFUNDS * 300)
    assert integration.reconcile() == []

    now = datetime.datetime.now(datetime.UTC)
    books = simulator.books
    lost = api.initiate("cust_0", "10.00", method="paypal").get_json()["payment_order_id"]
    lost_reference = db["payment_orders"].find_one({"_id": lost})["reference"]
    books.book_capture("LOSTCAPTURE00001", lost_reference, 1000, "INR", now)  # captured; never confirmed to us
    books.book_refund(orders[50]["gateway_payment_id"], 200, "INR", now)  # refunded in the dashboard, no webhook
    books.book_capture(orders[60]["gateway_payment_id"], orders[60]["reference"], 999, "INR", now)  # another amount
    books.book_capture("UNKNOWNCAPTURE01", "wtp_nobody", 1000, "INR", now)  # no top-up of ours
    before = balances(api)
    _document, exceptions = integration.settle("paypal", day)
    found = sorted((e["kind"], e["status"]) for e in exceptions)
    assert found == [
        ("amount_mismatch", "open"),
        ("captured_not_credited", "resolved"),
        ("refund_not_applied", "resolved"),
        ("unknown_payment", "open"),
    ]
    assert balances(api) == before + 10 - 2
    assert integration.reconcile() == []
    _again, exceptions_again = integration.settle("paypal", day)
    assert balances(api) == before + 8
    assert sorted((e["kind"], e["status"]) for e in exceptions_again) == found
