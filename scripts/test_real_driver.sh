#!/usr/bin/env bash
# Run the integration tests through the real pymongo driver against mongoeco's wire-compatible
# server (no mongod can be installed here). Needs Python >= 3.13 (pyenv's 3.13 when present).
set -euo pipefail
cd "$(dirname "$0")/.."
eco_python="${ECO_PYTHON:-}"
if [ -z "$eco_python" ] && command -v pyenv >/dev/null; then
  eco_python=$(ls -d "$(pyenv root)"/versions/3.1[3-9]*/bin/python 2>/dev/null | tail -n 1 || true)
fi
if [ -z "$eco_python" ]; then
  echo "test-real-driver: NOT RUN (no Python >= 3.13 found; set ECO_PYTHON)" >&2
  exit 0
fi
if [ ! -x .venv-eco/bin/python ]; then
  "$eco_python" -m venv .venv-eco
  .venv-eco/bin/pip install --quiet mongoeco==4.11.0 pymongo==4.20.1
fi
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
.venv-eco/bin/python scripts/mongoeco_server.py "$port" > .venv-eco/server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q mongodb:// .venv-eco/server.log && break; sleep 0.2; done
MONGODB_URI="mongodb://127.0.0.1:$port/?directConnection=true" make --no-print-directory test-mongodb
