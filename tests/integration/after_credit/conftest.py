"""Fixtures of the after-the-credit tests."""

import pytest

from tests.integration.after_credit.support import Posted


@pytest.fixture
def posted(integration):
    """Every webhook the Razorpay and PayPal simulators post from now on, as (body, headers)."""
    kept = Posted()
    for name in ("razorpay", "paypal"):
        api = integration.payments.gateway(name).api
        api.deliver_webhook = kept.wrap(api.deliver_webhook)
    return kept
