"""Webhook intake (backend/flows/webhooks.py) on fakes: verified, de-duplicated by event id, applied."""

import pytest

from backend.errors import (
    AmountMismatch,
    GatewayUnavailable,
    InvalidAmount,
    InvalidRequest,
    InvalidSignature,
    StoreUnavailable,
    UnsupportedPaymentMethod,
)
from backend.flows.topups import Topups
from backend.flows.webhooks import WebhookIntake
from backend.gateways.base import CREDIT_WALLET, IGNORE, RECORD_FAILURE, ConfirmedPayment
from backend.records import TOPUP
from tests.fakes import SIGNED, FakeGateway, FakePayments, webhook


@pytest.fixture
def topups(ledger, payments, payment_orders, audit):
    return Topups(ledger, payments, payment_orders, audit, "INR")


@pytest.fixture
def intake(topups, payments, payment_orders, single_use_events, audit):
    return WebhookIntake(topups, payments, payment_orders, single_use_events, audit)


@pytest.fixture
def payment_order(payment_orders):
    return payment_orders.create("po_1", "wtp_1", "fakepay", "cust_a", 50000, "INR")


def captured(event_id="evt_1", payment_order_id="po_1", amount_minor=50000, currency="INR", **fields):
    return webhook(
        event_id=event_id,
        event_type="payment.captured",
        action=CREDIT_WALLET,
        payment_order_id=payment_order_id,
        gateway_payment_id="pay_1",
        amount_minor=amount_minor,
        currency=currency,
        **fields,
    )


def token(event_id="msg_1", payment_order_id="po_1"):
    return webhook(
        event_id=event_id,
        event_type="google_pay.token",
        action=CREDIT_WALLET,
        payment_order_id=payment_order_id,
        charge_required=True,
    )


def test_a_capture_credits_its_top_up_once_and_is_recorded_as_the_credit(
    intake, payment_order, ledger, payment_orders, audit
):
    assert intake.process("fakepay", captured(), SIGNED) == "processed"
    [credit] = ledger.of_kind(TOPUP)
    assert (credit["idempotency_key"], credit["amount_minor"]) == ("topup:po_1", 50000)
    assert payment_orders.get("po_1").status == "paid"
    assert [(r["event"], r["event_id"]) for r in audit.records] == [("wallet.credited", "evt_1")]
    assert [(n["event"], n["outcome"]) for n in audit.notes] == [("webhook.received", "processed")]


def test_a_bad_signature_is_audited_and_raised(intake, payment_order, ledger, audit):
    with pytest.raises(InvalidSignature):
        intake.process("fakepay", captured(), {"X-Signature": "forged"})
    assert [(r["event"], r["error"]) for r in audit.records] == [("webhook.rejected", "invalid_signature")]
    assert ledger.entries.docs == []


def test_a_gateway_not_offered_is_audited_and_raised(intake, audit):
    with pytest.raises(UnsupportedPaymentMethod):
        intake.process("nopay", captured(), SIGNED)
    assert [(r["event"], r["gateway"]) for r in audit.records] == [("webhook.rejected", "nopay")]


def test_a_body_nested_too_deep_is_refused_before_the_gateway_reads_it(intake, gateway, audit, monkeypatch):
    monkeypatch.setattr(gateway, "parse_webhook", lambda *a: pytest.fail("the gateway parsed the body"))
    with pytest.raises(InvalidRequest):
        intake.process("fakepay", b"[" * 100 + b"]" * 100, SIGNED)
    assert audit.recorded() == [("webhook.rejected", "rejected")]


def test_an_unknown_payment_order_is_ignored(intake, payment_order, ledger, audit):
    assert intake.process("fakepay", captured(payment_order_id="po_404"), SIGNED) == "ignored"
    assert ledger.entries.docs == []
    assert audit.recorded() == [("webhook.received", "ignored")]


