"""What deploy/ and docker-compose.yml promise, checked without Docker (docs/deployment.md):
- the alert rules pass `promtool test rules` and the Prometheus config `promtool check config`;
- the Grafana dashboard and the alert rules name only metrics the app exports, and the app exports
  every metric it declares (a real /metrics scrape);
- docker-compose.yml: the services, their healthchecks, the replica-set initiation, and every
  environment variable it sets is one the app reads (backend/config.py, or gunicorn.conf.py's);
- `nginx -t` accepts deploy/nginx/nginx.conf (its paths moved to a temporary directory), and nginx,
  run for real on a free port in front of a stub API, answers its own errors (unparsable request,
  oversize headers, request target or body, the API down or timing out) in the API's JSON error
  shape while the API's own answers pass unchanged.
promtool and nginx come from Debian's `prometheus` and `nginx` packages (`make deploy-deps`);
without them those tests are skipped and say why."""

import ast
import http.server
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import yaml

from backend import create_app
from backend.config import setting_defaults
from backend.http_headers import HSTS_MAX_AGE_SECONDS
from backend.http_server_errors import server_error
from backend.metrics import EXPORTED_METRICS
from tests.conftest import app_config
from tests.helpers import bearer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DEPLOY = os.path.join(ROOT, "deploy")
PROMTOOL = shutil.which("promtool") or ("/usr/bin/promtool" if os.path.exists("/usr/bin/promtool") else None)
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# PromQL words that are not metric names.
PROMQL_WORDS = {
    "sum",
    "min",
    "max",
    "avg",
    "count",
    "by",
    "without",
    "on",
    "ignoring",
    "and",
    "or",
    "unless",
    "rate",
    "irate",
    "increase",
    "delta",
    "absent",
    "histogram_quantile",
    "le",
    "bool",
    "group_left",
    "group_right",
    "offset",
}


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
    names = {
        base_name(line.split("{")[0].split()[0]) for line in text.splitlines() if line and not line.startswith("#")
    }
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
    required = {
        "WalletStoreDown",
        "WalletWebhookRejectionsRising",
        "WalletSweepBacklog",
        "WalletWorkerHeartbeatStale",
        "WalletOutboxDeadLetters",
        "WalletHigh5xxRate",
        "WalletReconcileDrift",
    }
    exprs = alert_exprs()
    assert required <= set(exprs), required - set(exprs)
    for alert, expr in exprs.items():
        names = {base_name(name) for name in metric_names(expr)}
        assert names and names <= scraped_metrics | {"up"}, (alert, names - scraped_metrics)


def test_every_audit_event_whose_increase_an_alert_counts_is_exported_at_zero_from_the_start():
    """Found by a review: a series first seen at 1 has no `increase()`, so the first lost dispute or
    case told otherwise in a process would never alert."""
    counted = set()
    for expr in alert_exprs().values():
        for selector in re.findall(r"increase\(wallet_audit_events_total\{([^}]*)\}", expr):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', selector))
            counted.add((labels["event"], labels["outcome"]))
    assert counted == {("wallet.chargeback", "ok"), ("gateway_case.mismatch", "rejected")}
    text = create_app(app_config()).test_client().get("/metrics").get_data(as_text=True)
    for event, outcome in counted:
        assert f'wallet_audit_events_total{{event="{event}",outcome="{outcome}"}} 0.0' in text


def test_the_metric_name_parser():
    expr = (
        "histogram_quantile(0.95, sum by (le, endpoint) "
        '(rate(wallet_http_request_duration_seconds_bucket{job="w"}[5m])))'
    )
    assert metric_names(expr) == {"wallet_http_request_duration_seconds_bucket"}
    assert metric_names("absent(a_b) and on() c == 1") == {"a_b", "c"}


