"""WSGI entry point for gunicorn (`gunicorn -c gunicorn.conf.py`, i.e. `backend.wsgi:app`): the
app plus its outbox worker; warns, as `python -m backend` does, about an embedded store or the
development JWT secret."""
from . import create_app
from .__main__ import warn_about_setup
from .notifications import start_outbox_worker

app = create_app()
warn_about_setup(app.config)
start_outbox_worker(app.extensions["integration"].outbox)
