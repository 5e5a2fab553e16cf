"""WSGI entry point for gunicorn (`gunicorn -c gunicorn.conf.py`, i.e. `backend.wsgi:app`): the
app alone: the background work (recovery, outbox, sweep) runs in `python -m backend worker`, never in
a web process. It warns, as `python -m backend` does, about the development JWT secret.

It refuses the embedded (mongomock) store: that store lives inside one process, so each gunicorn
worker would keep its own wallets and orders, and a request would see whichever worker answered.
gunicorn's master checks that once before starting workers (backend/wsgi_preflight.py); here again,
for any other way of loading the app: a refusal (that one, or any configuration `create_app`
refuses) is one line on stderr, no traceback, and exit status 4, gunicorn's "App failed to load".
"""

import sys

from . import create_app, warn_about_setup
from .config import load_config
from .errors import ConfigError
from .wsgi_preflight import APP_LOAD_ERROR_EXIT_STATUS, check_shared_store


def load_app():
    check_shared_store(load_config())  # before create_app: nothing is built (or seeded) on refusal
    app = create_app()
    warn_about_setup(app.config)
    return app


try:
    app = load_app()
except ConfigError as refusal:
    print(f"error: {refusal}", file=sys.stderr, flush=True)
    sys.exit(APP_LOAD_ERROR_EXIT_STATUS)
