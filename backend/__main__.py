"""The command line: `python -m backend [COMMAND]`, COMMAND one of `COMMANDS` (serve by default).

The arguments are parsed before anything else: `--help` / `-h` (of the program or of a command), an
unknown command or an unknown option print usage and exit (0 for help, 2 for a mistake) without
reading the configuration, reaching a store or starting anything. A new command is one more entry
in `COMMANDS`.
"""

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

from pymongo.errors import ConnectionFailure

from . import create_app, prepare_store_when_up, store_ready, warn_about_setup
from .command_arguments import recover_arguments, settle_arguments
from .config import load_config
from .demo import sign_in_text
from .errors import ConfigError, IntegrationError
from .listening import PortUnavailable, listening_sockets
from .metrics import keep_counters_in_process
from .worker import Worker, start_worker_thread
from .worker_metrics import serve_worker_events

SERVE_THREADS = 8
# waitress answers requests over these limits itself (in the JSON error shape:
# backend/http_server_errors.py) before the app sees them.
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
EMBEDDED_NOTE = (
    "NOTE: no MONGODB_URI is set, so `{command}` looked at a NEW, EMPTY in-process store "
    "(the embedded default), not at the data of a running server: a `python -m backend` "
    "keeps its embedded data inside its own process, where nothing else can reach it "
    "(it runs recovery itself, at start and in its worker thread). To {command} a "
    "server's data, run this with the MONGODB_URI it uses."
)
EMBEDDED_ONLY = " (in this new, empty embedded store only)"


@dataclass(frozen=True)
class Command:
    """A command: its line in `--help`'s list, what its own `--help` says, and `run(args)` → exit
    status (`args`: the parsed arguments; `add_arguments(parser)` declares the command's own)."""

    summary: str
    description: str
    run: Callable[[argparse.Namespace], int]
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None


def run_serve(args):
    config = load_config()
    sockets = listening_sockets(config["HOST"], config["PORT"])  # first: a taken port stops us here
    try:
        app = create_app()
        ready = prepare_store_when_up(app)  # else the worker thread does it once the store answers
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return serve(app, sockets, ready)


def run_worker(args):
    keep_counters_in_process()
    return work(create_app())


def run_recover(args):
    # Never seeds demo data: on the embedded store it would be a stranger's.
    app = create_app()
    embedded = command_store(app, "recover")
    grace = app.config["RECOVERY_GRACE_SECONDS"] if args.grace is None else args.grace
    print(json.dumps(app.extensions["integration"].recover(grace_seconds=grace)))
    if embedded:
        print(f"recover: done{EMBEDDED_ONLY}")
    return 0


def run_reconcile(args):
    app = create_app()  # writes nothing but the indexes: reconcile only reads
    embedded = command_store(app, "reconcile")
    drift = app.extensions["integration"].reconcile()
    for row in drift:
        print(json.dumps(row, default=str))
    summary = f"reconcile: {len(drift)} drift(s)" if drift else "reconcile: no drift"
    print(summary + (EMBEDDED_ONLY if embedded else ""))
    return 1 if drift else 0


def run_settle(args):
    app = create_app()
    embedded = command_store(app, "settle")
    try:
        document, exceptions = app.extensions["integration"].settle(args.gateway, args.date)
    except IntegrationError as error:  # not offered here, or its report could not be had: nothing recorded
        print(f"settle: {error.code}: {error.message}", file=sys.stderr)
        return 2
    figures = {k: document[k] for k in ("gateway", "date", "currency", "matched", "payments", "refunds")}
    print(json.dumps(dict(figures, **{k: document[k] for k in document if k.endswith("_minor")})))
    for row in exceptions:
        shown = ("kind", "status", "payment_id", "payment_order_id") + (("rows",) if "rows" in row else ())
        print(json.dumps({k: row.get(k) for k in shown}))
    still_open = sum(1 for row in exceptions if row.get("status") == "open")
    summary = f"settle: {still_open} open exception(s)" if still_open else "settle: nothing open"
    print(summary + (EMBEDDED_ONLY if embedded else ""))
    return 1 if still_open else 0


def command_store(app, command):
    """`store_ready`, then say (stderr) when `command` sees a new, empty embedded store; whether it does."""
    store_ready(app)
    embedded = app.config["EMBEDDED_STORE"]
    if embedded:
        print(EMBEDDED_NOTE.format(command=command), file=sys.stderr)
    return embedded


