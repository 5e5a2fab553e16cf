"""gunicorn with several workers: one store, one set of simulator keys, one /metrics.

`gunicorn -c gunicorn.conf.py` with WEB_WORKERS=2 on a MongoDB-wire server (mongoeco's, see
tests/mongoeco_support.py). Money requests go over fresh connections, so both workers serve some
(the access log names the worker of each request); Google Pay tokens and PayPal webhooks are
signed here, in a third process, from the configuration alone. Every worker must accept them,
every status read must see every credit, and /metrics must count every request whichever worker
answers. backend.wsgi refuses the embedded store outright."""

import concurrent.futures
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from pymongo import MongoClient

from backend.config import load_config
from backend.gateways.google_pay.entry import google_pay_gateway
from backend.gateways.google_pay.simulator import payment_data, simulator_token
from backend.gateways.paypal.simulator import DEV_PAYPAL_WEBHOOK_ID, paypal_id, signed_headers
from tests.helpers import TEST_JWT_SECRET, razorpay_event, signed_webhook, token
from tests.mongoeco_support import ROOT, free_port, mongodb_uri  # noqa: F401 (a fixture)

WORKERS = 2
ROUNDS = 8  # one customer each: three top-ups (Razorpay, Google Pay, PayPal), a payment, status reads
STATUS_READS = 4
STARTUP_SECONDS_MAX = 30
INHERITED = (
    "MONGODB_URI",
    "MONGODB_DB",
    "APP_ENV",
    "JWT_SECRET",
    "LOG_FILE",
    "GATEWAY_MODE",
    "CORS_ORIGINS",
    "PROMETHEUS_MULTIPROC_DIR",
    "SIMULATOR_SEED",
    "PUBLIC_BASE_URL",
    "RATE_LIMIT_STORAGE_URI",
)


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in INHERITED}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


# --- backend.wsgi refuses the embedded store ----------------------------------------------------


def import_wsgi(env, code="import backend.wsgi"):
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


REFUSAL = "error: backend.wsgi (gunicorn) refuses the embedded mongomock store: "


def refusal_lines(output):
    return [line for line in output.splitlines() if line.startswith(REFUSAL)]


@pytest.mark.parametrize("uri", [None, "mongomock://localhost"])
def test_wsgi_refuses_the_embedded_store_in_one_line(uri):
    result = import_wsgi(clean_env(**({"MONGODB_URI": uri} if uri else {})))
    assert result.returncode != 0
    assert refusal_lines(result.stderr) == result.stderr.splitlines(), result.stderr  # one line, no traceback
    assert "python -m backend" in result.stderr and "MONGODB_URI=mongodb://" in result.stderr


@pytest.mark.parametrize("setting", [{}, {"APP_ENV": "production"}])
def test_gunicorn_refused_configuration_stops_it_in_one_line_before_any_worker(setting):
    env = clean_env(HOST="127.0.0.1", PORT=str(free_port()), WEB_WORKERS="4", WEB_THREADS="1", **setting)
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=STARTUP_SECONDS_MAX,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 4, output  # gunicorn's "App failed to load"
    assert "Traceback" not in output and "Booting worker" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, output
    assert errors[0].startswith("error: Refusing to start with APP_ENV=production" if setting else REFUSAL)


def test_wsgi_starts_on_a_mongodb_server(mongodb_uri):  # noqa: F811 (the fixture)
    code = """
import backend.wsgi as wsgi
from backend.config import load_config
from backend.errors import ConfigError
assert wsgi.app.config["MONGODB_URI"].startswith("mongodb://")
wsgi.check_shared_store(load_config({"MONGODB_URI": "mongodb://db.example:27017/?replicaSet=rs0"}))
for uri in ("", "mongomock://localhost"):
    try:
        wsgi.check_shared_store(load_config({"MONGODB_URI": uri}))
    except ConfigError as error:
        assert "python -m backend" in str(error)
    else:
        raise AssertionError(uri)
print("wsgi app ready")
"""
    result = import_wsgi(
        clean_env(MONGODB_URI=mongodb_uri, MONGODB_DB=f"wsgi_{uuid.uuid4().hex[:8]}", SEED_DEMO_DATA="false"), code
    )
    assert result.returncode == 0 and "wsgi app ready" in result.stdout, result.stderr[-3000:]


