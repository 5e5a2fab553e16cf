"""Prometheus metrics at `/metrics`: HTTP traffic and audit events (money movements, webhooks), and
gauges read from the store at each scrape (`StoreGauges`: store up, worker heartbeat age, sweep
backlog, failed WhatsApp messages, the worker's last reconcile). deploy/prometheus/alerts.yml uses them.

One process (`python -m backend`): its own counters, one registry per app. Under gunicorn,
`gunicorn.conf.py` sets PROMETHEUS_MULTIPROC_DIR before any worker starts: prometheus_client then
keeps every worker's values in files there and `/metrics` sums all workers' (those that exited
too), whichever worker answers.
"""

import datetime
import os
import time

from flask import Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from pymongo.errors import PyMongoError

from .clock import utcnow
from .db import ping
from .gateway_cases import GatewayCases
from .gateway_refunds import count_open as count_open_refunds
from .order_authorizations import OrderAuthorizations
from .payment_orders import PaymentOrders
from .settlement_books import SettlementBooks
from .worker import last_heartbeat, last_reconcile

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# A refund a gateway has neither made nor refused after a day is looked at by a person.
GATEWAY_REFUND_OVERDUE_SECONDS = 24 * 3600
# The worker follows an entry up within seconds (its outbox job runs every few); five minutes means
# it is not running, or the entry's follow-ups keep failing (the worker's log says why).
FOLLOW_UP_OVERDUE_SECONDS = 300
# The audit events an alert counts the increase of (deploy/prometheus/alerts.yml): exported at 0 from the start.
ALERTED_AUDIT_EVENTS = (("wallet.chargeback", "ok"), ("gateway_case.mismatch", "rejected"))
# The `method` label takes these values or `other`: a client can send any token as the method, and
# each label value would be a series kept for the life of the process.
HTTP_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"))


def keep_counters_in_process():
    """`python -m backend worker`, before its app is made: its counters stay in its process (it serves
    them itself, `worker_metrics`). Kept in the web processes' PROMETHEUS_MULTIPROC_DIR (one machine,
    one environment), their /metrics would sum them too, and Prometheus count them twice."""
    values.ValueClass = values.MutexValue


def multiprocess_dir():
    """The directory of prometheus_client's multiprocess mode, or None when off: off unless the
    variable was set before prometheus_client was imported (it chooses where values live then)."""
    if not getattr(values.ValueClass, "_multiprocess", False):
        return None
    return os.environ.get(MULTIPROC_DIR_VARIABLE) or None


class Metrics:
    def __init__(self):
        self.multiprocess_dir = multiprocess_dir()
        if self.multiprocess_dir is not None:  # gunicorn makes it; a worker or a CLI command with the
            os.makedirs(self.multiprocess_dir, exist_ok=True)  # same environment (compose) may not
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "wallet_http_requests_total",
            "HTTP requests by endpoint and status",
            ["method", "endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "wallet_http_request_duration_seconds", "HTTP request latency", ["endpoint"], registry=self.registry
        )
        self.events = Counter(
            "wallet_audit_events_total",
            "Money movements and webhooks by outcome",
            ["event", "outcome"],
            registry=self.registry,
        )
        for event, outcome in ALERTED_AUDIT_EVENTS:  # a series first seen at 1 has no `increase()` to alert on
            self.events.labels(event, outcome)
        self.store_gauges = None  # set by init_app, once the app has its store
        self._request_counters: dict[tuple[str, str, int], Counter] = {}
        self._latency_histograms: dict[str, Histogram] = {}

    def exposition(self):
        """The text `/metrics` answers: this process's registry, or every process's values."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)
        if self.store_gauges is not None:
            registry.register(self.store_gauges)
        return generate_latest(registry)

    def _request_counter(self, method, endpoint, status_code):
        """The counter of (method, endpoint, status), kept once made: `labels` checks and locks on
        every call. Few keys: a method of HTTP_METHODS or `other`, the app's endpoints and statuses."""
        key = (method_label(method), endpoint, status_code)
        counter = self._request_counters.get(key)
        if counter is None:
            counter = self._request_counters[key] = self.requests.labels(key[0], endpoint, str(status_code))
        return counter

    def _latency_histogram(self, endpoint):
        histogram = self._latency_histograms.get(endpoint)
        if histogram is None:
            histogram = self._latency_histograms[endpoint] = self.latency.labels(endpoint)
        return histogram

    def audit_event(self, event, outcome):
        self.events.labels(event, outcome).inc()

    def init_app(self, app):
        self.store_gauges = StoreGauges(app.extensions["wallet_db"], app.config)
        if self.multiprocess_dir is None:
            self.registry.register(self.store_gauges)

        @app.before_request
        def start_timer():
            g.request_started = time.perf_counter()

        @app.after_request
        def count(response):
            endpoint = request.endpoint or "unmatched"
            self._request_counter(request.method, endpoint, response.status_code).inc()
            if "request_started" in g:
                self._latency_histogram(endpoint).observe(time.perf_counter() - g.request_started)
            return response

        @app.get("/metrics")
        def metrics():
            return Response(self.exposition(), content_type=CONTENT_TYPE_LATEST)