STORE_NOTE = (
    "It acts on MONGODB_URI's database; without it, it can only see a new, empty in-process "
    "store, not a running `python -m backend`'s data, and says so."
)
COMMANDS = {
    "serve": Command(
        "run the API and the web page on HOST:PORT (the default command)",
        "Run the API (and the built web page) on HOST:PORT with waitress (one process, threads), "
        "with the worker in a background thread, until Ctrl-C. In production use gunicorn instead, "
        "`gunicorn -c gunicorn.conf.py`, beside one or more `python -m backend worker` processes.",
        run_serve,
    ),
    "worker": Command(
        "run the background work until stopped",
        "Run the background work until SIGTERM or SIGINT: recovery, the WhatsApp outbox, the gateway "
        "sweep, the reconcile gauge, settling each gateway's yesterday, a heartbeat. Several may run at "
        "once. It needs MONGODB_URI (the web processes' store) and waits while that store does not answer.",
        run_worker,
    ),
    "recover": Command(
        "finish or undo money operations interrupted between two writes",
        "Finish or undo money operations interrupted between two writes, and print what it did. What a "
        "request started less than the grace ago is left to it: a live request may still be finishing it. "
        + STORE_NOTE,
        run_recover,
        recover_arguments,
    ),
    "settle": Command(
        "match a gateway's settlement report of a day to the ledger",
        "Fetch the gateway's settlement report of the day (Razorpay: the day money was settled; PayPal: "
        "the transaction day), match every capture and refund to the ledger, heal what heals (a capture "
        "never credited, a refund never taken back), record the day and its exceptions, print them as "
        "JSON lines, and exit 1 if any stays open (0 when none). " + STORE_NOTE,
        run_settle,
        settle_arguments,
    ),
    "reconcile": Command(
        "check every wallet's balance against its ledger",
        "Check every wallet's balance against its ledger (and every order's refunds against its "
        "payment); print each drift as a JSON line and exit 1 if there is any. " + STORE_NOTE,
        run_reconcile,
    ),
}
HELP_WIDTH_CHARS = 100  # fixed, not the terminal's: the same help everywhere (docs/quick-reference.md shows it)


def listing_format(prog):
    """The program's help: its description (the list of commands) printed as written."""
    return argparse.RawDescriptionHelpFormatter(prog, width=HELP_WIDTH_CHARS)


def paragraph_format(prog):
    """A command's help: its description wrapped as one paragraph."""
    return argparse.HelpFormatter(prog, width=HELP_WIDTH_CHARS)


def build_parser():
    """The parser of the program and of every command in `COMMANDS`."""
    name_width = max(map(len, COMMANDS))
    listing = "\n".join(f"  {name:<{name_width}}  {command.summary}" for name, command in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="python -m backend",
        usage="%(prog)s [-h] [COMMAND [-h]]",
        formatter_class=listing_format,
        description=f"The wallet service. Without a COMMAND, serve.\n\ncommands:\n{listing}",
        epilog="`python -m backend COMMAND --help` says more about each command.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", help=argparse.SUPPRESS)
    for name, command in COMMANDS.items():
        subparser = commands.add_parser(
            name, prog=f"python -m backend {name}", description=command.description, formatter_class=paragraph_format
        )
        if command.add_arguments:
            command.add_arguments(subparser)
        subparser.set_defaults(command_parser=subparser)
    return parser


def parse_arguments(argv):
    """The parsed `argv`; a word no parser takes is refused by its command's parser (SystemExit 2),
    so the usage printed is that command's (argparse would print the program's)."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        getattr(args, "command_parser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv):
    try:
        args = parse_arguments(argv)
    except SystemExit as done:  # --help (0), or a mistake (2): argparse printed the usage
        return done.code
    try:
        return COMMANDS[args.command or "serve"].run(args)
    except (ConfigError, PortUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ConnectionFailure as error:  # a command's store (never the URI: it may hold a password)
        print(f"error: the store at MONGODB_URI did not answer ({type(error).__name__})", file=sys.stderr)
        return 2


def work(app):
    """The worker in the foreground until SIGTERM or SIGINT."""
    if app.config["EMBEDDED_STORE"]:
        print(
            "error: the worker needs the web processes' store: set MONGODB_URI=mongodb://... (the "
            "embedded store lives inside one process; `python -m backend` runs its own worker thread)",
            file=sys.stderr,
        )
        return 2
    metrics_server = serve_worker_events(app)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        if prepare_store_when_up(app, stop):
            Worker(app.extensions["integration"], app.extensions["wallet_db"], app.config).run(stop)
    finally:
        if metrics_server:
            metrics_server.shutdown()
    return 0


def serve(app, sockets=None, store_ready_at_start=True):
    """Serve `app` with waitress on `sockets` (from `listening_sockets`; by default HOST:PORT's), with
    the worker in a background thread (which first waits for the store, when it was not ready), until stopped."""
    from .http_server_errors import serve_waitress

    config = app.config
    if sockets is None:
        sockets = listening_sockets(config["HOST"], config["PORT"])
    warn_about_setup(config)
    announce(config)
    start_worker_thread(app, None if store_ready_at_start else lambda stop: prepare_store_when_up(app, stop))
    serve_waitress(
        app,
        sockets=sockets,
        threads=SERVE_THREADS,
        max_request_body_size=WAITRESS_BODY_BYTES_MAX,
        max_request_header_size=WAITRESS_HEADER_BYTES_MAX,
        ident="wallet",
        # Behind TRUSTED_PROXY_COUNT proxies the app reads X-Forwarded-* (ProxyFix): waitress must pass
        # them on (it drops them by default); without proxies they are dropped, as nobody vouches for them.
        clear_untrusted_proxy_headers=not config["TRUSTED_PROXY_COUNT"],
    )
    return 0


def announce(config):
    """Say plainly what kind of instance this is; in development, print ready sign-in links and tokens."""
    logger.info(
        "serving on http://%s:%s (public base URL %s), gateways in %s mode",
        config["HOST"],
        config["PORT"],
        config["PUBLIC_BASE_URL"],
        config["GATEWAY_MODE"],
    )
    if config["APP_ENV"] == "development":
        print(f"\n{sign_in_text(config)}\n", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
