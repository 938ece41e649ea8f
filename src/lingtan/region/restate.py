"""The region's stored uploads as the input of the Dask restatement (区域清单重述的输入).

A registered park's hourly aggregates of a year — the current revision of each month's upload
(:meth:`lingtan.store.region_repo.RegionRepo.hourly`) — become the
:class:`~lingtan.region.tasks.ParkAggregates` the restatement task takes: one row per building
under the key (enterprise, carrier), one value per local hour of the year, ``NaN`` where no
upload carries the hour (the task counts it as missing, never as zero). The park's time zone
and province come from its newest upload's envelope.
"""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np

from lingtan.errors import InvalidInput, NotFound
from lingtan.identity.roles import Principal
from lingtan.region.document import month_span
from lingtan.region.service import scope_of
from lingtan.region.tasks import ParkAggregates
from lingtan.store import Store
from lingtan.store.region_repo import RegionRepo
from lingtan.timeutil import HOUR_US


def park_aggregates(
    store: Store, *, principal: Principal, park_code: str, year: int
) -> ParkAggregates:
    """One registered park's stored hourly aggregates of ``year`` (local calendar year)."""
    scope = scope_of(store, principal)
    repo = RegionRepo(store)
    park = repo.park_by_code(park_code, parks=scope)
    ups = [u for u in repo.uploads(parks=scope, park_id=park.id, current=True) if u.year == year]
    if not ups:
        raise NotFound(f"park {park_code} has no upload for {year}")
    newest = max(ups, key=lambda u: (u.month, u.revision))
    envelope = json.loads(repo.document(newest.id, parks=scope))["park"]
    tz, province = str(envelope["timezone"]), envelope.get("province")
    if not province:
        raise InvalidInput(
            f"park {park_code}: its uploads name no province (needed for the grid factor); "
            "the park sends it from this version on",
            field="province",
        )
    h0, _ = month_span(year, 1, tz)
    _, h1 = month_span(year, 12, tz)
    series: dict[tuple[str, str], dict[str, np.ndarray]] = defaultdict(dict)
    units: dict[str, str] = {}
    for carrier, enterprise, building, unit, hour, value in repo.hourly(
        park_id=park.id, h0=h0, h1=h1, parks=scope
    ):
        if units.setdefault(carrier, unit) != unit:
            raise InvalidInput(
                f"park {park_code}: {carrier} is uploaded in {units[carrier]} and {unit}",
                field="unit",
            )
        row = series[(enterprise, carrier)].get(building)
        if row is None:
            row = series[(enterprise, carrier)][building] = np.full(h1 - h0, np.nan)
        if value is not None:
            row[hour - h0] = value
    hourly = {
        key: np.vstack([rows[b] for b in sorted(rows)])
        if len(rows) > 1
        else next(iter(rows.values()))
        for key, rows in series.items()
    }
    out = ParkAggregates(
        park=park.code, name=park.name, province=str(province), year=year, hourly=hourly,
        units=units, start_us=h0 * HOUR_US,
    )  # fmt: skip
    out.check()
    return out


def registered_parks(store: Store, *, principal: Principal) -> list[str]:
    """The codes of the registered parks in the caller's scope."""
    return [p.code for p in RegionRepo(store).parks(parks=scope_of(store, principal))]
