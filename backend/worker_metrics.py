"""`python -m backend worker`'s own counters for Prometheus: the audit events of the money it moves
(sweep credits, settlement heals, take-backs parked until a credit). It is another process than the
web ones, often in another container, so their /metrics cannot sum them: it serves them itself at
`HOST:WORKER_METRICS_PORT/metrics` (deploy/prometheus scrapes it as `component: worker`). Only these
counters: the store gauges stay with the web processes' /metrics, so no series is exported twice."""

from prometheus_client import CollectorRegistry, start_http_server

from .errors import ConfigError


def serve_worker_events(app):
    """Serve the app's audit-event counters at WORKER_METRICS_PORT, from a daemon thread: the HTTP
    server (`shutdown()` it when done), or None when no port is set; ConfigError when the port
    cannot be had."""
    host, port = app.config["HOST"], app.config["WORKER_METRICS_PORT"]
    if not port:
        return None
    registry = CollectorRegistry()
    registry.register(app.extensions["metrics"].events)
    try:
        server, _thread = start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        raise ConfigError(f"WORKER_METRICS_PORT {port} on {host}: {error.strerror}") from None
    return server
