"""Log lines a person can follow: one line per event, with its request id, to stderr and
optionally `LOG_FILE`."""

import logging

from .http_headers import current_request_id

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_configured = False  # configure_logging has run in this process


def configure_logging(log_file=""):
    global _configured
    if _configured:
        return
    root = logging.getLogger()
    logging.setLogRecordFactory(_with_request_id(logging.getLogRecordFactory()))
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file:
        handlers.append(logging.FileHandler(log_file))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    _configured = True


def _with_request_id(make_record):
    """Every log record gets `request_id`: the current request's, or "-" outside a request."""

    def make(*args, **kwargs):
        record = make_record(*args, **kwargs)
        record.request_id = current_request_id() or "-"
        return record

    return make
