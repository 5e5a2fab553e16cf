"""The app's own limits on the request line and headers, answered as JSON errors.

The HTTP servers (waitress in `python -m backend serve`, gunicorn with `gunicorn.conf.py`) have
limits of their own, which they answer themselves in text or HTML before the app sees the
request. Their limits are set ABOVE these, so that every request a client could plausibly send
too big gets the app's JSON answer (`{"success": false, "error": ..., "message": ...}`):

- request target (path and query, as sent) over `REQUEST_TARGET_BYTES_MAX` → 414 `uri_too_long`;
- a header field (`Name: value`) over `HEADER_FIELD_BYTES_MAX`, all header fields over
  `HEADERS_TOTAL_BYTES_MAX`, or more than `HEADER_FIELDS_MAX` fields → 431 `request_headers_too_large`.

The body limit (1 MiB, 413 `payload_too_large`) is Flask's `MAX_CONTENT_LENGTH`, set in
`create_app`: a body that says it is longer is refused here, before authentication; so is a body
without a length (chunked) that goes on beyond it, read here whole. The check is a `before_request` hook, so the app's
`after_request` hooks (CORS, metrics, response headers) still run on these answers. docs/api.md
lists what each server answers itself beyond its own limits.
"""

from urllib.parse import quote

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge, RequestHeaderFieldsTooLarge, RequestURITooLarge

REQUEST_TARGET_BYTES_MAX = 4 * 1024
HEADER_FIELD_BYTES_MAX = 8 * 1024
HEADERS_TOTAL_BYTES_MAX = 16 * 1024
HEADER_FIELDS_MAX = 64

# WSGI keeps these two header fields outside the HTTP_* keys of the environ.
_UNPREFIXED_HEADERS = ("CONTENT_TYPE", "CONTENT_LENGTH")


def init_app(app):
    """Reject a request over the limits before any other `before_request` hook or view runs."""
    app.before_request(check_request_limits)


def check_request_limits():
    """Raise 414, 431 or 413 (turned into the JSON error by backend/server.py's handler); the
    messages are backend/server.py's `HTTP_MESSAGES`."""
    if request_target_bytes(request.environ) > REQUEST_TARGET_BYTES_MAX:
        raise RequestURITooLarge()
    if headers_too_large(request.environ):
        raise RequestHeaderFieldsTooLarge()
    length, length_max = request.content_length, request.max_content_length
    if length is not None and length_max is not None and length > length_max:
        raise RequestEntityTooLarge()
    if length is None and length_max is not None and request.environ.get("wsgi.input_terminated"):
        check_streamed_body(request, length_max)


def check_streamed_body(request, length_max):
    """A body without a length (chunked, under gunicorn): Werkzeug reads up to `length_max` of it and
    drops the rest unseen, so read it now (kept for the view) and refuse one that goes on beyond."""
    if len(request.get_data(cache=True)) >= length_max and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


def wsgi_bytes(text):
    """Length in bytes of a WSGI string (PEP 3333: bytes decoded as latin-1)."""
    try:
        return len(text.encode("latin-1"))
    except UnicodeEncodeError:
        return len(text.encode("utf-8", "surrogatepass"))


def request_target_bytes(environ):
    """The request target as the client sent it (gunicorn's RAW_URI, waitress's and werkzeug's
    REQUEST_URI), or else rebuilt from the path and query."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return wsgi_bytes(raw)
    path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1", "replace")
    query = environ.get("QUERY_STRING", "")
    return len(quote(path, safe="/;:@&=+$,!~*'()")) + (1 + wsgi_bytes(query) if query else 0)


def header_fields(environ):
    """(name length, value) of each header field; names come back as long as they were sent."""
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            yield len(key) - len("HTTP_"), value
        elif key in _UNPREFIXED_HEADERS:
            yield len(key), value


def headers_too_large(environ):
    """A field counts as `Name: value`, the total as the fields with their line ends (CRLF), as
    on the wire."""
    count = total = 0
    for name_bytes, value in header_fields(environ):
        field = name_bytes + len(": ") + wsgi_bytes(value)
        if field > HEADER_FIELD_BYTES_MAX:
            return True
        count += 1
        total += field + len("\r\n")
    return count > HEADER_FIELDS_MAX or total > HEADERS_TOTAL_BYTES_MAX
