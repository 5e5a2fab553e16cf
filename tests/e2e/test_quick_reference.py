"""docs/quick-reference.md, executed: every example against a real `python -m backend`.

The document is read as a sequence of examples. Each ```sh block is run, in order, in one bash
session (as a person pastes them into one terminal: shell variables carry from one block to the
next), from the repository root, with `python` on PATH being this interpreter. The block right after
an example, if it is an ```http or ```text block, is its documented answer:

- ```http: the status line, optionally header lines (`Name: value`), a blank line and the body. The
  example prints the response with `curl -si`; its status line must be the documented one, each
  documented header must be there, and the body must match (JSON: below; text: line by line).
- ```text: the example's output (stdout and stderr); each documented line must appear, in order.
- no answer block: a set-up step; it must finish with status 0.

Matching: in text lines and JSON strings `<anything>` stands for a value that varies (an id, a time, a
token) and `…` for elided text; a JSON string that is only a placeholder matches any value. JSON
objects: every documented field must be there, and no other unless a `"…"` field marks fields left out; lists: item by
item, a last item `"…"` allows more; numbers, booleans and null: equal. Blank documented lines are
skipped. `127.0.0.1:5000` in an answer is the port the block's server really listens on.

An example preceded by `<!-- quick-reference: background -->` is a server: it runs in its own
process with a free PORT until its documented output has appeared. The first one is the server every
other example talks to (its PORT is the session's), stopped at the end; later ones are stopped as
soon as their output has matched.
"""

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "quick-reference.md")
JWT_SECRET = "quick-reference-secret-0123456789-0123456789"
DOC_HOST_PORT = "127.0.0.1:5000"
BACKGROUND_MARK = "<!-- quick-reference: background -->"
BLOCK = re.compile(r"^```(\w+)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
STATUS_LINE = re.compile(r"^HTTP/[\d.]+ \d{3}\b")
PLACEHOLDER = re.compile(r"<[^<>\n]*>|…")
EXAMPLE_SECONDS_MAX = 30
SERVER_START_SECONDS_MAX = 30
# Settings of the app that a developer's shell may hold: the server and the examples run without them.
APP_SETTING_PREFIXES = (
    "MONGODB_",
    "JWT_",
    "RAZORPAY_",
    "PAYPAL_",
    "GOOGLE_PAY_",
    "SIMULATOR_",
    "GATEWAY_",
    "RATE_LIMIT",
    "SWEEP_",
    "WORKER_",
    "RECOVER",
    "WHATSAPP_",
    "OUTBOX_",
    "AUDIT_",
    "WEBHOOK_EVENT_",
)
APP_SETTINGS = (
    "APP_ENV",
    "HOST",
    "PORT",
    "PUBLIC_BASE_URL",
    "CHECKOUT_RETURN_URL",
    "SEED_DEMO_DATA",
    "LOG_FILE",
    "CORS_ORIGINS",
    "DEFAULT_CURRENCY",
    "TRUSTED_PROXY_COUNT",
    "PROMETHEUS_MULTIPROC_DIR",
    "SERVER",
    "BASE",
    "TOKEN",
    "ADMIN",
)


# --- the document --------------------------------------------------------------------------------
def examples(text):
    """[(kind, code, answer kind or None, answer or None, background)] in document order."""
    blocks = [(m.group(1), m.group(2), m.start(), m.end()) for m in BLOCK.finditer(text)]
    found, index = [], 0
    while index < len(blocks):
        kind, code, start, _ = blocks[index]
        index += 1
        if kind != "sh":
            continue
        background = text[:start].rstrip().endswith(BACKGROUND_MARK)
        answer_kind = answer = None
        if index < len(blocks) and blocks[index][0] in ("http", "text"):
            answer_kind, answer = blocks[index][0], blocks[index][1]
            index += 1
        found.append((kind, code, answer_kind, answer, background))
    return found


def pattern(documented, port):
    """A regex for one documented text: placeholders match anything."""
    documented = documented.replace(DOC_HOST_PORT, f"127.0.0.1:{port}")
    parts, last = [], 0
    for match in PLACEHOLDER.finditer(documented):
        parts.append(re.escape(documented[last : match.start()]))
        parts.append(".*?" if match.group() == "…" else ".+?")
        last = match.end()
    parts.append(re.escape(documented[last:]))
    return re.compile("".join(parts), re.S)


def lines_in_order(documented_lines, real_lines, port):
    """The documented lines (blank ones skipped) that do not appear in `real_lines` in order."""
    missing, position = [], 0
    for line in documented_lines:
        if not line.strip():
            continue
        regex = pattern(line.rstrip(), port)
        for offset, real in enumerate(real_lines[position:]):
            if regex.fullmatch(real.rstrip("\r\n ")):
                position += offset + 1
                break
        else:
            missing.append(line)
    return missing


def json_mismatches(documented, real, port, where="body"):
    """Differences between a documented JSON answer and the real one (see the module docstring)."""
    if isinstance(documented, str):
        if PLACEHOLDER.fullmatch(documented):
            return []
        if not isinstance(real, str) or not pattern(documented, port).fullmatch(real):
            return [f"{where}: documented {documented!r}, got {real!r}"]
        return []
    if isinstance(documented, dict):
        if not isinstance(real, dict):
            return [f"{where}: documented an object, got {real!r}"]
        problems = []
        if "…" not in documented and set(real) - set(documented):
            left_out = sorted(set(real) - set(documented))
            problems.append(f'{where}: fields {left_out} left out without a "…": "…" field')
        for key, value in documented.items():
            if key == "…":
                continue
            if key not in real:
                problems.append(f"{where}.{key}: missing (got fields {sorted(real)})")
            else:
                problems += json_mismatches(value, real[key], port, f"{where}.{key}")
        return problems
    if isinstance(documented, list):
        if not isinstance(real, list):
            return [f"{where}: documented a list, got {real!r}"]
        more = bool(documented) and documented[-1] == "…"
        items = documented[:-1] if more else documented
        if len(real) < len(items) or (not more and len(real) != len(items)):
            return [f"{where}: documented {len(items)} item(s){' or more' if more else ''}, got {len(real)}"]
        problems = []
        for number, (item, real_item) in enumerate(zip(items, real, strict=False)):
            problems += json_mismatches(item, real_item, port, f"{where}[{number}]")
        return problems
    if isinstance(documented, bool) or documented is None or isinstance(real, bool):
        return [] if documented is real else [f"{where}: documented {documented!r}, got {real!r}"]
    if isinstance(documented, (int, float)) and isinstance(real, (int, float)) and documented == real:
        return []
    return [f"{where}: documented {documented!r}, got {real!r}"]


def split_http(text):
    """(status line, {header name: value}, body) of an HTTP answer: a status line, headers, blank, body."""
    lines = text.replace("\r\n", "\n").split("\n")
    start = next((n for n, line in enumerate(lines) if STATUS_LINE.match(line)), None)
    if start is None:
        return None, {}, ""
    headers, index = {}, start + 1
    while index < len(lines) and lines[index].strip():
        name, _, value = lines[index].partition(":")
        headers[name.strip().lower()] = value.strip()
        index += 1
    return lines[start].strip(), headers, "\n".join(lines[index + 1 :]).strip()


def http_mismatches(documented, output, port):
    doc_status, doc_headers, doc_body = split_http(documented)
    assert doc_status, f"documented answer without a status line:\n{documented}"
    status, headers, body = split_http(output)
    if status is None:
        return [f"no HTTP status line in the output:\n{output}"]
    problems = [] if status == doc_status else [f"status: documented {doc_status!r}, got {status!r}"]
    for name, value in doc_headers.items():
        if name not in headers:
            problems.append(f"header {name}: missing")
        elif not pattern(value, port).fullmatch(headers[name]):
            problems.append(f"header {name}: documented {value!r}, got {headers[name]!r}")
    if not doc_body:
        return problems
    try:
        documented_json = json.loads(doc_body)
    except ValueError:
        missing = lines_in_order(doc_body.split("\n"), body.split("\n"), port)
        return problems + [f"body line not found (in order): {line!r}" for line in missing]
    try:
        real_json = json.loads(body)
    except ValueError:
        return problems + [f"body is not JSON: {body[:500]!r}"]
    return problems + json_mismatches(documented_json, real_json, port)


# --- running ------------------------------------------------------------------------------------------
def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_env(bin_dir, port):
    env = {k: v for k, v in os.environ.items() if k not in APP_SETTINGS and not k.startswith(APP_SETTING_PREFIXES)}
    env.update(
        PATH=bin_dir + os.pathsep + env.get("PATH", ""),
        APP_ENV="development",
        JWT_SECRET=JWT_SECRET,
        PORT=str(port),
        PYTHONUNBUFFERED="1",
        LC_ALL="C.UTF-8",
    )
    return env


class Lines:
    """A process's output lines, read in a thread."""

    def __init__(self, stream):
        self.lines, self.queue = [], queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line)
            self.queue.put(line)
        self.queue.put(None)

    def next(self, deadline):
        try:
            return self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return TimeoutError


