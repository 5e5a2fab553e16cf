"""The history and support endpoints: GET /orders, GET /wallet/<id>/transactions, the CSV
statement, GET /wallet/topup/<id>/status, the verify response's added fields, and the admin's
support look-up and reconcile. Shapes, pagination boundaries, authorisation and bad input (refused
before anything is read)."""

import csv
import datetime
import io

import pytest

from backend import history
from backend.audit import AuditLog
from backend.clock import utcnow
from backend.ledger_history import LedgerHistory
from backend.orders import OrderBook
from backend.payment_orders import PaymentOrders
from backend.wallet_service import WalletService
from tests.conftest import app_with
from tests.helpers import BASE, bearer, checkout_signature, razorpay_event, signed_webhook, unique
from tests.integration.support import assert_error, assert_money, confirm_by_webhook, initiated, paid_order

ADMIN = bearer("admin_1", "admin")
ORDER_KEYS = {
    "order_id",
    "customer_id",
    "amount",
    "currency",
    "payment_status",
    "paid_via",
    "refunded_amount",
    "refundable_amount",
}


def get(client, path, headers):
    return client.get(BASE + path, headers=headers)


def orders(client, query, headers):
    return get(client, "/orders?" + query, headers)


def transactions(client, customer_id, query="", headers=None):
    return get(client, f"/wallet/{customer_id}/transactions?{query}", headers or bearer(customer_id))


