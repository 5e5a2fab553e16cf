"""Prometheus metrics at `/metrics`: HTTP traffic and audit events (money movements, webhooks).

Each process keeps its own counters (one registry per app); a gunicorn deployment scrapes each
worker or aggregates them in the monitoring system.
"""
import time

from flask import Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter("wallet_http_requests_total", "HTTP requests by endpoint and status",
                                ["method", "endpoint", "status"], registry=self.registry)
        self.latency = Histogram("wallet_http_request_duration_seconds", "HTTP request latency",
                                 ["endpoint"], registry=self.registry)
        self.events = Counter("wallet_audit_events_total", "Money movements and webhooks by outcome",
                              ["event", "outcome"], registry=self.registry)

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
            return Response(generate_latest(self.registry), mimetype=CONTENT_TYPE_LATEST)
