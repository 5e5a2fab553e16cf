"""Simulator pages (issue 11, item 7): a way back to the wallet, money as the page shows it."""
from urllib.parse import parse_qs, urlsplit

import pytest

from backend.checkout_pages.common import display_money


@pytest.mark.parametrize("amount, currency, text", [
    ("1000", "INR", "₹1,000.00"), ("0.5", "INR", "₹0.50"), ("120.5", "INR", "₹120.50"),
    ("999.00", "INR", "₹999.00"), ("100000", "INR", "₹1,00,000.00"), ("10000000.00", "INR", "₹1,00,00,000.00"),
    ("1234567.89", "USD", "$12,34,567.89"), ("12", "EUR", "€12.00"), ("12.5", "XYZ", "12.50 XYZ"),
])
def test_display_money_matches_the_web_page(amount, currency, text):
    assert display_money(amount, currency) == text  # Intl.NumberFormat('en-IN', {style: 'currency'})


@pytest.mark.parametrize("method, back", [
    ("razorpay", {"razorpay_order_id"}),
    ("paypal", {"paypal_order_id", "payment_method"}),
    ("google_pay", {"payment_order_id", "payment_method"}),
])
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
