"""The app's Razorpay simulator refunding (SPEC §9): built by its registry entry with the configured
webhook secret, the inline delivery and DEFAULT_CURRENCY, it keeps its refunds in the store (with
their index) and posts `refund.*` webhooks the service's own webhook route verifies and reads (200,
where a bad signature or an unreadable body would be 400). What the ledger does with them is
tested with the ledger."""

from urllib.parse import parse_qs, urlsplit

import pytest

from backend import create_app
from backend.gateways.base import REFUND_DONE, REFUND_PENDING, REFUND_REFUSED
from backend.gateways.razorpay.api import RefundRefused
from backend.gateways.razorpay.simulator import REFUNDS_COLLECTION
from tests.conftest import app_config, drop_store
from tests.helpers import unique


class Statuses:
    """Wraps the simulator's `deliver_webhook`, keeping what the service answered each webhook."""

    def __init__(self, api):
        self.deliver, self.answers = api.deliver_webhook, []
        api.deliver_webhook = self

    def __call__(self, body, headers, wait=False):
        status = self.deliver(body, headers, wait)
        self.answers.append(status)
        return status


@pytest.fixture
def razorpay(integration):
    return integration.payments.gateway("razorpay")


def test_the_service_accepts_the_refund_webhooks_of_its_simulator(razorpay):
    statuses = Statuses(razorpay.api)
    reference = unique("wdr")
    refund = razorpay.refund(unique("pay"), 2500, "INR", reference)
    assert (refund.status, refund.currency) == (REFUND_PENDING, "INR")
    assert statuses.answers == [200, 200]


def test_the_service_accepts_a_failed_refunds_webhooks(razorpay):
    statuses = Statuses(razorpay.api)
    razorpay.api.fail_refunds(True)
    payment_id, reference = unique("pay"), unique("wdr")
    assert razorpay.refund(payment_id, 2500, "INR", reference).status == REFUND_PENDING
    assert statuses.answers == [200, 200]
    assert razorpay.find_refund(payment_id, reference).status == REFUND_REFUSED


def test_a_dashboard_refund_is_accepted_by_the_service(razorpay):
    statuses = Statuses(razorpay.api)
    razorpay.api.dashboard_refund(unique("pay"), 700, "INR")
    assert statuses.answers == [200, 200]


def test_the_refunds_are_kept_in_the_store_with_their_index(razorpay, db):
    payment_id, reference = unique("pay"), unique("wdr")
    refund = razorpay.refund(payment_id, 2500, "INR", reference)
    assert razorpay.find_refund(payment_id, reference).refund_id == refund.refund_id
    assert db[REFUNDS_COLLECTION].count_documents({"payment_id": payment_id}) == 1
    keys = [spec["key"] for spec in db[REFUNDS_COLLECTION].index_information().values()]
    assert [("payment_id", 1), ("created_at", -1), ("_id", 1)] in [[(f, int(d)) for f, d in key] for key in keys]


def test_a_refund_of_a_payment_its_checkout_page_made_is_capped_by_that_payment(api, client, razorpay):
    body = api.initiate("cust_a", "10", method="razorpay").get_json()
    paid = client.post(urlsplit(body["redirect_url"]).path + "/pay")
    payment_id = parse_qs(urlsplit(paid.headers["Location"]).query)["razorpay_payment_id"][0]
    assert razorpay.refund(payment_id, 1001, "INR", unique("wdr")).status == REFUND_REFUSED
    reference = unique("wdr")
    assert razorpay.refund(payment_id, 1000, "INR", reference).status == REFUND_PENDING
    assert razorpay.find_refund(payment_id, reference).status == REFUND_DONE


def test_a_payment_it_never_saw_is_refunded_in_the_configured_currency():
    app = create_app(app_config(DEFAULT_CURRENCY="USD", SUPPORTED_CURRENCIES="USD,INR"))
    try:
        gateway = app.extensions["integration"].payments.gateway("razorpay")
        assert gateway.refund(unique("pay"), 2500, "USD", unique("wdr")).currency == "USD"
    finally:
        drop_store(app)


def test_a_refund_below_one_rupee_is_refused_as_razorpay_refuses_it(razorpay, db):
    statuses = Statuses(razorpay.api)
    refund = razorpay.refund(unique("pay"), 99, "INR", unique("wdr"))
    assert (refund.refund_id, refund.status) == ("", REFUND_REFUSED)
    assert statuses.answers == [] and db[REFUNDS_COLLECTION].count_documents({"amount": 99}) == 0
    with pytest.raises(RefundRefused, match="at least INR 1.00"):
        razorpay.api.dashboard_refund(unique("pay"), 50, "INR")
    assert razorpay.least_refund_minor("INR") == 100 and razorpay.least_refund_minor("JPY") == 1
