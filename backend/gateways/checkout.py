"""What the gateways' browser pages share: what they are given, their payment order, the way
back to the shop, and the simulators' page. Each gateway's `pages.py` has `live_pages(context)`
and/or `simulator_pages(context)`, each taking a `PageContext` and returning a blueprint, which its
entry names and `backend/server.py` registers for the mode."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import urlencode

from flask import redirect

from ..errors import PaymentOrderNotFound
from ..money import currency_decimals
from ..validation import ID_PATTERN

SIMULATOR_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}}
button{{font-size:1.1rem;padding:.7rem 1.4rem;margin:.3rem}}#pay{{{pay_style};border:0}}
#back{{display:inline-block;margin-top:1.2rem}}</style>
</head><body><h1>{title}</h1><p>{note}: no real money moves.</p>
<p>{label} <code>{order_id}</code><br>Amount <strong id="amount">{amount}</strong>{details}</p>
<form method="post" action="{order_id}/pay" style="display:inline"><button id="pay" type="submit">Pay</button></form>
<form method="post" action="{order_id}/fail" style="display:inline"><button id="fail" type="submit">Fail</button></form>
<p><a id="back" href="{back_url}">Cancel and go back to the wallet</a></p>
</body></html>"""
NO_SUCH_CHECKOUT = "No such checkout here: this gateway has no payment order with this id."
CURRENCY_SYMBOLS = {"INR": "\u20b9", "USD": "$", "EUR": "\u20ac", "JPY": "JP\u00a5"}


def display_money(amount, currency):
    """`amount` (a `Decimal` or decimal text, major units) as the web page shows money: the
    currency's symbol and Indian digit grouping, as `Intl.NumberFormat('en-IN', {style: 'currency'})`
    does (1000 INR -> "\u20b91,000.00", 100000 -> "\u20b91,00,000.00"; an unknown currency: "12.50 XYZ"),
    in the currency's decimals (1500 JPY -> "1,500 JPY")."""
    decimals = currency_decimals(currency)
    whole, _, cents = f"{Decimal(amount):.{decimals}f}".partition(".")
    if len(whole) > 3:  # the last three digits, then groups of two
        head, tail = whole[:-3], whole[-3:]
        groups: list[str] = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        whole = ",".join([head, *groups, tail]) if head else ",".join([*groups, tail])
    symbol = CURRENCY_SYMBOLS.get(currency)
    number = f"{whole}.{cents}" if cents else whole
    return f"{symbol}{number}" if symbol else f"{number} {currency}"


@dataclass(frozen=True)
class PageContext:
    """What a gateway's pages are given when they are registered."""

    gateway_name: str
    payments: Any  # backend.payment_service.PaymentService: the gateways offered
    payment_orders: Any  # backend.payment_orders.PaymentOrders
    config: Mapping  # the app's configuration
    webhook_path: str  # this gateway's webhook, e.g. /api/integration/webhook/razorpay
    deliver_webhook: Callable  # (body, headers, wait=False) -> status or None: post to that webhook

    @property
    def gateway(self):
        """The gateway's adapter; None when it is not offered in this mode."""
        return self.payments.gateways.get(self.gateway_name)

    def payment_order_or_404(self, order_id):
        """This gateway's payment order with this id, or a 404 `payment_order_not_found` (the id is
        checked before the query)."""
        payment_order = (
            self.payment_orders.get(order_id, gateway=self.gateway_name) if ID_PATTERN.match(order_id) else None
        )
        if payment_order is None:
            raise PaymentOrderNotFound(NO_SUCH_CHECKOUT)
        return payment_order


def back_to_shop(config, query):
    """Send the customer back to the configured return URL with `query`."""
    return redirect(config["CHECKOUT_RETURN_URL"] + "?" + urlencode(query), code=303)


def back_url(config, query):
    """The way back to the wallet from a simulator page: the return URL, as a cancelled payment."""
    return config["CHECKOUT_RETURN_URL"] + "?" + urlencode({**query, "payment_error": "cancelled"})


def simulator_page(title, note, order_id, amount_text, currency, pay_style, label="Order", details="", back=""):
    """A simulator's checkout page with `#pay` and `#fail` buttons and a `#back` link to `back` (the
    wallet; see `back_url`); `amount_text` is decimal text in major units; `details` is trusted HTML."""
    return SIMULATOR_PAGE.format(
        title=title,
        note=note,
        label=label,
        order_id=escape(order_id),
        amount=escape(display_money(amount_text, currency)),
        pay_style=pay_style,
        details=details,
        back_url=escape(back),
    )
