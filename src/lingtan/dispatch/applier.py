"""The setpoint applier of ``serve``: at the start of every dispatch step, the setpoints of
the newest plan covering the step are written to the devices each park's microgrid declaration
controls, and read back (:func:`lingtan.dispatch.service.apply_setpoints`), in its own thread.

Off unless ``LINGTAN_DISPATCH_APPLY=1``: writing to a plant is an operator's decision, not a
side effect of declaring registers. A park without a ``control`` section, or without a plan for
the step, is skipped (logged); a failed write is recorded and alarmed by the service, never
retried past the device's declared ``retries``."""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from lingtan.dispatch.config import parse
from lingtan.errors import LingtanError
from lingtan.identity.roles import Principal, Role
from lingtan.store import Store
from lingtan.store.dispatch_repo import DispatchRepo
from lingtan.timeutil import utcnow

log = logging.getLogger(__name__)

#: seconds after a step's start the writes go out: the plan of an intraday re-plan made at the
#: boundary has a moment to be stored first
OFFSET_S = 5.0


def next_step_start(now: dt.datetime, tz: ZoneInfo, step_minutes: int) -> dt.datetime:
    """The start of the first step (local midnight + k × ``step_minutes``) after ``now``."""
    local = now.astimezone(tz)
    midnight = dt.datetime.combine(local.date(), dt.time(), tzinfo=tz)
    elapsed = (local - midnight).total_seconds()
    k = math.floor(elapsed / (step_minutes * 60)) + 1
    return midnight + dt.timedelta(minutes=k * step_minutes)


class SetpointApplier:
    """A daemon thread that applies every controlled park's setpoints once per step."""

    def __init__(
        self,
        store: Store,
        *,
        offset_s: float = OFFSET_S,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._store = store
        self._offset = offset_s
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: steps applied (tests, logs)
        self.runs = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="lingtan-dispatch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _controlled(self) -> list[tuple[Principal, ZoneInfo, int]]:
        """(park principal, zone, step minutes) of every park whose declaration controls
        devices."""
        out: list[tuple[Principal, ZoneInfo, int]] = []
        repo = DispatchRepo(self._store)
        for park in self._store.registry.parks():
            row = repo.spec(park_id=park.id)
            if row is None:
                continue
            spec = parse(row.spec)
            if spec.control is None or not spec.control.devices:
                continue
            principal = Principal(
                subject="serve:dispatch",
                role=Role.PARK_ADMIN,
                enterprise_id=None,
                park_id=park.id,
            )
            out.append((principal, ZoneInfo(park.timezone), spec.step_minutes))
        return out

    def _wait_s(self, now: dt.datetime) -> float:
        parks = self._controlled()
        if not parks:  # look again in a minute: a declaration may be saved meanwhile
            return 60.0
        starts = [next_step_start(now, tz, minutes) for _p, tz, minutes in parks]
        return max(0.0, (min(starts) - now).total_seconds() + self._offset)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self._wait_s(self._clock())
            except Exception:  # the database may be away for a while
                log.exception("dispatch applier: could not read the declarations")
                wait = 60.0
            if self._stop.wait(wait):
                return
            self.run_once()

    def run_once(self, now: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Apply the step ``now`` (default: the clock) falls in, for every controlled park;
        returns the service's answers (a park without a plan for the step is skipped)."""
        from lingtan.dispatch.service import apply_setpoints

        at = now or self._clock()
        done: list[dict[str, Any]] = []
        for principal, _tz, _minutes in self._controlled():
            try:
                result = apply_setpoints(self._store, principal=principal, now=at)
            except LingtanError as e:  # no plan for the step, a declaration gone stale …
                log.warning("dispatch applier: park %s not applied: %s", principal.park_id, e)
                continue
            except Exception:
                log.exception("dispatch applier: park %s failed", principal.park_id)
                continue
            failed = [d["device"] for d in result["devices"] if d["status"] != "ok"]
            if failed:
                log.warning(
                    "dispatch applier: step %s of plan %s: %s not confirmed",
                    result["step"], result["plan_id"], ", ".join(failed),
                )  # fmt: skip
            done.append(result)
        self.runs += 1
        return done
