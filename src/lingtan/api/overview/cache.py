"""A small in-process cache of computed views, keyed by the store's data version.

A view (the park overview of a scope and day, say) is recomputed when the fingerprint from
:meth:`lingtan.store.query_repo.QueryRepo.data_version` changes — a new ingest batch, a
normalisation run, any audited write. With ``max_stale_s`` a changed view is recomputed in the
background while the previous answer is still served, if that answer is younger than
``max_stale_s``: a park that ingests every few seconds would otherwise recompute its overview
on nearly every request. Without it (the default) an answer is never older than the data.

The data version itself is read at most once per ``version_ttl_s`` (:meth:`data_version`):
under load every request would otherwise spend a database transaction on it — views that may
lag ``max_stale_s`` anyway can lag one more second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Entry:
    version: Any
    value: Any
    computed_at: float  # time.monotonic()


class VersionedCache:
    """Least-recently-used entries keyed by (key, data version)."""

    def __init__(
        self,
        *,
        max_entries: int = 256,
        version_ttl_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._version_ttl = version_ttl_s
        self._clock = clock
        self._version: tuple[float, Any] | None = None  # (read at, value)
        self._refreshing: set[Hashable] = set()
        self._lock = threading.Lock()
        self._max = max_entries
        self.hits = 0
        self.stale_hits = 0
        self.misses = 0

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
        with self._lock:
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
        max_stale_s: float = 0.0,
        current_version: Callable[[], Any] | None = None,
    ) -> T:
        """The value of ``key`` at ``version``, computing it on a miss.

        With ``max_stale_s`` > 0 an answer of an older version, computed less than
        ``max_stale_s`` ago, is returned at once while a background thread recomputes it
        (``current_version`` gives the version to record for that recomputation).
        """
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found.version == version:
                self._entries.move_to_end(key)
                self.hits += 1
                return found.value  # type: ignore[no-any-return]
            if found is not None and max_stale_s > 0 and now - found.computed_at <= max_stale_s:
                self.stale_hits += 1
                if key not in self._refreshing:
                    self._refreshing.add(key)
                    threading.Thread(
                        target=self._refresh,
                        args=(key, compute, current_version or (lambda: version)),
                        name="lingtan-view-refresh",
                        daemon=True,
                    ).start()
                return found.value  # type: ignore[no-any-return]
            self.misses += 1
        value = compute()
        self._put(key, version, value, now)
        return value

    def _refresh(
        self, key: Hashable, compute: Callable[[], Any], version: Callable[[], Any]
    ) -> None:
        try:
            v = version()
            started = time.monotonic()
            self._put(key, v, compute(), started)
        except Exception:
            log.exception("refreshing a cached view failed; the next request recomputes it")
            with self._lock:
                self._entries.pop(key, None)
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
            self._version = None
