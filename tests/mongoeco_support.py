"""A MongoDB-wire server for tests that run several processes (gunicorn workers) on one store.

`mongodb_uri` (fixture): MONGODB_URI when it already names a MongoDB server, else mongoeco's
wire-compatible server (scripts/mongoeco_server.py) started on a free port with `.venv-eco`'s
Python, made the way scripts/test_real_driver.sh makes it (a Python >= 3.13 from ECO_PYTHON or
pyenv). Skips, printing why, only when no such Python exists (or .venv-eco cannot be made).
"""

import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ECO_VENV = os.path.join(ROOT, ".venv-eco")
ECO_PYTHON = os.path.join(ECO_VENV, "bin", "python")
SCRIPT = os.path.join(ROOT, "scripts", "test_real_driver.sh")
SERVER = os.path.join(ROOT, "scripts", "mongoeco_server.py")
START_SECONDS_MAX = 20


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_python():
    """A Python >= 3.13 to make .venv-eco with: ECO_PYTHON, else pyenv's newest 3.13+."""
    if os.environ.get("ECO_PYTHON"):
        return os.environ["ECO_PYTHON"]
    pyenv = shutil.which("pyenv")
    if not pyenv:
        return None
    root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
    found = sorted(glob.glob(os.path.join(root, "versions", "3.1[3-9]*", "bin", "python")))
    return found[-1] if found else None


def eco_python():
    """(.venv-eco's python, None) or (None, why not). Pins come from scripts/test_real_driver.sh."""
    if os.access(ECO_PYTHON, os.X_OK):
        return ECO_PYTHON, None
    python = base_python()
    if not python:
        return None, "no Python >= 3.13 for mongoeco (set ECO_PYTHON, or install one with pyenv)"
    with open(SCRIPT, encoding="utf-8") as handle:
        pins = re.findall(r"\b(?:mongoeco|pymongo)==[\w.]+", handle.read())
    made = subprocess.run([python, "-m", "venv", ECO_VENV], capture_output=True, text=True)
    if made.returncode == 0:
        made = subprocess.run([ECO_PYTHON, "-m", "pip", "install", "--quiet", *pins], capture_output=True, text=True)
    if made.returncode != 0:
        shutil.rmtree(ECO_VENV, ignore_errors=True)
        return None, f"could not make .venv-eco with {python}: {made.stderr[-500:]}"
    return ECO_PYTHON, None


def skip(reason):
    print(f"SKIPPED: {reason}", file=sys.stderr)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def mongodb_uri():
    configured = os.environ.get("MONGODB_URI", "")
    if configured.startswith(("mongodb://", "mongodb+srv://")):
        yield configured
        return
    python, why_not = eco_python()
    if python is None:
        skip(why_not)
    port = free_port()
    process = subprocess.Popen([python, SERVER, str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, line = time.monotonic() + START_SECONDS_MAX, ""
        while "mongodb://" not in line:
            line = process.stdout.readline()
            if (not line and process.poll() is not None) or time.monotonic() > deadline:
                pytest.fail(f"mongoeco's server did not start (exit status {process.poll()})")
        yield f"mongodb://127.0.0.1:{port}/?directConnection=true"
    finally:
        process.terminate()
        process.wait(timeout=10)
