"""Oversized and malformed requests against the REAL HTTP servers: waitress (`python -m backend`)
and gunicorn (`gunicorn -c gunicorn.conf.py`), each as a process on a free port.

Every answer must be the API's JSON error shape with a code docs/api.md's error table lists for its
status: the app's own, or — only where the server refuses the request before the app sees it, a
row of docs/api.md's "What the HTTP server answers itself" (server, status, content type) — the
server's, in the same shape (backend/http_server_errors.py). Requests go over a raw socket, so that
what is sent is exactly what is meant (requests/urllib3 refuse control characters in headers)."""

import json
import os
import re
import runpy
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from backend import BODY_SIZE_MAX_BYTES, http_limits
from backend import __main__ as cli
from backend.config import DEV_JWT_SECRET
from backend.http_server_errors import server_error
from backend.server import HTTP_CODES, HTTP_MESSAGES
from tests.mongoeco_support import mongodb_uri  # noqa: F401 (a fixture: gunicorn refuses the embedded store)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
API_DOC = os.path.join(ROOT, "docs", "api.md")
STARTUP_SECONDS_MAX = 20
KiB, MiB = 1024, 1024 * 1024
WEBHOOK = "/api/integration/webhook/razorpay"  # reads the raw body (no auth before it)
HEALTH = "/api/integration/health"
SERVERS = ("waitress", "gunicorn")


# ---- what docs/api.md says ------------------------------------------------------------------


def doc_section(text, heading):
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"docs/api.md has no section '## {heading}'"
    return match.group(1)


def table_rows(section):
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ]


def documented_server_answers():
    """{(server, status, content type)} from "What the HTTP server answers itself"."""
    with open(API_DOC, encoding="utf-8") as handle:
        section = doc_section(handle.read(), "What the HTTP server answers itself")
    answers = set()
    for server, _request, statuses, content_type in table_rows(section)[1:]:
        for status in re.findall(r"\d{3}", statuses):
            answers.add((server.strip("`"), int(status), content_type.strip("`")))
    return answers


def documented_error_codes():
    """{status: {codes}} from the error table of "Errors"."""
    with open(API_DOC, encoding="utf-8") as handle:
        section = doc_section(handle.read(), "Errors")
    return {
        int(status): set(re.findall(r"`([a-z_]+)`", codes))
        for status, codes in table_rows(section)[1:]
        if status.isdigit()
    }


# ---- the servers ------------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(port):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MONGODB_URI", "JWT_SECRET", "LOG_FILE", "GATEWAY_MODE", "CORS_ORIGINS")
    }
    env.update(
        APP_ENV="development",
        PORT=str(port),
        HOST="127.0.0.1",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        SEED_DEMO_DATA="false",
        RATE_LIMITS_ENABLED="false",
        WEB_WORKERS="1",
        WEB_THREADS="4",
        PYTHONUNBUFFERED="1",
    )
    return env