def method_label(method):
    """The request's method as a `method` label: one of HTTP_METHODS, else `other`."""
    return method if method in HTTP_METHODS else "other"


class StoreGauges:
    """Gauges read from the store whenever `/metrics` is scraped (so under gunicorn whichever worker
    answers reads the same store, and nothing is summed): each is one cheap, indexed query.

    - `wallet_store_up`: 1 when the store answers a ping, else 0 (then nothing else is read);
    - `wallet_worker_heartbeat_age_seconds`: seconds since the newest worker heartbeat (absent when
      no worker ever ran against this store);
    - `wallet_sweep_waiting_payment_orders`: payment orders still `created` after
      SWEEP_STALE_AFTER_SECONDS (`/health`'s `sweep.waiting`);
    - `wallet_outbox_failed_messages`: WhatsApp messages given up after every attempt (dead letters);
    - `wallet_reconcile_drift` and `wallet_reconcile_age_seconds`: drifts the worker's last
      reconcile found, and how long ago it ran (absent until a worker has reconciled);
    - `wallet_wallets_in_debt`: wallets owing money a gateway took back after it was spent (SPEC §9);
    - `wallet_disputes_open`: disputes of top-ups not decided yet;
    - `wallet_gateway_refunds_overdue`: refunds we asked a gateway for (withdrawals, second payments)
      still open after GATEWAY_REFUND_OVERDUE_SECONDS;
    - `wallet_holds_expired`: order holds past HOLD_TTL_SECONDS the worker has not released yet;
    - `wallet_follow_ups_overdue`: ledger entries whose follow-ups (payment order or order marked,
      confirmation queued) are not done FOLLOW_UP_OVERDUE_SECONDS after the entry;
    - `wallet_settlement_exceptions_open{kind}` and `wallet_settlement_last_day_age_days{gateway}`:
      what settling the gateways' days left for a person, and how old each gateway's newest settled day is.
    Money taken back is counted by `wallet_audit_events_total` (`wallet.topup_reversal`, `wallet.chargeback`).
    """

    def __init__(self, db, config):
        self.db = db
        self.stale_after_seconds = config["SWEEP_STALE_AFTER_SECONDS"]

    def collect(self):
        up = ping(self.db)
        yield gauge("wallet_store_up", "1 when the store answers a ping, else 0", 1 if up else 0)
        if not up:
            return
        try:
            figures = self._read_figures()
        except PyMongoError:
            return  # the store went away mid-scrape: the next scrape says so
        yield from self._plain_gauges(figures)
        yield labelled(
            "wallet_settlement_exceptions_open",
            "Settlement exceptions left open for a person, by kind",
            "kind",
            figures["open_exceptions"],
        )
        today = utcnow().date()
        ages = {
            gateway: (today - datetime.date.fromisoformat(day)).days for gateway, day in figures["last_days"].items()
        }
        yield labelled(
            "wallet_settlement_last_day_age_days",
            "Days since the newest settled report day, per gateway",
            "gateway",
            ages,
        )
        reconciled = figures["reconciled"]
        if reconciled is not None:
            yield gauge("wallet_reconcile_drift", "Drifts found by the worker's last reconcile", reconciled["drift"])
            yield gauge(
                "wallet_reconcile_age_seconds", "Seconds since the worker's last reconcile", reconciled["age_seconds"]
            )

    def _read_figures(self):
        """What the gauges show, read from the store (PyMongoError when it fails midway)."""
        books = SettlementBooks(self.db)
        follow_ups_due = utcnow() - datetime.timedelta(seconds=FOLLOW_UP_OVERDUE_SECONDS)
        return {
            "heartbeat": last_heartbeat(self.db),
            "waiting": PaymentOrders(self.db).sweep.count_waiting(self.stale_after_seconds),
            "failed": self.db["notification_outbox"].count_documents({"status": "failed"}),
            "reconciled": last_reconcile(self.db),
            "in_debt": self.db["wallets"].count_documents({"debt_minor": {"$gt": 0}}),
            "disputes": GatewayCases(self.db).count_open_disputes(),
            "overdue": count_open_refunds(self.db, GATEWAY_REFUND_OVERDUE_SECONDS, utcnow()),
            "holds_expired": OrderAuthorizations(self.db).count_expired(),
            "follow_ups_overdue": self.db["ledger_entries"].count_documents(
                {"finalized": False, "created_at": {"$lt": follow_ups_due}}
            ),
            "open_exceptions": books.count_open(),
            "last_days": books.last_days(),
        }

    @staticmethod
    def _plain_gauges(figures):
        heartbeat = figures["heartbeat"]
        if heartbeat is not None:
            yield gauge(
                "wallet_worker_heartbeat_age_seconds",
                "Seconds since the newest worker heartbeat",
                heartbeat["age_seconds"],
            )
        for name, documentation, key in PLAIN_GAUGES:
            yield gauge(name, documentation, figures[key])


