"""The alarm scheduler of ``serve``: runs :meth:`Engine.tick` every ``interval_s`` seconds
(freshness, hourly statistics, budgets, escalation, automatic close), in its own thread."""

from __future__ import annotations

import logging
import threading

from lingtan.alarms.engine import Engine

log = logging.getLogger(__name__)


class AlarmScheduler:
    """A daemon thread ticking an engine (``LINGTAN_ALARM_TICK_S``)."""

    def __init__(self, engine: Engine, *, interval_s: float = 30.0) -> None:
        self._engine = engine
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: ticks run (tests, logs)
        self.ticks = 0

    def start(self) -> None:
        """Start the thread; the first tick runs at once."""
        self._thread = threading.Thread(target=self._loop, name="lingtan-alarms", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                report = self._engine.tick()
                self.ticks += 1
                if report.raised or report.cleared or report.escalated or report.closed:
                    log.info(
                        "alarms: %d raised, %d cleared, %d escalated, %d closed",
                        report.raised, report.cleared, report.escalated, report.closed,
                    )  # fmt: skip
            except Exception:
                log.exception("alarm evaluation failed; retrying at the next tick")
            self._stop.wait(self._interval)

    def stop(self) -> None:
        """Stop the thread after the current tick."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None
