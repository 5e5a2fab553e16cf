"""How a simulated gateway posts its messages (webhooks, tokens) to this service."""

import logging
import threading
import time

import requests
from pymongo.errors import PyMongoError
from werkzeug.datastructures import Headers

from ..auth import acting_as_nobody
from ..errors import IntegrationError, StoreUnavailable
from .entry import WEBHOOK_BASE_PATH
from .registry import gateway_registry

logger = logging.getLogger("integration.simulator")
DELIVERY_ATTEMPTS_MAX = 5


class Delivery:
    """Posts a simulated gateway's messages to the service of `app`."""

    def __init__(self, app):
        self.app = app

    def __call__(self, path, body, headers, wait=False):
        """Post to the webhook at `path`. Inline (`SIMULATOR_WEBHOOK_DELIVERY=inline`, the tests'
        default, where nothing listens on PUBLIC_BASE_URL): handled in this process, as the route
        would. Else over HTTP, as a gateway would: from a thread with retries, or, with `wait` (a
        checkout page posting and awaiting the answer), right away. Returns the HTTP status when
        inline or when it waited (None if the service could not be reached)."""
        config = self.app.config
        if (config["SIMULATOR_WEBHOOK_DELIVERY"] or ("inline" if self.app.testing else "http")) == "inline":
            return self.handle_inline(path, body, headers)
        url = config["PUBLIC_BASE_URL"] + path
        if wait:
            try:
                return requests.post(url, data=body, headers=headers, timeout=10).status_code
            except requests.RequestException as error:
                logger.warning("simulator delivery failed: %s", type(error).__name__)
                return None
        threading.Thread(target=_post_with_retries, args=(url, body, headers), daemon=True).start()
        return None

    def handle_inline(self, path, body, headers):
        """The status the webhook route at `path` would answer, without HTTP: its gateway's webhook
        handled by the integration (`process_payment_webhook`), an error as the app's error handlers
        answer it (`backend/server.py`: its own status, 503 for the store, 500 for anything else)."""
        entry = gateway_registry(self.app.config).by_slug(path.removeprefix(WEBHOOK_BASE_PATH + "/"))
        if entry is None:
            return 404
        try:
            with acting_as_nobody():  # the gateway's doing, as over HTTP, whoever's request made it
                self.app.extensions["integration"].process_payment_webhook(entry.name, body, Headers(headers))
        except IntegrationError as error:
            return error.http_status
        except PyMongoError:
            return StoreUnavailable.http_status
        except Exception:  # as the app's last error handler: logged, answered 500
            logger.exception("simulator delivery: unexpected error")
            return 500
        return 200

    def to(self, entry):
        """`deliver_webhook(body, headers, wait=False)`: this delivery, to `entry`'s webhook."""
        path = entry.webhook_path

        def deliver_webhook(body, headers, wait=False):
            return self(path, body, headers, wait)

        return deliver_webhook


def _post_with_retries(url, body, headers):
    for attempt in range(DELIVERY_ATTEMPTS_MAX):
        try:
            response = requests.post(url, data=body, headers=headers, timeout=5)
            if response.status_code < 500:
                return
        except requests.RequestException as error:
            logger.warning("simulator webhook delivery failed: %s", type(error).__name__)
        time.sleep(0.5 * 2**attempt)
