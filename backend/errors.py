"""One error hierarchy for the service; each error knows its HTTP status and snake_case code."""


def error_body(code, message, **details):
    """The one JSON shape of every error the API answers (`details`: documented extra fields)."""
    return {"success": False, "error": code, "message": message, **details}


class IntegrationError(Exception):
    """Base error: turned into `{"success": false, "error": code, "message": message}`."""

    http_status = 400
    code = "invalid_request"
    details: dict[str, object] = {}  # extra fields of the error body, for the few errors that document some

    def __init__(self, message=None, *, code=None, http_status=None):
        # The default message is the docstring as one line (wrapped docstrings have line breaks).
        self.message = message or " ".join((self.__doc__ or self.code).split())
        super().__init__(self.message)
        if code:
            self.code = code
        if http_status:
            self.http_status = http_status


class InvalidRequest(IntegrationError):
    """The request is not valid JSON of the documented shape."""


class InvalidAmount(IntegrationError):
    """The amount must be a positive number with at most 2 decimals, at most 10,000,000.00."""

    code = "invalid_amount"


class UnsupportedPaymentMethod(IntegrationError):
    """This payment method is not available."""

    code = "unsupported_payment_method"


class PaymentMethodUnavailable(IntegrationError):
    """This payment method does not take this currency."""

    code = "payment_method_unavailable"

    def __init__(self, payment_method, currency, currencies):
        takes = f"it takes {', '.join(currencies)} here" if currencies else "it takes none of this service's currencies"
        super().__init__(f"Payment method `{str(payment_method)[:64]}` does not take {str(currency)[:8]}; {takes}.")
        self.details = {"currencies": list(currencies)}


class CurrencyMismatch(IntegrationError):
    """The amount's currency is not the order's."""

    code = "currency_mismatch"


class InvalidSignature(InvalidRequest):
    """The signature does not match."""

    code = "invalid_signature"


class AmountMismatch(IntegrationError):
    """The gateway reported an amount or currency other than the one initiated."""

    code = "amount_mismatch"


class Unauthorized(IntegrationError):
    """Sign-in required: send a valid bearer token."""

    http_status = 401
    code = "unauthorized"


class Forbidden(IntegrationError):
    """You may not act on this resource."""

    http_status = 403
    code = "forbidden"


class NotFound(IntegrationError):
    """Not found."""

    http_status = 404
    code = "not_found"


class OrderNotFound(NotFound):
    """No such order for this customer."""

    code = "order_not_found"


class WithdrawalNotFound(NotFound):
    """No such withdrawal."""

    code = "withdrawal_not_found"


class NotSettled(NotFound):
    """This gateway's day has not been settled yet."""

    code = "not_settled"


class PaymentOrderNotFound(NotFound):
    """No such payment order."""

    code = "payment_order_not_found"


class CustomerNotFound(NotFound):
    """No such customer: no wallet, orders, payments or audit entries."""

    code = "customer_not_found"


class InsufficientFunds(IntegrationError):
    """The wallet's available balance does not cover this amount (money on hold or owed cannot be spent)."""

    http_status = 402
    code = "insufficient_funds"


class Conflict(IntegrationError):
    """The request conflicts with the current state."""

    http_status = 409
    code = "conflict"


class OrderAlreadyPaid(Conflict):
    """This order is already paid."""

    code = "order_already_paid"


class OrderNotPayable(Conflict):
    """This order cannot be paid in its current state."""

    code = "order_not_payable"


class AmountDiffersFromOrder(IntegrationError):
    """The amount does not equal the order's amount."""

    code = "order_amount_mismatch"


class RefundExceedsPaid(Conflict):
    """Refunds of this order would exceed what was paid."""

    code = "refund_exceeds_paid"


class OrderNotRefundable(Conflict):
    """Only a paid order (paid from the wallet or at the shop's checkout) can be refunded to the wallet."""

    code = "order_not_refundable"


class PaymentNotCaptured(Conflict):
    """The gateway has not captured this payment."""

    code = "payment_not_captured"


class SimulatedRefundRefused(Conflict):
    """The simulated gateway refused the refund, as the real one would (e.g. more than is left of
    the payment); nothing was refunded."""

    code = "refund_refused"


class LimitExceeded(IntegrationError):
    """This top-up would pass a wallet limit."""

    http_status = 422
    code = "limit_exceeded"

    def __init__(self, limit, headroom_text, headroom):
        super().__init__(self.explain(limit, headroom_text))
        self.details = {"limit": limit, "headroom": headroom}

    @staticmethod
    def explain(limit, headroom_text):
        return f"This top-up would pass the wallet limit {limit}: at most {headroom_text} more can be topped up now."


class LapsedTopupRefused(LimitExceeded):
    """A payment of a top-up that lapsed (expired, or failed long ago) would pass a wallet limit: it
    is given back at its gateway, never credited."""

    @staticmethod
    def explain(limit, headroom_text):
        return (
            f"This payment came after its top-up had lapsed and would pass the wallet limit {limit}: it is not "
            f"credited and goes back to where it came from. At most {headroom_text} more can be topped up now."
        )


class HoldNotFound(Conflict):
    """This order has no hold to capture or void (never authorised, captured or voided already, or expired)."""

    code = "hold_not_found"


class CaptureExceedsHold(Conflict):
    """The capture is more than the order's hold."""

    code = "capture_exceeds_hold"


class WithdrawalExceedsRefundable(Conflict):
    """More than the customer's top-ups can take back."""

    code = "withdrawal_exceeds_refundable"

    def __init__(self, refundable_text, refundable):
        super().__init__(
            f"At most {refundable_text} can be refunded to the payment methods of your top-ups "
            "(each top-up refunds at most what is left of it, within the refund window)."
        )
        self.details = {"refundable": refundable}


class IdempotencyKeyReused(Conflict):
    """This Idempotency-Key was used with a different request."""

    code = "idempotency_key_reused"


class IdempotencyKeyInProgress(Conflict):
    """A request with this Idempotency-Key is still being processed; retry shortly."""

    code = "idempotency_key_in_progress"


class GatewayUnavailable(IntegrationError):
    """The payment gateway is unavailable; nothing was charged. Try again later."""

    http_status = 502
    code = "gateway_unavailable"


class StoreUnavailable(IntegrationError):
    """The database is unavailable. Try again later."""

    http_status = 503
    code = "store_unavailable"


class OperationPending(IntegrationError):
    """The money operation is recorded but its outcome is not decided yet. Retry shortly with the
    same Idempotency-Key to get it."""

    http_status = 503
    code = "operation_pending"

    def __init__(self, transaction_id):
        super().__init__()
        self.details = {"transaction_id": transaction_id}


class WithdrawalPending(OperationPending):
    """A store error stopped the withdrawal once it was being recorded: a recorded one is carried on (by
    a retry with the same Idempotency-Key, or by the worker). Follow it at GET
    /wallet/withdrawals/<withdrawal_id>; a 404 there means it was not recorded, and nothing moved."""

    def __init__(self, withdrawal_id):
        super().__init__(None)
        self.details = {"withdrawal_id": withdrawal_id}


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the service refuses to start."""