@pytest.fixture
def reads_nothing(monkeypatch):
    """Fail the test if any of the history reads reaches the store."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("a refused request read the store")

    for cls, name in (
        (OrderBook, "page_for_customer"),
        (LedgerHistory, "entries_page"),
        (WalletService, "get_wallet"),
        (PaymentOrders, "get"),
        (AuditLog, "for_customer"),
    ):
        monkeypatch.setattr(cls, name, refuse)


# --- GET /orders -------------------------------------------------------------------------------------
def test_orders_shape_and_status_filter(api, client):
    paid = paid_order(api, "cust_a", 5000)
    pending = api.add_order("cust_a", 12050, order_id="ord_a_pending")
    api.add_order("cust_b", 100)  # another customer's: never listed
    response = orders(client, "customer_id=cust_a&status=pending", bearer("cust_a"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"success", "customer_id", "orders", "next_after"}
    assert body["success"] is True and body["customer_id"] == "cust_a" and body["next_after"] is None
    assert [o["order_id"] for o in body["orders"]] == [pending]
    order = body["orders"][0]
    assert set(order) == ORDER_KEYS
    assert_money(order["amount"], 120.5)
    assert (order["currency"], order["payment_status"], order["paid_via"]) == ("INR", "pending", None)
    assert_money(order["refundable_amount"], 0)

    every = orders(client, "customer_id=cust_a", bearer("cust_a")).get_json()["orders"]
    assert sorted(o["order_id"] for o in every) == sorted([paid, pending])
    paid_view = next(o for o in every if o["order_id"] == paid)
    assert (paid_view["payment_status"], paid_view["paid_via"]) == ("paid", "wallet")
    assert_money(paid_view["refundable_amount"], 50)
    assert_money(paid_view["refunded_amount"], 0)


def test_orders_refunded_amounts(api, client):
    order_id = paid_order(api, "cust_a", 5000)
    assert api.refund(order_id, "cust_a", "12.50").status_code == 200
    [order] = orders(client, "customer_id=cust_a&status=partially_refunded", ADMIN).get_json()["orders"]
    assert order["order_id"] == order_id
    assert_money(order["refunded_amount"], 12.5)
    assert_money(order["refundable_amount"], 37.5)


def test_orders_pages_cover_every_order_once(api, client):
    ids = sorted(api.add_order("cust_a", 100 + i, order_id=f"ord_{i:02d}") for i in range(7))
    seen, after, pages = [], None, 0
    while True:
        query = "customer_id=cust_a&status=pending&limit=3" + (f"&after={after}" if after else "")
        body = orders(client, query, bearer("cust_a")).get_json()
        pages += 1
        seen += [o["order_id"] for o in body["orders"]]
        after = body["next_after"]
        if after is None:
            break
        assert after == seen[-1]
    assert seen == ids and pages == 3


def test_orders_exactly_one_full_page_has_no_next(api, client):
    for i in range(3):
        api.add_order("cust_a", 100, order_id=f"ord_{i}")
    body = orders(client, "customer_id=cust_a&limit=3", bearer("cust_a")).get_json()
    assert len(body["orders"]) == 3 and body["next_after"] is None
    body = orders(client, "customer_id=cust_a&limit=2", bearer("cust_a")).get_json()
    assert len(body["orders"]) == 2 and body["next_after"] == "ord_1"
    body = orders(client, "customer_id=cust_a&limit=2&after=ord_1", bearer("cust_a")).get_json()
    assert [o["order_id"] for o in body["orders"]] == ["ord_2"] and body["next_after"] is None


@pytest.mark.parametrize("limit, count", [("1", 1), ("100", 100), (None, 20)])
def test_orders_limit_bounds(api, client, db, limit, count):
    db["orders"].insert_many(
        [
            {
                "order_id": f"ord_{i:03d}",
                "customer_id": "cust_a",
                "amount_minor": 100,
                "currency": "INR",
                "payment_status": "pending",
            }
            for i in range(101)
        ]
    )
    query = "customer_id=cust_a" + (f"&limit={limit}" if limit else "")
    body = orders(client, query, bearer("cust_a")).get_json()
    assert len(body["orders"]) == count
    assert body["next_after"] == f"ord_{count - 1:03d}"


def test_orders_of_a_customer_without_orders(client):
    body = orders(client, "customer_id=cust_new&status=pending", bearer("cust_new")).get_json()
    assert body["orders"] == [] and body["next_after"] is None


def test_orders_admin_lists_any_customer(api, client):
    order_id = api.add_order("cust_b", 100)
    body = orders(client, "customer_id=cust_b", ADMIN).get_json()
    assert [o["order_id"] for o in body["orders"]] == [order_id]


def test_orders_of_another_customer_forbidden(api, client, reads_nothing):
    assert_error(orders(client, "customer_id=cust_b&status=pending", bearer("cust_a")), 403, "forbidden")


def test_orders_need_a_token(client, reads_nothing):
    assert_error(client.get(f"{BASE}/orders?customer_id=cust_a"), 401, "unauthorized")


@pytest.mark.parametrize(
    "query",
    [
        "",  # customer_id is required
        "status=pending",
        "customer_id=",
        "customer_id=cust_a&limit=0",
        "customer_id=cust_a&limit=101",
        "customer_id=cust_a&limit=-1",
        "customer_id=cust_a&limit=1.5",
        "customer_id=cust_a&limit=abc",
        "customer_id=cust_a&limit=",
        "customer_id=cust_a&limit=99999999999999999999999",
        "customer_id=cust_a&status=PENDING",
        "customer_id=cust_a&status=",
        "customer_id=cust_a&status=%24ne",
        "customer_id=cust_a&after=",
        "customer_id=cust_a&after=%7B%22%24gt%22%3A%22%22%7D",
        "customer_id=" + "a" * 65,
        "customer_id=%24gt",
    ],
)
def test_orders_bad_input_400_before_any_read(client, reads_nothing, query):
    assert_error(orders(client, query, bearer("cust_a")), 400, "invalid_request")


# --- GET /wallet/<customer_id>/transactions ----------------------------------------------------------
def history_of(api, customer_id, topups):
    for amount in topups:
        api.topup(customer_id, amount)


def test_transactions_shape_matches_status(api, client):
    order_id = paid_order(api, "cust_a", 5000)
    assert api.refund(order_id, "cust_a", 10).status_code == 200
    response = transactions(client, "cust_a")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"success", "customer_id", "currency", "transactions", "next_before"}
    assert (body["success"], body["customer_id"], body["currency"], body["next_before"]) == (
        True,
        "cust_a",
        "INR",
        None,
    )
    assert body["transactions"] == api.status("cust_a").get_json()["recent_transactions"]
    assert [t["kind"] for t in body["transactions"]] == ["refund", "payment", "topup"]


def test_transactions_pages_newest_first(api, client):
    history_of(api, "cust_a", [1, 2, 3, 4, 5])
    seen, before = [], None
    for expected_next in (True, True, False):
        body = transactions(client, "cust_a", "limit=2" + (f"&before={before}" if before else "")).get_json()
        seen += [t["amount"] for t in body["transactions"]]
        before = body["next_before"]
        assert (before is not None) == expected_next
    assert seen == [5, 4, 3, 2, 1]


def test_transactions_exactly_one_full_page_has_no_next(api, client):
    history_of(api, "cust_a", [1, 2])
    body = transactions(client, "cust_a", "limit=2").get_json()
    assert len(body["transactions"]) == 2 and body["next_before"] is None
    body = transactions(client, "cust_a", "limit=1").get_json()
    assert body["next_before"] is not None
    rest = transactions(client, "cust_a", f"limit=1&before={body['next_before']}").get_json()
    assert [t["amount"] for t in rest["transactions"]] == [1] and rest["next_before"] is None


def test_transactions_before_the_first_entry_is_empty(api, client):
    history_of(api, "cust_a", [1])
    body = transactions(client, "cust_a", "before=1").get_json()
    assert body["transactions"] == [] and body["next_before"] is None


def test_transactions_of_a_customer_who_never_topped_up(client):
    body = transactions(client, "cust_new").get_json()
    assert body["transactions"] == [] and body["next_before"] is None


def test_transactions_other_currency_is_another_wallet(api, client):
    history_of(api, "cust_a", [1])
    body = transactions(client, "cust_a", "currency=USD").get_json()
    assert body["currency"] == "USD" and body["transactions"] == []


def test_transactions_admin_reads_any_wallet(api, client):
    history_of(api, "cust_b", [7])
    body = transactions(client, "cust_b", headers=ADMIN).get_json()
    assert [t["amount"] for t in body["transactions"]] == [7]


def test_transactions_of_another_customer_forbidden(client, reads_nothing):
    assert_error(transactions(client, "cust_b", headers=bearer("cust_a")), 403, "forbidden")
    assert_error(client.get(f"{BASE}/wallet/cust_a/transactions"), 401, "unauthorized")


@pytest.mark.parametrize(
    "path",
    [
        "/wallet/cust_a/transactions?limit=0",
        "/wallet/cust_a/transactions?limit=101",
        "/wallet/cust_a/transactions?limit=ten",
        "/wallet/cust_a/transactions?before=0",
        "/wallet/cust_a/transactions?before=-5",
        "/wallet/cust_a/transactions?before=1e3",
        "/wallet/cust_a/transactions?before=",
        "/wallet/cust_a/transactions?before=9999999999999999999",
        "/wallet/cust_a/transactions?currency=XAU",
        "/wallet/%24where/transactions",
    ],
)
def test_transactions_bad_input_400_before_any_read(client, reads_nothing, path):
    headers = ADMIN if "%24" in path else bearer("cust_a")
    assert_error(get(client, path, headers), 400, "invalid_request")


# --- GET /wallet/<customer_id>/statement.csv ---------------------------------------------------------
def read_csv(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_statement_csv(api, client):
    order_id = api.add_order("cust_a", 12050, order_id="-cmd")  # ids may start with '-': not a formula
    api.topup("cust_a", "500.50")
    assert api.pay(order_id, "cust_a", "120.50").status_code == 200
    response = get(client, "/wallet/cust_a/statement.csv", bearer("cust_a"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == 'attachment; filename="statement-cust_a-INR.csv"'
    rows = read_csv(response)
    assert rows[0] == list(history.STATEMENT_COLUMNS)
    payment, topup = rows[1:]
    record = dict(zip(rows[0], payment, strict=True))
    assert (record["type"], record["kind"], record["amount"], record["balance_after"], record["order_id"]) == (
        "debit",
        "payment",
        "120.50",
        "380.00",
        "'-cmd",
    )
    record = dict(zip(rows[0], topup, strict=True))
    assert (record["kind"], record["amount"], record["currency"], record["gateway"]) == (
        "topup",
        "500.50",
        "INR",
        "razorpay",
    )
    assert record["date"].endswith("Z")


def test_statement_csv_reads_every_entry_in_batches(api, client, monkeypatch):
    monkeypatch.setattr(history, "STATEMENT_BATCH", 2)
    history_of(api, "cust_a", [1, 2, 3, 4, 5])
    rows = read_csv(get(client, "/wallet/cust_a/statement.csv", bearer("cust_a")))
    assert [r[4] for r in rows[1:]] == ["5.00", "4.00", "3.00", "2.00", "1.00"]


def test_statement_csv_empty_wallet_has_the_header_only(client):
    assert read_csv(get(client, "/wallet/cust_new/statement.csv", bearer("cust_new"))) == [
        list(history.STATEMENT_COLUMNS)
    ]


def test_statement_csv_refusals_are_json(client, reads_nothing):
    assert_error(get(client, "/wallet/cust_b/statement.csv", bearer("cust_a")), 403, "forbidden")
    assert_error(get(client, "/wallet/cust_a/statement.csv?currency=XXX", bearer("cust_a")), 400, "invalid_request")
    assert_error(client.get(f"{BASE}/wallet/cust_a/statement.csv"), 401, "unauthorized")


# --- GET /wallet/topup/<payment_order_id>/status and verify's added fields ---------------------------
def topup_status(client, payment_order_id, headers):
    return get(client, f"/wallet/topup/{payment_order_id}/status", headers)


def test_topup_status_pending_then_credited(api, client):
    payment_order_id = initiated(api, "cust_a", "250.50")
    body = topup_status(client, payment_order_id, bearer("cust_a")).get_json()
    assert set(body) == {
        "success",
        "payment_order_id",
        "gateway",
        "status",
        "amount",
        "currency",
        "created_at",
        "transaction_id",
        "credited_at",
    }
    assert (body["status"], body["gateway"], body["transaction_id"], body["credited_at"]) == (
        "pending",
        "razorpay",
        None,
        None,
    )
    assert_money(body["amount"], 250.5)
    assert confirm_by_webhook(client, payment_order_id, 25050).status_code == 200
    body = topup_status(client, payment_order_id, bearer("cust_a")).get_json()
    assert body["status"] == "credited" and body["transaction_id"].startswith("txn_") and body["credited_at"]


def test_topup_status_failed_then_a_capture_still_credits(api, client):
    payment_order_id = initiated(api, "cust_a", 10)
    event = razorpay_event("payment.failed", payment_order_id, unique("pay"), 1000, status="failed")
    body, headers = signed_webhook(event)
    assert client.post(f"{BASE}/webhook/razorpay", data=body, headers=headers).status_code == 200
    assert topup_status(client, payment_order_id, bearer("cust_a")).get_json()["status"] == "failed"
    assert confirm_by_webhook(client, payment_order_id, 1000).status_code == 200
    assert topup_status(client, payment_order_id, ADMIN).get_json()["status"] == "credited"


def test_topup_status_expired(api, client, integration):
    payment_order_id = initiated(api, "cust_a", 10)
    assert integration.payment_orders.sweep.expire(payment_order_id, "test")
    assert topup_status(client, payment_order_id, bearer("cust_a")).get_json()["status"] == "expired"


def test_topup_status_credited_comes_from_the_ledger(api, client, db):
    payment_order_id = initiated(api, "cust_a", 10)
    assert confirm_by_webhook(client, payment_order_id, 1000).status_code == 200
    db["payment_orders"].update_one({"_id": payment_order_id}, {"$set": {"status": "failed"}})
    assert topup_status(client, payment_order_id, bearer("cust_a")).get_json()["status"] == "credited"


def test_topup_status_refusals(api, client, reads_nothing):
    assert_error(topup_status(client, "%24gt", bearer("cust_a")), 400, "invalid_request")
    assert_error(client.get(f"{BASE}/wallet/topup/order_x/status"), 401, "unauthorized")


def test_topup_status_of_another_customer_and_unknown(api, client):
    payment_order_id = initiated(api, "cust_b", 10)
    assert_error(topup_status(client, payment_order_id, bearer("cust_a")), 403, "forbidden")
    assert_error(topup_status(client, "order_nope", bearer("cust_a")), 404, "payment_order_not_found")


def verify(client, order_id, payment_id, headers):
    return client.post(
        f"{BASE}/wallet/topup/verify",
        headers=headers,
        json={"payment_id": payment_id, "order_id": order_id, "signature": checkout_signature(order_id, payment_id)},
    )


def test_verify_says_when_the_credit_was_another_payments(api, client):
    payment_order_id = initiated(api, "cust_a", "100.00")
    first = verify(client, payment_order_id, "pay_first", bearer("cust_a")).get_json()
    assert {"success", "message", "wallet_balance", "currency"} <= set(first)  # the contract's fields stay
    assert (first["payment_order_id"], first["topup_status"], first["already_credited"]) == (
        payment_order_id,
        "credited",
        False,
    )
    assert_money(first["amount"], 100)
    again = verify(client, payment_order_id, "pay_first", bearer("cust_a")).get_json()
    assert again["already_credited"] is False  # the same payment confirmed again: it is the credit
    second = verify(client, payment_order_id, "pay_second", bearer("cust_a")).get_json()
    assert second["already_credited"] is True
    assert second["message"] == (
        "This top-up was already credited by an earlier payment, so nothing more was added; "
        "this second payment is being refunded to you."
    )
    assert second["second_payment_refund"] in ("pending", "processed")
    assert_money(second["wallet_balance"], 100)


# --- the support view ----------------------------------------------------------------------------------
def support(client, customer_id, headers=ADMIN, suffix=""):
    return get(client, f"/support/customers/{customer_id}{suffix}", headers)


def test_support_look_up(api, client):
    order_id = paid_order(api, "cust_a", 5000)
    assert api.refund(order_id, "cust_a", 5, reason="damaged box").status_code == 200
    api.add_order("cust_a", 999, order_id="ord_z_pending")
    response = support(client, "cust_a")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {
        "success",
        "customer_id",
        "wallet",
        "statistics",
        "transactions",
        "next_before",
        "orders",
        "next_after",
        "webhooks",
        "webhooks_next_before",
        "audit",
        "audit_next_before",
    }
    assert body["webhooks_next_before"] is None and body["audit_next_before"] is None
    status = api.status("cust_a").get_json()
    assert body["wallet"] == status["wallet"] and body["statistics"] == status["statistics"]
    assert body["transactions"] == status["recent_transactions"]
    assert {o["order_id"] for o in body["orders"]} == {order_id, "ord_z_pending"}
    events = [a["event"] for a in body["audit"]]
    assert events[:2] == ["order.refunded", "order.paid"] and "wallet.credited" in events
    refund = body["audit"][0]
    assert refund["reason"] == "damaged box" and refund["order_id"] == order_id
    assert_money(refund["amount"], 5)
    assert "customer_id" not in refund and "_id" not in refund and refund["created_at"].endswith("Z")
    [credit] = body["webhooks"]
    assert (credit["event"], credit["reason"], credit["outcome"]) == ("wallet.credited", "payment.captured", "ok")


def test_support_webhooks_leave_out_the_customers_own_verify(api, client):
    payment_order_id = initiated(api, "cust_a", 10)
    assert verify(client, payment_order_id, "pay_1", bearer("cust_a")).status_code == 200
    body = support(client, "cust_a").get_json()
    assert body["webhooks"] == []
    assert [(a["event"], a["reason"]) for a in body["audit"]] == [("wallet.credited", "verify")]


def test_support_webhooks_list_a_duplicate_delivery(api, client):
    payment_order_id = initiated(api, "cust_a", 10)
    assert verify(client, payment_order_id, "pay_1", bearer("cust_a")).status_code == 200
    assert confirm_by_webhook(client, payment_order_id, 1000, payment_id="pay_1").status_code == 200
    webhooks = support(client, "cust_a").get_json()["webhooks"]
    assert [(w["event"], w["outcome"]) for w in webhooks] == [("webhook.received", "duplicate")]


def test_support_webhooks_list_a_redelivery_of_the_same_event(api, client):
    """Found by an on-call walk-through: a redelivery (the same event id) was audited without its
    customer, so the support view never listed it."""
    payment_order_id = initiated(api, "cust_a", 10)
    for _ in range(2):
        delivered = confirm_by_webhook(client, payment_order_id, 1000, payment_id="pay_1", event_id="evt_same")
        assert delivered.status_code == 200
    webhooks = support(client, "cust_a").get_json()["webhooks"]
    assert [(w["event"], w["outcome"]) for w in webhooks] == [
        ("webhook.received", "duplicate"),
        ("wallet.credited", "ok"),
    ]


def test_support_webhooks_list_a_second_payment(api, client):
    payment_order_id = initiated(api, "cust_a", 10)
    assert verify(client, payment_order_id, "pay_1", bearer("cust_a")).status_code == 200
    assert confirm_by_webhook(client, payment_order_id, 1000, payment_id="pay_2").status_code == 200
    webhooks = support(client, "cust_a").get_json()["webhooks"]
    assert [(w["event"], w["outcome"]) for w in webhooks] == [  # newest first
        ("webhook.received", "second_payment"),
        ("gateway_refund.processed", "ok"),
        ("topup.second_payment_refund", "ok"),
    ]


def test_support_look_up_of_an_unknown_customer_is_not_found(client):
    response = support(client, "cust_nobody")
    assert_error(response, 404, "customer_not_found")
    assert response.get_json()["message"] == "No such customer: no wallet, orders, payments or audit entries."


def yesterday():
    """A moment of yesterday, to the millisecond: audit entries written straight into the store must be
    younger than the audit log's TTL (AUDIT_RETENTION_SECONDS, 400 days), or the store drops them."""
    return utcnow() - datetime.timedelta(days=1)


