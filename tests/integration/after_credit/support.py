"""Playing the gateways after the credit through the app: top-ups by each gateway's simulator, the
webhooks the simulators post kept so a test can deliver them again, the wallet's figures."""

from tests.helpers import BASE, WEBHOOK_PATH, bearer, checkout_signature, signed_webhook, unique
from tests.integration.support import assert_money

ADMIN = bearer("admin_1", "admin")


class Posted:
    """The simulators' webhooks as they post them (delivered as usual), kept for redelivery."""

    def __init__(self):
        self.webhooks = []

    def wrap(self, deliver):
        def deliver_and_keep(body, headers, wait=False):
            self.webhooks.append((body, dict(headers)))
            return deliver(body, headers, wait)

        return deliver_and_keep


def simulator(integration, gateway):
    """The gateway's simulated API (Razorpay's plays its own side; PayPal's through `.cases`)."""
    api = integration.payments.gateway(gateway).api
    return api.cases if gateway == "paypal" else api


def razorpay_topup(api, db, customer_id, amount):
    """A Razorpay top-up confirmed by a signed webhook; (payment order id, payment id)."""
    payment_order_id = api.topup(customer_id, amount)
    return payment_order_id, db["payment_orders"].find_one({"_id": payment_order_id})["gateway_payment_id"]


def paypal_topup(api, client, db, customer_id, amount):
    """A PayPal top-up: initiate, approve on the simulator's page, verify (the service captures);
    (payment order id, capture id)."""
    initiated = api.initiate(customer_id, amount, method="paypal").get_json()
    order_id = initiated["payment_order_id"]
    assert client.post(f"/simulator/paypal/checkout/{order_id}/pay").status_code == 303
    verified = api.post("/wallet/topup/verify", {"order_id": order_id, "payment_method": "paypal"}, bearer(customer_id))
    assert verified.status_code == 200, verified.get_json()
    return order_id, db["payment_orders"].find_one({"_id": order_id})["gateway_payment_id"]


def topup(gateway, api, client, db, customer_id, amount):
    if gateway == "paypal":
        return paypal_topup(api, client, db, customer_id, amount)
    return razorpay_topup(api, db, customer_id, amount)


def wallet(api, customer_id):
    """(balance, held, available, debt) as GET /status shows them."""
    shown = api.status(customer_id).get_json()["wallet"]
    return shown["balance"], shown["held"], shown["available"], shown["debt"]


def redeliver(client, gateway, webhook):
    body, headers = webhook
    return client.post(f"{BASE}/webhook/{gateway.replace('_', '-')}", data=body, headers=headers)


def withdraw(api, customer_id, amount, headers=None):
    return api.post("/wallet/withdraw", {"customer_id": customer_id, "amount": amount}, headers or bearer(customer_id))


def razorpay_case_event(event_type, entity_name, payment_id, amount, currency="INR", case_id=None, notes=None, **extra):
    entity = {
        "id": case_id or unique("rfnd" if entity_name == "refund" else "disp"),
        "entity": entity_name,
        "payment_id": payment_id,
        "amount": amount,
        "currency": currency,
        "notes": notes if notes is not None else [],
        **extra,
    }
    return {
        "entity": "event",
        "account_id": "acc_test",
        "event": event_type,
        "contains": [entity_name],
        "payload": {entity_name: {"entity": entity}},
        "created_at": 1700000000,
    }


def post_razorpay(client, event, event_id=None):
    body, headers = signed_webhook(event, event_id=event_id)
    return client.post(WEBHOOK_PATH, data=body, headers=headers)


def verify(api, customer_id, payment_order_id, payment_id):
    """A signed Razorpay checkout return of `payment_id` for the payment order: its 200 answer."""
    body = {
        "payment_id": payment_id,
        "order_id": payment_order_id,
        "signature": checkout_signature(payment_order_id, payment_id),
    }
    response = api.post("/wallet/topup/verify", body, bearer(customer_id))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def withdrawal_status(api, customer_id, withdrawal_id):
    shown = api.client.get(f"{BASE}/wallet/withdrawals/{withdrawal_id}", headers=bearer(customer_id))
    return shown.get_json()["status"]


def keep_razorpay_webhooks(integration):
    """From now on the Razorpay simulator's webhooks are kept, not delivered: its refunds stay pending."""
    kept = []
    integration.payments.gateway("razorpay").api.deliver_webhook = lambda body, headers, wait=False: (
        kept.append(body) or 200
    )
    return kept


def pending_withdrawal(api, db, integration, payment_id):
    """cust_a withdraws 10.00 of `payment_id` while the Razorpay simulator's webhooks are kept, not
    delivered: (the withdrawal's body, our refund's record, the webhooks kept)."""
    kept = keep_razorpay_webhooks(integration)
    body = withdraw(api, "cust_a", "10.00").get_json()
    (record,) = db["gateway_refunds"].find({"gateway_payment_id": payment_id})
    return body, record, kept


def our_refund_event(db, event_type, payment_id, amount_minor):
    """A Razorpay refund webhook of our one refund of `payment_id`, by its refund id, without notes."""
    (record,) = db["gateway_refunds"].find({"gateway_payment_id": payment_id})
    return razorpay_case_event(event_type, "refund", payment_id, amount_minor, case_id=record["gateway_refund_id"])


def assert_wallet(api, customer_id, balance, held):
    for shown, expected in zip(wallet(api, customer_id), (balance, held, balance - held, 0), strict=True):
        assert_money(shown, expected)
