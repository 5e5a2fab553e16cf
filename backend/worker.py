"""The service's background work, out of the request path: recovery of interrupted operations, the
WhatsApp outbox, the gateway sweep, a periodic reconcile (its result kept for `/metrics`), and a
heartbeat.

`python -m backend worker` runs it as a process of its own (production: one or more beside the web
processes, which run none of it); `python -m backend` (the embedded default) runs it in a thread.
Several workers may run at once: recovery, the sweep and reconcile each run under a lease in `worker_leases`
(one worker at a time per job; every step inside is idempotent anyway), and outbox messages (a
batch at a time: backend/notifications.py) and swept payment orders are claimed with leases of
their own. Each worker writes a heartbeat to `worker_heartbeats` every tick; `/health` reports the
newest one's age.

Job leases are short (JOB_LEASE_SECONDS) and every tick renews the ones the worker holds, so a
worker holds its jobs while it lives; a stopped worker (SIGTERM, SIGINT) releases them, so the next
one runs them at once, and a killed one's run out within JOB_LEASE_SECONDS. A job that runs longer
than the lease (no tick meanwhile) may be taken by another worker and run there too: harmless,
since every step is idempotent and swept payment orders are claimed one by one.

Every tick first compares the worker's clock with the store's (`hello`'s `localTime`). Beyond
WORKER_CLOCK_SKEW_MAX_SECONDS either way the worker runs no job, takes no lease and writes no
heartbeat, and logs an ERROR: a clock days ahead would expire fresh top-ups, finish operations still
in progress and take every lease. Where the store does not tell its time (the embedded mongomock
store, which lives in the worker's own process) nothing is compared.
"""

import datetime
import logging
import os
import socket
import threading
import uuid

from pymongo.errors import DuplicateKeyError, PyMongoError

from . import backlog, settlement_days
from .clock import iso, store_now, utcnow
from .errors import IntegrationError
from .sweep import sweep_from_config

logger = logging.getLogger("integration.worker")
TICK_SECONDS = 1.0
FINISH_BATCHES_PER_TICK = 10  # of FINISH_BATCH_MAX entries: 1,000 movements an outbox interval
OUTBOX_SECONDS_PER_TICK = 10  # batches of a backlog sent in one tick, at most this long (then the other jobs)
# A job lease: renewed every tick (TICK_SECONDS) while the worker lives, released when it stops;
# a killed worker's jobs are free this long after its last tick (well within the sweep's interval).
JOB_LEASE_SECONDS = 30
RELEASED = datetime.datetime(1970, 1, 1)  # a released lease's `until`: free whatever a clock says
SKEW_LOG_EVERY_TICKS = 60  # while refusing, the ERROR is repeated this often (about once a minute)