def audit_entry(db, customer_id, created_at, event="order.paid", **fields):
    db["integration_logs"].insert_one(
        {"event": event, "outcome": "ok", "created_at": created_at, "customer_id": customer_id, **fields}
    )


@pytest.mark.parametrize("holds", ["order", "payment_order", "audit_entry", "wallet_in_another_currency"])
def test_support_look_up_of_a_customer_known_by_any_record(api, client, db, holds):
    if holds == "order":
        api.add_order("cust_k", 100)
    elif holds == "payment_order":
        initiated(api, "cust_k", 10)
    elif holds == "audit_entry":
        audit_entry(db, "cust_k", yesterday())
    else:
        db["wallets"].insert_one(
            {
                "_id": "cust_k:USD",
                "customer_id": "cust_k",
                "currency": "USD",
                "balance_minor": 0,
                "version": 0,
                "totals": {},
            }
        )
    response = support(client, "cust_k")
    assert response.status_code == 200, response.get_json()


def every_page(client, customer_id, name, first):
    """The entries of list `name` (`webhooks` or `audit`) from the look-up's first page on, following
    `next_before` through GET /support/customers/<id>/<name>?before=; and the number of pages."""
    entries, cursor, pages = list(first[name]), first[f"{name}_next_before"], 1
    while cursor is not None:
        response = support(client, customer_id, suffix=f"/{name}?before={cursor}")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert set(body) == {"success", "customer_id", name, "next_before"}
        entries += body[name]
        cursor, pages = body["next_before"], pages + 1
    return entries, pages


