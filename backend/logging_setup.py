"""Log lines, one per event, with its request id, to stderr and optionally `LOG_FILE`.

`LOG_FORMAT` chooses their shape: `text` (the default) for a person to follow, `json` for a log
aggregator: each line one JSON object with `time` (ISO-8601, UTC), `level`, `logger`, `message`,
`request_id` (on the lines of a request only), `exception` (the traceback, when there is one) and
the named fields of a `Fields` message (the audit's lines) beside them, never in their place.
Neither shape adds anything a log call did not pass, so what keeps secrets out of the text lines
keeps them out of the JSON ones.
"""

import datetime
import json
import logging

from .http_headers import current_request_id

LOG_FORMATS = ("text", "json")
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
NO_REQUEST_ID = "-"  # outside a request
FIELDS_JSON = json.JSONEncoder(sort_keys=True, default=str)  # json.dumps(..., sort_keys=True, default=str), made once
_configured = False  # configure_logging has run in this process (the record factory is set)
_settings: tuple[str, str] | None = None  # the (log_file, log_format) its handlers were made for
_handlers: list[logging.Handler] = []  # the handlers it added to the root logger


class Fields:
    """A log message made of named fields: one JSON text in a text line, the fields themselves in a
    JSON line, whose `message` is then `summary`."""

    def __init__(self, summary, fields):
        self.summary = summary
        self.fields = fields

    def __str__(self):
        return FIELDS_JSON.encode(self.fields)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (see the module's docstring)."""

    def format(self, record):
        line = {
            "time": utc_iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", NO_REQUEST_ID)
        if request_id != NO_REQUEST_ID:
            line["request_id"] = request_id
        if isinstance(record.msg, Fields) and not record.args:
            line["message"] = record.msg.summary
            line.update({k: v for k, v in record.msg.fields.items() if k not in line})  # never the line's own
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)


def utc_iso(timestamp):
    """A record's time (seconds since the epoch) as ISO-8601 UTC text, to the millisecond."""
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def formatter_for(log_format):
    """The formatter of a `LOG_FORMATS` value."""
    return JsonFormatter() if log_format == "json" else logging.Formatter(FORMAT)


def configure_logging(log_file="", log_format="text"):
    """INFO and above to stderr and `log_file`, in `log_format`, each record carrying its request id.
    A later call with other settings (another app in the process: tests, embedding; `create_app`
    takes LOG_FILE and LOG_FORMAT as every setting) replaces the handlers the earlier one added; a
    call with the same settings changes nothing."""
    global _configured, _settings
    if not _configured:
        logging.setLogRecordFactory(_with_request_id(logging.getLogRecordFactory()))
        _configured = True
    if _settings == (log_file, log_format):
        return
    root = logging.getLogger()
    for handler in _handlers:
        root.removeHandler(handler)
        handler.close()
    _handlers[:] = [logging.StreamHandler()] + ([logging.FileHandler(log_file)] if log_file else [])
    for handler in _handlers:
        handler.setFormatter(formatter_for(log_format))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    _settings = (log_file, log_format)


def _with_request_id(make_record):
    """Every log record gets `request_id`: the current request's, or "-" outside a request."""

    def make(*args, **kwargs):
        record = make_record(*args, **kwargs)
        record.request_id = current_request_id() or NO_REQUEST_ID
        return record

    return make
