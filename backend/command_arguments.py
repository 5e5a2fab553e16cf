"""The options of the commands that take some (`python -m backend recover|settle`)."""

import argparse

from . import routes_settlements
from .errors import IntegrationError

GRACE_SECONDS_MAX = 7 * 24 * 3600
SETTLED_GATEWAYS = ("razorpay", "paypal")


def settle_arguments(parser):
    parser.add_argument("--gateway", required=True, choices=SETTLED_GATEWAYS, help="whose report: razorpay or paypal")
    parser.add_argument("--date", required=True, type=iso_day, help="the gateway's report day, YYYY-MM-DD")


def iso_day(text):
    try:
        return routes_settlements.iso_day(text)
    except IntegrationError:
        raise argparse.ArgumentTypeError("a day as YYYY-MM-DD") from None


def recover_arguments(parser):
    parser.add_argument(
        "--grace",
        type=grace_seconds,
        metavar="SECONDS",
        help="leave alone what a request started less than this long ago, as it may still be running "
        "(default: RECOVERY_GRACE_SECONDS, 60); 0 only when no request is in flight",
    )


def grace_seconds(text):
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= GRACE_SECONDS_MAX:  # NaN fails too
        raise argparse.ArgumentTypeError(f"a number of seconds from 0 to {GRACE_SECONDS_MAX}")
    return seconds