def test_support_pages_older_gateway_outcomes_and_audit_entries(api, client):
    for _ in range(23):  # each a `wallet.credited` by the webhook: a gateway outcome and an audit entry
        assert confirm_by_webhook(client, initiated(api, "cust_a", 1), 100).status_code == 200
    for index in range(3):  # the customer's own verify: an audit entry, not a gateway outcome
        assert verify(client, initiated(api, "cust_a", 1), f"pay_v{index}", bearer("cust_a")).status_code == 200
    first = support(client, "cust_a").get_json()
    assert len(first["webhooks"]) == len(first["audit"]) == 20
    webhooks, _ = every_page(client, "cust_a", "webhooks", first)
    audit, _ = every_page(client, "cust_a", "audit", first)
    assert [w["reason"] for w in webhooks] == ["payment.captured"] * 23
    assert len({w["payment_order_id"] for w in webhooks}) == 23
    assert [a["reason"] for a in audit] == ["verify"] * 3 + ["payment.captured"] * 23
    assert len({a["payment_order_id"] for a in audit}) == 26
    assert [a["created_at"] for a in audit] == sorted((a["created_at"] for a in audit), reverse=True)


def test_support_audit_pages_never_split_or_repeat_entries_of_one_millisecond(client, db):
    """Entries of the same millisecond across a page boundary: each listed once."""
    at = yesterday().replace(microsecond=123000)
    for index in range(45):
        audit_entry(
            db, "cust_t", at if index < 30 else at - datetime.timedelta(milliseconds=index), order_id=f"ord_{index:02d}"
        )
    audit, pages = every_page(client, "cust_t", "audit", support(client, "cust_t").get_json())
    assert sorted(a["order_id"] for a in audit) == [f"ord_{index:02d}" for index in range(45)]
    assert pages == 3


