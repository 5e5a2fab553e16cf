"""Razorpay's live API as recorded answers (orders, payments, errors) and the live-mode keys the tests use."""

import requests

KEY_ID = "rzp_test_LiveKey000001"
KEY_SECRET = "live_key_secret_for_tests"
WEBHOOK_SECRET = "live_webhook_secret_for_tests"
ORDERS_URL = "https://api.razorpay.com/v1/orders"
PAYMENTS_URL = "https://api.razorpay.com/v1/payments/"


def order_response(order_id="order_LiveA1", amount_minor=50000, receipt="wtp_x", notes=None):
    return {
        "id": order_id,
        "entity": "order",
        "amount": amount_minor,
        "amount_paid": 0,
        "amount_due": amount_minor,
        "currency": "INR",
        "receipt": receipt,
        "offer_id": None,
        "status": "created",
        "attempts": 0,
        "notes": notes or [],
        "created_at": 1700000000,
    }


def payment_response(
    payment_id="pay_LiveA1", order_id="order_LiveA1", amount_minor=50000, currency="INR", status="captured"
):
    return {
        "id": payment_id,
        "entity": "payment",
        "amount": amount_minor,
        "currency": currency,
        "status": status,
        "order_id": order_id,
        "invoice_id": None,
        "international": False,
        "method": "upi",
        "amount_refunded": 0,
        "refund_status": None,
        "captured": status == "captured",
        "description": "Wallet top-up",
        "card_id": None,
        "bank": None,
        "wallet": None,
        "vpa": "customer@okbank",
        "email": "customer@example.com",
        "contact": "+919876543210",
        "notes": {"customer_id": "cust_a", "purpose": "wallet_topup"},
        "fee": 1180,
        "tax": 180,
        "error_code": None,
        "error_description": None,
        "created_at": 1700000100,
    }


def razorpay_error(code, description, status):
    return {
        "json": {
            "error": {
                "code": code,
                "description": description,
                "source": "business",
                "step": "payment_initiation",
                "reason": "input_validation_failed",
                "metadata": {},
                "field": "amount",
            }
        },
        "status": status,
    }


FAILURES = {
    "400 bad request": razorpay_error("BAD_REQUEST_ERROR", "The amount must be atleast INR 1.00", 400),
    "401 authentication failed": razorpay_error("BAD_REQUEST_ERROR", "Authentication failed", 401),
    "500 server error": razorpay_error("SERVER_ERROR", "The server encountered an error.", 500),
    "502 gateway error": razorpay_error("GATEWAY_ERROR", "Payment processing failed at the bank", 502),
    "503 html page": {
        "body": "<html><body>Service Unavailable</body></html>",
        "status": 503,
        "content_type": "text/html",
    },
    "200 not json": {"body": "<html>maintenance</html>", "status": 200, "content_type": "text/html"},
    "connection error": {"body": requests.ConnectionError("connection refused")},
    "timeout": {"body": requests.Timeout("read timed out")},
}
# Error answers whose JSON is not Razorpay's error object: the SDK itself fails reading them
# (`TypeError` on `'error' in None`, `None['description']`, ...).
GARBAGE_ERRORS = {
    f"{status} {body}": {"body": body, "status": status, "content_type": "application/json"}
    for status, body in [
        (400, "null"),
        (500, "5"),
        (502, '"error"'),
        (400, '{"error": null}'),
        (400, '{"error": "description"}'),
        (500, '{"error": 5}'),
        (400, "[]"),
        (503, '{"error": {"code": ["SERVER_ERROR"]}}'),
    ]
}
FAILURES.update(GARBAGE_ERRORS)
