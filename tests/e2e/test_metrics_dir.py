"""PROMETHEUS_MULTIPROC_DIR set to a directory that does not exist yet, as docker-compose.yml sets
it for the worker container too (only gunicorn's `on_starting` makes it, in the web container): a
process of the app makes it, and its counters work, instead of every audited event raising
FileNotFoundError."""

import os
import subprocess
import sys

from tests.mongoeco_support import ROOT

PROBE = """
from backend import create_app
from tests.conftest import app_config
app = create_app(app_config())
print(app.test_client().get("/api/integration/health").status_code)
print(app.test_client().get("/metrics").get_data(as_text=True))
"""


def test_a_process_makes_the_metrics_directory_it_is_given(tmp_path):
    metrics_dir = tmp_path / "not-made-yet" / "wallet-metrics"
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "MONGODB_DB", "APP_ENV")}
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    status, exposition = done.stdout.split("\n", 1)
    assert status == "200"
    assert 'wallet_http_requests_total{endpoint="integration.health",method="GET",status="200"} 1.0' in exposition
    assert any(name.startswith("counter_") for name in os.listdir(metrics_dir))
