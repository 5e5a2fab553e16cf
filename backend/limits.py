"""Rate limits per client address and endpoint (429 `rate_limited`), off when TESTING unless asked for
(RATE_LIMITS_ENABLED left empty follows TESTING as it is at each request, also when set after
create_app, as Flask's testing pattern does).

Each endpoint counts separately per client address, in fixed windows of WINDOW_SECONDS that start
at the first request: MONEY_LIMIT on the money POSTs, WEBHOOK_LIMIT on every gateway's webhook,
DEFAULT_LIMIT on any other endpoint (a request matching no endpoint, a 404, counts nowhere).

- The money POSTs count in `RATE_LIMIT_STORAGE_URI`: `memory://`, this process's own counters, or
  `redis://...` (`rediss://...`), counters every web process shares: one script, one round trip, per
  money request.
- Everything else counts in this process, whatever the storage: a dict under a lock, no round trip.
  Behind the shipped nginx (deploy/nginx/nginx.conf), its `limit_req` zones hold the same limits per
  address for all web processes together.

Every answer of a limited endpoint says `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset` (when the window ends, in seconds since the epoch); a 429 also `Retry-After`
(seconds until then). The counting costs a few microseconds a request (docs/benchmarks.md).
"""

import math
import threading
import time

import redis
from flask import current_app, g, request
from werkzeug.exceptions import TooManyRequests

from .errors import ConfigError
from .gateways.registry import gateway_registry

MONEY_ENDPOINTS = {
    "integration.initiate_wallet_topup",
    "integration.verify_wallet_topup",
    "integration.pay_order_with_wallet",
    "integration.refund_order_to_wallet",
    "integration.withdraw",
    "integration.authorize_order",
    "integration.capture_order",
    "integration.void_order",
}
MONEY_LIMIT = "30 per minute"
WEBHOOK_LIMIT = "600 per minute"
DEFAULT_LIMIT = "300 per minute"
WINDOW_SECONDS = 60
SHARED_SCHEMES = ("redis://", "rediss://")
SHARED_KEY_PREFIX = "wallet-rate:"
SHARED_TIMEOUT_SECONDS = 2
# KEYS[1]: the counter; ARGV[1]: the window in milliseconds. The first hit starts the window; the
# answer is the count, this hit included, and the milliseconds left of the window.
HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if count == 1 or left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}
"""


def per_window(limit):
    """30 of "30 per minute"."""
    return int(limit.split()[0])


def webhook_endpoints(config):
    """Every webhook endpoint of `config`'s gateways."""
    return {f"integration.{entry.webhook_endpoint}" for entry in gateway_registry(config)}


class LocalCounters:
    """Windows kept in this process: key -> (count, when the window ends). Windows over are dropped
    once a window's length (a sweep at most every WINDOW_SECONDS keeps the dict to the keys of the
    last minute or two)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.windows: dict[str, tuple[int, float]] = {}
        self.sweep_at = 0.0

    def hit(self, key, now):
        """(count, when the window ends) of `key`, this request included."""
        with self.lock:
            if now >= self.sweep_at:
                self.windows = {kept: window for kept, window in self.windows.items() if window[1] > now}
                self.sweep_at = now + WINDOW_SECONDS
            count, ends_at = self.windows.get(key, (0, 0.0))
            if now >= ends_at:
                count, ends_at = 0, now + WINDOW_SECONDS
            self.windows[key] = (count + 1, ends_at)
        return count + 1, ends_at


class RedisCounters:
    """Windows in Redis, shared by every process that counts there: HIT_SCRIPT, one round trip."""

    def __init__(self, uri):
        client = redis.Redis.from_url(
            uri, socket_timeout=SHARED_TIMEOUT_SECONDS, socket_connect_timeout=SHARED_TIMEOUT_SECONDS
        )
        self.script = client.register_script(HIT_SCRIPT)

    def hit(self, key, now):
        count, left_ms = self.script(keys=[SHARED_KEY_PREFIX + key], args=[WINDOW_SECONDS * 1000])
        return int(count), now + int(left_ms) / 1000


def money_counters(uri, local):
    if uri.startswith("memory://"):
        return local
    if uri.startswith(SHARED_SCHEMES):
        return RedisCounters(uri)
    raise ConfigError("RATE_LIMIT_STORAGE_URI must be memory:// or redis://... (rediss://...).")


class RateLimits:
    """The limit of each endpoint, where it counts, and the hooks that apply them."""

    def __init__(self, config):
        self.limits = {endpoint: per_window(WEBHOOK_LIMIT) for endpoint in webhook_endpoints(config)}
        self.limits.update({endpoint: per_window(MONEY_LIMIT) for endpoint in MONEY_ENDPOINTS})
        self.default_limit = per_window(DEFAULT_LIMIT)
        self.clock = time.time  # seconds since the epoch: X-RateLimit-Reset says when in those
        self.local_counters = LocalCounters()
        self.money_counters = money_counters(config["RATE_LIMIT_STORAGE_URI"], self.local_counters)
        self.follow_testing = config["RATE_LIMITS_ENABLED"] is None  # left empty: off while TESTING

    def check(self):
        """before_request: count the request; over its endpoint's limit, 429 (nothing else runs)."""
        endpoint = request.endpoint
        if endpoint is None or (self.follow_testing and current_app.testing):
            return
        counters = self.money_counters if endpoint in MONEY_ENDPOINTS else self.local_counters
        now = self.clock()
        count, ends_at = counters.hit(f"{endpoint}/{request.remote_addr}", now)
        limit = self.limits.get(endpoint, self.default_limit)
        g.rate_limit = (limit, count, ends_at, now)
        if count > limit:
            raise TooManyRequests()

    @staticmethod
    def add_headers(response):
        """after_request: the counted request's limit, what is left of it and when it resets."""
        counted = g.get("rate_limit")
        if counted is not None:
            limit, count, ends_at, now = counted
            headers = response.headers
            headers["X-RateLimit-Limit"] = str(limit)
            headers["X-RateLimit-Remaining"] = str(max(0, limit - count))
            headers["X-RateLimit-Reset"] = str(math.ceil(ends_at))
            if count > limit:
                headers["Retry-After"] = str(max(1, math.ceil(ends_at - now)))
        return response


def init_limits(app):
    """Apply the limits to `app` unless RATE_LIMITS_ENABLED is off (then nothing runs per request)."""
    if app.config["RATE_LIMITS_ENABLED"] is False:
        return None
    limits = app.extensions["rate_limits"] = RateLimits(app.config)
    app.before_request(limits.check)
    app.after_request(limits.add_headers)
    return limits
