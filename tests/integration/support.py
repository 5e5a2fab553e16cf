"""Assertions and set-ups shared by the integration tests of the HTTP API."""

from pymongo.errors import PyMongoError

from tests.helpers import WEBHOOK_PATH, bearer, razorpay_event, signed_webhook, unique

ERROR_KEYS = {"success", "error", "message"}
STACK_TRACE_MARKERS = ("Traceback", 'File "', "RuntimeError", "Exception")


def assert_error(response, status, code):
    """The response is the one error shape: exactly {success: false, error, message}."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, text)
    assert response.is_json, text
    body = response.get_json()
    assert set(body) == ERROR_KEYS, body
    assert body["success"] is False
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"].strip(), body
    return body


def assert_no_stack_trace(response):
    text = response.get_data(as_text=True)
    for marker in STACK_TRACE_MARKERS:
        assert marker not in text, text


def assert_money(value, expected):
    """Money in responses: a JSON number (never a string or a boolean) in major units."""
    assert type(value) in (int, float), (type(value), value)
    assert value == expected, value


def ledger(db, customer_id=None):
    query = {} if customer_id is None else {"customer_id": customer_id}
    return list(db["ledger_entries"].find(query))


def balance_minor(db, customer_id, currency="INR"):
    wallet = db["wallets"].find_one({"_id": f"{customer_id}:{currency}"})
    return 0 if wallet is None else wallet["balance_minor"]


def paid_order(api, customer_id, amount_minor):
    """A pending order paid from the wallet (the wallet is topped up first)."""
    api.topup(customer_id, amount_minor // 100)
    order_id = api.add_order(customer_id, amount_minor)
    response = api.pay(order_id, customer_id, amount_minor // 100)
    assert response.status_code == 200, response.get_json()
    return order_id


def confirm_by_webhook(client, payment_order_id, amount_minor, payment_id=None, event_id=None):
    event = razorpay_event("payment.captured", payment_order_id, payment_id or unique("pay"), amount_minor)
    body, headers = signed_webhook(event, event_id=event_id)
    return client.post(WEBHOOK_PATH, data=body, headers=headers)


def initiated(api, customer_id, amount):
    response = api.initiate(customer_id, amount, headers=bearer(customer_id))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["payment_order_id"]


def failing_once(monkeypatch, target, name):
    """`target.name` raises a store error on its next call (as if the store went away), then works."""
    real, failed = getattr(target, name), []

    def call(*args, **kwargs):
        if not failed:
            failed.append(True)
            raise PyMongoError("connection reset")
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, call)


def cancelled_while_paying(monkeypatch, integration, db, order_id):
    """The shop cancels `order_id` just before the next payment marks it paid (the payment is given back)."""
    real_mark_paid = integration.orders.mark_paid

    def cancelled_meanwhile(entry, now):
        db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "cancelled"}})
        return real_mark_paid(entry, now)

    monkeypatch.setattr(integration.orders, "mark_paid", cancelled_meanwhile)