# --- promtool ------------------------------------------------------------------------------------
@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package `prometheus`; make deploy-deps)")
def test_promtool_test_rules():
    done = subprocess.run(
        [PROMTOOL, "test", "rules", "alerts.test.yml"],
        cwd=os.path.join(DEPLOY, "prometheus"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package `prometheus`; make deploy-deps)")
def test_promtool_check_config():
    done = subprocess.run(
        [PROMTOOL, "check", "config", "prometheus.yml"],
        cwd=os.path.join(DEPLOY, "prometheus"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_is_tested():
    tests = yaml.safe_load(read("deploy", "prometheus", "alerts.test.yml"))
    firing = {
        case["alertname"]
        for test in tests["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
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
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", None) == "get"
            and "environ" in ast.unparse(node.func)
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
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


PASSED_ON = re.compile(
    r"(RAZORPAY|PAYPAL|GOOGLE_PAY|WHATSAPP)_\w+|SUPPORTED_CURRENCIES|\w+_(BALANCE|TOPUP)_MAX|LOG_FORMAT"
)


def test_compose_passes_on_every_gateway_currency_limit_and_whatsapp_setting(compose):
    """docs/deployment.md: compose passes these on from the shell when set (`${NAME:-default}`, or
    `${NAME:?message}` for those it requires)."""
    environment = compose["services"]["app"]["environment"]
    names = sorted(name for name in setting_defaults() if PASSED_ON.fullmatch(name))
    assert "GOOGLE_PAY_DIRECT_PROCESSOR" in names and "WHATSAPP_API_VERSION" in names
    missing = [name for name in names if not re.fullmatch(rf"\$\{{{name}:[-?].*\}}", str(environment.get(name)))]
    assert missing == []


# mongosh, as far as the mongo healthcheck uses it: the script runs with `rs`, `db` and `quit`; an
# uncaught error exits 1, `quit(code)` exits `code`, the end of the script exits 0.
MONGOSH_STUB = r"""
const vm = require('node:vm');
const [script, state] = [process.argv[1], JSON.parse(process.argv[2])];
class Quit { constructor(code) { this.code = code; } }
const failure = (codeName, message) => Object.assign(new Error(message), { codeName });
const initiated = [];
const rs = {
  status() {
    if (!state.initiated) throw failure('NotYetInitialized', 'no replset config has been received');
    return { ok: 1, members: [{ name: 'mongo:27017', stateStr: state.primary ? 'PRIMARY' : 'SECONDARY' }] };
  },
  initiate(config) {
    initiated.push(config);
    if (state.initiated) throw failure('AlreadyInitialized', 'already initialized');
    return { ok: 1 };
  },
};
const db = { hello: () => ({ isWritablePrimary: state.primary, secondary: !state.primary }) };
let code = 0;
try {
  vm.runInNewContext(script, { rs, db, quit: (c = 0) => { throw new Quit(c); } });
} catch (e) {
  code = e instanceof Quit ? e.code : 1;
}
console.log(JSON.stringify({ code, initiated }));
"""


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed (make frontend-install needs it too)")
@pytest.mark.parametrize(
    "state, healthy, initiates",
    [
        ({"initiated": False, "primary": False}, False, True),  # first start: initiate, not healthy yet
        ({"initiated": True, "primary": False}, False, False),  # initiated, no primary elected yet
        ({"initiated": True, "primary": True}, True, False),  # a writable primary: the app may start
    ],
)
def test_compose_mongo_is_healthy_only_once_a_writable_primary_is_elected(compose, state, healthy, initiates):
    test = compose["services"]["mongo"]["healthcheck"]["test"]
    assert test[:4] == ["CMD", "mongosh", "--quiet", "--eval"] and len(test) == 5
    result = subprocess.run(
        ["node", "-e", MONGOSH_STUB, test[4], json.dumps(state)], capture_output=True, text=True, timeout=30, check=True
    )
    outcome = json.loads(result.stdout)
    assert (outcome["code"] == 0) == healthy, outcome
    expected = [{"_id": "rs0", "members": [{"_id": 0, "host": "mongo:27017"}]}] if initiates else []
    assert outcome["initiated"] == expected


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


def test_compose_scrapes_the_workers_audit_events_and_mounts_nginx_settings(compose):
    services = compose["services"]
    port = services["worker"]["environment"]["WORKER_METRICS_PORT"]
    assert services["worker"]["expose"] == [port] and services["app"]["environment"].get("WORKER_METRICS_PORT") is None
    targets = yaml.safe_load(read("deploy", "prometheus", "prometheus.yml"))["scrape_configs"][0]["static_configs"]
    assert {(t["targets"][0], t["labels"]["component"]) for t in targets} == {
        ("app:5000", "api"),
        (f"worker:{port}", "worker"),
    }
    assert "./deploy/nginx/wallet.d:/etc/nginx/wallet.d:ro" in services["nginx"]["volumes"]
    assert "include /etc/nginx/wallet.d/*.conf;" in read("deploy", "nginx", "nginx.conf")
    for name in ("app", "worker"):  # gunicorn's 30 s of graceful shutdown, not Docker's 10 s
        assert int(services[name]["stop_grace_period"].rstrip("s")) > 30


def test_every_variable_compose_sets_is_one_the_app_reads(compose):
    readable = set(setting_defaults()) | gunicorn_settings()
    assert {"WEB_WORKERS", "WEB_THREADS", "PROMETHEUS_MULTIPROC_DIR"} <= gunicorn_settings()
    for name, service in compose["services"].items():
        unknown = set(service.get("environment") or {}) - readable
        assert not unknown, f"{name} sets variables nothing reads: {unknown}"


# --- nginx ---------------------------------------------------------------------------------------
# nginx's own errors: status nginx reaches → (status it answers, the API's code for that status).
NGINX_ERRORS = {
    400: (400, "invalid_request"),
    404: (404, "not_found"),
    413: (413, "payload_too_large"),
    414: (414, "uri_too_long"),
    429: (429, "rate_limited"),
    494: (431, "request_headers_too_large"),
    500: (503, "service_unavailable"),
    502: (503, "service_unavailable"),
    503: (503, "service_unavailable"),
    504: (503, "service_unavailable"),
}


def nginx_error_pages(conf):
    """{status: (uri, status answered, JSON body, the location block)} from error_page directives."""
    pages = {}
    for statuses, uri in re.findall(r"^\s*error_page ([\d ]+) = (\S+);", conf, re.M):
        block = conf.split(f"location = {uri} {{", 1)[1].split("\n        }", 1)[0]
        answered, body = re.search(r"return (\d+) '(.*)\\n';", block).groups()
        for status in statuses.split():
            pages[int(status)] = (uri, int(answered), json.loads(body), block)
    return pages


def test_nginx_proxies_the_api_with_request_ids():
    conf = read("deploy", "nginx", "nginx.conf")
    assert "location /api/" in conf and "proxy_pass http://wallet_api;" in conf
    assert conf.count("proxy_set_header X-Request-ID $wallet_request_id;") == 2
    assert "root /usr/share/nginx/html;" in conf and "try_files $uri /index.html;" in conf
    assert "proxy_intercept_errors off;" in conf  # the API's own answers pass unchanged


def test_every_error_nginx_answers_itself_is_the_apis_json_error_shape():
    pages = nginx_error_pages(read("deploy", "nginx", "nginx.conf"))
    assert set(pages) == set(NGINX_ERRORS), set(pages) ^ set(NGINX_ERRORS)
    for status, (uri, answered, body, block) in pages.items():
        assert (answered, body["error"]) == NGINX_ERRORS[status], (status, body)
        assert set(body) == {"success", "error", "message"} and body["success"] is False, body
        assert body["message"] and "\n" not in body["message"], body
        if answered != 503:  # service_unavailable: nginx's own; else what the app or its server answers
            assert (body["error"], body["message"]) == server_error(answered)
        assert "internal;" in block and "default_type application/json;" in block, uri
        assert "add_header X-Request-ID $wallet_request_id always;" in block, uri


def nginx_conf(tmp_path, upstream="127.0.0.1:5000", listen=None, read_timeout=None, balancer=True):
    """deploy/nginx/nginx.conf with its paths moved under tmp_path and the upstream `app:5000` (a
    compose service name, resolved at start) as `upstream`; optionally another listen address and
    proxy read timeout."""
    for folder in ("html", "logs", "wallet.d"):
        (tmp_path / folder).mkdir(exist_ok=True)
    if balancer:  # this deployment's balancer is 127.0.0.1: the example's settings, its address for its network
        example = read("deploy", "nginx", "wallet.d", "real-ip.conf.example")
        assert "set_real_ip_from 10.0.0.0/8;" in example
        (tmp_path / "wallet.d" / "real-ip.conf").write_text(example.replace("10.0.0.0/8", "127.0.0.1"))
    (tmp_path / "html" / "index.html").write_text("<!doctype html><title>wallet</title>")
    conf = read("deploy", "nginx", "nginx.conf")
    rewrites = {
        "/var/run/nginx.pid": f"{tmp_path}/nginx.pid",
        "/var/log/nginx": f"{tmp_path}/logs",
        "/usr/share/nginx/html": f"{tmp_path}/html",
        "server app:5000;": f"server {upstream};",
        "/etc/nginx/wallet.d/": f"{tmp_path}/wallet.d/",
    }
    if listen:
        rewrites.update({"listen 80;": f"listen {listen};", "worker_processes auto;": "worker_processes 1;"})
    if read_timeout:
        rewrites["proxy_read_timeout 35s;"] = f"proxy_read_timeout {read_timeout};"
    for old, new in rewrites.items():
        assert old in conf, old
        conf = conf.replace(old, new)
    temp_paths = "".join(
        f"    {name}_temp_path {tmp_path}/{name};\n" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = conf.replace("http {\n", "http {\n" + temp_paths, 1)
    path = tmp_path / "nginx.conf"
    path.write_text(conf)
    return [NGINX, "-c", str(path), "-p", f"{tmp_path}/", "-e", f"{tmp_path}/logs/error.log"]


@pytest.mark.skipif(NGINX is None, reason="nginx not installed (Debian package `nginx`; make deploy-deps)")
@pytest.mark.parametrize("balancer", [True, False], ids=["behind a balancer (real-ip.conf)", "as shipped"])
def test_nginx_accepts_the_configuration(tmp_path, balancer):
    done = subprocess.run(nginx_conf(tmp_path, balancer=balancer) + ["-t"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


class StubApi(http.server.BaseHTTPRequestHandler):
    """The API behind nginx: /api/slow answers after nginx's read timeout, /api/drop closes the
    connection unanswered, anything else answers the API's own JSON (a 404 under /api/missing)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/api/slow":
            time.sleep(3)
        if self.path == "/api/drop":
            self.close_connection = True
            return
        status = 404 if self.path == "/api/missing" else 200
        body = json.dumps({"success": status == 200, "error": "stub_answer", "message": self.path}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def nginx_port(nginx_served):
    return nginx_served[0]


@pytest.fixture(scope="module")
def nginx_served():
    """deploy/nginx/nginx.conf run for real on a free port in front of StubApi, its balancer
    127.0.0.1 (wallet.d/real-ip.conf): (port, the folder of its files). Its files are in a
    directory anyone may read: started by root, nginx's workers run as `nobody`."""
    if NGINX is None:
        pytest.skip("nginx not installed (Debian package `nginx`; make deploy-deps)")
    stub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubApi)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    port, folder = free_port(), tempfile.mkdtemp(prefix="wallet-nginx-")
    os.chmod(folder, 0o755)
    command = nginx_conf(
        pathlib.Path(folder),
        upstream=f"127.0.0.1:{stub.server_address[1]}",
        listen=f"127.0.0.1:{port}",
        read_timeout="1s",
    )
    process = subprocess.Popen(command + ["-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        yield port, pathlib.Path(folder)
    finally:
        process.terminate()
        process.wait(timeout=10)
        stub.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


def exchange(port, request):
    """Send raw bytes, return (status, lower-cased headers, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while True:
            head, _, body = data.partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if _ and length and len(body) >= int(length.group(1)):
                break
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


def get(target, *headers, host=b"Host: wallet.test\r\n"):
    return (
        b"GET "
        + target
        + b" HTTP/1.1\r\n"
        + host
        + b"".join(h + b"\r\n" for h in headers)
        + b"Connection: close\r\n\r\n"
    )


NGINX_CASES = {  # the request → the status nginx reaches itself (its answer: NGINX_ERRORS)
    "control character in the request line": (get(b"/api/integration/health\x01x"), 400),
    "not HTTP at all": (b"\x16\x03\x01\x02\x00 hello\r\n\r\n", 400),
    "no Host header": (get(b"/api/integration/health", host=b""), 400),
    "NUL in a header value": (get(b"/api/integration/health", b"X-Note: a\x00b"), 400),
    "a 12 KiB header field": (get(b"/api/integration/health", b"X-Big: " + b"a" * (12 * 1024)), 494),
    "a 12 KiB request target": (get(b"/api/integration/health?q=" + b"a" * (12 * 1024)), 414),
    "a 3 MB body": (
        b"POST /api/integration/webhook/razorpay HTTP/1.1\r\nHost: wallet.test\r\n"
        b"Content-Length: 3000000\r\nConnection: close\r\n\r\n",
        413,
    ),
    "an error page asked for directly": (get(b"/_errors/400"), 404),
    "/metrics": (get(b"/metrics"), 404),
    "the API times out": (get(b"/api/slow"), 504),
    "the API closes the connection unanswered": (get(b"/api/drop"), 502),
}


@pytest.mark.parametrize("case", NGINX_CASES)
def test_nginx_answers_its_own_errors_in_the_apis_json_shape(nginx_port, case):
    request, nginx_status = NGINX_CASES[case]
    status, headers, body = exchange(nginx_port, request)
    answered, code = NGINX_ERRORS[nginx_status]
    assert status == answered and headers.get("content-type") == "application/json", (status, headers, body[:200])
    answer = json.loads(body)
    assert answer == {"success": False, "error": code, "message": answer["message"]}, answer
    if answered != 503:
        assert (answer["error"], answer["message"]) == server_error(answered)
    assert headers["x-request-id"]
    assert (headers.get("x-content-type-options"), headers.get("cache-control")) == ("nosniff", "no-store"), headers
    if answered == 503:
        assert headers["retry-after"] == "5"


@pytest.mark.parametrize(
    "sent, kept",
    [("req-1.a:B_2", True), ("x" * 128, True), ("", False), ("x" * 129, False), ("a b", False), ('a"<b>', False)],
    ids=["the API's characters", "128 characters", "empty", "129 characters", "a space", "markup"],
)
def test_nginx_keeps_a_callers_request_id_only_where_the_api_would(nginx_served, sent, kept):
    port, folder = nginx_served
    status, headers, _ = exchange(port, get(b"/metrics", b"X-Request-ID: " + sent.encode()))
    assert status == 404
    if kept:
        assert headers["x-request-id"] == sent
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"]), headers["x-request-id"]
    line_end = f" {headers['x-request-id']}\n"  # the log format's last field
    said = access_log(folder, lambda text: line_end in text)
    assert line_end in said, said[-500:]


def access_log(folder, holds):
    """nginx's access log once `holds(text)` (within 5 s): nginx writes a request's line after its
    answer has gone, so a client that has the answer may read the log before the line is in."""
    deadline = time.monotonic() + 5
    while True:
        text = (folder / "logs" / "access.log").read_text()
        if holds(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.02)


def burst(port, path, requests):
    """`requests` GETs of `path` one after the other: (their statuses, the last answer, seconds taken)."""
    started, statuses = time.monotonic(), []
    for _ in range(requests):
        status, headers, body = exchange(port, get(path))
        statuses.append(status)
    return statuses, (status, headers, body), time.monotonic() - started


def test_nginx_refuses_a_money_post_over_the_apis_limit_in_its_json(nginx_port):
    money = b"/api/integration/order/pay-with-wallet"
    statuses, (status, headers, body), _ = burst(nginx_port, money, 31)
    assert statuses[:30] == [200] * 30  # a minute's allowance at once, as the API's window
    assert status == 429 and headers["content-type"] == "application/json", (status, body[:200])
    assert json.loads(body) == {"success": False, "error": "rate_limited", "message": server_error(429)[1]}
    assert headers["retry-after"] == "2" and headers["x-request-id"]
    assert exchange(nginx_port, get(b"/api/integration/order/void"))[0] == 200  # each URI counts on its own


def test_nginx_limits_other_paths_at_300_a_minute_and_webhooks_at_600(nginx_port):
    statuses, _, seconds = burst(nginx_port, b"/api/integration/status/cust_nginx", 330)
    drained = int(seconds * 300 / 60) + 1  # the bucket drains 5 a second meanwhile
    assert 300 <= statuses.count(200) <= 300 + drained and statuses.count(429) == 330 - statuses.count(200)
    statuses, _, _ = burst(nginx_port, b"/api/integration/webhook/razorpay", 330)
    assert statuses == [200] * 330  # webhooks have a zone of their own, 600 a minute


def test_nginx_passes_the_apis_own_answers_unchanged(nginx_port):
    for path, expected_status in ((b"/api/ok", 200), (b"/api/missing", 404)):
        status, headers, body = exchange(nginx_port, get(path))
        assert status == expected_status and headers["content-type"] == "application/json"
        assert json.loads(body)["error"] == "stub_answer" and json.loads(body)["message"] == path.decode()


def test_nginx_still_serves_the_web_page_for_any_other_path(nginx_port):
    status, headers, body = exchange(nginx_port, get(b"/wallet/anything"))
    assert status == 200 and headers["content-type"] == "text/html" and b"<title>wallet</title>" in body


def test_nginx_serves_the_page_with_the_apis_headers_and_logs_no_token(nginx_served):
    port, folder = nginx_served
    status, headers, _ = exchange(
        port, get(b"/?token=eyJ.CANARYTOKEN.sig", b"Referer: http://wallet.test/?token=CANARY2")
    )
    assert (
        status == 200 and headers["referrer-policy"] == "no-referrer" and headers["x-content-type-options"] == "nosniff"
    )
    assert headers["x-request-id"]
    assert headers["strict-transport-security"] == f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains"  # the API's
    log = access_log(folder, lambda text: '"GET / HTTP/1.1" 200' in text)
    assert '"GET / HTTP/1.1" 200' in log and "CANARY" not in log


def test_nginx_counts_each_customer_behind_its_balancer_by_x_forwarded_for(nginx_port):
    """Behind a balancer (real-ip.conf names it): each customer has its own rate-limit bucket (it was
    one bucket for the whole shop: the balancer's address)."""
    withdraw = b"/api/integration/wallet/withdraw"
    statuses = [exchange(nginx_port, get(withdraw, b"X-Forwarded-For: 203.0.113.%d" % n))[0] for n in range(1, 35)]
    assert statuses == [200] * 34  # 34 customers, one request each (one customer: 30 a minute)
    same = [exchange(nginx_port, get(withdraw, b"X-Forwarded-For: 198.51.100.7"))[0] for _ in range(31)]
    assert same == [200] * 30 + [429]
