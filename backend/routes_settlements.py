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
from .history import spreadsheet_cell
from .http_context import default_currency, integration_service, json_body, reads
from .money import format_major, to_major
from .routes_integration import integration_bp

DAY_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CSV_COLUMNS = ("kind", "status", "payment_id", "payment_order_id", "gateway_amount", "ledger_amount")
FIGURES = ("captured", "refunded", "fees", "tax", "settled")


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
    """The contract's shape; with rows in other currencies than the day's, `other_currencies` (their
    figures, summed apart: amounts of two currencies never add up) and an exception's `currency` /
    `ledger_currency` where its amounts are in another."""
    currency = document.get("currency") or default_currency()
    view = {
        "gateway": gateway,
        "date": day.isoformat(),
        "currency": currency,
        **_figures_view(document, currency),
        "matched": document["matched"],
        "exceptions": [_exception_view(row, currency) for row in exceptions],
    }
    others = document.get("other_currencies") or []
    if others:
        view["other_currencies"] = [dict(currency=o["currency"], **_figures_view(o, o["currency"])) for o in others]
    return view


def _figures_view(figures, currency):
    return {name: to_major(figures[f"{name}_minor"], currency) for name in FIGURES}


def _exception_view(row, day_currency):
    currency, ledger_currency = _row_currencies(row, day_currency)
    view = {
        "kind": row["kind"],
        "status": row.get("status"),
        "payment_id": row.get("payment_id"),
        "payment_order_id": row.get("payment_order_id"),
        "gateway_amount": _major(row.get("gateway_amount_minor"), currency),
        "ledger_amount": _major(row.get("ledger_amount_minor"), ledger_currency),
    }
    if "rows" in row:  # unreadable_rows: how many
        view["rows"] = row["rows"]
    if currency != day_currency:
        view["currency"] = currency
    if ledger_currency != currency:
        view["ledger_currency"] = ledger_currency
    return view


def _row_currencies(row, day_currency):
    """(the gateway amount's currency, the ledger amount's) of an exception."""
    currency = row.get("currency") or day_currency
    return currency, row.get("ledger_currency") or currency


def _amount_text(minor, currency, day_currency):
    """Decimal text in major units; followed by its currency when it is not the day's."""
    text = format_major(minor, currency)
    return text if currency == day_currency else f"{text} {currency}"


def _major(minor, currency):
    return None if minor is None else to_major(minor, currency)


def _csv(gateway, day, currency, rows):
    """The day's exceptions as CSV, amounts as decimal text in major units (as the statement's)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        minors = (row.get("gateway_amount_minor"), row.get("ledger_amount_minor"))
        amounts = zip(minors, _row_currencies(row, currency), strict=True)
        texts = ["" if a is None else _amount_text(a, in_currency, currency) for a, in_currency in amounts]
        ids = [spreadsheet_cell(row.get(name)) for name in ("payment_id", "payment_order_id")]  # the gateway's text
        writer.writerow([row["kind"], row.get("status"), *ids, *texts])
    filename = f"settlement-{gateway}-{day.isoformat()}.csv"
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
