"""The lighting applier of ``serve``: every zone with a ``control`` section gets its level
written when the astronomical schedule changes it (switch-on at sunset + offset, the dimming
steps, switch-off at sunrise + offset), in its own thread, through
:func:`lingtan.equipment.lighting_apply.apply_lighting` (stored, alarmed).

Off unless ``LINGTAN_LIGHTING_APPLY=1``: writing to a plant is an operator's decision, not a
side effect of declaring registers. Each run writes the level in force to the circuits whose
newest stored write does not already hold it with outcome ``ok``; so a restart writes the level
in force at once, a level that did not go through is written again at the next run (at the
latest ``recheck_s`` later, like a dispatch step writes anew), and a run between two changes
writes nothing. A level written by hand (``lingtan equipment light --at``) that differs from the
schedule is put back at the next run: while the applier runs, the schedule decides.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from lingtan.equipment import lighting
from lingtan.equipment.lighting_apply import apply_lighting_now, controlled_zones
from lingtan.errors import LingtanError
from lingtan.identity.roles import Principal, Role
from lingtan.store import Store
from lingtan.timeutil import utcnow

log = logging.getLogger(__name__)

#: seconds after a switching instant the run starts: the instant itself is then in the past
#: whatever the clocks' resolution
OFFSET_S = 1.0
#: the longest wait between two runs [s] (a failed level is written again after it)
RECHECK_S = 900.0


class LightingApplier:
    """A daemon thread that keeps every controlled zone's circuits at their scheduled level."""

    def __init__(
        self,
        store: Store,
        *,
        recheck_s: float = RECHECK_S,
        offset_s: float = OFFSET_S,
        clock: Callable[[], dt.datetime] = utcnow,
        client_factory: Any = None,
    ) -> None:
        self._store = store
        self._recheck = recheck_s
        self._offset = offset_s
        self._clock = clock
        self._factory = client_factory
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: runs done (tests, logs)
        self.runs = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="lingtan-lighting", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _zones(self) -> list[tuple[Principal, ZoneInfo, lighting.ZoneSpec]]:
        """(park principal, time zone, zone) of every zone with circuits to write to."""
        out = []
        for park in self._store.registry.parks():
            principal = Principal(
                subject="serve:lighting", role=Role.PARK_ADMIN, enterprise_id=None,
                park_id=park.id,
            )  # fmt: skip
            tz = ZoneInfo(park.timezone)
            out += [(principal, tz, z) for z in controlled_zones(self._store, park.id)]
        return out

    def wait_s(self, now: dt.datetime) -> float:
        """Seconds from ``now`` to the next run: just after the next switching of any zone,
        at most ``recheck_s``."""
        wait = self._recheck
        for _p, tz, spec in self._zones():
            try:
                nxt = lighting.next_change(spec, now, tz).at
            except LingtanError as e:  # no sunrise or sunset there on that day
                log.warning("lighting applier: zone %s has no next switching: %s", spec.code, e)
                continue
            wait = min(wait, (nxt - now).total_seconds() + self._offset)
        return max(0.0, wait)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()  # first at start: the level in force after a restart
            try:
                wait = self.wait_s(self._clock())
            except Exception:  # the database may be away for a while
                log.exception("lighting applier: could not read the zones")
                wait = 60.0
            if self._stop.wait(wait):
                return

    def run_once(self, now: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Write the level in force at ``now`` (default: the clock) to every controlled zone's
        circuits that do not hold it yet; the service's answers (one per zone)."""
        at = now or self._clock()
        done: list[dict[str, Any]] = []
        try:
            zones = self._zones()
        except Exception:
            log.exception("lighting applier: could not read the zones")
            zones = []
        for principal, _tz, spec in zones:
            try:
                result = apply_lighting_now(
                    self._store, principal=principal, code=spec.code, now=at,
                    only_changed=True, client_factory=self._factory,
                )  # fmt: skip
            except LingtanError as e:  # a declaration gone stale, polar night …
                log.warning("lighting applier: zone %s not applied: %s", spec.code, e)
                continue
            except Exception:
                log.exception("lighting applier: zone %s failed", spec.code)
                continue
            failed = [d["device"] for d in result["devices"] if d["status"] != "ok"]
            if failed:
                log.warning(
                    "lighting applier: zone %s at %g %%: %s not confirmed",
                    spec.code, result["level_pct"], ", ".join(failed),
                )  # fmt: skip
            done.append(result)
        self.runs += 1
        return done