@pytest.mark.parametrize(
    "query",
    # (a cursor past year 9999, found by a red-team pass, overflowed the datetime: 500)
    ["before=x", "before=1-", "before=-1", "before=12.5", "before=999999999999999-1", "limit=0", "limit=101"],
)
def test_support_audit_pages_refuse_a_bad_cursor(client, reads_nothing, query):
    for name in ("webhooks", "audit"):
        assert_error(support(client, "cust_a", ADMIN, f"/{name}?{query}"), 400, "invalid_request")


def test_support_reconcile(api, client, db):
    paid_order(api, "cust_a", 5000)
    paid_order(api, "cust_b", 5000)
    body = support(client, "cust_a", suffix="/reconcile").get_json()
    assert body == {"success": True, "customer_id": "cust_a", "clean": True, "drift": []}
    db["wallets"].update_one({"_id": "cust_b:INR"}, {"$inc": {"balance_minor": 1}})
    assert support(client, "cust_a", suffix="/reconcile").get_json()["clean"] is True  # another's drift
    body = support(client, "cust_b", suffix="/reconcile").get_json()
    assert body["clean"] is False
    assert body["drift"] == [
        {"wallet_id": "cust_b:INR", "balance_minor": 1, "ledger_minor": 0, "problem": "wallet_balance"}
    ]


