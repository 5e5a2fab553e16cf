"""What deploy/ and docker-compose.yml promise, checked without Docker (docs/deployment.md):
- the alert rules pass `promtool test rules` and the Prometheus config `promtool check config`;
- the Grafana dashboard and the alert rules name only metrics the app exports, and the app exports
  every metric it declares (a real /metrics scrape);
- docker-compose.yml: the services, their healthchecks, the replica-set initiation, and every
  environment variable it sets is one the app reads (backend/config.py, or gunicorn.conf.py's);
- `nginx -t` accepts deploy/nginx/nginx.conf (its paths moved to a temporary directory).
promtool and nginx come from Debian's `prometheus` and `nginx` packages (`make deploy-deps`);
without them those tests are skipped and say why."""
import ast
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from backend import create_app
from backend.config import setting_defaults
from backend.metrics import EXPORTED_METRICS
from tests.conftest import app_config
from tests.helpers import bearer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")
PROMTOOL = shutil.which("promtool") or ("/usr/bin/promtool" if os.path.exists("/usr/bin/promtool") else None)
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# PromQL words that are not metric names.
PROMQL_WORDS = {"sum", "min", "max", "avg", "count", "by", "without", "on", "ignoring", "and", "or", "unless",
                "rate", "irate", "increase", "delta", "absent", "histogram_quantile", "le", "bool",
                "group_left", "group_right", "offset"}


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


def metric_names(expr):
    """The metric names a PromQL expression names (label matchers, strings and durations removed)."""
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\"[^\"]*\"|'[^']*'", " ", expr)
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", expr)
    words = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", expr))
    return {word for word in words if word not in PROMQL_WORDS}


def base_name(name):
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in EXPORTED_METRICS:
            return name[: -len(suffix)]
    return name


def dashboard_exprs():
    dashboard = json.loads(read("deploy", "grafana", "wallet-dashboard.json"))
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert exprs, "the dashboard has no queries"
    return exprs


def alert_exprs():
    rules = yaml.safe_load(read("deploy", "prometheus", "alerts.yml"))
    return {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}


# --- metrics -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scraped_metrics():
    """Metric names of a real /metrics answer after requests, an audit event and a worker tick."""
    from backend.worker import Worker

    app = create_app(app_config())
    client = app.test_client()
    client.get("/api/integration/health")
    client.post("/api/integration/webhook/razorpay", data=b"{}", headers={"X-Razorpay-Signature": "0"})  # rejected
    client.get("/api/integration/status/cust_m", headers=bearer("cust_m"))
    Worker(app.extensions["integration"], app.extensions["wallet_db"], app.config).run_once()
    text = client.get("/metrics").get_data(as_text=True)
    names = {base_name(line.split("{")[0].split()[0]) for line in text.splitlines() if line and not line.startswith("#")}
    return {name for name in names if not name.endswith("_created")}  # prometheus_client's creation times


def test_the_app_exports_every_metric_it_declares(scraped_metrics):
    assert set(EXPORTED_METRICS) <= scraped_metrics, set(EXPORTED_METRICS) - scraped_metrics
    ours = {name for name in scraped_metrics if name.startswith("wallet_")}
    assert ours == set(EXPORTED_METRICS), ours ^ set(EXPORTED_METRICS)


def test_every_dashboard_query_names_an_exported_metric(scraped_metrics):
    for expr in dashboard_exprs():
        names = {base_name(name) for name in metric_names(expr)}
        assert names, expr
        assert names <= scraped_metrics, (expr, names - scraped_metrics)


def test_every_alert_names_an_exported_metric_or_up(scraped_metrics):
    required = {"WalletStoreDown", "WalletWebhookRejectionsRising", "WalletSweepBacklog", "WalletWorkerHeartbeatStale",
                "WalletOutboxDeadLetters", "WalletHigh5xxRate", "WalletReconcileDrift"}
    exprs = alert_exprs()
    assert required <= set(exprs), required - set(exprs)
    for alert, expr in exprs.items():
        names = {base_name(name) for name in metric_names(expr)}
        assert names and names <= scraped_metrics | {"up"}, (alert, names - scraped_metrics)


def test_the_metric_name_parser():
    expr = 'histogram_quantile(0.95, sum by (le, endpoint) (rate(wallet_http_request_duration_seconds_bucket{job="w"}[5m])))'
    assert metric_names(expr) == {"wallet_http_request_duration_seconds_bucket"}
    assert metric_names('absent(a_b) and on() c == 1') == {"a_b", "c"}


# --- promtool ------------------------------------------------------------------------------------
@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package `prometheus`; make deploy-deps)")
def test_promtool_test_rules():
    done = subprocess.run([PROMTOOL, "test", "rules", "alerts.test.yml"], cwd=os.path.join(DEPLOY, "prometheus"),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package `prometheus`; make deploy-deps)")
