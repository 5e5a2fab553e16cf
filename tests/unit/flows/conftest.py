"""The flows' repositories as in-memory fakes (tests/fakes.py), one set per test."""

import pytest

from tests.fakes import (
    FakeAudit,
    FakeClock,
    FakeGateway,
    FakeLedger,
    FakeLedgerHistory,
    FakeOrderBook,
    FakeOutbox,
    FakePaymentOrders,
    FakePayments,
    FakeSingleUseEvents,
)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def ledger(clock):
    return FakeLedger(clock)


@pytest.fixture
def history(ledger):
    return FakeLedgerHistory(ledger)


@pytest.fixture
def orders():
    return FakeOrderBook()


@pytest.fixture
def payment_orders():
    return FakePaymentOrders()


@pytest.fixture
def audit():
    return FakeAudit()


@pytest.fixture
def outbox():
    return FakeOutbox()


@pytest.fixture
def single_use_events():
    return FakeSingleUseEvents()


@pytest.fixture
def gateway():
    return FakeGateway()


@pytest.fixture
def payments(gateway):
    return FakePayments(gateway)
