#!/usr/bin/env bash
# Property-based API fuzzing with schemathesis from docs/openapi.yaml against `python -m backend`
# on a free port: no 5xx, and every response matches the documented status, type and schema.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv-fuzz/bin/schemathesis ]; then
  python3 -m venv .venv-fuzz
  .venv-fuzz/bin/pip install --quiet schemathesis==4.32.5
fi
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
PORT=$port PUBLIC_BASE_URL=http://127.0.0.1:$port RATE_LIMITS_ENABLED=false .venv/bin/python -m backend > "$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 50); do grep -q "Admin token" "$log" && break; sleep 0.2; done
token=$(grep -o "Admin token (refunds): [A-Za-z0-9._-]*" "$log" | awk '{print $4}')
.venv-fuzz/bin/schemathesis run docs/openapi.yaml --url "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $token" --max-examples "${FUZZ_EXAMPLES:-60}" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