# (name, help, figure) of the gauges every scrape shows while the store answers.
PLAIN_GAUGES = (
    ("wallet_sweep_waiting_payment_orders", "Payment orders still created after SWEEP_STALE_AFTER_SECONDS", "waiting"),
    ("wallet_outbox_failed_messages", "WhatsApp messages given up after every attempt", "failed"),
    ("wallet_wallets_in_debt", "Wallets owing money a gateway took back after it was spent", "in_debt"),
    ("wallet_disputes_open", "Disputes of top-ups not decided yet", "disputes"),
    (
        "wallet_gateway_refunds_overdue",
        "Refunds asked of a gateway (withdrawals, second payments) open after GATEWAY_REFUND_OVERDUE_SECONDS",
        "overdue",
    ),
    ("wallet_holds_expired", "Order holds past HOLD_TTL_SECONDS not released yet", "holds_expired"),
    (
        "wallet_follow_ups_overdue",
        "Ledger entries whose follow-ups are not done FOLLOW_UP_OVERDUE_SECONDS after the entry",
        "follow_ups_overdue",
    ),
)


def labelled(name, documentation, label, values):
    """A gauge family with one sample per `values` key (sorted), labelled `label`."""
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


def gauge(name, documentation, value):
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


# Every metric name /metrics can answer (a histogram's series add _bucket, _sum and _count); the
# Grafana dashboard and the alert rules may name only these (tests/integration/deploy/test_deploy.py).
EXPORTED_METRICS = (
    "wallet_http_requests_total",
    "wallet_http_request_duration_seconds",
    "wallet_audit_events_total",
    "wallet_store_up",
    "wallet_worker_heartbeat_age_seconds",
    "wallet_sweep_waiting_payment_orders",
    "wallet_outbox_failed_messages",
    "wallet_reconcile_drift",
    "wallet_reconcile_age_seconds",
    "wallet_wallets_in_debt",
    "wallet_disputes_open",
    "wallet_gateway_refunds_overdue",
    "wallet_holds_expired",
    "wallet_follow_ups_overdue",
    "wallet_settlement_exceptions_open",
    "wallet_settlement_last_day_age_days",
)
