"""`python -m backend --help` / `-h` print the usage and exit 0; an unknown command exits 2."""
import os
import subprocess
import sys

import pytest

from backend import __main__ as cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args):
    return subprocess.run([sys.executable, "-m", "backend", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=30)


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_the_usage_to_stdout_and_exits_zero(flag):
    result = run(flag)
    assert result.returncode == 0, result.stderr
    assert result.stdout == cli.__doc__
    assert result.stdout.startswith("usage: python -m backend")
    for command in ("serve", "recover", "reconcile"):
        assert f"\n{command} " in result.stdout
    assert result.stderr == ""


def test_unknown_command_prints_the_usage_to_stderr_and_exits_two():
    result = run("frobnicate")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "unknown command 'frobnicate'" in result.stderr and cli.__doc__ in result.stderr