# --- two workers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gunicorn(mongodb_uri):  # noqa: F811 (the fixture)
    port, database = free_port(), f"gunicorn_{uuid.uuid4().hex[:12]}"
    url = f"http://127.0.0.1:{port}"
    env = clean_env(
        HOST="127.0.0.1",
        PORT=str(port),
        PUBLIC_BASE_URL=url,
        MONGODB_URI=mongodb_uri,
        MONGODB_DB=database,
        JWT_SECRET=TEST_JWT_SECRET,
        WEB_WORKERS=str(WORKERS),
        WEB_THREADS="2",
        RATE_LIMITS_ENABLED="false",
        SEED_DEMO_DATA="false",
    )
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "gunicorn.conf.py",
        "--no-control-socket",
        "--access-logfile",
        "-",
        "--access-logformat",
        "ACCESS %(p)s %(m)s %(U)s %(s)s",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = []
    threading.Thread(target=lambda: log.extend(process.stdout), daemon=True).start()
    mongo = MongoClient(mongodb_uri)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS_MAX
        while len(worker_pids(log)) < WORKERS or not healthy(url):
            assert process.poll() is None, "".join(log)
            assert time.monotonic() < deadline, "gunicorn did not start:\n" + "".join(log)
            time.sleep(0.1)
        yield {"url": url, "log": log, "db": mongo[database], "pids": worker_pids(log)}
    finally:
        process.terminate()
        process.wait(timeout=15)
        mongo.drop_database(database)
        mongo.close()


