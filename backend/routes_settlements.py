"""HTTP API under /api/integration, settlement reconciliation (SPEC §11, admin only): a settled day
of a gateway (`GET /settlements?gateway=&date=`; `&format=csv`: its exceptions as CSV) and settling
a day now (`POST /settlements`). On `integration_bp`; amounts in major units."""

import csv
import datetime
import io
import re

from flask import Response, jsonify, request

from .auth import require_admin, require_auth
from .errors import InvalidRequest, NotSettled
from .http_context import default_currency, integration_service, json_body, reads
from .money import format_major, to_major
from .routes_integration import integration_bp

DAY_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CSV_COLUMNS = ("kind", "status", "payment_id", "payment_order_id", "gateway_amount", "ledger_amount")


@integration_bp.get("/settlements")
@require_auth
def settlement_day():
    """Admin: what settling the gateway's day found (404 `not_settled` before it was settled)."""
    require_admin()
    gateway, day = _gateway_and_day(request.args)
    document = reads().settlements.day(gateway, day)
    if document is None:
        raise NotSettled()
    exceptions = reads().settlements.of_day(gateway, day)
    if request.args.get("format") == "csv":
        return _csv(gateway, day, document.get("currency") or default_currency(), exceptions)
    return jsonify(success=True, **_day_view(gateway, day, document, exceptions))


@integration_bp.post("/settlements")
@require_auth
def settle_day():
    """Admin: settle the gateway's day now (again: nothing changes that was right)."""
    require_admin()
    gateway, day = _gateway_and_day(json_body())
    document, exceptions = integration_service().settle(gateway, day)
    return jsonify(success=True, **_day_view(gateway, day, document, exceptions))


def _gateway_and_day(values):
    gateway = values.get("gateway")
    adapter = reads().payments.gateways.get(gateway) if isinstance(gateway, str) else None
    if adapter is None or not hasattr(adapter, "settlement_report"):
        settleable = sorted(name for name, a in reads().payments.gateways.items() if hasattr(a, "settlement_report"))
        raise InvalidRequest(f"`gateway` must be one of: {', '.join(settleable) or 'none here'}.")
    return gateway, iso_day(values.get("date"))


def iso_day(text):
    """A day written YYYY-MM-DD (nothing else ISO 8601 allows), else InvalidRequest."""
    try:
        if not isinstance(text, str) or not DAY_TEXT.fullmatch(text):
            raise ValueError(text)
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest("`date` must be a day as YYYY-MM-DD.") from None


def _day_view(gateway, day, document, exceptions):
    currency = document.get("currency") or default_currency()

    def money(minor):
        return None if minor is None else to_major(minor, currency)

    return {
        "gateway": gateway,
        "date": day.isoformat(),
        "currency": currency,
        "captured": money(document["captured_minor"]),
        "refunded": money(document["refunded_minor"]),
        "fees": money(document["fees_minor"]),
        "tax": money(document["tax_minor"]),
        "settled": money(document["settled_minor"]),
        "matched": document["matched"],
        "exceptions": [
            {
                "kind": row["kind"],
                "status": row.get("status"),
                "payment_id": row.get("payment_id"),
                "payment_order_id": row.get("payment_order_id"),
                "gateway_amount": money(row.get("gateway_amount_minor")),
                "ledger_amount": money(row.get("ledger_amount_minor")),
            }
            for row in exceptions
        ],
    }


def _csv(gateway, day, currency, rows):
    """The day's exceptions as CSV, amounts as decimal text in major units (as the statement's)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        amounts = [row.get(f"{side}_amount_minor") for side in ("gateway", "ledger")]
        texts = ["" if a is None else format_major(a, currency) for a in amounts]
        writer.writerow([row["kind"], row.get("status"), row.get("payment_id"), row.get("payment_order_id"), *texts])
    filename = f"settlement-{gateway}-{day.isoformat()}.csv"
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
