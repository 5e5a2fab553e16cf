"""Log lines a person can follow: one line per event, with its request id, to stderr and
optionally `LOG_FILE`."""
import logging

from .http_headers import current_request_id

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(log_file=""):
    root = logging.getLogger()
    if getattr(root, "_wallet_configured", False):
        return
    logging.setLogRecordFactory(_with_request_id(logging.getLogRecordFactory()))
    handlers = [logging.StreamHandler()]
    if log_file:
        handlers.append(logging.FileHandler(log_file))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    root._wallet_configured = True


def _with_request_id(make_record):
    """Every log record gets `request_id`: the current request's, or "-" outside a request."""

    def make(*args, **kwargs):
        record = make_record(*args, **kwargs)
        record.request_id = current_request_id() or "-"
        return record

    return make