def worker_pids(log):
    return {int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", "".join(log))}


def healthy(url):
    try:
        return requests.get(url + "/api/integration/health", timeout=5).status_code == 200
    except (requests.ConnectionError, requests.Timeout):  # still loading the app: not up yet
        return False


def served_by(log, path_pattern):
    """{worker pid} that answered requests whose path matches `path_pattern` (the access log)."""
    lines = re.findall(r"ACCESS <(\d+)> (\w+) (\S+) (\d+)", "".join(log))
    return {int(pid) for pid, _method, path, _status in lines if re.search(path_pattern, path)}


def eventually(condition, seconds=5):
    """True once `condition()` is (the access log is read by a thread, a little behind)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def call(server, method, path, customer=None, **kwargs):
    """One request on a new connection (no session), so the listening socket picks the worker."""
    headers = {"Connection": "close", **kwargs.pop("headers", {})}
    if customer:
        headers["Authorization"] = f"Bearer {token(customer)}"
    return requests.request(method, server["url"] + path, headers=headers, timeout=20, **kwargs)


def initiate(server, customer, amount, method):
    response = call(
        server,
        "POST",
        "/api/integration/wallet/topup/initiate",
        customer,
        headers={"Idempotency-Key": uuid.uuid4().hex},
        json={"customer_id": customer, "amount": amount, "payment_method": method},
    )
    assert response.status_code == 200, response.text
    return response.json()["payment_order_id"]


def paypal_capture(server, order_id, value):
    """A PayPal capture webhook for our payment order, signed here with the simulator's key."""
    reference = server["db"]["payment_orders"].find_one({"_id": order_id})["reference"]
    resource = {
        "id": paypal_id(),
        "status": "COMPLETED",
        "final_capture": True,
        "custom_id": reference,
        "amount": {"currency_code": "INR", "value": value},
        "supplementary_data": {"related_ids": {"order_id": order_id}},
    }
    body = json.dumps(
        {
            "id": "WH-" + paypal_id(),
            "event_version": "1.0",
            "resource_type": "capture",
            "event_type": "PAYMENT.CAPTURE.COMPLETED",
            "resource": resource,
            "links": [],
        }
    ).encode()
    return body, signed_headers(body, DEV_PAYPAL_WEBHOOK_ID)


def customer_round(server, google_pay, index):
    """Top up 100 + 50 + 25 through the three gateways, pay 150 from the wallet, read the status."""
    customer = f"cust_gw_{index}"
    order_id = initiate(server, customer, "100.00", "razorpay")
    body, headers = signed_webhook(razorpay_event("payment.captured", order_id, f"pay_gw{index:010d}", 10000))
    response = call(server, "POST", "/api/integration/webhook/razorpay", data=body, headers=headers)
    assert response.status_code == 200, response.text

    order_id = initiate(server, customer, "50.00", "google_pay")
    response = call(
        server,
        "POST",
        "/api/integration/webhook/google-pay",
        json={"payment_order_id": order_id, "paymentData": payment_data(simulator_token(google_pay))},
    )
    assert response.status_code == 200, response.text

    order_id = initiate(server, customer, "25.00", "paypal")
    body, headers = paypal_capture(server, order_id, "25.00")
    response = call(server, "POST", "/api/integration/webhook/paypal", data=body, headers=headers)
    assert response.status_code == 200, response.text

    shop_order = f"ord_gw_{index}"
    server["db"]["orders"].insert_one(
        {
            "order_id": shop_order,
            "customer_id": customer,
            "amount_minor": 15000,
            "currency": "INR",
            "payment_status": "pending",
        }
    )
    response = call(
        server,
        "POST",
        "/api/integration/order/pay-with-wallet",
        customer,
        headers={"Idempotency-Key": uuid.uuid4().hex},
        json={"order_id": shop_order, "customer_id": customer, "amount": "150.00"},
    )
    assert response.status_code == 200, response.text
    return [
        call(server, "GET", f"/api/integration/status/{customer}", customer).json()["wallet"]["balance"]
        for _ in range(STATUS_READS)
    ]


def samples(text):
    """{(name, sorted labels): value} of a /metrics answer."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def requests_total(endpoint, method, status="200"):
    return ("wallet_http_requests_total", (("endpoint", endpoint), ("method", method), ("status", status)))


def audit_total(event, outcome):
    return ("wallet_audit_events_total", (("event", event), ("outcome", outcome)))


def test_workers_share_the_store_the_simulator_keys_and_the_metrics(gunicorn):
    config = load_config({"GATEWAY_MODE": "simulator", "PUBLIC_BASE_URL": gunicorn["url"]})
    google_pay = google_pay_gateway(config)  # this process's own simulator: keys from the configuration
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        balances = list(pool.map(lambda i: customer_round(gunicorn, google_pay, i), range(ROUNDS)))

    # one store: every status read, whichever worker answered, sees every credit and the payment
    assert balances == [[25.0] * STATUS_READS] * ROUNDS
    log, pids = gunicorn["log"], gunicorn["pids"]
    assert eventually(lambda: served_by(log, r"^/api/integration/") == pids), served_by(log, ".")
    # one set of keys: tokens and webhooks signed in this process are accepted by every worker
    assert eventually(lambda: served_by(log, r"^/api/integration/webhook/(google-pay|paypal)$") == pids)

    expected = {
        requests_total("integration.initiate_wallet_topup", "POST"): 3 * ROUNDS,
        requests_total("integration.razorpay_webhook", "POST"): ROUNDS,
        requests_total("integration.google_pay_webhook", "POST"): ROUNDS,
        requests_total("integration.paypal_webhook", "POST"): ROUNDS,
        requests_total("integration.pay_order_with_wallet", "POST"): ROUNDS,
        requests_total("integration.integration_status", "GET"): STATUS_READS * ROUNDS,
        audit_total("wallet.credited", "ok"): 3 * ROUNDS,
        audit_total("order.paid", "ok"): ROUNDS,
    }
    # one /metrics: each read counts every worker's requests; read until both workers have answered
    reads = []
    for _ in range(15):
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            reads += pool.map(lambda _: call(gunicorn, "GET", "/metrics"), range(4))
        if eventually(lambda: served_by(log, r"^/metrics$") == pids, seconds=0.5):
            break
    assert served_by(log, r"^/metrics$") == pids
    for read in reads:
        assert read.status_code == 200
        counted = samples(read.text)
        assert {key: counted.get(key) for key in expected} == expected
