"""Fault injection for the store: a database whose N-th write raises, as if the process died there
(every later write raises too: a dead process writes nothing more, not even its error handling's)."""

from backend.notifications import Outbox
from backend.wallet_payment_integration import WalletPaymentIntegration
from backend.wallet_service import WalletService

WRITE_METHODS = {
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "delete_one",
    "delete_many",
    "find_one_and_update",
    "replace_one",
}


def crash_each_write(app, db, setup, operation, check, before_recover=None):
    """Crash before write 1, 2, ... of `operation(integration, state)` until it completes; after each,
    `before_recover(db)` when given, then recover and check (`check(healthy, state, crash_at)`, after
    reconcile finds no drift); how many writes the operation made."""
    healthy = app.extensions["integration"]
    crash_at = 1
    while True:
        state = setup()
        integration, crashing = crashing_integration(app, db, crash_at)
        try:
            operation(integration, state)
        except SimulatedCrash:
            pass
        if before_recover is not None:
            before_recover(db)
        healthy.recover(grace_seconds=0)
        assert healthy.reconcile() == [], f"drift after a crash before write {crash_at}"
        check(healthy, state, crash_at)
        if not crashing.crashed:
            return crash_at - 1
        crash_at += 1


def crashing_integration(app, db, crash_at):
    """An integration over `db` whose write numbered `crash_at` and every later one never happen (the
    app's own collaborators otherwise); (integration, the crashing database)."""
    crashing = CrashingDatabase(db, crash_at)
    healthy = app.extensions["integration"]
    integration = WalletPaymentIntegration(
        WalletService(crashing),
        healthy.payments,
        crashing,
        currency="INR",
        outbox=Outbox(crashing, healthy.outbox.sender),
    )
    return integration, crashing


class SimulatedCrash(Exception):
    pass


class CrashingDatabase:
    """Wraps a pymongo-compatible database; the write numbered `crash_at` (1-based) and every later one
    never happen."""

    def __init__(self, database, crash_at):
        self.database = database
        self.crash_at = crash_at
        self.writes = 0
        self.crashed = False

    def __getitem__(self, name):
        return CrashingCollection(self, self.database[name])


class CrashingCollection:
    def __init__(self, owner, collection):
        self._owner = owner
        self._collection = collection

    def __getattr__(self, name):
        attribute = getattr(self._collection, name)
        if name not in WRITE_METHODS:
            return attribute

        def write(*args, **kwargs):
            owner = self._owner
            owner.writes += 1
            if owner.writes >= owner.crash_at:
                owner.crashed = True
                raise SimulatedCrash(f"crash before write {owner.writes} ({name})")
            return attribute(*args, **kwargs)

        return write
