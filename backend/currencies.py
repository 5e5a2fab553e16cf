"""The currencies this deployment keeps wallets in (SUPPORTED_CURRENCIES, DEFAULT_CURRENCY among
them) and which of them each gateway takes (its registry entry's `currencies`)."""

from dataclasses import dataclass

from .errors import ConfigError, CurrencyMismatch, InvalidRequest, PaymentMethodUnavailable
from .money import CURRENCY_DECIMALS, currency_decimals


def supported_currencies(config):
    """SUPPORTED_CURRENCIES as a tuple (DEFAULT_CURRENCY first), each a currency `money` knows;
    ConfigError otherwise."""
    default = str(config["DEFAULT_CURRENCY"]).strip()
    listed = [code.strip() for code in str(config["SUPPORTED_CURRENCIES"] or default).split(",") if code.strip()]
    unknown = [code for code in [default, *listed] if code not in CURRENCY_DECIMALS]
    if unknown:
        raise ConfigError(
            f"{unknown[0][:12]!r} is not a currency this service knows: DEFAULT_CURRENCY and SUPPORTED_CURRENCIES "
            "take ISO 4217 codes among " + ", ".join(sorted(CURRENCY_DECIMALS)) + "."
        )
    if default not in listed:
        raise ConfigError(f"SUPPORTED_CURRENCIES must include DEFAULT_CURRENCY ({default}).")
    return tuple(dict.fromkeys([default, *listed]))


def requested_currency(value, supported, default):
    """A request's `currency` (None: `default`), one of `supported`; InvalidRequest otherwise."""
    if value is None:
        return default
    if not isinstance(value, str) or value not in supported:
        raise InvalidRequest("`currency` must be one of " + ", ".join(supported) + ".")
    return value


def check_gateway_takes(payment_method, taken, currency):
    """PaymentMethodUnavailable, naming what it takes here (`taken`), unless `currency` is one."""
    if currency not in taken:
        raise PaymentMethodUnavailable(payment_method, currency, taken)


@dataclass(frozen=True)
class AmountIn:
    """The currency a request's amount was read in, and whether the request named it (else it is
    the default currency's)."""

    code: str
    named: bool = True

    def check(self, order_currency):
        """CurrencyMismatch unless the amount can be the order's: read in its currency, or, when the
        request named none, in one with as many decimals (the same number of minor units)."""
        if order_currency == self.code:
            return
        if not self.named and currency_decimals(order_currency) == currency_decimals(self.code):
            return
        raise CurrencyMismatch(
            f'The order is in {order_currency}, not {self.code}: send "currency": "{order_currency}" with its amount.'
        )


def amount_in(currency, default):
    """The `AmountIn` of a request whose `currency` is `currency` (None: not named, `default`)."""
    return AmountIn(currency or default, named=currency is not None)
