"""The sink that feeds the ingest pipeline of the configured store.

``ingest(store, readings)`` commits a batch in one transaction and is idempotent on
(point, timestamp); it raises :class:`~lingtan.errors.Unavailable` when the database cannot
be reached. The store is opened lazily and reopened after a failure, so a collector started
while the database is down spills to its buffer and catches up once it is back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from lingtan.alarms.engine import attach_engine
from lingtan.config import Settings
from lingtan.connectors.base import CommsEvent, SinkAck
from lingtan.errors import LingtanError, Unavailable
from lingtan.ingest import ingest
from lingtan.jobs.runner import BackgroundNormaliser
from lingtan.readings import Reading
from lingtan.store import Store, open_store
from lingtan.timeutil import to_us

log = logging.getLogger(__name__)


class StoreSink:
    """Calls ``lingtan.ingest.ingest`` on ``lingtan.store.open_store(settings)``.

    ``normalise``: a background normaliser in this process, poked after every committed batch
    and coalesced as ``serve``'s (``normalise_min_interval_s``, ``normalise_pending_readings``),
    continues the points from the rows the sink committed instead of reading them back
    (docs/data-quality.md §4). ``serve`` still normalises what other writers commit.
    """

    def __init__(
        self, settings: Settings, *, source: str = "collector", normalise: bool = False
    ) -> None:
        self.settings = settings
        self.source = source
        self.normalise = normalise
        self._store: Store | None = None
        self._normaliser: BackgroundNormaliser | None = None
        self._lock = threading.Lock()

    def _open(self) -> Store:
        if self._store is None:
            try:
                self._store = open_store(self.settings)
                # alarms stream on each committed batch (lingtan.alarms.engine)
                attach_engine(self._store)
            except LingtanError:
                raise  # Unavailable, or a configuration error the operator must fix
            except Exception as err:
                raise Unavailable(f"cannot open the store: {err}") from err
            if self.normalise:
                self._normaliser = BackgroundNormaliser(
                    self._store,
                    interval_s=self.settings.normalise_interval_s,
                    min_interval_s=self.settings.normalise_min_interval_s,
                    pending_readings=self.settings.normalise_pending_readings,
                )
                self._normaliser.start()
        return self._store

    def wait_normalised(self, timeout: float | None = None) -> bool:
        """Block until the sink's normaliser has nothing pending (tests, shutdown)."""
        normaliser = self._normaliser
        return True if normaliser is None else normaliser.wait_idle(timeout)

    def __call__(self, readings: Sequence[Reading]) -> SinkAck:
        """Commit ``readings`` through the ingest pipeline."""
        with self._lock:
            store = self._open()
            try:
                ack: SinkAck = ingest(
                    store, readings, source=self.source, future_skew_s=self.settings.future_skew_s
                )
            except Unavailable:
                self._close()
                raise
            if self._normaliser is not None and ack.accepted:
                self._normaliser.poke(ack.accepted)
            return ack

    def comms(self, event: CommsEvent) -> None:
        """A device stopped or resumed answering: the alarm engine raises the comms-loss
        alarms of its points at once, without waiting for the silence to pass the rules'
        limit. Not raised when the store is unavailable (the silence is found once it is
        back)."""
        with self._lock:
            try:
                store = self._open()
            except Unavailable:
                return
            engine = attach_engine(store)
        engine.report_comms(
            event.points, lost=event.kind == "comms_lost", at=to_us(event.at),
            detail=f"{event.connector}/{event.device}: {event.detail}".rstrip(": "),
        )  # fmt: skip

    def _close(self) -> None:
        normaliser, self._normaliser = self._normaliser, None
        if normaliser is not None:
            normaliser.stop()  # after its current run
        store, self._store = self._store, None
        if store is not None:
            try:
                attach_engine(store).detach()  # writes its pending evaluation state
                store.close()
            except Exception:  # a store that is down may fail to close too
                log.debug("closing the store failed", exc_info=True)

    def check(self) -> str | None:
        """Open the store now: a configuration error raises; unreachable returns the reason."""
        with self._lock:
            try:
                self._open()
            except Unavailable as err:
                log.warning("store unavailable at start (%s); readings go to the spill buffer", err)
                return str(err)
        return None

    def close(self) -> None:
        """Release the store."""
        with self._lock:
            self._close()
