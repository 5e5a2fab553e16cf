"""PayPal's REST API over `requests` (no SDK): OAuth token, Orders v2, capture refunds, webhook
certificates, transaction search (the settlement report).

Every call has a timeout; every failure to get a usable answer is `GatewayUnavailable`, except
a 422 on capture, which says why PayPal did not capture, PayPal's refusal of a refund
(`RefundRefused`) and a transaction search listing too many transactions (`ResultSetTooLarge`).
"""

import collections
import datetime
import threading
import time
from urllib.parse import urlencode

import requests

from ...errors import GatewayUnavailable, InvalidSignature, PaymentNotCaptured
from .certificates import default_trust_store
from .shapes import CAPTURES_PATH, ORDERS_PATH, PAYPAL_ID_PATTERN, linked_id, related_order_id
from .webhook import check_cert_url

TOKEN_REFRESH_MARGIN_SECONDS = 60  # fetch a new token this long before the old one expires
CERT_SIZE_MAX_BYTES = 64 * 1024
# Webhook certificates (their URL is named by an unauthenticated request, on PayPal's host): kept per
# process by URL, the least recently used dropped beyond CERT_CACHE_SIZE_MAX; at most
# CERT_FETCHES_PER_MINUTE_MAX fetches of URLs not in the cache per process a minute, each on the
# request thread for up to GATEWAY_TIMEOUT_SECONDS. PayPal signs with one certificate for years, so a
# legitimate webhook needs a fresh fetch about once per process; beyond the limit a webhook is
# refused (400 invalid_signature, nothing fetched) and PayPal delivers it again later. A cached
# certificate is checked again (chain, dates, name) at every webhook it signs (`certificates.py`).
CERT_CACHE_SIZE_MAX = 32
CERT_FETCHES_PER_MINUTE_MAX = 5
CERT_FETCH_WINDOW_SECONDS = 60
# PayPal's answers that refuse a refund for good (its error body says why): the request (400), the
# capture not ours (403) or unknown (404), or PayPal's rules (422: CAPTURE_FULLY_REFUNDED,
# REFUND_AMOUNT_EXCEEDED, REFUND_TIME_LIMIT_EXCEEDED, ...). 401, 409, 429 and 5xx are not answers.
REFUND_REFUSALS = (400, 403, 404, 422)
NOT_FOUND_NAMES = ("RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
UNAVAILABLE = "PayPal did not accept the request; nothing was charged."
TRANSACTIONS_PATH = "/v1/reporting/transactions"
# What one transaction search may list (PayPal answers more with 400 RESULTSET_TOO_LARGE).
TRANSACTIONS_RESULT_MAX = 10_000


class OrderAlreadyCaptured(Exception):
    """PayPal's 422 ORDER_ALREADY_CAPTURED: the order's capture is to be read with `get_order`."""


class RefundRefused(Exception):
    """PayPal refused the refund (REFUND_REFUSALS): nothing was refunded. `issue`: PayPal's reason."""

    def __init__(self, issue):
        super().__init__(issue)
        self.issue = issue


class ResultSetTooLarge(Exception):
    """PayPal's 400 RESULTSET_TOO_LARGE: the search window lists more than it serves; ask for less."""


class PayPalApi:
    """The live PayPal REST API at `base_url` (e.g. https://api-m.sandbox.paypal.com). `trust_store`:
    what its webhook certificates must chain to (`certificates.load_trust_store`; None: the bundled
    DigiCert Global Root G2)."""

    # A webhook's capture, refund or dispute is read back from PayPal before it moves money: PayPal signs
    # a body only by its CRC-32, so whoever saw one signed delivery could make another body match it.
    reads_back_webhooks = True

    def __init__(
        self, base_url, client_id, client_secret, timeout_seconds=10.0, monotonic=time.monotonic, trust_store=None
    ):
        self.base_url = base_url.rstrip("/")
        self.trust_store = trust_store or default_trust_store()
        self.auth = (client_id, client_secret)
        self.timeout_seconds = timeout_seconds
        self.monotonic = monotonic
        self._token, self._token_expires_at = None, 0.0
        # url -> PEM, least recently used first; the monotonic times of this window's fetches
        self._certs: collections.OrderedDict[str, bytes] = collections.OrderedDict()
        self._cert_fetched_at: collections.deque[float] = collections.deque()
        self._certs_lock = threading.Lock()

    def create_order(self, body, request_id):
        return self._send("POST", "/v2/checkout/orders", request_id, body)[1]

    def capture_order(self, order_id, request_id):
        status, order = self._send(
            "POST", f"/v2/checkout/orders/{order_id}/capture", request_id, {}, accept=(200, 201, 422)
        )
        if status == 422:
            details = order.get("details") if isinstance(order.get("details"), list) else []
            issue = details[0].get("issue") if details and isinstance(details[0], dict) else None
            if issue == "ORDER_ALREADY_CAPTURED":
                raise OrderAlreadyCaptured()
            raise PaymentNotCaptured(f"PayPal did not capture the payment ({str(issue)[:64]}).")
        return order

    def get_order(self, order_id):
        return self._send("GET", f"/v2/checkout/orders/{order_id}")[1]

    def look_up_order(self, order_id):
        """The order, or None when PayPal no longer knows it (404 RESOURCE_NOT_FOUND: PayPal drops
        orders nobody approved after a few hours)."""
        return self._get_or_none(f"/v2/checkout/orders/{order_id}")

    def refund_capture(self, capture_id, body, request_id):
        """POST /v2/payments/captures/{id}/refund: the refund (PayPal's JSON). PayPal answers a repeat
        of `request_id` (its PayPal-Request-Id, kept 45 days) with the refund made under it.
        `RefundRefused` when PayPal says no (a capture id PayPal never makes, kept out of the URL:
        PayPal's 404); `GatewayUnavailable` when it gave no usable answer."""
        if not PAYPAL_ID_PATTERN.match(capture_id):
            raise RefundRefused("INVALID_RESOURCE_ID")
        status, answer = self._send(
            "POST", f"{CAPTURES_PATH}{capture_id}/refund", request_id, body, accept=(200, 201, *REFUND_REFUSALS)
        )
        if status in REFUND_REFUSALS:
            if not isinstance(answer.get("name"), str):
                raise GatewayUnavailable(UNAVAILABLE)  # not PayPal's error body: a proxy's page, say
            details = answer.get("details") if isinstance(answer.get("details"), list) else []
            issue = details[0].get("issue") if details and isinstance(details[0], dict) else None
            raise RefundRefused(str(issue or answer["name"])[:64])
        return answer

    def get_resource(self, path, resource_id):
        """GET `path` + id (CAPTURES_PATH, REFUNDS_PATH, DISPUTES_PATH): PayPal's JSON of it, or None
        when PayPal knows none (404, or an id PayPal never makes, kept out of the URL)."""
        if not isinstance(resource_id, str) or not PAYPAL_ID_PATTERN.match(resource_id):
            return None
        return self._get_or_none(f"{path}{resource_id}")

    def refunds_of_capture(self, capture_id):
        """The refunds PayPal lists for a capture (PayPal's JSON): those of its order
        (`purchase_units[].payments.refunds`) whose `up` link is the capture. Empty when PayPal
        knows neither the capture nor its order (404), or the id is none PayPal makes (kept out of the
        URL). PayPal has no search by refund `custom_id`."""
        if not PAYPAL_ID_PATTERN.match(capture_id):
            return []
        capture = self._get_or_none(f"{CAPTURES_PATH}{capture_id}")
        if capture is None:
            return []
        order_id = related_order_id(capture) or linked_id(capture, "up", ORDERS_PATH)
        if order_id is None or not PAYPAL_ID_PATTERN.match(order_id):
            raise GatewayUnavailable(UNAVAILABLE)
        order = self.look_up_order(order_id)
        units = order.get("purchase_units") if order is not None else None
        refunds = []
        for unit in units if isinstance(units, list) else []:
            payments = unit.get("payments") if isinstance(unit, dict) else None
            listed = payments.get("refunds") if isinstance(payments, dict) else None
            refunds += [r for r in listed if isinstance(r, dict)] if isinstance(listed, list) else []
        return [r for r in refunds if linked_id(r, "up", CAPTURES_PATH) in (capture_id, None)]

    def transactions(self, start_date, end_date, page, page_size, balance_affecting_only=True):
        """GET /v1/reporting/transactions: one page (1-based, at most 500 a page) of the transactions
        initiated between `start_date` and `end_date` (aware datetimes, at most 31 days apart), PayPal's
        JSON (`transaction_details[].transaction_info`, `page`, `total_pages`, `last_refreshed_datetime`).
        `balance_affecting_only` asks for `balance_affecting_records_only=Y`: PayPal can list one
        transaction twice, once balance-affecting and once not. `ResultSetTooLarge` when the window
        lists more than PayPal serves; `GatewayUnavailable` when PayPal gave no usable answer."""
        query = {
            "start_date": _rfc3339(start_date),
            "end_date": _rfc3339(end_date),
            "fields": "transaction_info",
            "balance_affecting_records_only": "Y" if balance_affecting_only else "N",
            "page_size": page_size,
            "page": page,
        }
        status, answer = self._send("GET", f"{TRANSACTIONS_PATH}?{urlencode(query)}", accept=(200, 400))
        if status == 400:
            details = answer.get("details") if isinstance(answer.get("details"), list) else []
            issues = [d.get("issue") for d in details if isinstance(d, dict)]
            if "RESULTSET_TOO_LARGE" in (answer.get("name"), *issues):
                raise ResultSetTooLarge()
            raise GatewayUnavailable(f"PayPal refused the transaction search ({str(answer.get('name'))[:64]}).")
        return answer

    def certificate(self, url):
        """The PEM certificate at a PayPal cert URL: from the cache, else fetched (no redirects
        followed) if this minute's budget of fresh fetches allows, else `InvalidSignature`."""
        check_cert_url(url)
        with self._certs_lock:
            pem = self._certs.get(url)
            if pem is not None:
                self._certs.move_to_end(url)
                return pem
            self._spend_cert_fetch()
        try:
            response = requests.get(url, timeout=self.timeout_seconds, allow_redirects=False, stream=True)
            pem = _read_limited(response) if response.status_code == 200 else None
        except requests.RequestException as error:
            raise GatewayUnavailable("PayPal's certificate could not be fetched.") from error
        if pem is None:
            raise GatewayUnavailable("PayPal's certificate could not be fetched.")
        with self._certs_lock:
            self._certs[url] = pem
            while len(self._certs) > CERT_CACHE_SIZE_MAX:
                self._certs.popitem(last=False)
        return pem

    def _spend_cert_fetch(self):
        """Count one fresh certificate fetch, or refuse it when this window's are spent (caller holds the lock)."""
        now = self.monotonic()
        while self._cert_fetched_at and now - self._cert_fetched_at[0] >= CERT_FETCH_WINDOW_SECONDS:
            self._cert_fetched_at.popleft()
        if len(self._cert_fetched_at) >= CERT_FETCHES_PER_MINUTE_MAX:
            raise InvalidSignature("Too many new PayPal certificate URLs this minute; the webhook was not checked.")
        self._cert_fetched_at.append(now)

    def _get_or_none(self, path):
        """GET `path`: PayPal's JSON, or None on PayPal's own 404 (v2's RESOURCE_NOT_FOUND, v1's
        INVALID_RESOURCE_ID); a 404 without PayPal's error body (a proxy's) is `GatewayUnavailable`."""
        status, resource = self._send("GET", path, accept=(200, 404))
        if status == 404:
            if resource.get("name") not in NOT_FOUND_NAMES:
                raise GatewayUnavailable(UNAVAILABLE)
            return None
        return resource

    def _send(self, method, path, request_id=None, body=None, accept=(200, 201)):
        headers = {
            "Authorization": f"Bearer {self._access_token()}",
            "Content-Type": "application/json",
            "Prefer": "return=representation",
        }
        if request_id:
            headers["PayPal-Request-Id"] = request_id
        try:
            response = requests.request(  # a redirect is no answer: followed, a POST could go elsewhere, or turn GET
                method,
                self.base_url + path,
                json=body,
                headers=headers,
                timeout=self.timeout_seconds,
                allow_redirects=False,
            )
            answer = response.json() if response.status_code in accept else None
        except (requests.RequestException, ValueError) as error:
            raise GatewayUnavailable(UNAVAILABLE) from error
        if response.status_code == 401:
            self._token = None
        if not isinstance(answer, dict):
            raise GatewayUnavailable(UNAVAILABLE)
        return response.status_code, answer

    def _access_token(self):
        """An OAuth client-credentials token, cached until shortly before it expires."""
        now = self.monotonic()
        if self._token and now < self._token_expires_at:
            return self._token
        try:
            response = requests.post(
                self.base_url + "/v1/oauth2/token",
                auth=self.auth,
                data={"grant_type": "client_credentials"},
                headers={"Accept": "application/json"},
                timeout=self.timeout_seconds,
                allow_redirects=False,
            )
            answer = response.json() if response.status_code == 200 else None
        except (requests.RequestException, ValueError) as error:
            raise GatewayUnavailable(UNAVAILABLE) from error
        token = answer.get("access_token") if isinstance(answer, dict) else None
        expires_in = answer.get("expires_in") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token or type(expires_in) is not int:
            raise GatewayUnavailable(UNAVAILABLE)
        self._token, self._token_expires_at = token, now + expires_in - TOKEN_REFRESH_MARGIN_SECONDS
        return token


def _rfc3339(moment):
    """An aware datetime as PayPal's query dates want it, in UTC: 2024-01-31T00:00:00Z."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_limited(response):
    pem = b""
    for chunk in response.iter_content(8192):
        pem += chunk
        if len(pem) > CERT_SIZE_MAX_BYTES:
            raise InvalidSignature("PayPal's certificate is too large.")
    return pem
