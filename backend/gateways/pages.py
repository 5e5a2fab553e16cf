"""What the gateways' checkout pages share: their payment order, and the simulators' page."""
from html import escape

from flask import abort

from ..db import get_db
from ..validation import ID_PATTERN

SIMULATOR_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}}
button{{font-size:1.1rem;padding:.7rem 1.4rem;margin:.3rem}}#pay{{{pay_style};border:0}}</style>
</head><body><h1>{title}</h1><p>{note}: no real money moves.</p>
<p>{label} <code>{order_id}</code><br>Amount <strong>{amount} {currency}</strong>{details}</p>
<form method="post" action="{order_id}/pay" style="display:inline"><button id="pay" type="submit">Pay</button></form>
<form method="post" action="{order_id}/fail" style="display:inline"><button id="fail" type="submit">Fail</button></form>
</body></html>"""


def payment_order_or_404(order_id, gateway):
    """The payment order of `gateway` with this id, or a 404 (the id is checked before the query)."""
    if not ID_PATTERN.match(order_id):
        abort(404)
    payment_order = get_db()["payment_orders"].find_one({"_id": order_id, "gateway": gateway})
    if payment_order is None:
        abort(404)
    return payment_order


def simulator_page(title, note, order_id, amount_text, currency, pay_style, label="Order", details=""):
    """A simulator's checkout page with `#pay` and `#fail` buttons (`details` is trusted HTML)."""
    return SIMULATOR_PAGE.format(title=title, note=note, label=label, order_id=escape(order_id),
                                 amount=escape(amount_text), currency=escape(currency),
                                 pay_style=pay_style, details=details)
