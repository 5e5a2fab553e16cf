"""A settlement day with rows in two currencies: the day's figures are its own currency's rows, the
others' summed apart (`other_currencies`), and an exception in another currency says which, in the
API and in the CSV. A day in one currency keeps the contract's exact shape."""

import pytest

from tests.conftest import app_with
from tests.helpers import BASE, bearer
from tests.integration.settlement.support import DAY, capture_row, report

ADMIN = bearer("admin_1", "admin")
CUSTOMER = "cust_fx"


@pytest.fixture
def app():
    yield from app_with(SUPPORTED_CURRENCIES="INR,USD")


def paypal_topup(client, db, amount, currency):
    started = client.post(
        f"{BASE}/wallet/topup/initiate",
        json={"customer_id": CUSTOMER, "amount": amount, "payment_method": "paypal", "currency": currency},
        headers=bearer(CUSTOMER),
    ).get_json()
    order_id = started["payment_order_id"]
    assert client.post(f"/simulator/paypal/checkout/{order_id}/pay").status_code == 303
    verified = client.post(
        f"{BASE}/wallet/topup/verify", json={"order_id": order_id, "payment_method": "paypal"}, headers=bearer(CUSTOMER)
    )
    assert verified.status_code == 200
    return db["payment_orders"].find_one({"_id": order_id})


def test_a_day_in_two_currencies_sums_each_apart_and_names_the_other_currency(app):
    client, db, integration = app.test_client(), app.extensions["wallet_db"], app.extensions["integration"]
    inr = paypal_topup(client, db, "100.00", "INR")
    usd = paypal_topup(client, db, "20.00", "USD")
    usd_short = paypal_topup(client, db, "5.00", "USD")
    report(integration, "paypal", [capture_row(inr), capture_row(usd), capture_row(usd_short, amount_minor=400)])
    body = client.post(f"{BASE}/settlements", json={"gateway": "paypal", "date": DAY.isoformat()}, headers=ADMIN)
    body = body.get_json()
    assert (body["currency"], body["captured"], body["fees"], body["matched"]) == ("INR", 100.0, 2.0, 2)
    assert body["other_currencies"] == [
        {"currency": "USD", "captured": 24.0, "refunded": 0.0, "fees": 0.5, "tax": 0.08, "settled": 23.42}
    ]
    [mismatch] = body["exceptions"]
    assert mismatch["kind"] == "amount_mismatch" and mismatch["currency"] == "USD"
    assert (mismatch["gateway_amount"], mismatch["ledger_amount"]) == (4.0, 5.0)
    csv_text = client.get(f"{BASE}/settlements?gateway=paypal&date={DAY}&format=csv", headers=ADMIN)
    assert csv_text.get_data(as_text=True).splitlines()[1].endswith(",4.00 USD,5.00 USD")


def test_a_day_in_its_own_currency_has_the_contracts_shape_only(app):
    client, db, integration = app.test_client(), app.extensions["wallet_db"], app.extensions["integration"]
    inr = paypal_topup(client, db, "100.00", "INR")
    report(integration, "paypal", [capture_row(inr, amount_minor=9000)])
    body = client.post(f"{BASE}/settlements", json={"gateway": "paypal", "date": DAY.isoformat()}, headers=ADMIN)
    body = body.get_json()
    assert "other_currencies" not in body
    assert set(body["exceptions"][0]) == {
        "kind",
        "status",
        "payment_id",
        "payment_order_id",
        "gateway_amount",
        "ledger_amount",
    }
