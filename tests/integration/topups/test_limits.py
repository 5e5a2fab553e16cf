"""Wallet limits (SPEC §10): a top-up that could pass a configured balance or monthly limit is refused
at initiate with 422 `limit_exceeded`, its name and the headroom, counting open top-ups and the
month's loads; the customer's level picks its limits; two initiates at once cannot both pass a
limit that fits one."""

import datetime

import pytest
from pymongo.errors import AutoReconnect

from backend import create_app
from backend.payment_orders import PaymentOrders
from tests.conftest import app_config, app_with, drop_store
from tests.helpers import BASE, WEBHOOK_PATH, Api, bearer, razorpay_event, run_in_threads, signed_webhook, unique
from tests.integration.support import assert_money

ADMIN = bearer("admin_1", "admin")


@pytest.fixture
def limited():
    """An app with minimum-level limits of 100.00 balance and 150.00 a month, full-level 1,000.00."""
    yield from app_with(MINIMUM_KYC_BALANCE_MAX="100", MINIMUM_KYC_MONTHLY_TOPUP_MAX="150", FULL_KYC_BALANCE_MAX="1000")


@pytest.fixture
def api(limited):
    return Api(limited.test_client(), limited.extensions["wallet_db"])


def refused(response, limit, headroom):
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert (body["error"], body["limit"]) == ("limit_exceeded", limit)
    assert_money(body["headroom"], headroom)
    return body


def test_a_top_up_passing_the_balance_limit_is_refused_with_its_headroom(api):
    api.topup("cust_a", "60.00")
    body = refused(api.initiate("cust_a", "50.00"), "MINIMUM_KYC_BALANCE_MAX", 40)
    assert "40.00 INR" in body["message"]
    assert api.initiate("cust_a", "40.00").status_code == 200


def test_open_top_ups_count_until_they_end(api):
    assert api.initiate("cust_a", "70.00").status_code == 200  # open, never paid
    refused(api.initiate("cust_a", "40.00"), "MINIMUM_KYC_BALANCE_MAX", 30)


def test_a_top_up_whose_payment_failed_counts_as_open_for_as_long_as_the_sweep_keeps_one_open(api):
    """Found by a red-team pass: a failed attempt (`payment.failed`) made its top-up `failed`, no longer
    counted, though a later attempt on the same checkout still credits it: a second top-up passed
    the limit, and both were credited."""
    first = api.initiate("cust_f", "100.00").get_json()["payment_order_id"]
    failed = razorpay_event("payment.failed", first, unique("pay"), 10000, status="failed")
    body, headers = signed_webhook(failed)
    assert api.client.post(WEBHOOK_PATH, data=body, headers=headers).status_code == 200
    assert api.db["payment_orders"].find_one({"_id": first})["status"] == "failed"
    refused(api.initiate("cust_f", "10.00"), "MINIMUM_KYC_BALANCE_MAX", 0)
    day_ago = datetime.datetime.utcnow() - datetime.timedelta(seconds=86400 + 60)  # SWEEP_EXPIRE_AFTER_SECONDS
    api.db["payment_orders"].update_one({"_id": first}, {"$set": {"created_at": day_ago}})
    assert api.initiate("cust_f", "100.00").status_code == 200


def test_the_retry_of_an_initiate_that_failed_after_recording_it_answers_that_top_up(api, monkeypatch):
    """Found by a red-team pass: the payment order was recorded, then the request failed (503); its
    retry, as the same operation, made a second one, and under a limit was refused 422 by the first
    (an open top-up), that refusal then kept as the key's answer for 24 h."""
    headers = {**bearer("cust_r"), "Idempotency-Key": "initiate-lost"}
    create = PaymentOrders.create

    def recorded_then_lost(self, *args):
        monkeypatch.setattr(PaymentOrders, "create", create)
        create(self, *args)
        raise AutoReconnect("connection reset after the write")

    monkeypatch.setattr(PaymentOrders, "create", recorded_then_lost)
    assert api.initiate("cust_r", "60.00", headers=headers).status_code == 503
    first = api.db["payment_orders"].find_one()
    retry = api.initiate("cust_r", "60.00", headers=headers)
    assert retry.status_code == 200, retry.get_json()
    assert retry.get_json()["payment_order_id"] == first["_id"]
    assert retry.get_json()["redirect_url"].endswith(first["_id"])
    assert api.initiate("cust_r", "60.00", headers=headers).get_json() == retry.get_json()
    assert api.db["payment_orders"].count_documents({}) == 1
    refused(api.initiate("cust_r", "50.00"), "MINIMUM_KYC_BALANCE_MAX", 40)  # another request: limited


