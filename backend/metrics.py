"""Prometheus metrics at `/metrics`: HTTP traffic and audit events (money movements, webhooks).

One process (`python -m backend`): its own counters, one registry per app. Under gunicorn,
`gunicorn.conf.py` sets PROMETHEUS_MULTIPROC_DIR before any worker starts: prometheus_client then
keeps every worker's values in files there and `/metrics` sums all workers' (those that exited
too), whichever worker answers.
"""
import os
import time

from flask import Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import values
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir():
    """The directory of prometheus_client's multiprocess mode, or None when off: off unless the
    variable was set before prometheus_client was imported (it chooses where values live then)."""
    if not getattr(values.ValueClass, "_multiprocess", False):
        return None
    return os.environ.get(MULTIPROC_DIR_VARIABLE) or None


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter("wallet_http_requests_total", "HTTP requests by endpoint and status",
                                ["method", "endpoint", "status"], registry=self.registry)
        self.latency = Histogram("wallet_http_request_duration_seconds", "HTTP request latency",
                                 ["endpoint"], registry=self.registry)
        self.events = Counter("wallet_audit_events_total", "Money movements and webhooks by outcome",
                              ["event", "outcome"], registry=self.registry)
        self.multiprocess_dir = multiprocess_dir()

    def exposition(self):
        """The text `/metrics` answers: this process's registry, or every process's values."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)
        return generate_latest(registry)

    def audit_event(self, event, outcome):
        self.events.labels(event, outcome).inc()

    def init_app(self, app):
        @app.before_request
        def start_timer():
            g.request_started = time.perf_counter()

        @app.after_request
        def count(response):
            endpoint = request.endpoint or "unmatched"
            self.requests.labels(request.method, endpoint, str(response.status_code)).inc()
            if "request_started" in g:
                self.latency.labels(endpoint).observe(time.perf_counter() - g.request_started)
            return response

        @app.get("/metrics")
        def metrics():
            return Response(self.exposition(), mimetype=CONTENT_TYPE_LATEST)
