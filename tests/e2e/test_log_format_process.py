"""LOG_FORMAT in real processes: `python -m backend` with `json` writes only JSON lines (waitress's
and the worker thread's included), a request's lines carrying its id; a value other than text or
json stops `python -m backend`, its worker and gunicorn's app (backend.wsgi) with one line."""

import json
import subprocess
import sys
import threading
import time

import pytest
import requests

from tests.e2e.test_server_process import ROOT, STARTUP_SECONDS_MAX, free_port, server_env

WEBHOOK = "/api/integration/webhook/razorpay"


def json_server(port):
    env = dict(server_env(port), LOG_FORMAT="json", SEED_DEMO_DATA="false", LOG_FILE="")
    return subprocess.Popen(
        [sys.executable, "-m", "backend"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(lines, words, process):
    deadline = time.monotonic() + STARTUP_SECONDS_MAX
    while not any(words in line for line in list(lines)):
        assert process.poll() is None and time.monotonic() < deadline, "".join(lines)
        time.sleep(0.05)


def test_json_log_lines_from_a_serving_process():
    port = free_port()
    process = json_server(port)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)
    reader.start()
    try:
        wait_for(lines, "Serving on", process)
        response = requests.post(
            f"http://127.0.0.1:{port}{WEBHOOK}",
            data=b'{"event": "payment.captured"}',
            headers={"X-Request-ID": "trace-json-e2e", "X-Razorpay-Signature": "0" * 64},
            timeout=10,
        )
        assert response.status_code == 400 and response.headers["X-Request-ID"] == "trace-json-e2e"
        wait_for(lines, "webhook.rejected", process)
    finally:
        process.terminate()
        process.wait(timeout=10)
        reader.join(timeout=5)
    parsed = [json.loads(line) for line in lines if line.strip()]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(parsed[0])
    (serving,) = [line for line in parsed if line["logger"] == "waitress" and "Serving on" in line["message"]]
    assert "request_id" not in serving  # logged outside any request
    rejected = [line for line in parsed if line.get("event") == "webhook.rejected"]
    assert len(rejected) == 1 and rejected[0]["request_id"] == "trace-json-e2e", rejected
    assert rejected[0]["level"] == "WARNING" and rejected[0]["gateway"] == "razorpay"


@pytest.mark.parametrize(
    "command, status",
    [(["-m", "backend"], 2), (["-m", "backend", "worker"], 2), (["-c", "import backend.wsgi"], 4)],
    ids=["serve", "worker", "gunicorn app"],
)
def test_another_log_format_stops_each_process_with_one_line(command, status):
    env = dict(
        server_env(free_port()), LOG_FORMAT="logfmt", MONGODB_URI="mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=1"
    )
    done = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == status, done.stdout + done.stderr
    assert done.stderr == "error: LOG_FORMAT must be exactly text or json, not 'logfmt'.\n"
    assert done.stdout == ""
