"""The simulated gateways' own side after the credit, for a developer to play by hand (SPEC §9).

In simulator mode an admin (the support view) refunds, reverses or disputes a payment as the
gateway's dashboard or the customer's bank would; the gateway's simulator posts its signed webhooks
to this service, which handles them as it handles live ones. Routes (`Authorization: Bearer <admin
JWT>`; amounts in major units, a number or decimal text):

- POST /simulator/<gateway>/dashboard/payments/<payment_id>/refund  `{amount, currency}` -> `{success, refund_id}`
- POST .../payments/<payment_id>/reverse  `{amount, currency}` -> `{success, reversal_id}`
- POST .../payments/<payment_id>/dispute  `{amount, currency}` -> `{success, dispute_id}`
- POST /simulator/<gateway>/dashboard/disputes/<dispute_id>/resolve
  `{payment_id, amount, currency, outcome: won|lost}` -> `{success}`

A gateway has a dashboard when its entry names one (`GatewayEntry.simulator_dashboard`): a class
taking the gateway's simulator-mode adapter, with `refund`, `open_dispute` and `resolve_dispute`,
and `reverse` when the gateway reverses payments (a gateway without one answers 404 there). Like
the simulators, it takes any payment id as the gateway's own (SPEC §6): one the service never
credited is acknowledged by the service and moves nothing.
"""

from flask import Blueprint, current_app, jsonify

from ..auth import require_admin, require_auth
from ..errors import InvalidRequest, NotFound, SimulatedRefundRefused
from ..http_context import json_body
from ..money import parse_amount_minor
from ..validation import check_id, require_id

URL_PREFIX = "/simulator/<gateway>/dashboard"
OUTCOMES = {"won": True, "lost": False}  # the outcome -> whether the merchant won


class DashboardRefused(Exception):
    """A dashboard's `refund` refused, as the gateway would (e.g. beyond what is left of a payment
    its simulator made): answered 409 `refund_refused` (`SimulatedRefundRefused`)."""


def dashboards(registry, payments):
    """{gateway name: its dashboard} for each gateway of `registry` offered (in `payments`) that
    has one."""
    found = {}
    for entry in registry:
        adapter = payments.gateways.get(entry.name)
        if entry.simulator_dashboard is not None and adapter is not None:
            found[entry.name] = entry.simulator_dashboard(adapter)
    return found


def dashboard_pages(boards):
    """The dashboards' routes (`boards`: {gateway name: dashboard}), for simulator mode only."""
    pages = Blueprint("simulator_dashboard", __name__, url_prefix=URL_PREFIX)

    def board(gateway):
        require_admin()
        if gateway not in boards:
            raise NotFound("This gateway has no simulator dashboard here.")
        return boards[gateway]

    @pages.post("/payments/<payment_id>/refund")
    @require_auth
    def dashboard_refund(gateway, payment_id):
        dashboard = board(gateway)
        try:
            refund_id = dashboard.refund(*_payment_case(payment_id))
        except DashboardRefused as refusal:
            raise SimulatedRefundRefused(f"The simulated gateway refused the refund: {refusal}") from None
        return jsonify(success=True, refund_id=refund_id)

    @pages.post("/payments/<payment_id>/reverse")
    @require_auth
    def dashboard_reverse(gateway, payment_id):
        reverse = getattr(board(gateway), "reverse", None)
        if reverse is None:
            raise NotFound("This gateway does not reverse payments.")
        try:
            reversal_id = reverse(*_payment_case(payment_id))
        except DashboardRefused as refusal:
            raise SimulatedRefundRefused(f"The simulated gateway refused the reversal: {refusal}") from None
        return jsonify(success=True, reversal_id=reversal_id)

    @pages.post("/payments/<payment_id>/dispute")
    @require_auth
    def dashboard_dispute(gateway, payment_id):
        dashboard = board(gateway)
        dispute_id = dashboard.open_dispute(*_payment_case(payment_id))
        return jsonify(success=True, dispute_id=dispute_id)

    @pages.post("/disputes/<dispute_id>/resolve")
    @require_auth
    def dashboard_resolve(gateway, dispute_id):
        dashboard = board(gateway)
        check_id(dispute_id, "dispute_id")
        body, amount_minor, currency = _case_body()
        payment_id = require_id(body, "payment_id")
        outcome = body.get("outcome")
        if not isinstance(outcome, str) or outcome not in OUTCOMES:
            raise InvalidRequest("`outcome` must be `won` or `lost`.")
        dashboard.resolve_dispute(dispute_id, payment_id, amount_minor, currency, won=OUTCOMES[outcome])
        return jsonify(success=True)

    return pages


def _payment_case(payment_id):
    """(payment id, amount in minor units, currency) of a refund, reversal or dispute request."""
    check_id(payment_id, "payment_id")
    _body, amount_minor, currency = _case_body()
    return payment_id, amount_minor, currency


def _case_body():
    """(body, amount in minor units, currency): the request body's `currency` (one this service
    takes) and `amount` (major units) in it."""
    body = json_body()  # as every API body: an object with no `$` field names
    currency = body.get("currency")
    supported = current_app.config["SUPPORTED_CURRENCIES"]
    if not isinstance(currency, str) or currency not in supported:
        raise InvalidRequest("`currency` must be one of " + ", ".join(supported) + ".")
    return body, parse_amount_minor(body.get("amount"), currency), currency
