"""What gunicorn's master checks once, before it binds or starts a worker (gunicorn.conf.py runs
`python -m backend.wsgi_preflight` in a child process, so that the master itself imports no app
code): the configuration loads, and names a store every process shares. A refusal is one line on
stderr and exit status 4; every worker refusing on its own would print a traceback instead (gunicorn
raises while halting when several workers fail to load at once)."""

import sys

from .config import load_config
from .errors import ConfigError

EMBEDDED_STORE_REFUSAL = (
    "backend.wsgi (gunicorn) refuses the embedded mongomock store: every worker process would keep "
    "its own copy of the data. Use `python -m backend` (one process) for the embedded store, or set "
    "MONGODB_URI=mongodb://... to a MongoDB server shared by all workers."
)
APP_LOAD_ERROR_EXIT_STATUS = 4  # gunicorn's Arbiter.APP_LOAD_ERROR ("App failed to load"): it stops


def check_shared_store(config):
    """Raise ConfigError unless `config` points at a store every process shares (a MongoDB server)."""
    if config["EMBEDDED_STORE"]:
        raise ConfigError(EMBEDDED_STORE_REFUSAL)


def refusal():
    """The one line saying why gunicorn must not serve this configuration, or None."""
    try:
        check_shared_store(load_config())
    except ConfigError as error:
        return f"error: {error}"
    return None


if __name__ == "__main__":
    line = refusal()
    if line:
        print(line, file=sys.stderr, flush=True)
        sys.exit(APP_LOAD_ERROR_EXIT_STATUS)
