"""The background normaliser's work in a process of its own (``lingtan serve``).

Normalisation is CPU-bound Python: run on a thread of the serving process it takes its share
of the interpreter lock from the request threads. Under a feed of late readings (every touched
point recomputed exactly) the overview's p95 at 200 requests/s rose to 0.8 s
(docs/performance.md, "The overview while data flows"). Here the serving process keeps the
coalescing thread (:class:`lingtan.jobs.runner.BackgroundNormaliser`) and a child process,
with its own store connections, does each run; the two talk over a pipe.

Nothing is handed over but the order to run: the child reads the dirty-interval queue and the
readings from the store, as it does for readings other processes ingested. A child that dies is
started again on the next run; the queue keeps what it had not finished.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import traceback
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from lingtan.normalize.service import NormaliseReport

log = logging.getLogger(__name__)

#: how long :meth:`NormaliserProcess.close` waits for the child to finish its run and exit [s]
CLOSE_WAIT_S = 60.0
#: the child's scheduling niceness (added to the service's): on a machine with few cores a
#: normalisation of late data can keep a core busy for minutes, and the requests must not
#: wait for it — the child takes the CPU the service leaves idle
NICENESS = 10
#: connections the child's store keeps (one run uses one at a time, plus the advisory lock's)
CHILD_CONNECTIONS = 3


def _child(conn: Connection, database_url: str) -> None:
    """The child's loop: one normalisation run per message, its report sent back."""
    # ^C reaches the whole process group: the parent stops the child in its own time
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(NICENESS)
    from lingtan.normalize.service import normalise_pending
    from lingtan.store import Store

    store = Store(database_url, connections=CHILD_CONNECTIONS)
    try:
        conn.send("ready")
        while True:
            try:
                order = conn.recv()
            except EOFError:  # the parent is gone
                return
            if order is None:
                return
            try:
                report: NormaliseReport | BaseException = normalise_pending(store)
            except Exception:  # sent back whole: the parent logs it and retries next wake-up
                report = RuntimeError(f"in the normaliser process:\n{traceback.format_exc()}")
            conn.send(report)
    finally:
        store.close()


class NormaliserProcess:
    """Runs :func:`lingtan.normalize.service.normalise_pending` in a child process, one run
    at a time (the caller's thread waits for it; the serving process's other threads run)."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._ready = False

    def start(self, *, wait: bool = False) -> None:
        """Start the child (a fresh interpreter: ``spawn``, never a fork of a threaded
        process). ``wait``: return once it has imported its modules and opened the store
        (benchmarks; ``serve`` does not wait, the first run does)."""
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        process = ctx.Process(
            target=_child, args=(child, self._url), name="lingtan-normaliser", daemon=True
        )
        process.start()
        child.close()
        self._process, self._conn, self._ready = process, parent, False
        if wait:
            self._await_ready()

    def _await_ready(self) -> None:
        assert self._conn is not None
        if not self._ready:
            if self._conn.recv() != "ready":
                raise RuntimeError("the normaliser process did not start")
            self._ready = True

    def run(self) -> NormaliseReport:
        """One run in the child; its exception is raised here. A dead child is restarted
        (this run then fails; the queue keeps its ranges for the next)."""
        if self._conn is None or self._process is None or not self._process.is_alive():
            self.close()
            self.start()
        assert self._conn is not None
        try:
            self._await_ready()
            self._conn.send("run")
            answer = self._conn.recv()
        except (EOFError, OSError) as err:
            self.close()
            raise RuntimeError("the normaliser process stopped during a run") from err
        if isinstance(answer, BaseException):
            raise answer
        result: NormaliseReport = answer
        return result

    def close(self) -> None:
        """Ask the child to stop after its run, and wait for it."""
        conn, process = self._conn, self._process
        self._conn = self._process = None
        if conn is not None:
            try:
                conn.send(None)
            except OSError:
                pass
            conn.close()
        if process is not None:
            process.join(CLOSE_WAIT_S)
            if process.is_alive():
                log.warning("the normaliser process did not stop; terminating it")
                process.terminate()
                process.join(5)
