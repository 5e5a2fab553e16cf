"""Simulator pages: a way back to the wallet, money as the page shows it, the return its entry
describes, and their webhooks handed to the service."""

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from backend.gateways.checkout import display_money
from backend.gateways.registry import gateway_registry


@pytest.mark.parametrize(
    "amount, currency, text",
    [
        ("1000", "INR", "₹1,000.00"),
        ("0.5", "INR", "₹0.50"),
        ("120.5", "INR", "₹120.50"),
        ("999.00", "INR", "₹999.00"),
        ("100000", "INR", "₹1,00,000.00"),
        ("10000000.00", "INR", "₹1,00,00,000.00"),
        ("1234567.89", "USD", "$12,34,567.89"),
        ("12", "EUR", "€12.00"),
        ("12.5", "XYZ", "12.50 XYZ"),
        ("1500", "JPY", "JP¥1,500"),  # whole yen
        ("1234567", "JPY", "JP¥12,34,567"),
    ],
)
def test_display_money_matches_the_web_page(amount, currency, text):
    assert display_money(amount, currency) == text  # Intl.NumberFormat('en-IN', {style: 'currency'})


@pytest.mark.parametrize(
    "method, back",
    [
        ("razorpay", {"razorpay_order_id"}),
        ("paypal", {"paypal_order_id", "payment_method"}),
        ("google_pay", {"payment_order_id", "payment_method"}),
    ],
)
def test_every_simulator_page_shows_the_amount_and_a_way_back(api, client, method, back):
    response = api.initiate("cust_a", "1000", method=method)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    page = client.get(urlsplit(body["redirect_url"]).path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<strong id="amount">₹1,000.00</strong>' in html
    assert "1000.00 INR" not in html
    href = html.split('<a id="back" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    url = urlsplit(href)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "http://localhost/"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert set(query) == back | {"payment_error"} and query["payment_error"] == "cancelled"
    assert body["payment_order_id"] in query.values()
    assert query.get("payment_method", method) == method


@pytest.mark.parametrize("method", ["razorpay", "paypal", "google_pay"])
@pytest.mark.parametrize("unknown", ["order_nope", "bad$id"])
def test_a_checkout_link_of_no_payment_order_says_so(api, client, method, unknown):
    path = urlsplit(api.initiate("cust_a", "10", method=method).get_json()["redirect_url"]).path
    page = client.get(path.rsplit("/", 1)[0] + "/" + unknown)
    assert page.status_code == 404
    assert page.get_json()["error"] == "payment_order_not_found"  # not "No such endpoint.": the page exists
    assert "no payment order with this id" in page.get_json()["message"]


@pytest.mark.parametrize("method", ["razorpay", "paypal", "google_pay"])
def test_a_simulators_pay_returns_what_its_entry_tells_the_web_page(app, api, client, method):
    """The web page reads a return by the entry's description (GET /gateways): the simulator's
    Pay sends exactly those parameters back."""
    described = gateway_registry(app.config).get(method).checkout_return
    body = api.initiate("cust_r", "10", method=method).get_json()
    paid = client.post(urlsplit(body["redirect_url"]).path + "/pay")
    assert paid.status_code == 303
    query = {k: v[0] for k, v in parse_qs(urlsplit(paid.headers["Location"]).query).items()}
    assert query[described.order_id] == body["payment_order_id"]
    assert set(described.verify_fields.values()) <= set(query)
    assert query.get("payment_method") == method or any(name in query for name in described.match)
    assert "payment_error" not in query


def test_inline_delivery_hands_the_webhook_to_the_service_without_a_test_client(api, client, db, monkeypatch):
    """SIMULATOR_WEBHOOK_DELIVERY=inline (the tests') handles a simulator's webhook in process:
    no Flask test client in the service's code."""

    def no_test_client(*args, **kwargs):
        raise AssertionError("the service made a test client")

    monkeypatch.setattr(Flask, "test_client", no_test_client)
    body = api.initiate("cust_i", "10", method="razorpay").get_json()
    assert client.post(urlsplit(body["redirect_url"]).path + "/pay").status_code == 303
    assert db["payment_orders"].find_one({"_id": body["payment_order_id"]})["status"] == "paid"
