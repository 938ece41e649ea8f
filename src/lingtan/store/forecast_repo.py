"""PV plants' declared parameters, imported weather series and issued forecasts
(``lingtan.forecast``).

Every read that serves a user takes the caller's :class:`Tenant`: an enterprise sees the
forecasts and plants of its own points only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, select

from lingtan.errors import NotFound
from lingtan.store import schema as s
from lingtan.store.query_repo import Tenant, _owner

if TYPE_CHECKING:
    from lingtan.store.core import Store


@dataclass(frozen=True, slots=True)
class PvPlantRow:
    """Declared parameters of the PV plant behind one point."""

    point_id: int
    enterprise_id: int | None
    kwp: float
    tilt_deg: float
    azimuth_deg: float
    losses_pct: float
    latitude: float
    longitude: float
    altitude_m: float
    source: str
    updated_at: int
    #: temperature coefficient of power [%/°C]; None: no temperature derating
    temp_coeff_pct: float | None = None


@dataclass(frozen=True, slots=True)
class WeatherSeriesRow:
    """An imported weather series and its provenance."""

    id: int
    park_id: int
    code: str
    quantity: str
    unit: str
    source: str
    sha256: str
    imported_by: str
    imported_at: int
    hours: int = 0
    first_hour: int | None = None
    last_hour: int | None = None


@dataclass(frozen=True, slots=True)
class ForecastRunRow:
    """One issued forecast (values apart)."""

    id: int
    park_id: int
    #: point | enterprise | park
    subject: str
    #: the point's, enterprise's or park's code
    subject_code: str
    point_id: int | None
    enterprise_id: int | None
    #: an owner's carrier ("electricity": the balance); None for a point
    carrier: str | None
    horizon: str
    first_day: str
    days: int
    status: str
    detail: str
    model: str
    model_version: str
    features: list[str]
    train_start: str | None
    train_end: str | None
    backtest: dict[str, Any]
    issued_by: str
    issued_at: int
    #: slot length [s]: 3600 hourly, 900 a 15-minute forecast
    step_s: int = 3600


def _run(r: Any) -> ForecastRunRow:
    return ForecastRunRow(
        id=int(r.id),
        park_id=int(r.park_id),
        subject=r.subject,
        subject_code=r.subject_code,
        point_id=None if r.point_id is None else int(r.point_id),
        enterprise_id=None if r.enterprise_id is None else int(r.enterprise_id),
        carrier=r.carrier,
        horizon=r.horizon,
        first_day=r.first_day,
        days=int(r.days),
        status=r.status,
        detail=r.detail,
        model=r.model,
        model_version=r.model_version,
        features=json.loads(r.features),
        train_start=r.train_start,
        train_end=r.train_end,
        backtest=json.loads(r.backtest),
        issued_by=r.issued_by,
        issued_at=int(r.issued_at),
        step_s=int(r.step_s),
    )


class ForecastRepo:
    """Storage of forecasts and their inputs."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- PV plants ------------------------------------------------------------------------
    def save_pv_plant(self, row: PvPlantRow) -> None:
        """Insert or replace the declared parameters of a PV point."""
        t = s.pv_plant
        values = {f: getattr(row, f) for f in PvPlantRow.__dataclass_fields__}
        stmt = self._store.dialect_insert(t).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.point_id],
            set_={k: v for k, v in values.items() if k != "point_id"},
        )
        with self._store.begin() as conn:
            conn.execute(stmt)

    def pv_plant(self, *, tenant: Tenant, point_id: int) -> PvPlantRow | None:
        """The declared plant of a point in scope, None when none is declared."""
        t = s.pv_plant
        with self._store.begin() as conn:
            r = conn.execute(
                select(t).where(t.c.point_id == point_id, _owner(t.c.enterprise_id, tenant))
            ).first()
        return None if r is None else PvPlantRow(**r._mapping)

    # -- weather --------------------------------------------------------------------------
    def import_weather(
        self,
        *,
        park_id: int,
        code: str,
        quantity: str,
        unit: str,
        source: str,
        sha256: str,
        actor: str,
        now: int,
        values: Sequence[tuple[int, float]],
    ) -> tuple[int, int]:
        """Create or update a series and upsert its hourly values; (series id, rows written)."""
        ts, tv = s.weather_series, s.weather_value
        with self._store.begin() as conn:
            sid = conn.execute(
                select(ts.c.id).where(ts.c.park_id == park_id, ts.c.code == code)
            ).scalar()
            meta = {
                "quantity": quantity,
                "unit": unit,
                "source": source,
                "sha256": sha256,
                "imported_by": actor,
                "imported_at": now,
            }
            if sid is None:
                sid = conn.execute(
                    insert(ts).values(park_id=park_id, code=code, **meta).returning(ts.c.id)
                ).scalar_one()
            else:
                conn.execute(ts.update().where(ts.c.id == sid).values(**meta))
            if values:
                stmt = self._store.dialect_insert(tv)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[tv.c.series_id, tv.c.hour], set_={"value": stmt.excluded.value}
                )
                conn.execute(stmt, [{"series_id": sid, "hour": h, "value": v} for h, v in values])
        return int(sid), len(values)

    def weather_series(self, *, park_id: int, code: str | None = None) -> list[WeatherSeriesRow]:
        """Series of a park (one by code) with their extent."""
        ts, tv = s.weather_series, s.weather_value
        cond: ColumnElement[bool] = ts.c.park_id == park_id
        if code is not None:
            cond = and_(cond, ts.c.code == code)
        extent = (
            select(
                tv.c.series_id,
                func.count().label("hours"),
                func.min(tv.c.hour).label("first_hour"),
                func.max(tv.c.hour).label("last_hour"),
            )
            .group_by(tv.c.series_id)
            .subquery()
        )
        q = (
            select(ts, extent.c.hours, extent.c.first_hour, extent.c.last_hour)
            .select_from(ts.outerjoin(extent, extent.c.series_id == ts.c.id))
            .where(cond)
            .order_by(ts.c.code)
        )
        with self._store.begin() as conn:
            rows = conn.execute(q).all()
        return [WeatherSeriesRow(**{**r._mapping, "hours": int(r.hours or 0)}) for r in rows]

    def weather_values(self, *, series_id: int, h0: int, h1: int) -> dict[int, float]:
        """Hourly values of a series in [h0, h1)."""
        tv = s.weather_value
        with self._store.begin() as conn:
            rows = conn.execute(
                select(tv.c.hour, tv.c.value).where(
                    tv.c.series_id == series_id, tv.c.hour >= h0, tv.c.hour < h1
                )
            ).all()
        return {int(r.hour): float(r.value) for r in rows}

    def last_stat_hour(self, point_id: int, *, field: str = "value") -> int | None:
        """The latest hour whose ``field`` (value, mean) of a point is known [µs], or None."""
        t = s.stat_hour
        with self._store.begin() as conn:
            got = conn.execute(
                select(func.max(t.c.hour)).where(t.c.point_id == point_id, t.c[field].is_not(None))
            ).scalar()
        return None if got is None else int(got)

    def hourly(self, point_id: int, field: str, h0: int, h1: int) -> list[tuple[int, float]]:
        """(hour, ``field``) of a point's known hourly statistics in [h0, h1), in time order:
        one narrow query for the models (the statistics repository reads every column)."""
        t = s.stat_hour
        col = t.c[field]
        q = (
            select(t.c.hour, col)
            .where(t.c.point_id == point_id, t.c.hour >= h0, t.c.hour < h1, col.is_not(None))
            .order_by(t.c.hour)
        )
        with self._store.begin() as conn:
            return [(int(h), float(v)) for h, v in conn.execute(q).all()]

    # -- forecasts ------------------------------------------------------------------------
    def save_run(
        self,
        run: dict[str, Any],
        values: Sequence[tuple[int, float | None, float | None, float | None]],
    ) -> int:
        """Store a forecast and its values (hourly or 15-minute, as its ``step_s`` says) in one
        transaction; the run id."""
        tr, tv = s.forecast_run, s.forecast_value
        row = dict(run)
        row["features"] = json.dumps(row["features"])
        row["backtest"] = json.dumps(row["backtest"])
        with self._store.begin() as conn:
            rid = int(conn.execute(insert(tr).values(**row).returning(tr.c.id)).scalar_one())
            if values:
                conn.execute(
                    insert(tv),
                    [
                        {"run_id": rid, "hour": h, "p10": a, "p50": b, "p90": c}
                        for h, a, b, c in values
                    ],
                )
        return rid

    def runs(
        self,
        *,
        tenant: Tenant,
        park_id: int,
        point_id: int | None = None,
        subject: str | None = None,
        subject_code: str | None = None,
        horizon: str | None = None,
        step_s: int | None = None,
        latest_only: bool = False,
        limit: int = 100,
    ) -> list[ForecastRunRow]:
        """Forecasts in scope, newest first (the newest per subject, carrier, horizon and slot
        length if asked). An enterprise sees its own points' and its own enterprise's, never the park's."""
        t = s.forecast_run
        cond: ColumnElement[bool] = and_(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if point_id is not None:
            cond = and_(cond, t.c.point_id == point_id)
        if subject is not None:
            cond = and_(cond, t.c.subject == subject)
        if subject_code is not None:
            cond = and_(cond, t.c.subject_code == subject_code)
        if horizon is not None:
            cond = and_(cond, t.c.horizon == horizon)
        if step_s is not None:
            cond = and_(cond, t.c.step_s == step_s)
        if latest_only:
            newest = (
                select(func.max(t.c.id))
                .where(cond)
                .group_by(
                    t.c.subject,
                    t.c.point_id,
                    t.c.enterprise_id,
                    t.c.carrier,
                    t.c.horizon,
                    t.c.step_s,
                )
            ).scalar_subquery()
            cond = and_(cond, t.c.id.in_(newest))
        with self._store.begin() as conn:
            rows = conn.execute(select(t).where(cond).order_by(t.c.id.desc()).limit(limit)).all()
        return [_run(r) for r in rows]

    def run(self, *, tenant: Tenant, run_id: int) -> ForecastRunRow:
        """One forecast in scope; ``NotFound`` otherwise."""
        t = s.forecast_run
        with self._store.begin() as conn:
            r = conn.execute(
                select(t).where(t.c.id == run_id, _owner(t.c.enterprise_id, tenant))
            ).first()
        if r is None:
            raise NotFound("forecast not found")
        return _run(r)

    def run_values(self, run_id: int) -> list[tuple[int, float | None, float | None, float | None]]:
        """P10/P50/P90 of each slot of a forecast, in time order (the caller checked its scope)."""
        t = s.forecast_value
        with self._store.begin() as conn:
            rows = conn.execute(
                select(t.c.hour, t.c.p10, t.c.p50, t.c.p90)
                .where(t.c.run_id == run_id)
                .order_by(t.c.hour)
            ).all()
        return [(int(r.hour), r.p10, r.p50, r.p90) for r in rows]

    def delete_runs_of_point(self, point_id: int) -> None:
        """Forget the forecasts of a point (its values first)."""
        tr, tv = s.forecast_run, s.forecast_value
        with self._store.begin() as conn:
            ids = select(tr.c.id).where(tr.c.point_id == point_id)
            conn.execute(delete(tv).where(tv.c.run_id.in_(ids)))
            conn.execute(delete(tr).where(tr.c.point_id == point_id))
