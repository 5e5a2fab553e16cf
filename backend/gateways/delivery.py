"""How a simulated gateway posts its messages (webhooks, tokens) to this service."""
import logging
import threading
import time

import requests

logger = logging.getLogger("integration.simulator")
DELIVERY_ATTEMPTS_MAX = 5


class Delivery:
    """Posts a simulated gateway's messages to the service of `app`."""

    def __init__(self, app):
        self.app = app

    def __call__(self, path, body, headers, wait=False):
        """Post inline through the app in tests (`SIMULATOR_WEBHOOK_DELIVERY=inline`), else over
        HTTP, as a gateway would: from a thread with retries, or, with `wait` (a checkout page
        posting and awaiting the answer), right away. Returns the HTTP status when it waited
        (None if the service could not be reached)."""
        config = self.app.config
        if config["SIMULATOR_WEBHOOK_DELIVERY"] == "inline":
            return self.app.test_client().post(path, data=body, headers=headers).status_code
        url = config["PUBLIC_BASE_URL"] + path
        if wait:
            try:
                return requests.post(url, data=body, headers=headers, timeout=10).status_code
            except requests.RequestException as error:
                logger.warning("simulator delivery failed: %s", type(error).__name__)
                return None
        threading.Thread(target=_post_with_retries, args=(url, body, headers), daemon=True).start()
        return None

    def to(self, path):
        """`deliver_webhook(body, headers, wait=False)`: this delivery, to the webhook at `path`."""
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
        time.sleep(0.5 * 2 ** attempt)
