"""The worker threads of a serving process: a small pool that runs queued jobs, and the
background normaliser that turns newly ingested readings into statistics."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from lingtan.jobs.service import run_next_job
from lingtan.normalize.service import normalise_pending
from lingtan.store import Store
from lingtan.store.jobs_repo import JobsRepo
from lingtan.timeutil import to_us, utcnow

log = logging.getLogger(__name__)


class JobRunner:
    """Runs queued jobs on a thread pool (jobs are blocking work: SQL, numpy, file builds)."""

    def __init__(self, store: Store, *, workers: int = 2) -> None:
        self._store = store
        self._pool: ThreadPoolExecutor | None = None
        self._workers = workers
        #: jobs this process was asked to run and has not seen finish, one turn each
        self._waiting: set[str] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the pool; jobs a stopped process left running are failed, queued ones run."""
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="lingtan-job")
        repo = JobsRepo(self._store)
        stale = repo.fail_unfinished(now=to_us(utcnow()), reason="interrupted: the server stopped")
        if stale:
            log.warning("%d jobs were interrupted by a restart and marked failed", stale)
        for job_id in repo.queued_ids():
            self.enqueue(job_id)

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
                job = run_next_job(self._store, among=among)
            except Exception:
                log.exception("a job could not be run")
                return
            with self._lock:
                if job is None:  # none of them is queued any more (run here or elsewhere)
                    self._waiting -= among
                    return
                self._waiting.discard(job.id)

    def stop(self) -> None:
        """Wait for running jobs and stop."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=False)
            self._pool = None


class BackgroundNormaliser:
    """Drains the dirty-interval queue after ingest (woken by :meth:`poke`) and every
    ``interval_s`` seconds (readings ingested by other processes: collectors, the CLI)."""

    def __init__(self, store: Store, *, interval_s: float = 10.0) -> None:
        self._store = store
        self._interval = interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread."""
        self._thread = threading.Thread(target=self._loop, name="lingtan-normaliser", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Ask for a run soon (new readings were committed)."""
        self._idle.clear()
        self._wake.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no run is pending (tests, graceful shutdown)."""
        return self._idle.wait(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            if self._stop.is_set():
                break
            self._wake.clear()
            try:
                if self._store.stats.pending_dirty():
                    report = normalise_pending(self._store)
                    log.info(
                        "normalised %d points, %d hours (%d revised)",
                        report.points,
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
