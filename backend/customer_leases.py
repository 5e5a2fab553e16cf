"""Short leases on one customer's work (`customer_leases`): what must not run twice at once for a
customer (starting a top-up under its limits, planning a withdrawal over its top-ups) runs under
one. A lease left by a process that died runs out after LEASE_SECONDS; a second caller waits up to
WAIT_SECONDS_MAX, then is told to try again (503 `store_unavailable`, nothing written)."""

import contextlib
import datetime
import time
import uuid

from pymongo.errors import DuplicateKeyError

from .clock import utcnow
from .errors import StoreUnavailable

LEASE_SECONDS = 10
WAIT_SECONDS_MAX = 5.0
POLL_SECONDS = 0.02


class CustomerLeases:
    def __init__(self, db, clock=utcnow):
        self.leases = db["customer_leases"]
        self.clock = clock

    @contextlib.contextmanager
    def held(self, customer_id, purpose):
        """Inside: no other holder of `purpose` for this customer, anywhere, until the block ends or
        the lease runs out; it yields `kept()`, which renews the lease, or raises StoreUnavailable
        when it ran out and another caller took it: call it before writing what the lease guards
        after a slow step (a gateway's answer)."""
        lease_id, owner = f"{purpose}:{customer_id}", uuid.uuid4().hex
        deadline = time.monotonic() + WAIT_SECONDS_MAX
        while not self._take(lease_id, owner):
            if time.monotonic() > deadline:
                raise StoreUnavailable("Another request of this customer is being handled; try again.")
            time.sleep(POLL_SECONDS)

        def kept():
            until = self.clock() + datetime.timedelta(seconds=LEASE_SECONDS)
            if not self.leases.update_one({"_id": lease_id, "owner": owner}, {"$set": {"until": until}}).matched_count:
                raise StoreUnavailable("This request took too long and another of this customer went ahead; try again.")

        try:
            yield kept
        finally:
            self.leases.delete_one({"_id": lease_id, "owner": owner})

    def _take(self, lease_id, owner):
        now = self.clock()
        until = now + datetime.timedelta(seconds=LEASE_SECONDS)
        free = {"_id": lease_id, "until": {"$lte": now}}
        if self.leases.update_one(free, {"$set": {"owner": owner, "until": until}}).matched_count:
            return True
        try:
            self.leases.insert_one({"_id": lease_id, "owner": owner, "until": until})
        except DuplicateKeyError:
            return False
        return True
