"""Balance and load limits per customer level (SPEC §10): checked when a top-up is initiated.

Each limit is optional (none by default) and in minor units here: a balance maximum counts the
wallet's balance, the top-ups still open (initiated, not yet credited, failed or expired) and this
one; a monthly load maximum counts this calendar month's (UTC) credited top-ups, the open ones and
this one. A customer's level (`customers.kyc_level`: `minimum` unless set to `full`) picks the
level's limits; the wallet-wide `WALLET_*` ones apply to every level. The tightest limit decides.

Two initiates of one customer at once must not both pass a limit that fits one: a check and the
payment order it allows are made under a short lease on the customer (`backend/customer_leases.py`),
so the second counts the first's open top-up.
"""

import contextlib
import datetime

from .clock import utcnow
from .customer_leases import CustomerLeases
from .errors import ConfigError, InvalidAmount, LimitExceeded
from .money import format_major, parse_amount_minor, to_major
from .payment_orders import EXPIRED, FAILED, REFUSED

MINIMUM, FULL = "minimum", "full"
KYC_LEVELS = (MINIMUM, FULL)
# limit name -> (setting, customer level it applies to, or None for every level, what it counts)
BALANCE, MONTHLY = "balance", "monthly_topup"
LIMITS = (
    ("WALLET_BALANCE_MAX", None, BALANCE),
    ("WALLET_MONTHLY_TOPUP_MAX", None, MONTHLY),
    ("MINIMUM_KYC_BALANCE_MAX", MINIMUM, BALANCE),
    ("MINIMUM_KYC_MONTHLY_TOPUP_MAX", MINIMUM, MONTHLY),
    ("FULL_KYC_BALANCE_MAX", FULL, BALANCE),
    ("FULL_KYC_MONTHLY_TOPUP_MAX", FULL, MONTHLY),
)
LIMIT_SETTINGS = tuple(setting for setting, _level, _counts in LIMITS)


