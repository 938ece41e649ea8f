"""A small in-process cache of computed views, keyed by the store's data version.

A view (the park overview of a scope and day, say) is recomputed when the fingerprint from
:meth:`lingtan.store.query_repo.QueryRepo.data_version` changes — a new ingest batch, a
normalisation run, any audited write.

Two rules keep a busy service from stalling (issue 13: 20 keep-alive clients froze for
60–79 s while late data was normalised, because every request whose stale answer had
passed its 30 s window recomputed the multi-second overview itself, all at once):

* **single flight** — at most one computation per key at a time. It runs in a thread of its
  own; every caller that needs its result waits for that one computation (at most
  ``wait_s``, then :class:`~lingtan.errors.Unavailable`, a 503 with Retry-After, while the
  computation goes on and fills the cache for the next request);
* **stale while revalidate** — with ``stale_ok`` a caller is answered at once with the
  previous value of the key while the single flight recomputes it, however long that takes.
  A value is recomputed at most once per ``min_refresh_s`` (counted from the start of its
  last computation): after new data a view lags by at most that plus the time of one
  recomputation. A failed recomputation
  is logged and the previous value kept (the next request starts another), never dropped:
  dropping it turned every following request into a cold one.

Without ``stale_ok`` an answer is never older than the version the caller passed.

The data version itself is read at most once per ``version_ttl_s`` (:meth:`data_version`;
the view service reads the park options' version with it, in one statement): under load every
request would otherwise spend a database transaction on it — views that may lag anyway can
lag one more second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lingtan.errors import Unavailable

T = TypeVar("T")
log = logging.getLogger(__name__)
#: how long a request waits for a view being computed before it is answered 503 [s]; the
#: computation itself goes on (a cold overview takes ~0.5 s alone, a few seconds under load)
DEFAULT_WAIT_S = 8.0


@dataclass(frozen=True, slots=True)
class _Entry:
    version: Any
    value: Any
    computed_at: float  # clock() when the computation started


@dataclass(slots=True)
class _Flight:
    """One computation of a key in progress."""

    version: Any  # the version the caller that started it asked for
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None


class VersionedCache:
    """Least-recently-used entries keyed by (key, data version), computed one at a time."""

    def __init__(
        self,
        *,
        max_entries: int = 256,
        version_ttl_s: float = 0.0,
        wait_s: float = DEFAULT_WAIT_S,
        min_refresh_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}
        self._version_ttl = version_ttl_s
        self._wait = wait_s
        self._min_refresh = min_refresh_s
        self._clock = clock
        self._version: tuple[float, Any] | None = None  # (read at, value)
        self._lock = threading.Lock()
        self._max = max_entries
        self.hits = 0
        self.stale_hits = 0
        self.misses = 0
        #: computations started (one per flight), for tests and diagnostics
        self.computations = 0

    def data_version(self, read: Callable[[], Any]) -> Any:
        """``read()`` — the store's data version — or its value from a read less than
        ``version_ttl_s`` ago (always read when that is 0)."""
        now = self._clock()
        last = self._version
        if last is not None and now - last[0] < self._version_ttl:
            return last[1]
        value = read()
        self._version = (now, value)
        return value

    def _put(self, key: Hashable, version: Any, value: Any, at: float) -> None:
        # called with self._lock held
        self._entries[key] = _Entry(version, value, at)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def get_or_compute(
        self,
        key: Hashable,
        version: Any,
        compute: Callable[[], T],
        *,
        stale_ok: bool = False,
        current_version: Callable[[], Any] | None = None,
    ) -> T:
        """The value of ``key`` at ``version``, computed by one flight at a time.

        ``stale_ok``: answer with the key's previous value, if there is one, while it is
        recomputed. ``current_version`` is read by the flight just before it computes (the
        version to record: a fresher read than ``version``, which may be up to
        ``version_ttl_s`` old); without it ``version`` is recorded.
        """
        deadline = self._clock() + self._wait
        while True:
            with self._lock:
                found = self._entries.get(key)
                if found is not None and found.version == version:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return found.value  # type: ignore[no-any-return]
                stale = stale_ok and found is not None
                flight = self._flights.get(key)
                if (
                    stale
                    and flight is None
                    and found is not None
                    and self._clock() - found.computed_at < self._min_refresh
                ):
                    # recomputed moments ago: under a steady feed the version changes every
                    # second, and back-to-back recomputations would take a core from requests
                    self.stale_hits += 1
                    return found.value  # type: ignore[no-any-return]
                start = flight is None
                if flight is None:
                    flight = self._flights[key] = _Flight(version)
                    self.computations += 1
                if stale:
                    self.stale_hits += 1
                elif start:
                    self.misses += 1
            if start:
                threading.Thread(
                    target=self._fly,
                    args=(key, flight, compute, current_version),
                    name="lingtan-view-compute",
                    daemon=True,
                ).start()
            if stale:
                assert found is not None
                return found.value  # type: ignore[no-any-return]
            if not flight.done.wait(max(0.0, deadline - self._clock())):
                raise Unavailable("the view is being computed; retry in a few seconds")
            if flight.version != version and flight.error is None:
                # a flight for an older version: its answer may predate the caller's data
                continue
            if flight.error is not None:
                raise flight.error
            return flight.value  # type: ignore[no-any-return]

    def _fly(
        self,
        key: Hashable,
        flight: _Flight,
        compute: Callable[[], Any],
        current_version: Callable[[], Any] | None,
    ) -> None:
        started = self._clock()
        try:
            # the version is read before the computation: data changed during it makes the
            # entry look older than it is (one more recomputation), never newer
            version = flight.version if current_version is None else current_version()
            flight.value = compute()
            with self._lock:
                self._put(key, version, flight.value, started)
        except Exception as err:  # handed to the callers waiting for this flight
            flight.error = err
            log.warning("computing a cached view failed (%s); the previous value is kept", err)
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until no computation is in progress (tests, graceful shutdown); False when
        one is still running after ``timeout`` seconds."""
        deadline = None if timeout is None else self._clock() + timeout
        while True:
            with self._lock:
                flights = list(self._flights.values())
            if not flights:
                return True
            for f in flights:
                left = None if deadline is None else max(0.0, deadline - self._clock())
                if not f.done.wait(left):
                    return False

    def clear(self) -> None:
        """Forget everything (flights in progress still finish and store their value)."""
        with self._lock:
            self._entries.clear()
            self._version = None
