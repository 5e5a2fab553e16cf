"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py` serves `backend.wsgi:app`.

Environment: HOST and PORT (default 0.0.0.0:5000), WEB_WORKERS (processes, default 4),
WEB_THREADS (threads per process, default 8), PROMETHEUS_MULTIPROC_DIR (where the workers' metrics
are kept; default a temporary directory).
"""

import os

wsgi_app = "backend.wsgi:app"
bind = f"{os.environ.get('HOST') or '0.0.0.0'}:{os.environ.get('PORT') or '5000'}"
workers = int(os.environ.get("WEB_WORKERS") or 4)
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS") or 8)
timeout = 30
# Idle keep-alive connections (nginx's to this server) are kept this long: longer than nginx's
# upstream `keepalive_timeout` (30 s), so that nginx closes an idle one first and never sends a
# request on a connection gunicorn is closing (a 502). gunicorn's default is 2 s.
keepalive = 65

# gunicorn answers requests over these limits itself (414, 431, 400), before the app sees them,
# in the API's JSON error shape (post_fork below). They sit about twice above the app's own limits
# (backend/http_limits.py: 4 KiB request target, 8 KiB per header field, 16 KiB of headers, 64
# fields), so that the app answers JSON 414/431 for anything a client plausibly sends too big,
# while gunicorn still bounds what it reads per request. gunicorn has no body limit: the app's
# 1 MiB (JSON 413) is the only one.
limit_request_line = 8190  # bytes of "METHOD target HTTP/1.1": gunicorn's maximum, 2 × 4 KiB
limit_request_field_size = 16 * 1024  # bytes of one "Name: value" line (CRLF included), 2 × 8 KiB
limit_request_fields = 128  # header fields, 2 × 64

# /metrics sums every worker's counters (prometheus_client's multiprocess mode, backend/metrics.py):
# each worker writes its values to files in PROMETHEUS_MULTIPROC_DIR. The variable is set here, in
# the master, before any worker starts (prometheus_client reads it when first imported, so this
# file must not import it at the top): the directory given, else a new temporary one removed at exit.
# Files of an earlier run are removed at start, so counters start at zero like a single process's.
METRICS_FILE_PATTERNS = ("counter_*.db", "gauge_*.db", "histogram_*.db", "summary_*.db")


def on_starting(server):
    import glob
    import subprocess
    import sys
    import tempfile

    # Before binding or starting any worker: a configuration the app refuses (the embedded store,
    # production's refusals) stops gunicorn here with the app's one line (backend/wsgi_preflight.py).
    preflight = subprocess.run([sys.executable, "-m", "backend.wsgi_preflight"], check=False)
    if preflight.returncode:
        sys.exit(preflight.returncode)
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)
        for pattern in METRICS_FILE_PATTERNS:
            for name in glob.glob(os.path.join(path, pattern)):
                os.remove(name)
    else:
        path = tempfile.mkdtemp(prefix="wallet-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = server.metrics_dir_created = path
    server.log.info("metrics of all workers are kept in %s", path)


def post_fork(server, worker):
    # The requests gunicorn refuses itself (not valid HTTP, over the limits above) get the API's
    # JSON error, not gunicorn's HTML page. Imported here, in the worker: importing backend in the
    # master would import prometheus_client before on_starting sets PROMETHEUS_MULTIPROC_DIR.
    from backend.http_server_errors import answer_gunicorn_errors_in_json

    answer_gunicorn_errors_in_json()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # its counters stay counted; its live gauges go


def on_exit(server):
    import shutil

    created = getattr(server, "metrics_dir_created", None)
    if created:
        shutil.rmtree(created, ignore_errors=True)