def test_the_months_loads_count_though_the_money_was_spent(api):
    api.topup("cust_a", "100.00")
    order_id = api.add_order("cust_a", 10000)
    assert api.pay(order_id, "cust_a", 100).status_code == 200  # balance 0; 100.00 loaded this month
    refused(api.initiate("cust_a", "60.00"), "MINIMUM_KYC_MONTHLY_TOPUP_MAX", 50)


def test_a_full_level_customer_has_the_full_levels_limits(api):
    response = api.client.put(f"{BASE}/customers/cust_a/kyc-level", json={"kyc_level": "full"}, headers=ADMIN)
    assert response.get_json() == {"success": True, "customer_id": "cust_a", "kyc_level": "full"}
    assert api.initiate("cust_a", "500.00").status_code == 200
    refused(api.initiate("cust_a", "600.00"), "FULL_KYC_BALANCE_MAX", 500)
    audit = api.db["integration_logs"].find_one({"event": "customer.kyc_level"})
    assert audit["reason"] == "unset -> full"


@pytest.mark.parametrize("written", [{"customer_id": "cust_a"}, {"_id": "cust_a"}])
def test_a_level_written_to_customers_directly_counts(api, written):
    """`customers.kyc_level` as another system writes it: named by `customer_id`, or with the customer id
    as the document's `_id`."""
    api.db["customers"].insert_one({**written, "kyc_level": "full"})
    assert api.initiate("cust_a", "500.00").status_code == 200
    refused(api.initiate("cust_a", "600.00"), "FULL_KYC_BALANCE_MAX", 500)


def test_levels_written_by_id_for_two_customers_count_each(api):
    api.db["customers"].insert_many([{"_id": "cust_a", "kyc_level": "full"}, {"_id": "cust_b", "kyc_level": "full"}])
    assert api.initiate("cust_a", "500.00").status_code == 200
    assert api.initiate("cust_b", "500.00").status_code == 200


def test_a_document_by_customer_id_without_a_level_does_not_hide_one_by_id(api):
    api.db["customers"].insert_many(
        [{"customer_id": "cust_a", "phone": "+919800000001"}, {"_id": "cust_a", "kyc_level": "full"}]
    )
    assert api.initiate("cust_a", "500.00").status_code == 200


def test_a_level_set_through_the_api_outranks_a_document_keyed_by_id(api):
    api.db["customers"].insert_one({"_id": "cust_a", "kyc_level": "full"})
    path = f"{BASE}/customers/cust_a/kyc-level"
    assert api.client.put(path, json={"kyc_level": "minimum"}, headers=ADMIN).status_code == 200
    refused(api.initiate("cust_a", "500.00"), "MINIMUM_KYC_BALANCE_MAX", 100)


def test_only_an_admin_sets_a_level_and_only_to_a_known_one(api):
    path = f"{BASE}/customers/cust_a/kyc-level"
    assert api.client.put(path, json={"kyc_level": "full"}, headers=bearer("cust_a")).status_code == 403
    assert api.client.put(path, json={"kyc_level": "gold"}, headers=ADMIN).status_code == 400


def test_limits_say_the_headroom_before_an_amount_is_typed(api):
    api.topup("cust_a", "30.00")
    body = api.client.get(f"{BASE}/wallet/cust_a/limits", headers=bearer("cust_a")).get_json()
    assert body["kyc_level"] == "minimum"
    assert [(row["limit"], row["headroom"]) for row in body["limits"]] == [
        ("MINIMUM_KYC_BALANCE_MAX", 70),
        ("MINIMUM_KYC_MONTHLY_TOPUP_MAX", 120),
    ]


def test_a_refused_top_up_keeps_nothing_and_is_audited(api):
    api.topup("cust_a", "100.00")
    before = api.db["payment_orders"].count_documents({})
    refused(api.initiate("cust_a", "1.00"), "MINIMUM_KYC_BALANCE_MAX", 0)
    assert api.db["payment_orders"].count_documents({}) == before
    assert api.db["integration_logs"].count_documents({"event": "topup.limit_exceeded"}) == 1


def test_two_initiates_at_once_cannot_both_pass_a_limit_that_fits_one(api):
    codes = run_in_threads(8, lambda _i: api.initiate("cust_a", "60.00").status_code)
    assert sorted(codes) == [200] + [422] * 7