def start(name, store_uri=None, **settings):
    port = free_port()
    env = dict(server_env(port), **settings)
    if store_uri:
        env.update(MONGODB_URI=store_uri, MONGODB_DB=f"limits_{port}")
    command = {
        "waitress": [sys.executable, "-m", "backend"],
        # no control socket: gunicorn's default ($HOME/.gunicorn/gunicorn.ctl) is shared
        "gunicorn": [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket"],
    }[name]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = []
    threading.Thread(target=lambda: log.extend(process.stdout), daemon=True).start()
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + STARTUP_SECONDS_MAX
    while True:
        assert process.poll() is None, "".join(log)
        try:
            if requests.get(url + HEALTH, timeout=5).status_code == 200:
                return process, {"name": name, "port": port, "url": url, "log": log}
        except (requests.ConnectionError, requests.Timeout):  # still loading the app: not up yet
            pass
        assert time.monotonic() < deadline, f"{name} did not start:\n" + "".join(log)
        time.sleep(0.1)


@pytest.fixture(scope="module", params=SERVERS)
def server(request):
    # backend.wsgi (gunicorn) refuses the embedded store: gunicorn gets a MongoDB-wire server
    uri = request.getfixturevalue("mongodb_uri") if request.param == "gunicorn" else None
    process, info = start(request.param, uri)
    try:
        yield info
    finally:
        process.terminate()
        process.wait(timeout=10)


# ---- raw HTTP ---------------------------------------------------------------------------------


def pieces(data, size):
    return [data[i : i + size] for i in range(0, len(data), size)]


def raw_request(port, method="GET", target=HEALTH, headers=(), body=b"", chunked=False):
    """Send one request as bytes (the body from a thread, as a client streaming it would; `chunked`:
    in chunks, without a length) and return (status, headers, body) of the answer."""
    lines = [f"{method} {target} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close", *headers]
    if body and chunked:
        lines.append(b"Transfer-Encoding: chunked")
        body = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in pieces(body, 64 * KiB)) + b"0\r\n\r\n"
    elif body:
        lines.append(b"Content-Length: %d" % len(body))
    head = b"\r\n".join(lines) + b"\r\n\r\n"
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)

    def send():
        try:
            sock.sendall(head)
            sock.sendall(body)
        except OSError:  # the server answered and closed before reading it all: expected
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            head_end = data.find(b"\r\n\r\n")
            if head_end >= 0:
                length = re.search(rb"(?im)^content-length:\s*(\d+)", data[:head_end])
                if length and len(data) - head_end - 4 >= int(length.group(1)):
                    break
    except ConnectionResetError:
        pass
    finally:
        sock.close()
    head_bytes, _, payload = data.partition(b"\r\n\r\n")
    assert head_bytes.startswith(b"HTTP/1."), data[:200]
    status_line, *header_lines = head_bytes.decode("latin-1").split("\r\n")
    answer_headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), answer_headers, payload


def content_type(headers):
    return headers.get("content-type", "").split(";")[0].strip()


def body(size):
    return b"x" * size


