"""Razorpay's Orders, Payments, Refunds and Settlements API through the official SDK (the live API object)."""

import hashlib
import logging
import re

import razorpay
import razorpay.client
from razorpay.errors import BadRequestError

from ...errors import GatewayUnavailable, InvalidAmount
from ...money import format_major
from .events import least_amount_minor

# Razorpay's refund idempotency: a key of at least 10 of [A-Za-z0-9_-] in this header; a repeat
# with the same key and body answers the same refund.
REFUND_IDEMPOTENCY_HEADER = "X-Refund-Idempotency"
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{10,64}\Z")
# What a payment id must look like to go into a URL path (Razorpay's are `pay_` + 14 letters and digits).
PATH_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
# 4xx answers that say "not now" rather than "no": 409 is Razorpay's answer while the same key's
# first request is still being processed; the outcome of the refund is not known yet. 401 and 403 say
# our keys were not taken (a rotation, a blip): the refund was not decided, and is asked again later.
RETRYABLE_CLIENT_STATUSES = (401, 403, 408, 409, 425, 429)
REFUNDS_PAGE_SIZE = 100  # Razorpay's largest `count`
REFUND_PAGES_MAX = 10


logger = logging.getLogger("integration.gateways")


def _sdk_printed(*values, **_print_options):
    """What the SDK `print`s of a failed request ("Connection failed.", "Request timed out.", the
    error): logged instead, so that stdout keeps only the service's log lines and the commands' output."""
    logger.warning("razorpay SDK: %s", " ".join(str(value) for value in values))


# The SDK's module looks `print` up in its own globals before the built-in one.
razorpay.client.print = _sdk_printed


class RefundRefused(Exception):
    """Razorpay answered a refund request with BAD_REQUEST_ERROR (a 4xx): it made no refund."""


def header_key(idempotency_key):
    """`idempotency_key` as Razorpay takes it; another key (too short, or with `.`/`:`) as a digest
    of it, the same for the same key."""
    if IDEMPOTENCY_KEY_PATTERN.match(idempotency_key):
        return idempotency_key
    return "key_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]


class RazorpayApi:
    """Razorpay's API through the official SDK, every call with a timeout."""

    def __init__(self, key_id, key_secret, timeout_seconds=10.0, client=None):
        self.client = client or razorpay.Client(auth=(key_id, key_secret))
        if hasattr(self.client, "session"):  # a redirect is no answer: followed, a POST could go elsewhere
            self.client.session.max_redirects = 0
        self.timeout_seconds = timeout_seconds

    def create_order(self, data):
        """`POST /v1/orders`. Below Razorpay's least amount `InvalidAmount`, without a call: Razorpay
        answers it 400 "Order amount less than minimum amount allowed", which says nothing of an outage."""
        least = least_amount_minor(data["currency"])
        if data["amount"] < least:
            raise InvalidAmount(
                f"Razorpay takes top-ups of at least {data['currency']} {format_major(least, data['currency'])}."
            )
        return self._call(self.client.order.create, data)

    def fetch_payment(self, payment_id):
        """The payment as Razorpay reports it (`status`, `amount`, `currency`, `order_id`)."""
        payment = self._call(self.client.payment.fetch, payment_id)
        if not isinstance(payment, dict):
            raise GatewayUnavailable("Razorpay answered without a payment; nothing was credited.")
        return payment

    def order_payments(self, order_id):
        """Every payment attempt of the order (`GET /v1/orders/<id>/payments`), as a list."""
        answer = self._call(self.client.order.payments, order_id)
        items = answer.get("items") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise GatewayUnavailable("Razorpay answered without the order's payments.")
        return items

    def refund_payment(self, payment_id, data, idempotency_key):
        """`POST /v1/payments/<id>/refund` with `data` (`amount`, `speed`, `notes`), keyed by
        `idempotency_key` (sent as `X-Refund-Idempotency`, see `header_key`): the refund entity
        Razorpay answered. RefundRefused when Razorpay said no (BAD_REQUEST_ERROR with a 4xx, or a
        payment id it can never have issued); GatewayUnavailable when it is not known whether a
        refund was made (the network, 5xx, 409 and other "try again" answers, unreadable answers)."""
        if not PATH_ID_PATTERN.match(payment_id):
            raise RefundRefused("Not a Razorpay payment id.")
        statuses = []  # the SDK's errors do not carry the HTTP status: a response hook keeps it
        try:
            answer = self.client.payment.refund(
                payment_id,
                data,
                headers={REFUND_IDEMPOTENCY_HEADER: header_key(idempotency_key)},
                timeout=self.timeout_seconds,
                hooks={"response": lambda response, *args, **kwargs: statuses.append(response.status_code)},
            )
        except BadRequestError as error:
            status = statuses[-1] if statuses else None
            if status is None or not 400 <= status < 500 or status in RETRYABLE_CLIENT_STATUSES:
                raise GatewayUnavailable("Razorpay did not decide the refund; ask again.") from error
            raise RefundRefused(str(error)[:200]) from None
        except Exception as error:  # whatever the SDK raises: it was not a usable answer
            raise GatewayUnavailable("Razorpay did not answer the refund; whether it was made is unknown.") from error
        if not isinstance(answer, dict):
            raise GatewayUnavailable("Razorpay answered the refund without a refund.")
        return answer

    def fetch_refunds(self, payment_id):
        """Every refund of the payment (`GET /v1/payments/<id>/refunds`, in pages of 100, at most
        REFUND_PAGES_MAX pages), as a list; none for a payment id Razorpay can never have issued."""
        if not PATH_ID_PATTERN.match(payment_id):
            return []
        refunds: list = []
        for page in range(REFUND_PAGES_MAX):
            query = {"count": REFUNDS_PAGE_SIZE, "skip": page * REFUNDS_PAGE_SIZE}
            answer = self._call(self.client.payment.fetch_multiple_refund, payment_id, query)
            items = answer.get("items") if isinstance(answer, dict) else None
            if not isinstance(items, list):
                raise GatewayUnavailable("Razorpay answered without the payment's refunds.")
            refunds.extend(items)
            if len(items) < REFUNDS_PAGE_SIZE:
                break
        return refunds

    def settlement_recon(self, year, month, day, count, skip):
        """One page of the settlement recon report of a day (`GET /v1/settlements/recon/combined`:
        what Razorpay settled that day, `count` items after the first `skip`), as the list of its
        items; GatewayUnavailable when it could not be had or has no list of items."""
        query = {"year": year, "month": month, "day": day, "count": count, "skip": skip}
        try:
            answer = self.client.settlement.report(query, timeout=self.timeout_seconds)
        except Exception as error:  # whatever the SDK raises: it was not a usable answer
            raise GatewayUnavailable("Razorpay did not answer the settlement report.") from error
        items = answer.get("items") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise GatewayUnavailable("Razorpay answered the settlement report without its items.")
        return items

    def _call(self, method, *arguments):
        """Every failure of an SDK call is `GatewayUnavailable`: the network, Razorpay's error
        answers, and answers the SDK itself cannot read (an error body whose JSON is not an object,
        `null`, `5`, `{"error": null}`, makes it raise `TypeError`)."""
        try:
            return method(*arguments, timeout=self.timeout_seconds)
        except Exception as error:  # whatever the SDK raises: it was not a usable answer
            raise GatewayUnavailable("Razorpay did not accept the request; nothing was charged.") from error
