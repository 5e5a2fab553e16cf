"""What every response carries: its request id and the security headers.

`X-Request-ID` is the caller's when it is 1-128 characters of [A-Za-z0-9._:-], else a new one; it
is echoed on every response (errors included), and log lines and audit entries of the request
carry it. Registered before the other hooks, so its after-request hook runs last and sees every
header they set (it drops the rate limiter's `Retry-After` from anything but a 429).
"""

import os
import re

from flask import g, has_request_context, request

REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")
HSTS_MAX_AGE_SECONDS = 2 * 365 * 24 * 3600
PAGE_PREFIXES = ("/checkout/", "/simulator/")  # gateway pages: never inside another site's frame


def current_request_id():
    """The current request's id (taken or made once per request); None outside a request."""
    if not has_request_context():
        return None
    request_id = g.get("request_id")  # one look-up through the proxy: a log line asks for it
    if request_id is None:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = g.request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else os.urandom(16).hex()
    return request_id


def init_app(app):
    production = app.config["APP_ENV"] == "production"

    @app.before_request
    def take_request_id():
        current_request_id()

    @app.after_request
    def add_headers(response):
        headers = response.headers
        headers["X-Request-ID"] = current_request_id()
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        if request.path.startswith("/api/"):
            headers["Cache-Control"] = "no-store"
        if production:
            headers["Strict-Transport-Security"] = f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains"
        if request.path.startswith(PAGE_PREFIXES):
            headers["Content-Security-Policy"] = "frame-ancestors 'none'"
            headers["X-Frame-Options"] = "DENY"
        if response.status_code != 429:
            headers.pop("Retry-After", None)
        return response
