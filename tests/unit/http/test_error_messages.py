"""backend/errors.py: every error's default message is one clean line, as clients show it."""

import inspect

import pytest

from backend import errors
from backend.errors import IntegrationError


def error_classes():
    """IntegrationError and every error class backend/errors.py defines on it."""
    return [value for value in vars(errors).values() if inspect.isclass(value) and issubclass(value, IntegrationError)]


def with_default_message(cls):
    """An instance with no message given: its required arguments (details such as
    OperationPending's transaction_id) get placeholder values."""
    required = [
        name
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if name != "self"
        and parameter.default is inspect.Parameter.empty
        and parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    ]
    return cls(*(f"{name}_1" for name in required))


def test_every_error_class_is_found():
    names = {cls.__name__ for cls in error_classes()}
    assert {"IntegrationError", "OperationPending", "GatewayUnavailable", "InvalidSignature"} <= names


@pytest.mark.parametrize("cls", error_classes(), ids=lambda cls: cls.__name__)
def test_every_default_message_is_one_line_without_double_spaces(cls):
    error = with_default_message(cls)
    for text in (error.message, str(error)):
        assert text and text == text.strip(), (cls.__name__, text)
        assert "\n" not in text and "  " not in text, (cls.__name__, text)
    assert error.message[0].isupper() and error.message.endswith((".", "?", ")")), (cls.__name__, error.message)


def test_operation_pending_says_what_to_do_in_one_line():
    error = errors.OperationPending("txn_1")
    assert error.message == (
        "The money operation is recorded but its outcome is not decided yet. "
        "Retry shortly with the same Idempotency-Key to get it."
    )
    assert error.details == {"transaction_id": "txn_1"}