def test_an_event_that_asks_nothing_is_ignored(intake, payment_order, payment_orders):
    body = webhook(event_id="evt_1", event_type="order.created", action=IGNORE, payment_order_id="po_1")
    assert intake.process("fakepay", body, SIGNED) == "ignored"
    assert payment_orders.docs["po_1"]["webhook_event_ids"] == []


def test_a_redelivery_is_a_duplicate(intake, payment_order, ledger, audit):
    intake.process("fakepay", captured(), SIGNED)
    assert intake.process("fakepay", captured(), SIGNED) == "duplicate"
    assert len(ledger.of_kind(TOPUP)) == 1
    assert audit.recorded()[-1] == ("webhook.received", "duplicate")


def test_another_capture_event_of_a_credited_top_up_is_a_duplicate(intake, payment_order, ledger):
    intake.process("fakepay", captured("evt_1"), SIGNED)
    assert intake.process("fakepay", captured("evt_2"), SIGNED) == "duplicate"
    assert ledger.balance("cust_a") == 50000


def test_a_capture_an_earlier_version_claimed_and_died_on_is_applied_again(
    intake, payment_order, payment_orders, ledger
):
    payment_orders.docs["po_1"]["webhook_event_ids"].append("evt_1")  # an earlier version claimed it and died
    assert intake.process("fakepay", captured(), SIGNED) == "processed"
    assert ledger.balance("cust_a") == 50000


def test_a_failure_is_recorded_on_its_payment_order(intake, payment_order, payment_orders, ledger, audit):
    body = webhook(
        event_id="evt_f",
        event_type="payment.failed",
        action=RECORD_FAILURE,
        payment_order_id="po_1",
        failure_reason="card_declined",
    )
    assert intake.process("fakepay", body, SIGNED) == "recorded"
    assert (payment_orders.docs["po_1"]["status"], payment_orders.docs["po_1"]["failure_reason"]) == (
        "failed",
        "card_declined",
    )
    assert ledger.entries.docs == []
    assert audit.recorded() == [("webhook.received", "recorded")]


def test_an_event_naming_its_payment_order_by_reference_is_applied(intake, payment_order, ledger):
    body = webhook(
        event_id="evt_1",
        event_type="payment.captured",
        action=CREDIT_WALLET,
        payment_order_reference="wtp_1",
        gateway_payment_id="pay_1",
    )
    assert intake.process("fakepay", body, SIGNED) == "processed"
    assert ledger.balance("cust_a") == 50000


def test_a_delivery_that_fails_keeps_nothing_so_the_redelivery_is_judged_afresh(
    intake, payment_order, payment_orders, ledger, monkeypatch
):
    credit = ledger.credit

    def store_gone(*args, **kwargs):
        raise StoreUnavailable()

    monkeypatch.setattr(ledger, "credit", store_gone)
    with pytest.raises(StoreUnavailable):
        intake.process("fakepay", captured(), SIGNED)
    assert payment_orders.docs["po_1"]["webhook_event_ids"] == []
    monkeypatch.setattr(ledger, "credit", credit)
    assert intake.process("fakepay", captured(), SIGNED) == "processed"
    assert ledger.balance("cust_a") == 50000


def test_a_capture_of_another_amount_for_an_unpaid_top_up_is_refused_and_claims_nothing(
    intake, payment_order, payment_orders, ledger, audit
):
    with pytest.raises(AmountMismatch):
        intake.process("fakepay", captured(amount_minor=40000), SIGNED)
    assert (payment_orders.docs["po_1"]["webhook_event_ids"], ledger.entries.docs) == ([], [])
    assert audit.recorded() == [("topup.amount_mismatch", "rejected")]


def test_a_capture_in_another_currency_is_refused(intake, payment_order, ledger):
    with pytest.raises(AmountMismatch):
        intake.process("fakepay", captured(currency="USD"), SIGNED)
    assert ledger.entries.docs == []