class Worker:
    """Runs each job when its interval has passed; `run_once` is one tick."""

    def __init__(self, integration, db, config, clock=utcnow, worker_id=None, store_clock=None):
        """`store_clock()`: the store's time, or None when unknown (default: asked of the store)."""
        self.integration = integration
        self.store_clock = store_clock or (lambda: store_now(db))
        self.leases = db["worker_leases"]
        self.heartbeats = db["worker_heartbeats"]
        self.config, self.clock = config, clock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.jobs = {
            "recovery": (config["WORKER_RECOVERY_INTERVAL_SECONDS"], self._recover, True),
            "outbox": (config["WORKER_OUTBOX_INTERVAL_SECONDS"], self._drain_outbox, False),
            "sweep": (config["WORKER_SWEEP_INTERVAL_SECONDS"], self._sweep, True),
            "reconcile": (config["WORKER_RECONCILE_INTERVAL_SECONDS"], self._reconcile, True),
            "settlement": (config["WORKER_SETTLEMENT_INTERVAL_SECONDS"], self._settle_complete_days, True),
        }
        self.leased_jobs = [name for name, (_, _, leased) in self.jobs.items() if leased]
        self.due_at = {}  # job -> when this worker tries it next (absent: now)
        self.skew_max_seconds = config["WORKER_CLOCK_SKEW_MAX_SECONDS"]
        self.refused_ticks = 0
        self.db, self.backlog_counted_at = db, None

    def run_once(self):
        """Unless the clock is off the store's: renew the leases held, run every job that is due
        (each guarded so one failing job does not stop the others), write the heartbeat; returns
        {job: result} of what ran."""
        now = self.clock()
        if not self._clock_agrees(now):
            return {}
        self._renew_leases(now)
        results = {}
        for name, (interval_seconds, job, leased) in self.jobs.items():
            due_at = self.due_at.get(name)
            if due_at is not None and now < due_at:
                continue
            self.due_at[name] = now + datetime.timedelta(seconds=interval_seconds)
            try:
                if leased and not self._take_lease(name, now):
                    # another worker holds it: try again once its lease could have run out
                    retry_seconds = min(interval_seconds, JOB_LEASE_SECONDS)
                    self.due_at[name] = now + datetime.timedelta(seconds=retry_seconds)
                    continue
                results[name] = job()
            except Exception:  # a store hiccup or a gateway outage: try again next interval
                logger.exception("worker job %s failed", name)
                results[name] = "failed"
        self._beat(now, results)
        return results

    def run(self, stop, tick_seconds=TICK_SECONDS):
        """Tick until `stop` (a threading.Event) is set; then release the leases held."""
        logger.info(
            "worker %s started: %s; job leases %d s, renewed every tick; clock skew bound %d s",
            self.worker_id,
            ", ".join(f"{name} every {interval:g} s" for name, (interval, _, _) in self.jobs.items()),
            JOB_LEASE_SECONDS,
            self.skew_max_seconds,
        )
        while not stop.is_set():
            self.run_once()
            stop.wait(tick_seconds)
        self.release_leases()
        logger.info("worker %s stopped", self.worker_id)

    def release_leases(self):
        """Free every job lease this worker holds, so another worker (or its restart) runs them now."""
        try:
            self.leases.update_many(
                {"_id": {"$in": self.leased_jobs}, "owner": self.worker_id},
                {"$set": {"owner": None, "until": RELEASED}},
            )
        except PyMongoError:
            logger.exception(
                "worker %s could not release its leases; they run out in %d s", self.worker_id, JOB_LEASE_SECONDS
            )

    def _clock_agrees(self, now):
        """True unless this worker's clock is more than WORKER_CLOCK_SKEW_MAX_SECONDS off the
        store's (logged as an ERROR on the first such tick and about once a minute after)."""
        try:
            store_time = self.store_clock()
        except PyMongoError:
            logger.exception("worker %s could not read the store's clock; nothing run this tick", self.worker_id)
            return False
        skew_seconds = 0.0 if store_time is None else (now - store_time).total_seconds()
        if abs(skew_seconds) <= self.skew_max_seconds:
            if self.refused_ticks:
                logger.warning(
                    "worker %s: clock within %d s of the store's again; running jobs",
                    self.worker_id,
                    self.skew_max_seconds,
                )
            self.refused_ticks = 0
            return True
        if self.refused_ticks % SKEW_LOG_EVERY_TICKS == 0:
            logger.error(
                "WORKER CLOCK SKEW: worker %s's clock is %.0f s %s the store's (bound "
                "WORKER_CLOCK_SKEW_MAX_SECONDS=%d): no recovery, outbox, sweep or reconcile, no "
                "lease taken, no heartbeat until it is fixed (sync this machine's clock, e.g. NTP)",
                self.worker_id,
                abs(skew_seconds),
                "ahead of" if skew_seconds > 0 else "behind",
                self.skew_max_seconds,
            )
        self.refused_ticks += 1
        return False

    def _recover(self):
        return self.integration.recover(self.config["RECOVERY_GRACE_SECONDS"])

    def _drain_outbox(self):
        """Finish the money movements made since the last run, up to FINISH_BATCHES_PER_TICK batches (which
        queues their confirmations; idempotent: workers may do it side by side), then send what is due (also
        when the follow-ups failed), a batch after another while batches come full, for OUTBOX_SECONDS_PER_TICK."""
        outbox = self.integration.outbox
        try:
            self.integration.followups.recover(self.config["RECOVERY_GRACE_SECONDS"], FINISH_BATCHES_PER_TICK)
        finally:
            sent = outbox.drain_backlog(OUTBOX_SECONDS_PER_TICK) if outbox is not None else 0
        return sent

    def _sweep(self):
        return sweep_from_config(self.integration, self.config)

    def _reconcile(self):
        """`reconcile` over the whole store; orphaned checkout holds past their time are released
        (`OrphanHolds.release_orphans`), the count of the other drifts is kept on the job's lease
        document (`last_reconcile`, read by /metrics) and each is logged."""
        drift = self.integration.reconcile()
        for row in self.integration.orphan_holds.release_orphans(drift):
            logger.warning("reconcile drift put right, an orphaned hold past its time released: %s", row)
            drift.remove(row)
        self.leases.update_one(
            {"_id": "reconcile"},
            {"$set": {"report": {"drift": len(drift), "ran_at": self.clock(), "worker_id": self.worker_id}}},
        )
        for row in drift:
            logger.warning("reconcile drift: %s", row)
        return len(drift)

    def _settle_complete_days(self):
        """Settle each gateway's days due (`settlement_days.days_due`: the newest day whose report is
        complete, and those before it a worker missed), oldest first; a day settled in full already
        is left (the job's lease keeps two workers from settling it at once). {gateway: open
        exceptions} of the days it settled."""
        newest = settlement_days.newest_complete_day(self.clock())
        books = self.integration.settlement.books
        settled: dict[str, int] = {}
        for name, adapter in sorted(self.integration.payments.gateways.items()):
            if not hasattr(adapter, "settlement_report"):
                continue
            for day in settlement_days.days_due(books, name, newest):
                if not self._take_lease("settlement", self.clock()):
                    return settled  # a long catch-up outlived the job's lease: another worker goes on
                opened = self._settle_day(name, day)
                if opened is not None:
                    settled[name] = settled.get(name, 0) + opened
        return settled

    def _settle_day(self, name, day):
        """Settle `name`'s `day`; how many exceptions it left open (logged), or None when the gateway
        could not be asked (the next run tries again)."""
        try:
            _document, exceptions = self.integration.settle(name, day)
        except IntegrationError as error:
            logger.warning("settlement of %s %s: %s", name, day, error.code)
            return None
        except Exception:  # one day's trouble (a report the store cannot take) never stops the other days
            logger.exception("settlement of %s %s failed", name, day)
            return None
        opened = [row for row in exceptions if row.get("status") == "open"]
        for row in opened:
            logger.warning(
                "settlement exception: %s", {k: row.get(k) for k in ("gateway", "date", "kind", "payment_id")}
            )
        return len(opened)

    def _renew_leases(self, now):
        """Extend every job lease this worker holds to JOB_LEASE_SECONDS from now (one write)."""
        until = now + datetime.timedelta(seconds=JOB_LEASE_SECONDS)
        try:
            self.leases.update_many(
                {"_id": {"$in": self.leased_jobs}, "owner": self.worker_id}, {"$set": {"until": until}}
            )
        except PyMongoError:
            logger.exception("worker %s could not renew its leases", self.worker_id)

    def _take_lease(self, job, now):
        """True when this worker holds `job`'s lease now (taken, renewed, or free since it expired)."""
        until = now + datetime.timedelta(seconds=JOB_LEASE_SECONDS)
        held = {"$or": [{"until": {"$lte": now}}, {"owner": self.worker_id}]}
        taken = self.leases.update_one({"_id": job, **held}, {"$set": {"owner": self.worker_id, "until": until}})
        if taken.matched_count:
            return True
        try:
            self.leases.insert_one({"_id": job, "owner": self.worker_id, "until": until})
            return True
        except DuplicateKeyError:
            return False  # another worker holds it

    def _beat(self, now, results):
        beat = {"beat_at": now, "pid": os.getpid(), "host": socket.gethostname()}
        beat.update({f"jobs.{name}": {"ran_at": now, "result": str(result)[:200]} for name, result in results.items()})
        try:
            if backlog.due(self.backlog_counted_at, now, results):  # /health reads it from here
                beat["backlog"] = backlog.count_backlog(self.db, self.config["SWEEP_STALE_AFTER_SECONDS"], now)
                self.backlog_counted_at = now
            self.heartbeats.update_one({"_id": self.worker_id}, {"$set": beat}, upsert=True)
        except PyMongoError:
            logger.exception("worker heartbeat not written")


