"""A gateway's settlement report as tests write it: rows built from the store's payment orders and
handed to the adapter in place of its report (`settlement_report`), so a test decides what the
gateway says it captured and refunded."""

import datetime

from backend.gateways.base import SETTLED_PAYMENT, SETTLED_REFUND, SettlementRow

DAY = datetime.date(2026, 11, 30)


def capture_row(payment_order, amount_minor=None, payment_id=None):
    return SettlementRow(
        SETTLED_PAYMENT,
        payment_id or payment_order["gateway_payment_id"],
        payment_order["amount_minor"] if amount_minor is None else amount_minor,
        payment_order["currency"],
        fee_minor=payment_order["amount_minor"] * 2 // 100,
        tax_minor=payment_order["amount_minor"] * 2 // 100 * 18 // 100,
        payment_order_id=payment_order["_id"],
        settlement_id="setl_1",
    )


def refund_row(payment_id, refund_id, amount_minor, reference=None):
    return SettlementRow(SETTLED_REFUND, payment_id, amount_minor, "INR", refund_id=refund_id, reference=reference)


def report(integration, gateway, rows, lag=datetime.timedelta(days=2)):
    """The gateway's report of any day is `rows` from now on."""
    adapter = integration.payments.gateway(gateway)
    adapter.settlement_report = lambda day: iter(list(rows))
    adapter.settlement_lag = lag
