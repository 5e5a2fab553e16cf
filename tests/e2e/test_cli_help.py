"""`python -m backend [COMMAND] --help` / `-h` print usage and exit 0 having done nothing: no store
reached, nothing served or recovered; an unknown command or option prints usage and exits 2."""

import os
import socket
import subprocess
import sys

import pytest

from backend import __main__ as cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMANDS = ("serve", "worker", "recover", "reconcile")
RUN_SECONDS_MAX = 20


def run(*args, env=None):
    environment = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "APP_ENV", "JWT_SECRET")}
    environment.update(env or {})
    try:
        return subprocess.run(
            [sys.executable, "-m", "backend", *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=RUN_SECONDS_MAX,
        )
    except subprocess.TimeoutExpired as timeout:  # e.g. `serve --help` serving instead of answering
        pytest.fail(
            f"`python -m backend {' '.join(args)}` still running after {RUN_SECONDS_MAX} s: "
            f"{timeout.stdout!r} {timeout.stderr!r}"
        )


@pytest.fixture
def store_that_must_not_be_reached():
    """MONGODB_URI names a port this test listens on: any attempt to reach the store shows as a connection."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        app_port = free_port()
        yield {
            "MONGODB_URI": f"mongodb://127.0.0.1:{port}/?serverSelectionTimeoutMS=2000",
            "PORT": str(app_port),
            "HOST": "127.0.0.1",
        }
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return
        connection.close()
        pytest.fail("the command connected to MONGODB_URI's store")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_the_usage_to_stdout_and_exits_zero(flag, store_that_must_not_be_reached):
    result = run(flag, env=store_that_must_not_be_reached)
    assert result.returncode == 0, result.stderr
    assert result.stdout == cli.build_parser().format_help()
    assert result.stdout.startswith("usage: python -m backend")
    for command in COMMANDS:
        assert f"\n  {command} " in result.stdout, command
    assert result.stderr == ""


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("command", COMMANDS)
def test_every_commands_help_prints_its_usage_and_does_nothing(command, flag, store_that_must_not_be_reached):
    result = run(command, flag, env=store_that_must_not_be_reached)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"usage: python -m backend {command}"), result.stdout
    assert cli.COMMANDS[command].description in " ".join(result.stdout.split())
    assert result.stderr == ""  # no warnings, no log lines: nothing was built


def test_unknown_command_prints_the_usage_to_stderr_and_exits_two():
    result = run("frobnicate")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: python -m backend")
    assert "invalid choice: 'frobnicate'" in result.stderr


@pytest.mark.parametrize(
    "args, usage",
    [
        (["--frobnicate"], "usage: python -m backend [-h] [COMMAND [-h]]"),
        (["recover", "--frobnicate"], "usage: python -m backend recover "),  # the command's usage
        (["reconcile", "now"], "usage: python -m backend reconcile "),
        (["serve", "-x"], "usage: python -m backend serve "),
        (["worker", "--bogus"], "usage: python -m backend worker "),
        (["settle", "--gateway", "razorpay", "--date", "2026-01-01", "--extra"], "usage: python -m backend settle "),
    ],
)
def test_unknown_option_prints_the_usage_to_stderr_exits_two_and_does_nothing(
    args, usage, store_that_must_not_be_reached
):
    result = run(*args, env=store_that_must_not_be_reached)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(usage), result.stderr
    assert "unrecognized arguments" in result.stderr