def test_a_capture_of_another_amount_for_a_credited_top_up_is_a_duplicate(intake, payment_order, ledger):
    intake.process("fakepay", captured("evt_1"), SIGNED)
    assert intake.process("fakepay", captured("evt_2", amount_minor=40000), SIGNED) == "duplicate"
    assert ledger.balance("cust_a") == 50000


def test_a_reported_amount_that_is_no_amount_is_invalid_and_never_claimed(
    intake, payment_order, payment_orders, monkeypatch
):
    monkeypatch.setattr(payment_orders, "for_event", lambda *a: pytest.fail("an invalid amount was queried"))
    with pytest.raises(InvalidAmount):
        intake.process("fakepay", captured(amount_minor=-1), SIGNED)


def test_a_token_is_charged_and_credited_once(intake, payment_order, gateway, ledger):
    assert intake.process("fakepay", token(), SIGNED) == "processed"
    assert gateway.charges == [("msg_1", "po_1")]
    [credit] = ledger.of_kind(TOPUP)
    assert credit["reference"]["gateway_payment_id"] == "chg_1"


def test_a_token_posted_again_for_another_payment_order_is_not_charged_again(
    intake, payment_order, payment_orders, gateway, ledger
):
    payment_orders.create("po_2", "wtp_2", "fakepay", "cust_a", 50000, "INR")
    intake.process("fakepay", token(payment_order_id="po_1"), SIGNED)
    assert intake.process("fakepay", token(payment_order_id="po_2"), SIGNED) == "duplicate"
    assert gateway.charges == [("msg_1", "po_1")]
    assert payment_orders.docs["po_2"]["webhook_event_ids"] == []  # po_2's claim released
    assert ledger.balance("cust_a") == 50000


def test_a_charge_that_fails_leaves_the_token_to_its_own_payment_order(
    intake, payment_order, payment_orders, single_use_events, gateway, ledger
):
    """Found by a review: a failed charge released the token's claim, though a processor that times out
    may have taken the money, so the token could then be charged for another payment order."""
    payment_orders.create("po_2", "wtp_2", "fakepay", "cust_b", 50000, "INR")
    gateway.charge_error = GatewayUnavailable()
    with pytest.raises(GatewayUnavailable):
        intake.process("fakepay", token(), SIGNED)
    assert (payment_orders.docs["po_1"]["webhook_event_ids"], single_use_events.claimed) == ([], {("fakepay", "msg_1")})
    gateway.charge_error = None
    assert intake.process("fakepay", token(payment_order_id="po_2"), SIGNED) == "duplicate"
    assert intake.process("fakepay", token(), SIGNED) == "processed"  # posted again for its own
    assert gateway.charges == [("msg_1", "po_1")]
    assert (ledger.balance("cust_a"), ledger.balance("cust_b")) == (50000, 0)


def test_a_token_charged_whose_credit_failed_stays_claimed_for_its_own_payment_order_alone(
    intake, payment_order, payment_orders, single_use_events, gateway, ledger, monkeypatch
):
    """Found by a red-team pass: any failure after the charge released the claim, so the same token,
    posted for another payment order (another customer's), was charged a second time."""
    payment_orders.create("po_2", "wtp_2", "fakepay", "cust_b", 50000, "INR")
    credit = ledger.credit
    monkeypatch.setattr(ledger, "credit", lambda *a, **k: (_ for _ in ()).throw(StoreUnavailable()))
    with pytest.raises(StoreUnavailable):
        intake.process("fakepay", token(payment_order_id="po_1"), SIGNED)
    monkeypatch.setattr(ledger, "credit", credit)
    assert intake.process("fakepay", token(payment_order_id="po_2"), SIGNED) == "duplicate"
    assert gateway.charges == [("msg_1", "po_1")]
    assert intake.process("fakepay", token(payment_order_id="po_1"), SIGNED) == "processed"  # its own, again
    assert gateway.charges == [("msg_1", "po_1")] * 2  # the processor's key (the payment order) keeps it one charge
    assert (ledger.balance("cust_a"), ledger.balance("cust_b")) == (50000, 0)


