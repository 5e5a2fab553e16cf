"""WSGI entry point for gunicorn (`gunicorn -c gunicorn.conf.py`, i.e. `backend.wsgi:app`): the
app alone: the background work (recovery, outbox, sweep) runs in `python -m backend worker`, never in
a web process. It warns, as `python -m backend` does, about the development JWT secret.

It refuses the embedded (mongomock) store: that store lives inside one process, so each gunicorn
worker would keep its own wallets and orders, and a request would see whichever worker answered.
"""
from . import create_app
from .__main__ import warn_about_setup
from .config import load_config
from .errors import ConfigError

EMBEDDED_STORE_REFUSAL = (
    "backend.wsgi (gunicorn) refuses the embedded mongomock store: every worker process would keep "
    "its own copy of the data. Use `python -m backend` (one process) for the embedded store, or set "
    "MONGODB_URI=mongodb://... to a MongoDB server shared by all workers.")


def check_shared_store(config):
    """Raise ConfigError unless `config` points at a store every process shares (a MongoDB server)."""
    if config["EMBEDDED_STORE"]:
        raise ConfigError(EMBEDDED_STORE_REFUSAL)


def load_app():
    check_shared_store(load_config())  # before create_app: nothing is built (or seeded) on refusal
    app = create_app()
    warn_about_setup(app.config)
    return app


app = load_app()