@pytest.mark.parametrize("suffix", ["", "/reconcile", "/webhooks", "/audit"])
def test_support_is_admin_only(client, reads_nothing, suffix):
    assert_error(support(client, "cust_a", bearer("cust_a"), suffix), 403, "forbidden")
    assert_error(client.get(f"{BASE}/support/customers/cust_a{suffix}"), 401, "unauthorized")
    assert_error(support(client, "%24gt", ADMIN, suffix), 400, "invalid_request")


def test_support_bad_currency(client, reads_nothing):
    assert_error(support(client, "cust_a", ADMIN, "?currency=usd"), 400, "invalid_request")


# --- every read of these endpoints is served by a declared index ----------------------------------
def test_history_and_support_reads_are_index_served(monkeypatch):
    """The same rule as tests/integration/store/test_query_coverage.py, for the requests of this file's
    endpoints."""
    import backend.db as store
    from backend import create_app
    from tests.conftest import app_config
    from tests.helpers import Api
    from tests.integration.store.test_query_coverage import RecordingDatabase, declared_indexes, served

    made = store.init_app

    def init_app(app):
        made(app)
        app.extensions["wallet_db"] = RecordingDatabase(app.extensions["wallet_db"])

    monkeypatch.setattr(store, "init_app", init_app)
    app = create_app(app_config())
    monkeypatch.undo()
    client, database = app.test_client(), app.extensions["wallet_db"]
    api = Api(client, database)
    order_id = paid_order(api, "cust_a", 5000)
    assert api.refund(order_id, "cust_a", 10).status_code == 200  # so reconcile checks an order's refunds
    payment_order_id = initiated(api, "cust_a", 10)
    database.queries.clear()
    for path in (
        "/orders?customer_id=cust_a",
        "/orders?customer_id=cust_a&status=paid&after=ord_0&limit=5",
        "/wallet/cust_a/transactions?limit=1",
        "/wallet/cust_a/transactions?before=2",
        "/wallet/cust_a/statement.csv",
        f"/wallet/topup/{payment_order_id}/status",
        "/support/customers/cust_a",
        "/support/customers/cust_a/reconcile",
        "/support/customers/cust_a/webhooks?before=1767225600000-1",
        "/support/customers/cust_a/audit",
        "/support/customers/cust_nobody",
    ):
        response = get(client, path, ADMIN)
        assert response.status_code == (404 if "nobody" in path else 200), (path, response.get_data(as_text=True))
    assert order_id and database.queries
    unserved = {
        (q.collection, q.operation, q.shape.text(), q.where)
        for q in database.queries
        if not served(q.shape, declared_indexes(q.collection, app.config))
    }
    assert not unserved, unserved
    seen = {q.collection for q in database.queries}
    assert {"orders", "ledger_entries", "integration_logs", "payment_orders", "wallets"} <= seen, seen


