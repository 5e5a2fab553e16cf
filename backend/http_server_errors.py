"""The API's JSON error shape for the requests the HTTP servers refuse themselves.

waitress (`python -m backend serve`) and gunicorn (`gunicorn -c gunicorn.conf.py`) refuse a request
that is not valid HTTP, or is beyond their own limits (set above the app's: backend/http_limits.py),
before the app sees it (docs/api.md, "What the HTTP server answers itself"). Their own pages are
text or HTML; with these hooks they answer `{"success": false, "error": ..., "message": ...}` like
the app, with the app's code and message for the status where the app has one:

- waitress: `serve_waitress` serves with `JsonErrorChannel`, whose error task writes the JSON;
- gunicorn: `answer_gunicorn_errors_in_json`, called in each worker (gunicorn.conf.py's
  `post_fork`), replaces gunicorn's error page writer (`gunicorn.util.write_error`).

Such answers carry the headers every response carries (`X-Request-ID`, a new one;
`X-Content-Type-Options: nosniff`; `Cache-Control: no-store`), but not the app's others (CORS, rate
limits), and are not counted in `/metrics`: the app never ran.
"""

import json
import os

import gunicorn.util
import waitress
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask

from .errors import error_body
from .server import HTTP_CODES, HTTP_MESSAGES, INTERNAL_ERROR_MESSAGE

# Statuses only the servers answer (400: the app's own 400s say what is wrong with the request).
SERVER_ERRORS = {
    400: (
        "invalid_request",
        "The request is not valid HTTP: a malformed request line or header, or a control character in one.",
    ),
    417: ("expectation_failed", "The only Expect header supported is `Expect: 100-continue`."),
    500: ("internal_error", INTERNAL_ERROR_MESSAGE),
    501: (
        "not_implemented",
        "This Transfer-Encoding is not supported: send the body with Content-Length, or `Transfer-Encoding: chunked`.",
    ),
}


def server_error(status, reason=""):
    """(code, message) the servers answer for `status`: SERVER_ERRORS, else the app's own."""
    if status in SERVER_ERRORS:
        return SERVER_ERRORS[status]
    return HTTP_CODES.get(status, "http_error"), HTTP_MESSAGES.get(status, f"{reason or 'Error'}.")


def every_response_headers():
    """What every answer carries (SPEC §5), the app's or a server's; the request id a new one."""
    return [
        ("X-Request-ID", os.urandom(16).hex()),
        ("X-Content-Type-Options", "nosniff"),
        ("Cache-Control", "no-store"),
    ]


def server_error_body(status, reason=""):
    code, message = server_error(status, reason)
    return json.dumps(error_body(code, message)).encode() + b"\n"


class JsonErrorTask(ErrorTask):
    """waitress's answer to a request it refused, as the JSON error (its own is text/plain)."""

    def execute(self):
        error = self.request.error
        body = server_error_body(error.code, error.reason)
        self.status = f"{error.code} {error.reason}"
        self.response_headers += [("Content-Type", "application/json"), *every_response_headers()]
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):
    error_task_class = JsonErrorTask


def serve_waitress(app, **settings):
    """`waitress.serve(app, **settings)`, refused requests answered by `JsonErrorTask`."""
    dispatchers: dict[int, object] = {}  # waitress registers a server per listening socket here
    server = waitress.create_server(app, map=dispatchers, **settings)
    for listener in dispatchers.values():
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = JsonErrorChannel
    server.print_listen("Serving on http://{}:{}")
    server.run()


def write_gunicorn_error(sock, status_int, reason, mesg):
    """gunicorn's `util.write_error`, answering the JSON error instead of its HTML page (`mesg`,
    gunicorn's detail, may quote the request: it is logged by gunicorn, never echoed)."""
    body = server_error_body(status_int, reason)
    headers = [("Connection", "close"), ("Content-Type", "application/json"), *every_response_headers()]
    head = f"HTTP/1.1 {status_int} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    head += f"Content-Length: {len(body)}\r\n\r\n"
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + body)


def answer_gunicorn_errors_in_json():
    """Make this gunicorn worker answer the requests it refuses with the JSON error."""
    if not callable(getattr(gunicorn.util, "write_error", None)):
        raise RuntimeError("gunicorn.util.write_error is gone: gunicorn changed, see backend/http_server_errors.py")
    gunicorn.util.write_error = write_gunicorn_error