def test_promtool_check_config():
    done = subprocess.run([PROMTOOL, "check", "config", "prometheus.yml"], cwd=os.path.join(DEPLOY, "prometheus"),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_is_tested():
    tests = yaml.safe_load(read("deploy", "prometheus", "alerts.test.yml"))
    firing = {case["alertname"] for test in tests["tests"] for case in test.get("alert_rule_test", [])
              if case.get("exp_alerts")}
    assert firing == set(alert_exprs()), set(alert_exprs()) ^ firing


# --- docker-compose.yml --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(read("docker-compose.yml"))


def gunicorn_settings():
    """The environment variables gunicorn.conf.py reads (os.environ.get / os.environ[...])."""
    tree = ast.parse(read("gunicorn.conf.py"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "get" \
                and "environ" in ast.unparse(node.func) and node.args and isinstance(node.args[0], ast.Constant):
            names.add(node.args[0].value)
    return names


def test_compose_has_every_service_with_a_healthcheck(compose):
    services = compose["services"]
    assert set(services) == {"mongo", "app", "worker", "nginx", "prometheus"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_compose_initiates_a_one_node_replica_set(compose):
    mongo = compose["services"]["mongo"]
    assert "--replSet" in mongo["command"] and "rs0" in mongo["command"]
    check = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate" in check and "_id: 'rs0'" in check and "host: 'mongo:27017'" in check
    for name in ("app", "worker"):
        service = compose["services"][name]
        assert "replicaSet=rs0" in service["environment"]["MONGODB_URI"]
        assert service["depends_on"]["mongo"]["condition"] == "service_healthy"


def test_compose_runs_gunicorn_the_worker_nginx_and_prometheus(compose):
    services = compose["services"]
    assert services["app"]["command"] == ["gunicorn", "-c", "gunicorn.conf.py"]
    assert "/api/integration/health" in " ".join(services["app"]["healthcheck"]["test"])
    assert services["worker"]["command"] == ["python", "-m", "backend", "worker"]
    assert services["nginx"]["build"]["target"] == "proxy"
    assert re.search(r"^FROM \S+ AS proxy$", read("Dockerfile"), re.M)
    assert "COPY deploy/nginx/nginx.conf /etc/nginx/nginx.conf" in read("Dockerfile")
    prometheus = services["prometheus"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    assert "alerts.yml" in yaml.safe_load(read("deploy", "prometheus", "prometheus.yml"))["rule_files"]


def test_every_variable_compose_sets_is_one_the_app_reads(compose):
    readable = set(setting_defaults()) | gunicorn_settings()
    assert {"WEB_WORKERS", "WEB_THREADS", "PROMETHEUS_MULTIPROC_DIR"} <= gunicorn_settings()
    for name, service in compose["services"].items():
        unknown = set(service.get("environment") or {}) - readable
        assert not unknown, f"{name} sets variables nothing reads: {unknown}"


# --- nginx ---------------------------------------------------------------------------------------
def test_nginx_proxies_the_api_with_request_ids_and_answers_json_errors():
    conf = read("deploy", "nginx", "nginx.conf")
    assert "location /api/" in conf and "proxy_pass http://wallet_api;" in conf
    assert conf.count("proxy_set_header X-Request-ID $wallet_request_id;") == 2
    assert "root /usr/share/nginx/html;" in conf and "try_files $uri /index.html;" in conf
    for location in ("@not_found", "@payload_too_large", "@unavailable"):
        block = conf.split(f"location {location} {{", 1)[1].split("\n        }", 1)[0]
        assert "default_type application/json;" in block
        body = re.search(r"return \d+ '(.*)\\n';", block).group(1)
        assert json.loads(body)["success"] is False


@pytest.mark.skipif(NGINX is None, reason="nginx not installed (Debian package `nginx`; make deploy-deps)")
def test_nginx_accepts_the_configuration(tmp_path):
    """`nginx -t` on deploy/nginx/nginx.conf with its paths moved under tmp_path, and the upstream
    `app:5000` (a compose service name, resolved at start) as 127.0.0.1:5000."""
    (tmp_path / "html").mkdir()
    (tmp_path / "logs").mkdir()
    conf = read("deploy", "nginx", "nginx.conf")
    rewrites = {"/var/run/nginx.pid": f"{tmp_path}/nginx.pid", "/var/log/nginx": f"{tmp_path}/logs",
                "/usr/share/nginx/html": f"{tmp_path}/html", "server app:5000;": "server 127.0.0.1:5000;"}
    for old, new in rewrites.items():
        assert old in conf, old
        conf = conf.replace(old, new)
    temp_paths = "".join(f"    {name}_temp_path {tmp_path}/{name};\n"
                         for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = conf.replace("http {\n", "http {\n" + temp_paths, 1)
    path = tmp_path / "nginx.conf"
    path.write_text(conf)
    done = subprocess.run([NGINX, "-t", "-c", str(path), "-p", f"{tmp_path}/", "-e", f"{tmp_path}/logs/error.log"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