def test_audit_entries_of_one_millisecond_come_newest_first(db, integration):
    moment = yesterday()
    for event in ("order.paid", "order.refunded", "wallet.credited"):
        audit_entry(db, "cust_ms", moment, event=event)
    listed = [entry["event"] for entry in integration.audit.for_customer("cust_ms", 10)]
    assert listed == ["wallet.credited", "order.refunded", "order.paid"]


def test_a_top_up_reported_in_another_currency_shows_its_amount_in_that_currency(api, client):
    """Found by a currencies red-team pass: the refusal's audit kept the reported amount without its
    currency, so the support view read 1000 yen as 10.00 INR."""
    payment_order_id = initiated(api, "cust_a", "100.00")
    event = razorpay_event("payment.captured", payment_order_id, "pay_yen", 1000, currency="JPY")
    body, headers = signed_webhook(event)
    assert_error(client.post(f"{BASE}/webhook/razorpay", data=body, headers=headers), 400, "amount_mismatch")
    (refused,) = [a for a in support(client, "cust_a").get_json()["audit"] if a["event"] == "topup.amount_mismatch"]
    assert (refused["amount"], refused["currency"]) == (1000, "JPY")


def test_support_audit_gives_every_amount_in_major_units_of_its_currency():
    """A take-back's debt and what the per-payment cap cut were given in minor units (5000 for 50.00);
    an entry recorded without a currency was read as INR whatever DEFAULT_CURRENCY said."""
    for app in app_with(DEFAULT_CURRENCY="USD", SUPPORTED_CURRENCIES="USD,JPY"):
        db, client = app.extensions["wallet_db"], app.test_client()
        at = yesterday()
        audit_entry(
            db, "cust_t", at, "wallet.chargeback", amount_minor=500, debt_minor=300, capped_minor=200, currency="JPY"
        )
        audit_entry(db, "cust_t", at - datetime.timedelta(seconds=1), "order.paid", amount_minor=1234)
        audit_entry(db, "cust_t", at - datetime.timedelta(seconds=2), "webhook.rejected", reason="invalid_signature")
        chargeback, paid, rejected = support(client, "cust_t").get_json()["audit"]
        assert {k: chargeback[k] for k in ("amount", "debt", "capped", "currency")} == {
            "amount": 500,
            "debt": 300,
            "capped": 200,
            "currency": "JPY",
        }
        assert not {"amount_minor", "debt_minor", "capped_minor"} & set(chargeback)
        assert (paid["amount"], paid["currency"]) == (12.34, "USD")
        assert "currency" not in rejected and "amount" not in rejected