# --- a gateway processed by another (Google Pay's PAYMENT_GATEWAY tokens through PayPal) -----------
def processed_by(processor_name, name="tokenpay"):
    gateway = FakeGateway(name)
    gateway.processed_by = processor_name
    return gateway


def test_a_processors_webhook_credits_the_payment_orders_of_the_gateway_it_processes_once(
    topups, payment_orders, single_use_events, audit, ledger
):
    payments = FakePayments(FakeGateway("fakepay"), processed_by("fakepay"))
    intake = WebhookIntake(topups, payments, payment_orders, single_use_events, audit)
    payment_orders.create("po_t", "wtp_t", "tokenpay", "cust_a", 50000, "INR")
    assert intake.process("fakepay", captured(payment_order_id="po_t"), SIGNED) == "processed"
    assert intake.process("fakepay", captured(payment_order_id="po_t"), SIGNED) == "duplicate"
    assert intake.process("fakepay", captured("evt_2", payment_order_id="po_t"), SIGNED) == "duplicate"
    assert [e["amount_minor"] for e in ledger.of_kind(TOPUP)] == [50000]


def test_a_gateways_webhook_never_credits_another_gateways_payment_orders(
    topups, payment_orders, single_use_events, audit, ledger
):
    payments = FakePayments(FakeGateway("fakepay"), processed_by("otherpay"))
    intake = WebhookIntake(topups, payments, payment_orders, single_use_events, audit)
    payment_orders.create("po_t", "wtp_t", "tokenpay", "cust_a", 50000, "INR")
    assert intake.process("fakepay", captured(payment_order_id="po_t"), SIGNED) == "ignored"
    assert payment_orders.get("po_t").status == "created"


def test_a_processors_webhook_of_another_amount_credits_nothing(topups, payment_orders, single_use_events, audit):
    payments = FakePayments(FakeGateway("fakepay"), processed_by("fakepay"))
    intake = WebhookIntake(topups, payments, payment_orders, single_use_events, audit)
    payment_orders.create("po_t", "wtp_t", "tokenpay", "cust_a", 50000, "INR")
    with pytest.raises(AmountMismatch):
        intake.process("fakepay", captured(payment_order_id="po_t", amount_minor=100), SIGNED)
    assert payment_orders.get("po_t").status == "created"


class CapturingGateway(FakeGateway):
    """A gateway whose charge reports what it took (a capture), as Google Pay through PayPal does."""

    def __init__(self, taken_minor, currency="INR"):
        super().__init__()
        self.taken = ConfirmedPayment("cap_1", taken_minor, currency)

    def charge(self, event, payment_order):
        super().charge(event, payment_order)
        return self.taken


def test_a_charge_reporting_the_initiated_amount_credits_its_payment_id(
    topups, payment_orders, payment_order, single_use_events, audit, ledger
):
    intake = WebhookIntake(topups, FakePayments(CapturingGateway(50000)), payment_orders, single_use_events, audit)
    assert intake.process("fakepay", token(), SIGNED) == "processed"
    assert payment_orders.get("po_1").gateway_payment_id == "cap_1"


@pytest.mark.parametrize(("taken_minor", "currency"), [(100, "INR"), (50000, "USD")])
def test_a_charge_reporting_another_amount_credits_nothing_and_is_audited(
    topups, payment_orders, payment_order, single_use_events, audit, ledger, taken_minor, currency
):
    gateway = CapturingGateway(taken_minor, currency)
    intake = WebhookIntake(topups, FakePayments(gateway), payment_orders, single_use_events, audit)
    with pytest.raises(AmountMismatch):
        intake.process("fakepay", token(), SIGNED)
    assert payment_orders.get("po_1").status == "created"
    assert len(audit.recorded("topup.amount_mismatch")) == 1
    assert ledger.of_kind(TOPUP) == []
