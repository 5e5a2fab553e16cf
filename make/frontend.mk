# Web page and browser test. Included by the top-level Makefile, which provides
# PY (the virtualenv python with the backend's requirements) and a `venv` target.

FRONTEND_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
FRONTEND_DIR := $(FRONTEND_ROOT)/frontend
NPM ?= npm
CHROMIUM ?= /usr/bin/chromium
PY ?= .venv/bin/python

.PHONY: frontend-install frontend-build frontend-test browser-deps browser-test screenshot

# Reinstall only when package.json or the lock file changed since the last install.
$(FRONTEND_DIR)/node_modules/.installed: $(FRONTEND_DIR)/package.json $(wildcard $(FRONTEND_DIR)/package-lock.json)
	cd $(FRONTEND_DIR) && if [ -f package-lock.json ]; then $(NPM) ci --no-audit --no-fund; else $(NPM) install --no-audit --no-fund; fi
	touch $@

frontend-install: $(FRONTEND_DIR)/node_modules/.installed

frontend-build: frontend-install
	cd $(FRONTEND_DIR) && $(NPM) run build

frontend-test: frontend-install
	cd $(FRONTEND_DIR) && $(NPM) test

browser-deps:
	@if [ -x $(CHROMIUM) ]; then echo "chromium: $(CHROMIUM)"; else \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium; fi

browser-test: frontend-build browser-deps venv
	cd $(FRONTEND_ROOT) && PY="$(PY)" CHROMIUM="$(CHROMIUM)" node --test tests/browser/

# Not part of `make test`: regenerate README's docs/screenshot-wallet.png (a tracked file) on purpose.
screenshot: frontend-build browser-deps venv
	cd $(FRONTEND_ROOT) && WALLET_SCREENSHOT=1 PY="$(PY)" CHROMIUM="$(CHROMIUM)" node --test tests/browser/wallet.test.mjs