class Background:
    """A documented server: bash running the example in its own process group."""

    def __init__(self, code, env):
        self.process = subprocess.Popen(
            ["bash", "-c", code],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output = Lines(self.process.stdout)

    def wait_for(self, answer, port, seconds):
        """Read output until every documented line has appeared in order; the lines missing."""
        deadline = time.monotonic() + seconds
        while True:
            missing = lines_in_order(answer.split("\n"), list(self.output.lines), port)
            if not missing:
                return []
            line = self.output.next(deadline)
            if line is None or line is TimeoutError:
                return lines_in_order(answer.split("\n"), list(self.output.lines), port)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


class Shell:
    """One bash session: each example is sourced in it, so its variables stay for the next."""

    def __init__(self, env, workdir):
        self.workdir = workdir
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output = Lines(self.process.stdout)
        self.count = 0

    def run(self, code):
        """(output, exit status) of one example."""
        self.count += 1
        path = os.path.join(self.workdir, f"example_{self.count}.sh")
        with open(path, "w") as script:
            script.write(code)
        marker = f"__quick_reference_done_{self.count}__"
        self.process.stdin.write(f"source '{path}' < /dev/null\nprintf '\\n{marker} %s\\n' \"$?\"\n")
        self.process.stdin.flush()
        deadline, lines = time.monotonic() + EXAMPLE_SECONDS_MAX, []
        while True:
            line = self.output.next(deadline)
            if line is TimeoutError or line is None:
                raise AssertionError(f"example did not finish:\n{code}\noutput so far:\n{''.join(lines)}")
            if line.startswith(marker):
                return "".join(lines), int(line.split()[1])
            lines.append(line)

    def close(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)


@pytest.fixture
def bin_dir():
    """A directory whose `python` is this interpreter (the document's `python`: the virtualenv's)."""
    with tempfile.TemporaryDirectory(prefix="quick-reference-") as directory:
        os.makedirs(os.path.join(directory, "bin"))
        wrapper = os.path.join(directory, "bin", "python")
        with open(wrapper, "w") as script:  # not a symlink: a virtualenv's python finds its packages by its path
            script.write(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        os.chmod(wrapper, 0o755)
        yield directory


def test_every_example_of_the_quick_reference_gives_its_documented_answer(bin_dir):
    with open(DOC, encoding="utf-8") as doc:
        found = examples(doc.read())
    assert len(found) >= 30, f"only {len(found)} examples found in {DOC}"
    port = free_port()
    env = session_env(os.path.join(bin_dir, "bin"), port)
    servers, shell, failures = [], None, []
    try:
        for number, (_, code, answer_kind, answer, background) in enumerate(found, 1):
            title = f"example {number}:\n{code}"
            if background:
                server_port = port if not servers else free_port()
                server = Background(code, dict(env, PORT=str(server_port)))
                servers.append(server)
                assert answer_kind == "text", f"{title}\na server example needs a ```text answer"
                missing = server.wait_for(answer, server_port, SERVER_START_SECONDS_MAX)
                log = "".join(server.output.lines)
                assert not missing, f"{title}\ndocumented lines not in its output: {missing}\noutput:\n{log}"
                if len(servers) > 1:
                    server.stop()
                continue
            assert servers, f"{title}\nan example before the server was started"
            if shell is None:
                shell = Shell(env, bin_dir)
            output, status = shell.run(code)
            if answer_kind is None:
                assert status == 0, f"{title}\nset-up step exited {status}:\n{output}"
                continue
            if answer_kind == "http":
                problems = http_mismatches(answer, output, port)
            else:
                problems = [
                    f"line not found (in order): {line!r}"
                    for line in lines_in_order(answer.split("\n"), output.split("\n"), port)
                ]
            if problems:
                failures.append(f"{title}\n" + "\n".join(problems) + f"\n--- output:\n{output}")
        assert not failures, "\n\n".join(failures)
        main = servers[0]
        assert main.process.poll() is None, "the server stopped:\n" + "".join(main.output.lines)
    finally:
        if shell is not None:
            shell.close()
        for server in servers:
            server.stop()


# --- the matching rules themselves (no server) ---------------------------------------------------------
def test_a_documented_json_answer_checks_fields_and_literal_values():
    documented = {
        "success": True,
        "id": "<id>",
        "url": "http://127.0.0.1:5000/x/<id>",
        "amount": 500.0,
        "wallet": {"balance": 1.0, "…": "…"},
        "items": [{"kind": "topup"}, "…"],
        "drift": [],
    }
    real = {
        "success": True,
        "id": "order_1",
        "url": "http://127.0.0.1:8123/x/order_1",
        "amount": 500,
        "wallet": {"balance": 1.0, "currency": "INR"},
        "items": [{"kind": "topup"}, {"kind": "refund"}],
        "drift": [],
    }
    assert json_mismatches(documented, real, 8123) == []
    assert json_mismatches(documented, dict(real, extra=1), 8123)  # a field left out needs a "…" field
    assert json_mismatches(dict(documented, **{"…": "…"}), dict(real, extra=1), 8123) == []
    assert json_mismatches(documented, dict(real, wallet={"balance": 1.0, "currency": "INR", "held": 0}), 8123) == []
    assert json_mismatches(documented, dict(real, success=False), 8123)
    assert json_mismatches(documented, dict(real, amount=501), 8123)
    assert json_mismatches(documented, dict(real, url="http://127.0.0.1:5000/x/order_1"), 8123)
    assert json_mismatches(documented, dict(real, drift=[{"wallet": "w"}]), 8123)
    assert json_mismatches(documented, dict(real, items=[{"kind": "payment"}]), 8123)
    assert json_mismatches(documented, {k: v for k, v in real.items() if k != "id"}, 8123)


def test_documented_lines_must_appear_in_order():
    real = ["2026-01-01 INFO a [-] serving on http://127.0.0.1:8123", "token: abc.def", "done"]
    assert lines_in_order(["… serving on http://127.0.0.1:5000", "", "token: <token>", "done"], real, 8123) == []
    assert lines_in_order(["done", "token: <token>"], real, 8123) == ["token: <token>"]
    assert lines_in_order(["token: abc"], real, 8123) == ["token: abc"]


def test_the_document_pairs_every_http_example_with_its_answer():
    with open(DOC, encoding="utf-8") as doc:
        found = examples(doc.read())
    answered = [code for _, code, kind, _, _ in found if kind == "http"]
    for path in (
        "/health",
        "/metrics",
        "/wallet/topup/initiate",
        "/wallet/topup/verify",
        "/order/pay-with-wallet",
        "/order/refund-to-wallet",
        "/webhook/razorpay",
        "/webhook/paypal",
        "/webhook/google-pay",
        "/status/cust_demo",
        "/orders?",
        "/transactions",
        "/statement.csv",
        "/wallet/topup/$PAYMENT_ORDER_ID/status",
        '/support/customers/cust_demo"',
        "/support/customers/cust_demo/reconcile",
    ):
        assert any(path in code for code in answered), f"no answered example for {path}"
    commands = " ".join(code for _, code, _, _, _ in found if "-m backend" in code)
    for command in ("--help", "serve", "worker", "recover", "reconcile"):
        assert f"-m backend {command}" in commands, command
