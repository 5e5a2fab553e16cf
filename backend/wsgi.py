"""WSGI entry point for gunicorn (`gunicorn 'backend.wsgi:app'`): the app plus its outbox worker."""
from . import create_app
from .notifications import start_outbox_worker

app = create_app()
start_outbox_worker(app.extensions["integration"].outbox)
