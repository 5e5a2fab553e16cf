"""What a flow answers once its ledger entry is in and a later write fails."""

import contextlib

from pymongo.errors import PyMongoError

from ..errors import OperationPending, StoreUnavailable, WithdrawalPending


@contextlib.contextmanager
def withdrawal_pending_on_store_error(withdrawal_id):
    """A store error once the withdrawal `withdrawal_id` is recorded is WithdrawalPending, not a plain
    store error (which says nothing was written): its hold may be made, and its parts will be asked."""
    try:
        yield
    except (PyMongoError, StoreUnavailable):
        raise WithdrawalPending(withdrawal_id) from None


@contextlib.contextmanager
def pending_on_store_error(entry, release=None):
    """A store error after `entry` is in the ledger is OperationPending (with its id), not a plain
    store error: the money moved; a retry or recovery finishes what follows (`release(entry id)`,
    when given, first lets them: a payment's settlement)."""
    try:
        yield
    except (PyMongoError, StoreUnavailable):
        if release is not None:
            release(entry["_id"])
        raise OperationPending(entry["_id"]) from None
