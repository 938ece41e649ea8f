"""The worker threads of a serving process: a small pool that runs queued jobs, and the
background normaliser that turns newly ingested readings into statistics."""

from __future__ import annotations

import logging
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from lingtan.jobs.normaliser_process import NormaliserProcess
from lingtan.jobs.service import execute_claimed
from lingtan.normalize.service import normalise_pending
from lingtan.store import Store
from lingtan.store.jobs_repo import JobsRepo
from lingtan.timeutil import SECOND_US, to_us, utcnow

log = logging.getLogger(__name__)


#: how often a process renews the heartbeat of the jobs it runs [s]
HEARTBEAT_S = 10.0
#: a running job whose heartbeat is older than this was left by a process that died [s];
#: six beats, so that a busy machine or a slow database does not fail a live job
ABANDONED_AFTER_S = 60.0


class JobRunner:
    """Runs queued jobs on a thread pool (jobs are blocking work: SQL, numpy, file builds).

    Under ``lingtan serve --workers N`` every process has one. Each keeps the jobs it runs
    beating; a job whose heartbeat stopped was left by a process that died and is failed, by
    whichever runner notices first, so restarting one worker leaves its siblings' jobs alone.
    """

    def __init__(self, store: Store, *, workers: int = 2, heartbeat_s: float = HEARTBEAT_S) -> None:
        self._store = store
        self._repo = JobsRepo(store)
        self._pool: ThreadPoolExecutor | None = None
        self._workers = workers
        self._heartbeat_s = heartbeat_s
        #: jobs this process was asked to run and has not seen finish, one turn each
        self._waiting: set[str] = set()
        #: jobs this process is running (their heartbeat is renewed)
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._beater: threading.Thread | None = None

    def start(self) -> None:
        """Start the pool and the heartbeat; fail jobs whose process died; run queued ones."""
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="lingtan-job")
        self._stopping.clear()
        self._fail_abandoned()
        for job_id in self._repo.queued_ids():
            self.enqueue(job_id)
        self._beater = threading.Thread(
            target=self._beat, name="lingtan-job-heartbeat", daemon=True
        )
        self._beater.start()

    def _fail_abandoned(self) -> None:
        now = to_us(utcnow())
        failed = self._repo.fail_abandoned(
            now=now,
            silent_since=now - int(ABANDONED_AFTER_S * SECOND_US),
            reason="interrupted: the process running it stopped",
        )
        if failed:
            log.warning("%d jobs were left running by a stopped process and marked failed", failed)

    def _beat(self) -> None:
        while not self._stopping.wait(self._heartbeat_s):
            try:
                with self._lock:
                    running = set(self._running)
                self._repo.beat(running, now=to_us(utcnow()))
                self._fail_abandoned()
            except Exception:  # the database may be away for a while: try again next beat
                log.exception("job heartbeat failed")

    def enqueue(self, job_id: str) -> None:
        """Give ``job_id`` a turn: as soon as a worker is free it runs one job.

        A turn runs the fairest of the jobs this process was given (``claim_next``), then the
        next, until none is queued: a caller with many jobs does not hold back one who asked
        later, and no job is left behind. Jobs queued by another process (``serve --workers``)
        are that process's to run.
        """
        if self._pool is None:
            raise RuntimeError("job runner not started")
        with self._lock:
            self._waiting.add(job_id)
        self._pool.submit(self._turn)

    def _turn(self) -> None:
        # run jobs until none this process knows of is queued: a turn that took another's
        # job must not leave its own behind (that one's turn may have found nothing)
        while True:
            with self._lock:
                among = set(self._waiting)
            if not among:
                return
            try:
                job = self._repo.claim_next(now=to_us(utcnow()), among=among)
            except Exception:
                log.exception("a job could not be claimed")
                return
            with self._lock:
                if job is None:  # none of them is queued any more (run here or elsewhere)
                    self._waiting -= among
                    return
                self._waiting.discard(job.id)
                self._running.add(job.id)
            try:
                execute_claimed(self._store, job)
            except Exception:
                log.exception("job %s could not be run", job.id)
            finally:
                with self._lock:
                    self._running.discard(job.id)

    def stop(self) -> None:
        """Wait for running jobs (still beating) and stop."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=False)
            self._pool = None
        self._stopping.set()
        if self._beater is not None:
            self._beater.join(timeout=30)
            self._beater = None


class BackgroundNormaliser:
    """Drains the dirty-interval queue after ingest (woken by :meth:`poke`) and every
    ``interval_s`` seconds (readings ingested by other processes: collectors, the CLI).

    Runs are coalesced: a poke starts a run only once ``min_interval_s`` have passed since the
    previous run started, or at once when ``pending_readings`` readings have been announced
    since then — a burst of small batches gives one run, not a burst of runs, and a large
    backlog does not wait (``LINGTAN_NORMALISE_MIN_INTERVAL_S``,
    ``LINGTAN_NORMALISE_PENDING_READINGS``).

    ``database_url``: do each run in a child process on that database
    (:mod:`lingtan.jobs.normaliser_process`; ``lingtan serve``), so that the normalisation's
    Python work does not take the interpreter lock from the threads serving requests. The
    store then stops holding committed rows for the normaliser: the child reads them back.
    """

    def __init__(
        self,
        store: Store,
        *,
        interval_s: float = 10.0,
        min_interval_s: float = 2.0,
        pending_readings: int = 50_000,
        database_url: str | None = None,
    ) -> None:
        self._store = store
        self._child = None if database_url is None else NormaliserProcess(database_url)
        if self._child is not None:
            store.readings.hold_recent = False
        self._interval = interval_s
        self._min_interval = min_interval_s
        self._threshold = pending_readings
        self._pending = 0
        self._last_run = -math.inf
        self._count_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        #: runs started (tests, logs)
        self.runs = 0

    def start(self, *, wait_ready: bool = False) -> None:
        """Start the thread (and the child process; ``wait_ready``: until it can run)."""
        if self._child is not None:
            self._child.start(wait=wait_ready)
        self._thread = threading.Thread(target=self._loop, name="lingtan-normaliser", daemon=True)
        self._thread.start()

    def poke(self, readings: int = 0) -> None:
        """Ask for a run soon: ``readings`` new readings were committed."""
        with self._count_lock:
            self._pending += readings
        self._idle.clear()
        self._wake.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no run is pending (tests, graceful shutdown)."""
        return self._idle.wait(timeout)

    def _coalesce(self) -> None:
        """Wait until the minimum interval since the last run has passed, unless enough
        readings are announced meanwhile (or the normaliser stops)."""
        while not self._stop.is_set():
            with self._count_lock:
                enough = self._pending >= self._threshold
            remaining = self._last_run + self._min_interval - time.monotonic()
            if enough or remaining <= 0:
                return
            self._wake.clear()
            self._wake.wait(remaining)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            if self._stop.is_set():
                break
            self._coalesce()
            if self._stop.is_set():
                break
            self._wake.clear()
            with self._count_lock:
                self._pending = 0
            self._last_run = time.monotonic()
            try:
                if self._store.stats.pending_dirty():
                    self.runs += 1
                    report = (
                        normalise_pending(self._store) if self._child is None else self._child.run()
                    )
                    log.info(
                        "normalised %d points (%d continued), %d hours (%d revised)",
                        report.points,
                        report.continued,
                        report.hours,
                        report.changed_hours,
                    )
            except Exception:
                log.exception("background normalisation failed; retrying at the next wake-up")
            finally:
                if not self._wake.is_set():
                    self._idle.set()

    def stop(self) -> None:
        """Stop the thread after the current run."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None
        if self._child is not None:
            self._child.close()