def test_an_initiate_whose_gateway_call_outlived_the_lease_records_nothing(limited, api, monkeypatch):
    """Found by a red-team pass: the limits' lease (10 s) could run out while the gateway was creating
    the order (up to GATEWAY_TIMEOUT_SECONDS a call); a second initiate then counted without the
    first's top-up and both passed a limit that fits one. Here the second runs while the first's
    gateway call is in flight, its lease past."""
    gateway_api = limited.extensions["integration"].payments.gateway("razorpay").api
    create_order, answers = gateway_api.create_order, {}

    def another_initiate_meanwhile(data):
        if not answers:  # the first's call: its lease runs out, and the second initiate comes
            answers["second"] = None
            past = datetime.datetime(2000, 1, 1)
            api.db["customer_leases"].update_many({}, {"$set": {"until": past}})
            answers["second"] = api.initiate("cust_s", "60.00")
        return create_order(data)

    monkeypatch.setattr(gateway_api, "create_order", another_initiate_meanwhile)
    first = api.initiate("cust_s", "60.00")
    assert answers["second"].status_code == 200, answers["second"].get_json()
    assert (first.status_code, first.get_json()["error"]) == (503, "store_unavailable")
    assert api.db["payment_orders"].count_documents({}) == 1
    refused(api.initiate("cust_s", "60.00"), "MINIMUM_KYC_BALANCE_MAX", 40)


def test_without_limits_nothing_is_refused(app):
    client = app.test_client()
    response = client.post(
        f"{BASE}/wallet/topup/initiate",
        json={"customer_id": "cust_a", "amount": "10000000.00", "payment_method": "razorpay"},
        headers=bearer("cust_a"),
    )
    assert response.status_code == 200
    assert client.get(f"{BASE}/wallet/cust_a/limits", headers=bearer("cust_a")).get_json()["limits"] == []


def test_last_months_loads_do_not_count(limited, api):
    api.topup("cust_a", "100.00")
    order_id = api.add_order("cust_a", 10000)
    assert api.pay(order_id, "cust_a", 100).status_code == 200
    last_month = datetime.datetime.utcnow().replace(day=1) - datetime.timedelta(days=2)
    api.db["payment_orders"].update_many({}, {"$set": {"paid_at": last_month, "created_at": last_month}})
    assert api.initiate("cust_a", "100.00").status_code == 200


def test_a_repeat_of_a_refused_top_up_with_its_key_answers_the_same_body(api):
    api.topup("cust_a", "100.00")
    headers = {"Idempotency-Key": "limit-key", **bearer("cust_a")}
    first = api.initiate("cust_a", "5.00", headers=headers)
    again = api.initiate("cust_a", "5.00", headers=headers)
    assert first.status_code == again.status_code == 422
    assert again.get_json() == first.get_json() and again.get_json()["limit"] == "MINIMUM_KYC_BALANCE_MAX"


@pytest.mark.parametrize(
    "setting, level, topped_up, asked, headroom",
    [
        ("WALLET_BALANCE_MAX", None, "70.00", "40.00", 30),
        ("WALLET_MONTHLY_TOPUP_MAX", None, "70.00", "40.00", 30),
        ("MINIMUM_KYC_BALANCE_MAX", None, "70.00", "40.00", 30),
        ("MINIMUM_KYC_MONTHLY_TOPUP_MAX", None, "70.00", "40.00", 30),
        ("FULL_KYC_BALANCE_MAX", "full", "70.00", "40.00", 30),
        ("FULL_KYC_MONTHLY_TOPUP_MAX", "full", "70.00", "40.00", 30),
    ],
)
def test_each_limit_refuses_the_top_up_that_would_pass_it(setting, level, topped_up, asked, headroom):
    app = create_app(app_config(**{setting: "100"}))
    try:
        api = Api(app.test_client(), app.extensions["wallet_db"])
        if level:
            path = f"{BASE}/customers/cust_a/kyc-level"
            assert api.client.put(path, json={"kyc_level": level}, headers=ADMIN).status_code == 200
        api.topup("cust_a", topped_up)
        if "MONTHLY" in setting:  # spent: the month's loads count all the same
            order_id = api.add_order("cust_a", 7000)
            assert api.pay(order_id, "cust_a", 70).status_code == 200
        refused(api.initiate("cust_a", asked), setting, headroom)
        assert api.initiate("cust_a", "30.00").status_code == 200
    finally:
        drop_store(app)


def test_a_levels_limit_does_not_apply_to_the_other_level():
    app = create_app(app_config(FULL_KYC_BALANCE_MAX="100"))
    try:
        api = Api(app.test_client(), app.extensions["wallet_db"])
        assert api.initiate("cust_a", "500.00").status_code == 200  # cust_a is at level minimum
    finally:
        drop_store(app)


def test_a_limit_that_is_not_an_amount_refuses_to_start():
    from backend.errors import ConfigError

    with pytest.raises(ConfigError, match="WALLET_BALANCE_MAX"):
        create_app(app_config(WALLET_BALANCE_MAX="abc"))
