"""`python -m backend [serve|recover|reconcile]`.

serve      run the API (and the built web page) on HOST:PORT with waitress (one process, threads)
recover    finish or undo money operations interrupted between two writes
reconcile  check every wallet's balance against its ledger; exit 1 and print drift if any
"""
import json
import logging
import sys

from . import create_app
from .auth import issue_token
from .config import DEV_JWT_SECRET
from .demo import DEMO_CUSTOMER_ID
from .errors import ConfigError
from .notifications import start_outbox_worker

SERVE_THREADS = 8
logger = logging.getLogger("integration")


def main(argv):
    command = argv[0] if argv else "serve"
    if command not in ("serve", "recover", "reconcile"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        app = create_app({"RECOVER_ON_START": False} if command == "recover" else None)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    integration = app.extensions["integration"]
    if command == "recover":
        print(json.dumps(integration.recover(grace_seconds=0)))
        return 0
    if command == "reconcile":
        drift = integration.reconcile()
        for row in drift:
            print(json.dumps(row, default=str))
        print(f"reconcile: {len(drift)} drift(s)" if drift else "reconcile: no drift")
        return 1 if drift else 0
    return serve(app)


def serve(app):
    import waitress

    config = app.config
    announce(config)
    start_outbox_worker(app.extensions["integration"].outbox)
    waitress.serve(app, host=config["HOST"], port=int(config["PORT"]), threads=SERVE_THREADS,
                   max_request_body_size=2 * 1024 * 1024, ident="wallet")
    return 0


def announce(config):
    """Say plainly what kind of instance this is; in development, print ready sign-in tokens."""
    base_url = config["PUBLIC_BASE_URL"]
    logger.info("serving on http://%s:%s (public base URL %s), gateways in %s mode",
                config["HOST"], config["PORT"], base_url, config["GATEWAY_MODE"])
    if config["EMBEDDED_STORE"]:
        logger.warning("EMBEDDED STORE (mongomock): data lives in this process only and is LOST when it "
                       "stops. Set MONGODB_URI=mongodb://... for a real database.")
    if config["APP_ENV"] != "development":
        return
    if config["JWT_SECRET"] == DEV_JWT_SECRET:
        logger.warning("JWT_SECRET is the development default: never use it in production.")
    customer_token = issue_token(config["JWT_SECRET"], DEMO_CUSTOMER_ID, "customer", algorithm=config["JWT_ALGORITHM"])
    admin_token = issue_token(config["JWT_SECRET"], "admin_demo", "admin", algorithm=config["JWT_ALGORITHM"])
    print(f"\nSign in as the demo customer {DEMO_CUSTOMER_ID}: {base_url}/?token={customer_token}\n"
          f"Customer token (Authorization: Bearer ...): {customer_token}\n"
          f"Admin token (refunds): {admin_token}\n", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
