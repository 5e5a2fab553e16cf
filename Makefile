# `make run` serves the API and web page; `make test` runs every test. Both set themselves up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-python test-real-driver fuzz venv clean

venv: $(STAMP)

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

-include make/frontend.mk

run: venv $(if $(wildcard make/frontend.mk),frontend-build)
	$(PY) -m backend

test-python: venv
	$(PY) -m pytest -q tests/unit tests/integration tests/e2e

# The same integration tests through the real pymongo driver against a wire-compatible server.
test-real-driver: venv
	scripts/test_real_driver.sh

test: test-python test-real-driver $(if $(wildcard make/frontend.mk),frontend-test browser-test)

# Not part of `make test`: schemathesis generates requests from docs/openapi.yaml (about 20 s).
fuzz: venv
	scripts/fuzz_api.sh

clean:
	rm -rf $(VENV) .venv-eco .venv-fuzz frontend/node_modules frontend/dist