def last_heartbeat(db, now=None):
    """{age_seconds, worker_id, at} of the newest worker heartbeat, or None when no worker ever beat."""
    newest = next(iter(db["worker_heartbeats"].find({}, sort=[("beat_at", -1)], limit=1)), None)
    if newest is None:
        return None
    age_seconds = ((now or utcnow()) - newest["beat_at"]).total_seconds()
    return {
        "age_seconds": round(max(age_seconds, 0.0), 1),
        "worker_id": newest["_id"],
        "at": iso(newest["beat_at"]),
        "backlog": newest.get("backlog"),
    }


def last_reconcile(db, now=None):
    """{drift, age_seconds} of the newest reconcile a worker ran, or None when none has."""
    lease = db["worker_leases"].find_one({"_id": "reconcile"})
    report = (lease or {}).get("report")
    if report is None:
        return None
    age_seconds = ((now or utcnow()) - report["ran_at"]).total_seconds()
    return {"drift": report["drift"], "age_seconds": round(max(age_seconds, 0.0), 1)}


def start_worker_thread(app, prepare=None):
    """The embedded default: the worker in a daemon thread of the serving process; `prepare(stop)`
    first when given (the store's start-up work, when the store did not answer at start: False, none)."""
    stop = threading.Event()
    worker = Worker(app.extensions["integration"], app.extensions["wallet_db"], app.config)

    def run():
        if prepare is None or prepare(stop):
            worker.run(stop)

    threading.Thread(target=run, name="worker", daemon=True).start()
    return stop
