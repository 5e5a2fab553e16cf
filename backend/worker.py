"""The service's background work, out of the request path: recovery of interrupted operations, the
WhatsApp outbox, the gateway sweep, a periodic reconcile (its result kept for `/metrics`), and a
heartbeat.

`python -m backend worker` runs it as a process of its own (production: one or more beside the web
processes, which run none of it); `python -m backend` (the embedded default) runs it in a thread.
Several workers may run at once: recovery, the sweep and reconcile each run under a lease in `worker_leases`
(one worker at a time per job; every step inside is idempotent anyway), and outbox messages and
swept payment orders are each claimed with a lease of their own. Each worker writes a heartbeat to
`worker_heartbeats` every tick; `/health` reports the newest one's age.
"""
import datetime
import logging
import os
import socket
import threading
import uuid

from pymongo.errors import DuplicateKeyError, PyMongoError

from .clock import iso, utcnow
from .sweep import sweep_from_config

logger = logging.getLogger("integration.worker")
TICK_SECONDS = 1.0
FINISH_BATCHES_PER_TICK = 10  # of FINISH_BATCH_MAX entries: 1,000 movements an outbox interval
JOB_LEASE_SECONDS = 300  # longer than one run of a job; a crashed worker's job is free after it


class Worker:
    """Runs each job when its interval has passed; `run_once` is one tick."""

    def __init__(self, integration, db, config, clock=utcnow, worker_id=None):
        self.integration = integration
        self.leases = db["worker_leases"]
        self.heartbeats = db["worker_heartbeats"]
        self.config = config
        self.clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.jobs = {
            "recovery": (config["WORKER_RECOVERY_INTERVAL_SECONDS"], self._recover, True),
            "outbox": (config["WORKER_OUTBOX_INTERVAL_SECONDS"], self._drain_outbox, False),
            "sweep": (config["WORKER_SWEEP_INTERVAL_SECONDS"], self._sweep, True),
            "reconcile": (config["WORKER_RECONCILE_INTERVAL_SECONDS"], self._reconcile, True),
        }
        self.last_run = {}  # job -> when this worker last ran it

    def run_once(self):
        """Run every job that is due (each guarded so one failing job does not stop the others);
        write the heartbeat; returns {job: result} of what ran."""
        now = self.clock()
        results = {}
        for name, (interval_seconds, job, leased) in self.jobs.items():
            last = self.last_run.get(name)
            if last is not None and (now - last).total_seconds() < interval_seconds:
                continue
            self.last_run[name] = now
            try:
                if leased and not self._take_lease(name, now):
                    continue
                results[name] = job()
            except Exception:  # a store hiccup or a gateway outage: try again next interval
                logger.exception("worker job %s failed", name)
                results[name] = "failed"
        self._beat(now, results)
        return results

    def run(self, stop, tick_seconds=TICK_SECONDS):
        """Tick until `stop` (a threading.Event) is set."""
        logger.info("worker %s started: %s", self.worker_id,
                    ", ".join(f"{name} every {interval:g} s" for name, (interval, _, _) in self.jobs.items()))
        while not stop.is_set():
            self.run_once()
            stop.wait(tick_seconds)
        logger.info("worker %s stopped", self.worker_id)

    def _recover(self):
        return self.integration.recover(self.config["RECOVERY_GRACE_SECONDS"])

    def _drain_outbox(self):
        """Finish the money movements made since the last run, up to FINISH_BATCHES_PER_TICK batches
        (which queues their confirmations; idempotent, so workers may do it side by side), then send
        what is due."""
        self.integration.recover(self.config["RECOVERY_GRACE_SECONDS"], batches_max=FINISH_BATCHES_PER_TICK)
        outbox = self.integration.outbox
        return outbox.drain() if outbox is not None else 0

    def _sweep(self):
        return sweep_from_config(self.integration, self.config)

    def _reconcile(self):
        """`reconcile` over the whole store; the count of drifts is kept on the job's lease document
        (`last_reconcile`, read by /metrics) and each drift is logged."""
        drift = self.integration.reconcile()
        self.leases.update_one({"_id": "reconcile"}, {"$set": {"report": {
            "drift": len(drift), "ran_at": self.clock(), "worker_id": self.worker_id}}})
        for row in drift:
            logger.warning("reconcile drift: %s", row)
        return len(drift)

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
        try:
            self.heartbeats.update_one(
                {"_id": self.worker_id},
                {"$set": {"beat_at": now, "pid": os.getpid(), "host": socket.gethostname(),
                          **{f"jobs.{name}": {"ran_at": now, "result": str(result)[:200]}
                             for name, result in results.items()}}},
                upsert=True)
        except PyMongoError:
            logger.exception("worker heartbeat not written")


def last_heartbeat(db, now=None):
    """{age_seconds, worker_id, at} of the newest worker heartbeat, or None when no worker ever beat."""
    newest = next(iter(db["worker_heartbeats"].find({}, sort=[("beat_at", -1)], limit=1)), None)
    if newest is None:
        return None
    age_seconds = ((now or utcnow()) - newest["beat_at"]).total_seconds()
    return {"age_seconds": round(max(age_seconds, 0.0), 1), "worker_id": newest["_id"], "at": iso(newest["beat_at"])}


def last_reconcile(db, now=None):
    """{drift, age_seconds} of the newest reconcile a worker ran, or None when none has."""
    lease = db["worker_leases"].find_one({"_id": "reconcile"})
    report = (lease or {}).get("report")
    if report is None:
        return None
    age_seconds = ((now or utcnow()) - report["ran_at"]).total_seconds()
    return {"drift": report["drift"], "age_seconds": round(max(age_seconds, 0.0), 1)}


def start_worker_thread(app):
    """The embedded default: the worker in a daemon thread of the serving process."""
    stop = threading.Event()
    worker = Worker(app.extensions["integration"], app.extensions["wallet_db"], app.config)
    threading.Thread(target=worker.run, args=(stop,), name="worker", daemon=True).start()
    return stop