class WalletLimits:
    def __init__(self, db, wallet, payment_orders, audit, limits_minor, clock=utcnow, open_seconds=86400):
        """`limits_minor`: {setting: maximum in minor units} of the limits configured; `open_seconds`:
        how long after initiate a top-up whose payment failed still counts as open (the sweep's
        SWEEP_EXPIRE_AFTER_SECONDS, after which it gives a `created` one up)."""
        self.open_seconds = open_seconds
        self.leases = CustomerLeases(db, clock)
        self.customers = db["customers"]
        self.wallet, self.payment_orders, self.audit, self.clock = wallet, payment_orders, audit, clock
        self.limits_minor = dict(limits_minor)

    def level(self, customer_id):
        """The customer's level: that of its `customers` document named by `customer_id` when it has one,
        else that of the document another system wrote with the customer id as its `_id`; `minimum`."""
        found = self.customers.find({"$or": [{"customer_id": customer_id}, {"_id": customer_id}]}, {"kyc_level": 1})
        levels = {"named": None, "by_id": None}
        for customer in found:
            levels["by_id" if customer["_id"] == customer_id else "named"] = customer.get("kyc_level")
        return next((level for level in (levels["named"], levels["by_id"]) if level in KYC_LEVELS), MINIMUM)

    def set_level(self, customer_id, level):
        """Record the customer's level (`minimum` or `full`), audited with the level before."""
        before = self.customers.find_one_and_update(
            {"customer_id": customer_id},
            {"$set": {"kyc_level": level}, "$setOnInsert": {"customer_id": customer_id}},
            upsert=True,
        )
        was = (before or {}).get("kyc_level") or "unset"
        self.audit.record("customer.kyc_level", "ok", customer_id=customer_id, reason=f"{was} -> {level}")

    def headroom(self, customer_id, currency):
        """[{limit, max_minor, used_minor, headroom_minor}] of the limits that apply, tightest first."""
        if not self.limits_minor:
            return []
        level = self.level(customer_id)
        used = self._used(customer_id, currency)
        rows = [
            {
                "limit": setting,
                "max_minor": self.limits_minor[setting],
                "used_minor": used[counts],
                "headroom_minor": max(0, self.limits_minor[setting] - used[counts]),
            }
            for setting, applies_to, counts in LIMITS
            if setting in self.limits_minor and applies_to in (None, level)
        ]
        return sorted(rows, key=lambda row: row["headroom_minor"])

    @contextlib.contextmanager
    def checked(self, customer_id, currency, amount_minor):
        """Inside: `amount_minor` more fits every limit (else LimitExceeded, with the tightest limit's
        name and headroom), and no other initiate of the customer counts until the block ends; it
        yields `kept()`, to call before recording the top-up (`CustomerLeases.held`)."""
        if not self.limits_minor:
            yield nothing_to_keep
            return
        with self.held(customer_id) as kept:
            passed = self.passed(customer_id, currency, amount_minor)
            if passed is not None:
                raise limit_exceeded(passed, currency)
            yield kept

    def held(self, customer_id):
        """The customer's lease over its limits' counts (`CustomerLeases.held`): what it takes to
        start a top-up or credit a lapsed one."""
        return self.leases.held(customer_id, "topup_limits")

    def passed(self, customer_id, currency, amount_minor):
        """The tightest limit's `headroom` row that `amount_minor` more would pass, or None."""
        return next((row for row in self.headroom(customer_id, currency) if amount_minor > row["headroom_minor"]), None)

    def lapsed(self, payment_order):
        """Whether the limits no longer count `payment_order` as open: it is `refused`, `expired`, or
        `failed` over `open_seconds` ago (a payment of it comes later than they count)."""
        if payment_order.status in (EXPIRED, REFUSED):
            return True
        created_at = payment_order.created_at
        return payment_order.status == FAILED and created_at is not None and created_at < self.failed_since()

    def failed_since(self):
        """A `failed` top-up initiated since then still counts as open."""
        return self.clock() - datetime.timedelta(seconds=self.open_seconds)

    def refusing(self, payment_order, limit):
        """The `headroom` row of `limit`, which refused a payment of `payment_order` before (a refused
        top-up stays refused); the tightest row when `limit` is no longer set, or a row of headroom 0."""
        rows = self.headroom(payment_order.customer_id, payment_order.currency)
        same = [row for row in rows if row["limit"] == limit]
        return (same or rows or [{"limit": limit, "headroom_minor": 0}])[0]

    def _used(self, customer_id, currency):
        """{BALANCE: balance + open top-ups, MONTHLY: this month's credited + open top-ups}."""
        now = self.clock()
        month_start = datetime.datetime(now.year, now.month, 1)
        open_minor, month_minor = self.payment_orders.limits.loads(
            customer_id, currency, month_start, self.failed_since()
        )
        balance_minor = self.wallet.get_wallet(customer_id, currency)["balance_minor"]
        return {BALANCE: balance_minor + open_minor, MONTHLY: month_minor + open_minor}


def limits_from_config(config):
    """{setting: minor units} of the limits `config` sets (major units there; empty: no limit)."""
    configured = {}
    for setting in LIMIT_SETTINGS:
        value = config.get(setting)
        if value not in (None, ""):
            try:
                configured[setting] = parse_amount_minor(str(value), config["DEFAULT_CURRENCY"])
            except InvalidAmount:
                raise ConfigError(f"{setting} must be an amount in major units, such as 10000 or 10000.00.") from None
    return configured


def limit_exceeded(row, currency, error=LimitExceeded):
    """`error` for the `headroom` row of the limit passed."""
    headroom_minor = row["headroom_minor"]
    headroom_text = f"{format_major(headroom_minor, currency)} {currency}"
    return error(row["limit"], headroom_text, to_major(headroom_minor, currency))


def nothing_to_keep():
    """`kept()` where no lease is taken (no limits apply)."""
