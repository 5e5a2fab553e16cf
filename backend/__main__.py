"""usage: python -m backend [serve|worker|recover|reconcile|-h|--help]

serve      run the API (and the built web page) on HOST:PORT with waitress (one process, threads),
           with the worker in a background thread; the default. In production use gunicorn
           instead, `gunicorn -c gunicorn.conf.py`, beside one or more `worker` processes
worker     run the background work until stopped (SIGTERM/SIGINT): recovery, the WhatsApp outbox,
           the gateway sweep, a heartbeat; several may run at once
recover    finish or undo money operations interrupted between two writes
reconcile  check every wallet's balance against its ledger; exit 1 and print drift if any
           (recover and reconcile act on MONGODB_URI's database; without it they can only see a
           new, empty in-process store, not a running `python -m backend`'s data, and say so)
-h, --help print this and exit
"""
import json
import logging
import signal
import sys
import threading

from . import create_app
from .auth import issue_token
from .config import DEV_JWT_SECRET
from .demo import DEMO_CUSTOMER_ID
from .errors import ConfigError
from .worker import Worker, start_worker_thread

SERVE_THREADS = 8
# waitress answers requests over these limits itself, in text/plain, before the app sees them.
# They sit above the app's own limits (1 MiB body in backend/__init__.py; request target and
# headers in backend/http_limits.py), so that the app answers JSON 413/414/431 for anything a
# client plausibly sends too big, while waitress still bounds what it buffers per request.
# Body: 8 MiB, 8 times the app's 1 MiB (waitress reads the whole body, spooling to a temporary
# file beyond 512 KiB, before calling the app; its default is 1 GiB).
WAITRESS_BODY_BYTES_MAX = 8 * 1024 * 1024
# Request line and headers together: 64 KiB, about 3 times the 20 KiB the app accepts (4 KiB
# target + 16 KiB of headers); waitress's default is 256 KiB, held in memory.
WAITRESS_HEADER_BYTES_MAX = 64 * 1024
logger = logging.getLogger("integration")
# Without MONGODB_URI, `recover` and `reconcile` make their own embedded store: a new, empty one in
# this process. A running `python -m backend` keeps its data inside its own process, out of reach.
EMBEDDED_NOTE = ("NOTE: no MONGODB_URI is set, so `{command}` looked at a NEW, EMPTY in-process store "
                 "(the embedded default), not at the data of a running server: a `python -m backend` "
                 "keeps its embedded data inside its own process, where nothing else can reach it "
                 "(it runs recovery itself, at start and in its worker thread). To {command} a "
                 "server's data, run this with the MONGODB_URI it uses.")


def main(argv):
    command = argv[0] if argv else "serve"
    if command in ("-h", "--help"):
        print(__doc__, end="")
        return 0
    if command not in ("serve", "worker", "recover", "reconcile"):
        print(f"error: unknown command {command!r}\n\n{__doc__}", end="", file=sys.stderr)
        return 2
    try:
        # recover and reconcile never seed demo data: on the embedded store it would be a stranger's.
        overrides = {"recover": {"RECOVER_ON_START": "false", "SEED_DEMO_DATA": "false"},
                     "reconcile": {"SEED_DEMO_DATA": "false"}}.get(command)
        app = create_app(overrides)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    integration = app.extensions["integration"]
    embedded = app.config["EMBEDDED_STORE"]
    if command in ("recover", "reconcile") and embedded:
        print(EMBEDDED_NOTE.format(command=command), file=sys.stderr)
    where = " (in this new, empty embedded store only)" if embedded else ""
    if command == "recover":
        print(json.dumps(integration.recover(grace_seconds=0)))
        if embedded:
            print(f"recover: done{where}")
        return 0
    if command == "reconcile":
        drift = integration.reconcile()
        for row in drift:
            print(json.dumps(row, default=str))
        print((f"reconcile: {len(drift)} drift(s)" if drift else "reconcile: no drift") + where)
        return 1 if drift else 0
    if command == "worker":
        return work(app)
    return serve(app)


def work(app):
    """The worker in the foreground until SIGTERM or SIGINT."""
    if app.config["EMBEDDED_STORE"]:
        print("error: the worker needs the web processes' store: set MONGODB_URI=mongodb://... (the "
              "embedded store lives inside one process; `python -m backend` runs its own worker thread)",
              file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    Worker(app.extensions["integration"], app.extensions["wallet_db"], app.config).run(stop)
    return 0


def serve(app):
    import waitress

    config = app.config
    warn_about_setup(config)
    announce(config)
    start_worker_thread(app)
    waitress.serve(app, host=config["HOST"], port=int(config["PORT"]), threads=SERVE_THREADS,
                   max_request_body_size=WAITRESS_BODY_BYTES_MAX,
                   max_request_header_size=WAITRESS_HEADER_BYTES_MAX, ident="wallet")
    return 0


def warn_about_setup(config):
    """Log (WARNING) what makes this instance unfit for real customers, whichever server runs it:
    `serve` here and gunicorn's backend/wsgi.py both call this. Never logs the secret itself."""
    if config["EMBEDDED_STORE"]:
        logger.warning("EMBEDDED STORE (mongomock): data lives in this process only and is LOST when it "
                       "stops. Set MONGODB_URI=mongodb://... for a real database.")
    if config["JWT_SECRET"] == DEV_JWT_SECRET:
        logger.warning("JWT_SECRET is the development default: anyone can sign tokens for this instance; "
                       "never use it in production. Set JWT_SECRET to a random string of 32+ characters.")


def announce(config):
    """Say plainly what kind of instance this is; in development, print ready sign-in tokens."""
    base_url = config["PUBLIC_BASE_URL"]
    logger.info("serving on http://%s:%s (public base URL %s), gateways in %s mode",
                config["HOST"], config["PORT"], base_url, config["GATEWAY_MODE"])
    if config["APP_ENV"] != "development":
        return
    customer_token = issue_token(config["JWT_SECRET"], DEMO_CUSTOMER_ID, "customer", algorithm=config["JWT_ALGORITHM"])
    admin_token = issue_token(config["JWT_SECRET"], "admin_demo", "admin", algorithm=config["JWT_ALGORITHM"])
    print(f"\nSign in as the demo customer {DEMO_CUSTOMER_ID}: {base_url}/?token={customer_token}\n"
          f"Customer token (Authorization: Bearer ...): {customer_token}\n"
          f"Admin token (refunds): {admin_token}\n", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
