"""`python -m backend` as a real process: on a free port, top-up through the simulator, pay, status;
on a taken port, one line and exit 2 before anything else."""

import os
import re
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STARTUP_SECONDS_MAX = 30


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(port):
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "APP_ENV", "JWT_SECRET")}
    env.update(PORT=str(port), HOST="127.0.0.1", PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", PYTHONUNBUFFERED="1")
    return env


@pytest.fixture(scope="module")
def server():
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = server_env(port)
    process = subprocess.Popen(
        [sys.executable, "-m", "backend"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines, deadline = [], time.monotonic() + STARTUP_SECONDS_MAX
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Serving on" in line:
                break
            assert process.poll() is None, "".join(lines)
        threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
        tokens = re.search(r"\?token=([\w.-]+).*?Admin token \(refunds\): ([\w.-]+)", "".join(lines), re.S)
        assert tokens, "".join(lines)
        yield {"url": base_url, "customer": tokens.group(1), "admin": tokens.group(2), "log": lines}
    finally:
        process.terminate()
        process.wait(timeout=10)


def api(server, method, path, token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token or server['customer']}"}
    return requests.request(method, server["url"] + "/api/integration" + path, headers=headers, timeout=10, **kwargs)


def balance(server):
    return api(server, "GET", "/status/cust_demo").json()["wallet"]["balance"]


def test_start_up_message_names_the_embedded_store(server):
    log = "".join(server["log"])
    assert "EMBEDDED STORE" in log and "LOST when it stops" in log


def test_start_up_prints_an_admin_sign_in_link_like_the_customers(server):
    log = "".join(server["log"])
    customer = re.search(
        rf"^Sign in as the demo customer cust_demo: {re.escape(server['url'])}/\?token=([\w.-]+)$", log, re.M
    )
    admin = re.search(
        rf"^Sign in as the demo admin admin_demo \(support view, refunds\): "
        rf"{re.escape(server['url'])}/\?token=([\w.-]+)$",
        log,
        re.M,
    )
    assert customer and admin, log
    assert log.index(customer.group()) < log.index(admin.group())  # the customer's link stays the first one
    admin_token = admin.group(1)
    assert jwt.decode(admin_token, options={"verify_signature": False})["role"] == "admin"
    assert admin_token == server["admin"]  # the same token as the "Admin token" line
    support = api(server, "GET", "/support/customers/cust_demo", token=admin_token)
    assert support.status_code == 200, support.text


def test_health_over_http(server):
    response = requests.get(server["url"] + "/api/integration/health", timeout=5)
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_topup_through_simulator_checkout_then_pay_and_status(server):
    start = balance(server)
    initiated = api(
        server,
        "POST",
        "/wallet/topup/initiate",
        json={"customer_id": "cust_demo", "amount": 500, "payment_method": "razorpay"},
    )
    assert initiated.status_code == 200, initiated.text
    redirect_url = initiated.json()["redirect_url"]
    page = requests.get(redirect_url, timeout=5)
    assert page.status_code == 200 and 'id="pay"' in page.text
    paid = requests.post(redirect_url + "/pay", allow_redirects=False, timeout=10)
    assert paid.status_code == 303
    query = {k: v[0] for k, v in parse_qs(urlparse(paid.headers["Location"]).query).items()}
    verified = api(
        server,
        "POST",
        "/wallet/topup/verify",
        json={
            "payment_id": query["razorpay_payment_id"],
            "order_id": query["razorpay_order_id"],
            "signature": query["razorpay_signature"],
        },
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["wallet_balance"] == start + 500
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the simulator posts its signed webhook from a thread
        if any('"event": "webhook.received"' in line for line in list(server["log"])):
            break
        time.sleep(0.05)
    webhook_lines = [line for line in server["log"] if '"event": "webhook.received"' in line]
    # processed if it beat verify, duplicate if verify credited first: either way one credit
    assert len(webhook_lines) == 1
    assert '"outcome": "processed"' in webhook_lines[0] or '"outcome": "duplicate"' in webhook_lines[0]
    assert balance(server) == start + 500
    pay = api(
        server,
        "POST",
        "/order/pay-with-wallet",
        json={"order_id": "ord_demo_1", "customer_id": "cust_demo", "amount": "250.00"},
    )
    assert pay.status_code == 200, pay.text
    assert pay.json()["remaining_balance"] == start + 250
    status = api(server, "GET", "/status/cust_demo").json()
    assert status["wallet"] == {
        "customer_id": "cust_demo",
        "balance": start + 250,
        "held": 0,
        "available": start + 250,
        "debt": 0,
        "currency": "INR",
    }
    assert [t["kind"] for t in status["recent_transactions"][:2]] == ["payment", "topup"]


@pytest.mark.parametrize("command", [[], ["serve"]])
def test_on_a_taken_port_it_says_so_in_one_line_and_exits_two_before_anything_else(command):
    with socket.socket() as taken:  # another server already listens there
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "backend", *command],
            cwd=ROOT,
            env=server_env(port),
            capture_output=True,
            text=True,
            timeout=STARTUP_SECONDS_MAX,
        )
    assert result.returncode == 2, result.stdout + result.stderr
    # nothing else: no sign-in link or tokens, no store warnings (nothing seeded), no worker, no traceback
    assert result.stdout == ""
    assert result.stderr == f"error: port {port} on 127.0.0.1 is in use: set PORT (or HOST) to another\n"