# Each case: the request, and per server who answers, with which status and code: the app or the
# server itself.
CASES = {
    "body_1.5_MiB": (
        dict(method="POST", target=WEBHOOK, body=body(3 * MiB // 2)),
        {"waitress": ("app", 413, "payload_too_large"), "gunicorn": ("app", 413, "payload_too_large")},
    ),
    "body_3_MiB": (
        dict(method="POST", target=WEBHOOK, body=body(3 * MiB)),  # over waitress's old 2 MiB
        {"waitress": ("app", 413, "payload_too_large"), "gunicorn": ("app", 413, "payload_too_large")},
    ),
    "body_1.5_MiB_chunked": (  # found by a SPEC pass: gunicorn's app read 1 MiB of it and went on
        dict(method="POST", target=WEBHOOK, body=body(3 * MiB // 2), chunked=True),
        {"waitress": ("app", 413, "payload_too_large"), "gunicorn": ("app", 413, "payload_too_large")},
    ),
    "body_32_MiB": (
        dict(method="POST", target=WEBHOOK, body=body(32 * MiB)),
        {"waitress": ("server", 413, "payload_too_large"), "gunicorn": ("app", 413, "payload_too_large")},
    ),
    "header_12_KiB": (
        dict(headers=[b"X-Big: " + b"a" * (12 * KiB)]),
        {"waitress": ("app", 431, "request_headers_too_large"), "gunicorn": ("app", 431, "request_headers_too_large")},
    ),
    "headers_20_KiB_in_3_fields": (
        dict(headers=[b"X-Big-%d: " % i + b"a" * (7 * KiB) for i in range(3)]),
        {"waitress": ("app", 431, "request_headers_too_large"), "gunicorn": ("app", 431, "request_headers_too_large")},
    ),
    "header_fields_80": (
        dict(headers=[b"X-Field-%d: 1" % i for i in range(80)]),
        {"waitress": ("app", 431, "request_headers_too_large"), "gunicorn": ("app", 431, "request_headers_too_large")},
    ),
    "header_256_KiB": (
        dict(headers=[b"X-Huge: " + b"a" * (256 * KiB)]),
        {
            "waitress": ("server", 431, "request_headers_too_large"),
            "gunicorn": ("server", 431, "request_headers_too_large"),
        },
    ),
    "target_6_KiB": (
        dict(target=HEALTH + "?q=" + "a" * (6 * KiB)),
        {"waitress": ("app", 414, "uri_too_long"), "gunicorn": ("app", 414, "uri_too_long")},
    ),
    "target_128_KiB": (
        dict(target=HEALTH + "?q=" + "a" * (128 * KiB)),
        {"waitress": ("server", 431, "request_headers_too_large"), "gunicorn": ("server", 414, "uri_too_long")},
    ),
    "control_character_in_header": (
        dict(headers=[b"X-Note: a\x01b"]),
        {"waitress": ("server", 400, "invalid_request"), "gunicorn": ("server", 400, "invalid_request")},
    ),
    "control_character_in_request_line": (
        dict(target=HEALTH + "\x01"),  # waitress passes it on
        {"waitress": ("app", 404, "not_found"), "gunicorn": ("server", 400, "invalid_request")},
    ),
    "transfer_encoding_unknown": (
        dict(method="POST", target=WEBHOOK, headers=[b"Transfer-Encoding: br"]),
        {"waitress": ("server", 501, "not_implemented"), "gunicorn": ("server", 501, "not_implemented")},
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_answer_is_the_apps_json_error_or_a_documented_server_answer(server, case):
    request, expected = CASES[case]
    status, headers, payload = raw_request(server["port"], **request)
    who, expected_status, code = expected[server["name"]]
    assert status == expected_status, (case, status, headers, payload[:300])
    assert content_type(headers) == "application/json", (case, headers, payload[:300])
    answer = json.loads(payload)
    assert answer == {"success": False, "error": code, "message": answer["message"]}, answer
    assert code in documented_error_codes()[status], f"docs/api.md's error table lacks {status} {code}"
    # SPEC §5: every response, the server's own too (found by a SPEC pass: a server's had none)
    assert re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", headers.get("x-request-id", "")), headers
    assert (headers.get("x-content-type-options"), headers.get("cache-control")) == ("nosniff", "no-store"), headers
    if who == "app":
        assert answer["message"] == HTTP_MESSAGES[status]
    else:
        assert (answer["error"], answer["message"]) == server_error(status)
        documented = (server["name"], status, content_type(headers))
        assert documented in documented_server_answers(), f"not in docs/api.md's server answers: {documented}"


def test_the_apps_answers_still_pass_through_its_after_request_hooks(server):
    """The limits are a before_request hook, not WSGI middleware: /metrics counts their answers."""

    def counted(status):
        text = requests.get(server["url"] + "/metrics", timeout=5).text
        return sum(
            float(value)
            for value in re.findall(rf'^wallet_http_requests_total{{[^}}]*status="{status}"[^}}]*}} (\S+)$', text, re.M)
        )

    before = counted(414), counted(431)
    assert raw_request(server["port"], target=HEALTH + "?q=" + "a" * (5 * KiB))[0] == 414
    assert raw_request(server["port"], headers=[b"X-Big: " + b"a" * (9 * KiB)])[0] == 431
    assert (counted(414), counted(431)) == (before[0] + 1, before[1] + 1)


def test_a_chunked_body_of_1_MiB_reaches_the_view_whole(server):
    """At the limit, not over it: the webhook reads all of it (and refuses its missing signature)."""
    status, _, payload = raw_request(server["port"], method="POST", target=WEBHOOK, body=body(MiB), chunked=True)
    assert (status, json.loads(payload)["error"]) == (400, "invalid_signature")


def test_requests_within_the_limits_are_served(server):
    fields = [b"X-Field-%d: " % i + b"a" * 200 for i in range(30)] + [b"X-Big: " + b"a" * (7 * KiB)]
    status, _, payload = raw_request(server["port"], target=HEALTH + "?q=" + "a" * (3 * KiB), headers=fields)
    assert status == 200 and json.loads(payload)["status"] == "ok"


def test_development_secret_warning_is_logged_by_every_server(server):
    log = "".join(server["log"])
    warnings = [line for line in log.splitlines() if "JWT_SECRET is the development default" in line]
    assert warnings and all("WARNING" in line for line in warnings), log
    if server["name"] == "waitress":  # gunicorn refuses the embedded store (test_gunicorn_workers.py)
        assert any("WARNING" in line and "EMBEDDED STORE" in line for line in log.splitlines()), log
    assert DEV_JWT_SECRET not in log


# ---- the numbers, without servers ----------------------------------------------------------


def test_documented_server_answers_cover_both_servers():
    answers = documented_server_answers()
    for name in SERVERS:
        for _request, expected in CASES.values():
            if expected[name][0] == "server":
                assert (name, expected[name][1], "application/json") in answers


def test_servers_limits_sit_above_the_apps():
    headers_max = http_limits.REQUEST_TARGET_BYTES_MAX + http_limits.HEADERS_TOTAL_BYTES_MAX
    assert cli.WAITRESS_BODY_BYTES_MAX > BODY_SIZE_MAX_BYTES
    assert cli.WAITRESS_HEADER_BYTES_MAX > headers_max
    conf = runpy.run_path(os.path.join(ROOT, "gunicorn.conf.py"))
    assert conf["wsgi_app"] == "backend.wsgi:app" and conf["worker_class"] == "gthread"
    assert conf["limit_request_line"] > http_limits.REQUEST_TARGET_BYTES_MAX + len("OPTIONS  HTTP/1.1")
    assert conf["limit_request_field_size"] > http_limits.HEADER_FIELD_BYTES_MAX + len("\r\n")
    assert conf["limit_request_fields"] > http_limits.HEADER_FIELDS_MAX
    assert (HTTP_CODES[414], HTTP_CODES[431]) == ("uri_too_long", "request_headers_too_large")
    assert f"{http_limits.REQUEST_TARGET_BYTES_MAX // KiB} KiB" in HTTP_MESSAGES[414]
    for number in (http_limits.HEADER_FIELD_BYTES_MAX // KiB, http_limits.HEADERS_TOTAL_BYTES_MAX // KiB):
        assert f"{number} KiB" in HTTP_MESSAGES[431]
    assert f"{http_limits.HEADER_FIELDS_MAX} fields" in HTTP_MESSAGES[431]


def test_gunicorn_conf_reads_bind_and_workers_from_the_environment(monkeypatch):
    for name in ("HOST", "PORT", "WEB_WORKERS", "WEB_THREADS"):
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(os.path.join(ROOT, "gunicorn.conf.py"))
    assert (conf["bind"], conf["workers"], conf["threads"], conf["timeout"]) == ("0.0.0.0:5000", 4, 8, 30)
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "8001")
    monkeypatch.setenv("WEB_WORKERS", "2")
    monkeypatch.setenv("WEB_THREADS", "3")
    conf = runpy.run_path(os.path.join(ROOT, "gunicorn.conf.py"))
    assert (conf["bind"], conf["workers"], conf["threads"]) == ("127.0.0.1:8001", 2, 3)


def test_behind_a_trusted_proxy_waitress_passes_the_client_address_on_to_the_rate_limits():
    """With TRUSTED_PROXY_COUNT=1 the money POSTs count per X-Forwarded-For client, not per proxy."""
    process, info = start("waitress", TRUSTED_PROXY_COUNT="1", RATE_LIMITS_ENABLED="true")
    try:
        url = info["url"] + "/api/integration/order/pay-with-wallet"

        def pay_from(client_address):
            return requests.post(url, json={}, headers={"X-Forwarded-For": client_address}, timeout=10).status_code

        first_client = [pay_from("203.0.113.7") for _ in range(31)]
        assert first_client[:30].count(429) == 0 and first_client[30] == 429
        assert pay_from("198.51.100.9") != 429  # another client behind the same proxy
    finally:
        process.terminate()
        process.wait(timeout=10)
