"""Load and PV forecasts in the caller's scope (keyword-only, explicit principal, no web framework).

A forecast is issued for one *subject* — a metering point, an enterprise or the park — at the
end of its *issue day* (by default the last local day whose last hour has a statistic) for the
next day (``day_ahead``) or the next seven days (``week_ahead``). Each forecast is stored with its model, model version, features, training
window and a rolling-origin backtest against the calendar seasonal-naive baseline, so the
errors are always shown beside the values.

An enterprise's or the park's load is its hourly energy balance as green-power matching reads it
(:func:`lingtan.store.matching_repo.owner_hourly_load`): for electricity, grid import + direct
supply + PV − export − storage charge + storage discharge at the owner's boundary meters; for
another carrier, that carrier's boundary meters. The park's load is the sum of every owner's
(the park's own and each enterprise's). An hour in which any of those meters lacks a complete
rollup is unknown (NaN), never zero.

No silent fallback: a forecast never borrows another point's series, demo data or a default.
When an input is missing the forecast is stored without values and with a status:

- ``missing_inputs`` — no statistics in the week before the issue day, no declared PV plant, or
  a named weather series that does not cover the hours needed;
- ``insufficient_history`` — fewer than 28 days with data;
- ``calendar_not_covered`` — a target day lies in a year the Chinese calendar package does not
  know yet (its coverage is in the message).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from lingtan.errors import Conflict, InvalidInput, NotFound
from lingtan.forecast import backtest as bt
from lingtan.forecast import pv
from lingtan.forecast.features import (
    BASE_FEATURES,
    F64,
    HOURS,
    TEMPERATURE_FEATURE,
    CalendarNotCovered,
    calendar_coverage,
    day_types,
)
from lingtan.forecast.models import (
    MODEL_VERSION,
    ModelKind,
    QuantileForecast,
    fit_gbm,
    predict_gbm,
    seasonal_naive,
)
from lingtan.identity.roles import Permission, Principal, require, require_park_wide
from lingtan.parsing import hourly_csv
from lingtan.registry.model import Carrier
from lingtan.store import Store
from lingtan.store.forecast_repo import ForecastRepo, ForecastRunRow, PvPlantRow
from lingtan.store.records import PointRecord
from lingtan.store.registry_repo import PARK_FILE_SOURCE
from lingtan.timeutil import to_us, utcnow

US_PER_HOUR: Final = 3_600_000_000
#: fewer days with data than this: ``insufficient_history``
MIN_HISTORY_DAYS: Final = 28
#: the first backtest origin leaves at least this many days of history before it
MIN_BACKTEST_START: Final = 14
#: backtest origins step through the history this many days apart
BACKTEST_STEP_DAYS: Final = 7
#: the backtest that chooses a model covers this many days before the issue day by default
#: (eight weekly origins; ``lingtan forecast backtest`` and bench/forecast.py run a year)
BACKTEST_DAYS: Final = 56
#: the issue days a forecast may name (statistics start in 1970; the calendar ends far sooner)
ISSUE_DAYS: Final = (dt.date(1970, 1, 1), dt.date(2199, 12, 31))
WEATHER_QUANTITIES: Final = {"temperature": "°C", "ghi": "W/m2"}
#: the slot lengths a stored forecast has [s]: hourly, and 15-minute (quarter_service)
STEPS_S: Final = (3600, 900)


class Horizon(StrEnum):
    """How far ahead a forecast reaches."""

    DAY_AHEAD = "day_ahead"
    WEEK_AHEAD = "week_ahead"

    @property
    def days(self) -> int:
        return 1 if self is Horizon.DAY_AHEAD else 7


class Status(StrEnum):
    """Whether a forecast has values, and why not."""

    OK = "ok"
    MISSING_INPUTS = "missing_inputs"
    INSUFFICIENT_HISTORY = "insufficient_history"
    CALENDAR_NOT_COVERED = "calendar_not_covered"


class SubjectKind(StrEnum):
    """What a forecast is of."""

    POINT = "point"
    ENTERPRISE = "enterprise"
    PARK = "park"


#: an owner's carrier meaning its electricity balance (用电负荷)
ELECTRICITY: Final = "electricity"


@dataclass(frozen=True, slots=True)
class ForecastView:
    """A stored forecast with its hourly values and the actuals known for those hours."""

    run: ForecastRunRow
    #: the subject's code: the point's, or the enterprise's or park's for an owner forecast
    point_code: str
    #: (hour µs, p10, p50, p90, actual)
    hours: list[tuple[int, float | None, float | None, float | None, float | None]]


def _now() -> int:
    return to_us(utcnow())


def _zone(store: Store, park_id: int) -> ZoneInfo:
    return ZoneInfo(store.registry.park(park_id).timezone)


def _point(store: Store, principal: Principal, code: str) -> PointRecord:
    from lingtan.store.query_repo import QueryRepo

    return QueryRepo(store).point(tenant=principal.tenant, code=code)


def _day_start_us(day: dt.date, tz: ZoneInfo) -> int:
    return to_us(dt.datetime(day.year, day.month, day.day, tzinfo=tz))


def day_matrix(store: Store, point: PointRecord, first: dt.date, days: int, tz: ZoneInfo) -> F64:
    """Hourly values of a point as (days, 24), NaN where no statistic exists.

    A measurement point (kW, °C) gives its hourly mean, a counter its hourly quantity.
    """
    h0 = _day_start_us(first, tz)
    h1 = h0 + days * HOURS * US_PER_HOUR
    field = "mean" if point.kind == "measurement" else "value"
    rows = ForecastRepo(store).hourly(point.id, field, h0, h1)
    out = np.full(days * HOURS, np.nan)
    if rows:
        got = np.array(rows, np.float64)
        idx = ((got[:, 0].astype(np.int64) - h0) // US_PER_HOUR).astype(np.int64)
        out[idx] = got[:, 1]
    return out.reshape(days, HOURS)


def _last_day_with_data(store: Store, point: PointRecord, tz: ZoneInfo) -> dt.date | None:
    field = "mean" if point.kind == "measurement" else "value"
    last = ForecastRepo(store).last_stat_hour(point.id, field=field)
    if last is None:
        return None
    at = dt.datetime.fromtimestamp(last / 1e6, tz)
    # a day whose last hour has no statistic yet is not over in the data: issue at the end of
    # the day before (a forecast from a partial day would lack most of its comparable hours)
    return at.date() if at.hour == HOURS - 1 else at.date() - dt.timedelta(days=1)


def _weather_matrix(
    repo: ForecastRepo, park_id: int, code: str, first: dt.date, days: int, tz: ZoneInfo
) -> tuple[F64, str]:
    series = repo.weather_series(park_id=park_id, code=code)
    if not series:
        raise NotFound(f"weather series {code!r} not found")
    h0 = _day_start_us(first, tz)
    got = repo.weather_values(series_id=series[0].id, h0=h0, h1=h0 + days * HOURS * US_PER_HOUR)
    out = np.full(days * HOURS, np.nan)
    for h, v in got.items():
        out[(h - h0) // US_PER_HOUR] = v
    return out.reshape(days, HOURS), series[0].quantity


def _pv_plant(row: PvPlantRow) -> pv.PvPlant:
    return pv.PvPlant(
        kwp=row.kwp,
        tilt_deg=row.tilt_deg,
        azimuth_deg=row.azimuth_deg,
        losses_pct=row.losses_pct,
        latitude=row.latitude,
        longitude=row.longitude,
        altitude_m=row.altitude_m,
        temp_coeff_pct=row.temp_coeff_pct,
    )


@dataclass(frozen=True, slots=True)
class _Subject:
    """What a forecast is of, and how its hourly series is read."""

    kind: SubjectKind
    code: str
    park_id: int
    point_id: int | None
    enterprise_id: int | None
    carrier: str | None
    #: (first day, days, tz) → (days, 24) values, NaN where unknown
    matrix: Callable[[dt.date, int, ZoneInfo], F64]
    #: the last local day whose last hour is known, None without data
    last_day: Callable[[ZoneInfo], dt.date | None]
    point: PointRecord | None = None


def _point_subject(store: Store, point: PointRecord) -> _Subject:
    return _Subject(
        kind=SubjectKind.POINT,
        code=point.code,
        park_id=point.park_id,
        point_id=point.id,
        enterprise_id=point.enterprise_id,
        carrier=None,
        matrix=lambda first, days, tz: day_matrix(store, point, first, days, tz),
        last_day=lambda tz: _last_day_with_data(store, point, tz),
        point=point,
    )


def _balance(carrier: str) -> tuple[dict[str, float], Callable[[str], bool], str | None]:
    """The signed carriers of an owner's series, the units read and the unit summed into."""
    from lingtan.greenpower.matching.service import BALANCE
    from lingtan.store.matching_repo import is_energy, is_quantity

    if carrier == ELECTRICITY:
        return dict(BALANCE), is_energy, "kWh"
    if carrier not in {c.value for c in Carrier}:
        raise InvalidInput(
            f"carrier must be {ELECTRICITY} or one of {', '.join(c.value for c in Carrier)}",
            field="carrier",
        )
    return {carrier: 1.0}, is_quantity, None


#: how many days up to an owner's latest rollup are searched for its last complete day
_LAST_DAY_SEARCH: Final = 8


def owner_matrix(
    store: Store, *, park_id: int, owners: list[int], carrier: str, first: dt.date, days: int,
    tz: ZoneInfo,
) -> F64:  # fmt: skip
    """The summed hourly load of ``owners`` as (days, 24), NaN where any owner's hour is
    unknown (see the module docstring)."""
    from lingtan.store.matching_repo import owner_hourly_load

    balance, unit_ok, unit = _balance(carrier)
    h0 = _day_start_us(first, tz)
    h1 = _day_start_us(first + dt.timedelta(days=days), tz)
    loads, _unit = owner_hourly_load(
        store, park_id=park_id, h0=h0, h1=h1, balance=balance, owners=owners,
        unit_ok=unit_ok, target_unit=unit,
    )  # fmt: skip
    total = np.zeros((h1 - h0) // US_PER_HOUR)
    for k in owners:
        total = total + loads[k]
    # a local day of a DST change is not 24 h: the park zones of lingtan have none; keep 24
    return total[: days * HOURS].reshape(days, HOURS)


def _owner_subject(
    store: Store, principal: Principal, enterprise_code: str | None, carrier: str
) -> _Subject:
    """An enterprise (by code) or, with None, the park; in the caller's scope."""
    from lingtan.accounting.scope import park_scope, require_enterprise, require_park_level

    _balance(carrier)
    scope = park_scope(store, store.registry.park(principal.park_id).id)
    if enterprise_code is None:
        require_park_level(principal.tenant.enterprise_id, "a forecast of the park's load")
        owners = [0, *sorted(scope.enterprises)]
        kind, code, eid = SubjectKind.PARK, scope.park.code, None
    else:
        found = [e for e in scope.enterprises.values() if e.code == enterprise_code]
        if not found:
            raise NotFound("enterprise not found")
        ent = require_enterprise(scope, found[0].id, principal.tenant.enterprise_id)
        owners = [ent.id]
        kind, code, eid = SubjectKind.ENTERPRISE, ent.code, ent.id
    park_id = scope.park.id

    def matrix(first: dt.date, days: int, tz: ZoneInfo) -> F64:
        return owner_matrix(
            store, park_id=park_id, owners=owners, carrier=carrier, first=first, days=days, tz=tz
        )

    def last_day(tz: ZoneInfo) -> dt.date | None:
        from lingtan.store.matching_repo import MatchingRepo

        last = MatchingRepo(store).last_hour(
            park_id=park_id, owners=owners, carriers=sorted(_balance(carrier)[0])
        )
        if last is None:
            return None
        end = dt.datetime.fromtimestamp(last / 1e6, tz).date()
        first = end - dt.timedelta(days=_LAST_DAY_SEARCH - 1)
        m = matrix(first, _LAST_DAY_SEARCH, tz)
        # the last day whose last hour is known (a partial day is not over in the data)
        whole = np.flatnonzero(np.isfinite(m[:, HOURS - 1]))
        return None if not whole.size else first + dt.timedelta(days=int(whole[-1]))

    return _Subject(
        kind=kind, code=code, park_id=park_id, point_id=None, enterprise_id=eid,
        carrier=carrier, matrix=matrix, last_day=last_day,
    )  # fmt: skip


def _hours_index(first: dt.date, days: int, tz: ZoneInfo) -> pd.DatetimeIndex:
    start = pd.Timestamp(dt.datetime(first.year, first.month, first.day, tzinfo=tz))
    return pd.date_range(start, periods=days * HOURS, freq="h")


def issue_owner_forecast(
    store: Store,
    *,
    principal: Principal,
    enterprise_code: str | None,
    carrier: str = ELECTRICITY,
    horizon: Horizon = Horizon.DAY_AHEAD,
    issue_day: dt.date | None = None,
    history_days: int = 365,
    temperature_series: str | None = None,
    seed: int = 0,
    dry_run: bool = False,
    backtest_days: int = BACKTEST_DAYS,
) -> ForecastView:
    """Forecast an enterprise's (by code) or, with ``enterprise_code`` None, the park's hourly
    load of ``carrier`` (default the electricity balance) and store it like a point forecast.

    An enterprise user may forecast its own enterprise only (another's: ``NotFound``; the
    park: ``PermissionDenied``)."""
    require(principal, Permission.WRITE)
    subject = _owner_subject(store, principal, enterprise_code, carrier)
    return _issue(
        store, principal=principal, subject=subject, horizon=horizon, issue_day=issue_day,
        history_days=history_days, temperature_series=temperature_series,
        irradiance_series=None, seed=seed, dry_run=dry_run, backtest_days=backtest_days,
    )  # fmt: skip


def issue_forecast(
    store: Store,
    *,
    principal: Principal,
    point_code: str,
    horizon: Horizon = Horizon.DAY_AHEAD,
    issue_day: dt.date | None = None,
    history_days: int = 365,
    temperature_series: str | None = None,
    irradiance_series: str | None = None,
    seed: int = 0,
    dry_run: bool = False,
    backtest_days: int = BACKTEST_DAYS,
) -> ForecastView:
    """Train on the point's history, backtest, forecast and store; the stored forecast.

    Needs the write permission (a forecast is a stored record); the point must be in scope.
    ``dry_run`` returns the forecast (id 0) without storing it. The backtest that chooses the
    model covers the last ``backtest_days`` of the history (origins a week apart).
    """
    if not 7 <= backtest_days <= 3 * 366:
        raise InvalidInput("backtest_days must be between 7 and 1098", field="backtest_days")
    require(principal, Permission.WRITE)
    if not 28 <= history_days <= 3 * 366:
        raise InvalidInput("history_days must be between 28 and 1098", field="history_days")
    if issue_day is not None and not ISSUE_DAYS[0] <= issue_day <= ISSUE_DAYS[1]:
        raise InvalidInput(
            f"issue_day must lie in {ISSUE_DAYS[0]}–{ISSUE_DAYS[1]}", field="issue_day"
        )
    point = _point(store, principal, point_code)
    return _issue(
        store, principal=principal, subject=_point_subject(store, point), horizon=horizon,
        issue_day=issue_day, history_days=history_days, temperature_series=temperature_series,
        irradiance_series=irradiance_series, seed=seed, dry_run=dry_run,
        backtest_days=backtest_days,
    )  # fmt: skip


def _issue(
    store: Store,
    *,
    principal: Principal,
    subject: _Subject,
    horizon: Horizon,
    issue_day: dt.date | None,
    history_days: int,
    temperature_series: str | None,
    irradiance_series: str | None,
    seed: int,
    dry_run: bool,
    backtest_days: int,
) -> ForecastView:
    if not 7 <= backtest_days <= 3 * 366:
        raise InvalidInput("backtest_days must be between 7 and 1098", field="backtest_days")
    if not 28 <= history_days <= 3 * 366:
        raise InvalidInput("history_days must be between 28 and 1098", field="history_days")
    if issue_day is not None and not ISSUE_DAYS[0] <= issue_day <= ISSUE_DAYS[1]:
        raise InvalidInput(
            f"issue_day must lie in {ISSUE_DAYS[0]}–{ISSUE_DAYS[1]}", field="issue_day"
        )
    point = subject.point
    tz = _zone(store, subject.park_id)
    repo = ForecastRepo(store)
    run: dict[str, Any] = {
        "park_id": subject.park_id,
        "subject": subject.kind.value,
        "subject_code": subject.code,
        "point_id": subject.point_id,
        "enterprise_id": subject.enterprise_id,
        "carrier": subject.carrier,
        "horizon": horizon.value,
        "days": horizon.days,
        "model": "none",
        "model_version": MODEL_VERSION,
        "features": [],
        "train_start": None,
        "train_end": None,
        "backtest": {},
        "issued_by": principal.actor,
        "issued_at": _now(),
    }

    def stored(status: Status, detail: str, values: list[Any] | None = None) -> ForecastView:
        if dry_run:
            row = ForecastRunRow(id=0, **{**run, "status": status.value, "detail": detail})
            return ForecastView(row, subject.code, [(*v, None) for v in values or []])
        rid = repo.save_run({**run, "status": status.value, "detail": detail}, values or [])
        return forecast(store, principal=principal, run_id=rid)

    if issue_day is None:
        issue_day = subject.last_day(tz)
        if issue_day is None:
            run["first_day"] = dt.datetime.now(tz).date().isoformat()
            return stored(Status.MISSING_INPUTS, f"the {subject.kind.value} has no complete hours")
    first_target = issue_day + dt.timedelta(days=1)
    run["first_day"] = first_target.isoformat()
    start = issue_day - dt.timedelta(days=history_days - 1)
    n_hist = history_days
    n = n_hist + horizon.days
    days = [start + dt.timedelta(days=i) for i in range(n)]
    try:
        day_types(days)
    except CalendarNotCovered as err:
        return stored(Status.CALENDAR_NOT_COVERED, str(err))
    values = subject.matrix(start, n_hist, tz)
    values = np.vstack([values, np.full((horizon.days, HOURS), np.nan)])
    known_days = int(np.isfinite(values[:n_hist]).any(axis=1).sum())
    if not np.isfinite(values[n_hist - 7 : n_hist]).any():
        return stored(
            Status.MISSING_INPUTS,
            f"no hourly statistics in the 7 days up to the issue day {issue_day.isoformat()}",
        )
    if known_days < MIN_HISTORY_DAYS:
        return stored(
            Status.INSUFFICIENT_HISTORY,
            f"{known_days} days with data before {first_target.isoformat()}; "
            f"at least {MIN_HISTORY_DAYS} are needed",
        )
    with_data = np.flatnonzero(np.isfinite(values[:n_hist]).any(axis=1))
    run["train_start"] = days[int(with_data[0])].isoformat()
    run["train_end"] = issue_day.isoformat()
    targets = list(range(n_hist, n))
    if point is not None and point.carrier == Carrier.PV_GENERATION.value:
        result = _pv_forecast(
            repo,
            principal,
            point,
            days,
            values,
            targets,
            horizon,
            tz,
            irradiance_series,
            backtest_days,
            temperature_series,
        )
    else:
        result = _load_forecast(
            repo,
            subject.park_id,
            days,
            values,
            targets,
            horizon,
            tz,
            temperature_series,
            seed,
            backtest_days,
        )
    if isinstance(result, tuple) and isinstance(result[0], Status):
        return stored(result[0], result[1])
    fc, model, features, backtest = result
    # the calendar's coverage travels with every forecast: its flags are features
    backtest = {**backtest, "calendar": calendar_status()}
    run.update(model=model, features=features, backtest=backtest)
    h0 = _day_start_us(first_target, tz)
    rows = [
        (h0 + i * US_PER_HOUR, _num(a), _num(b), _num(c))
        for i, (a, b, c) in enumerate(
            zip(fc.p10.reshape(-1), fc.p50.reshape(-1), fc.p90.reshape(-1), strict=True)
        )
    ]
    missing = sum(1 for r in rows if r[2] is None)
    if missing:
        return stored(
            Status.MISSING_INPUTS,
            f"{missing} of {len(rows)} hours lack an input (the comparable day's values)",
            rows,
        )
    return stored(Status.OK, "", rows)


def _origins(n_hist: int, backtest_days: int) -> list[int]:
    """Weekly origins over the last ``backtest_days`` of the history (after 14 days of it)."""
    first = max(MIN_BACKTEST_START, n_hist - backtest_days)
    return bt.origins_every(n_hist, first=first, step_days=BACKTEST_STEP_DAYS)


def _num(x: float) -> float | None:
    return None if not math.isfinite(float(x)) else float(x)


def _load_forecast(
    repo: ForecastRepo,
    park_id: int,
    days: list[dt.date],
    values: F64,
    targets: list[int],
    horizon: Horizon,
    tz: ZoneInfo,
    temperature_series: str | None,
    seed: int,
    backtest_days: int,
) -> tuple[Status, str] | tuple[QuantileForecast, str, list[str], dict[str, Any]]:
    temperature = None
    if temperature_series is not None:
        temperature, quantity = _weather_matrix(
            repo, park_id, temperature_series, days[0], len(days), tz
        )
        if quantity != "temperature":
            raise InvalidInput(
                f"weather series {temperature_series!r} holds {quantity}, not temperature",
                field="temperature_series",
            )
        gaps = int(np.isnan(temperature).sum())
        if gaps:
            return (
                Status.MISSING_INPUTS,
                f"temperature series {temperature_series!r} lacks {gaps} of the "
                f"{temperature.size} hours of the history and forecast days",
            )
    n_hist = targets[0]
    origins = _origins(n_hist, backtest_days)
    if not origins:
        return (
            Status.INSUFFICIENT_HISTORY,
            f"{n_hist} days of history leave no backtest origin after the first "
            f"{MIN_BACKTEST_START}",
        )
    result = bt.rolling_origin(
        values[:n_hist], days[:n_hist], origins=origins, horizon_days=horizon.days,
        temperature=None if temperature is None else temperature[:n_hist], seed=seed,
        # the band's coverage needs the P10/P90 models at every refit: only in a backtest
        # longer than the default one that chooses the model (a third of the work otherwise)
        band=backtest_days > BACKTEST_DAYS,
    )  # fmt: skip
    features = [*BASE_FEATURES, *([TEMPERATURE_FEATURE] if temperature is not None else [])]
    if result.chosen is ModelKind.GBM:
        fit = fit_gbm(
            values, days, train_until=n_hist, lead_days=horizon.days,
            temperature=temperature, seed=seed,
        )  # fmt: skip
        fc = predict_gbm(fit, values, days, targets=targets, temperature=temperature)
    else:
        fc = seasonal_naive(values, days, targets=targets, lead_days=horizon.days)
        features = ["lag_comparable"]
    return fc, result.chosen.value, features, result.as_dict()


def _pv_forecast(
    repo: ForecastRepo,
    principal: Principal,
    point: PointRecord,
    days: list[dt.date],
    values: F64,
    targets: list[int],
    horizon: Horizon,
    tz: ZoneInfo,
    irradiance_series: str | None,
    backtest_days: int,
    temperature_series: str | None = None,
) -> tuple[Status, str] | tuple[QuantileForecast, str, list[str], dict[str, Any]]:
    row = repo.pv_plant(tenant=principal.tenant, point_id=point.id)
    if row is None:
        return (
            Status.MISSING_INPUTS,
            f"PV point {point.code} has no declared plant (pv_plant in the park file: kWp, "
            "tilt, azimuth, losses, latitude, longitude)",
        )
    plant = _pv_plant(row)
    hours = _hours_index(days[0], len(days), tz)
    n_hist = targets[0]
    meter = values.reshape(-1)
    temp_air: F64 | None = None
    if temperature_series is not None and plant.temp_coeff_pct is not None:
        matrix, quantity = _weather_matrix(
            repo, point.park_id, temperature_series, days[0], len(days), tz
        )
        if quantity != "temperature":
            raise InvalidInput(
                f"weather series {temperature_series!r} holds {quantity}, not temperature",
                field="temperature_series",
            )
        gaps = int(np.isnan(matrix).sum())
        if gaps:
            return (
                Status.MISSING_INPUTS,
                f"temperature series {temperature_series!r} lacks {gaps} of {matrix.size} hours",
            )
        temp_air = matrix.reshape(-1)
    plant_note = {
        "plant_source": row.source,
        # the declared parameters the forecast modelled with (the plant may change later)
        "plant": {
            "kwp": row.kwp,
            "tilt_deg": row.tilt_deg,
            "azimuth_deg": row.azimuth_deg,
            "losses_pct": row.losses_pct,
            "temp_coeff_pct": row.temp_coeff_pct,
            "latitude": row.latitude,
            "longitude": row.longitude,
            "altitude_m": row.altitude_m,
        },
        "temperature_derating": "PVsyst cell temperature × the declared coefficient"
        if temp_air is not None
        else (
            "none: no temperature coefficient declared"
            if plant.temp_coeff_pct is None
            else "none: no temperature series named (the cell at 25 °C)"
        ),
    }
    derated = ["cell_temperature"] if temp_air is not None else []
    if irradiance_series is not None:
        ghi, quantity = _weather_matrix(
            repo, point.park_id, irradiance_series, days[0], len(days), tz
        )
        if quantity != "ghi":
            raise InvalidInput(
                f"weather series {irradiance_series!r} holds {quantity}, not ghi",
                field="irradiance_series",
            )
        flat = ghi.reshape(-1)
        gaps = int(np.isnan(flat).sum())
        if gaps:
            return (
                Status.MISSING_INPUTS,
                f"irradiance series {irradiance_series!r} lacks {gaps} of {flat.size} hours",
            )
        modelled = pv.irradiance_energy(plant, hours, flat, temp_air)
        k = n_hist * HOURS
        factor = pv.bias_factor(meter[:k], modelled[:k])
        corrected = modelled * factor
        resid = meter[:k] - corrected[:k]
        resid = resid[np.isfinite(resid) & (modelled[:k] > 0)]
        lo, hi = np.quantile(resid, [0.1, 0.9]) if resid.size else (np.nan, np.nan)
        p50 = corrected[k:].reshape(-1, HOURS)
        sun = p50 > 0
        fc = QuantileForecast(
            np.where(sun, np.maximum(p50 + lo, 0), 0.0), p50, np.where(sun, p50 + hi, 0.0)
        )
        back = _pv_backtest(
            plant, hours, values, days, n_hist, horizon, tz, backtest_days, modelled
        )
        back["bias_factor"] = factor
        back.update(plant_note)
        return fc, "pv_irradiance", ["poa_from_ghi", "bias_factor", *derated], back
    clear = pv.clear_sky_energy(plant, hours, temp_air)
    k = n_hist * HOURS
    factors = pv.learn_cloud_factors(plant, hours[:k], meter[:k], clear[:k], tz=str(tz))
    fc = pv.forecast_with_cloud_factors(factors, hours[k:], clear[k:], tz=str(tz))
    shape = (len(targets), HOURS)
    fc = QuantileForecast(fc.p10.reshape(shape), fc.p50.reshape(shape), fc.p90.reshape(shape))
    back = _pv_backtest(plant, hours, values, days, n_hist, horizon, tz, backtest_days, None, clear)
    back.update(plant_note)
    return fc, "pv_clear_sky", ["clear_sky_poa", "cloud_factor_season_hour", *derated], back


def _pv_backtest(
    plant: pv.PvPlant,
    hours: pd.DatetimeIndex,
    values: F64,
    days: list[dt.date],
    n_hist: int,
    horizon: Horizon,
    tz: ZoneInfo,
    backtest_days: int,
    modelled: F64 | None,
    clear: F64 | None = None,
) -> dict[str, Any]:
    """Rolling-origin backtest of the PV model against seasonal-naive over the history."""
    meter = values.reshape(-1)
    origins = _origins(n_hist, backtest_days)
    actual, model_fc, naive_fc, used = [], [], [], []
    for o in origins:
        tg = list(range(o, min(o + horizon.days, n_hist)))
        a, b = o * HOURS, (tg[-1] + 1) * HOURS
        k = o * HOURS
        if modelled is not None:
            try:
                f = pv.bias_factor(meter[:k], modelled[:k])
            except InvalidInput:
                continue
            p = modelled[a:b] * f
            q = QuantileForecast(p, p, p)
        else:
            assert clear is not None
            fac = pv.learn_cloud_factors(plant, hours[:k], meter[:k], clear[:k], tz=str(tz))
            q = pv.forecast_with_cloud_factors(fac, hours[a:b], clear[a:b], tz=str(tz))
        used.append(days[o].isoformat())
        actual.append(meter[a:b])
        model_fc.append(q)
        nv = seasonal_naive(values[:n_hist], days[:n_hist], targets=tg, lead_days=horizon.days)
        naive_fc.append(
            QuantileForecast(nv.p10.reshape(-1), nv.p50.reshape(-1), nv.p90.reshape(-1))
        )
    if not actual:
        return {"horizon_days": horizon.days, "origins": [], "naive": None, "model": None}
    act = np.concatenate(actual)

    def cat(fs: list[QuantileForecast]) -> QuantileForecast:
        return QuantileForecast(
            np.concatenate([f.p10 for f in fs]),
            np.concatenate([f.p50 for f in fs]),
            np.concatenate([f.p90 for f in fs]),
        )

    m_model = bt.metrics(act, cat(model_fc))
    m_naive = bt.metrics(act, cat(naive_fc))
    return {
        "horizon_days": horizon.days,
        "first_origin": used[0],
        "last_origin": used[-1],
        "origins": used,
        "naive": m_naive.as_dict(),
        "gbm": None,
        "model": m_model.as_dict(),
        "chosen": "pv_irradiance" if modelled is not None else "pv_clear_sky",
        "skill": bt.skill(m_model, m_naive),
    }


def issue_all(
    store: Store,
    *,
    principal: Principal,
    horizon: Horizon = Horizon.DAY_AHEAD,
    points: list[str] | None = None,
    history_days: int = 365,
    issue_day: dt.date | None = None,
    on_point: Callable[[str, ForecastView], None] | None = None,
    owners: bool = False,
) -> list[ForecastView]:
    """Issue a forecast for each point in scope (or the ``points`` named), in code order, and
    with ``owners`` the electricity load of each enterprise in scope and of the park (a
    park-wide caller)."""
    require(principal, Permission.WRITE)
    from lingtan.store.query_repo import QueryRepo

    if points is None:
        park_id = store.registry.park(principal.park_id).id
        rows, _ = QueryRepo(store).points(tenant=principal.tenant, park_id=park_id)
        points = sorted(p.code for p in rows)
    out = []
    for code in points:
        view = issue_forecast(
            store, principal=principal, point_code=code, horizon=horizon,
            history_days=history_days, issue_day=issue_day,
        )  # fmt: skip
        out.append(view)
        if on_point is not None:
            on_point(code, view)
    if owners:
        for code_ in owner_codes(store, principal):
            view = issue_owner_forecast(
                store, principal=principal, enterprise_code=code_, horizon=horizon,
                history_days=history_days, issue_day=issue_day,
            )  # fmt: skip
            out.append(view)
            if on_point is not None:
                on_point(view.point_code, view)
    return out


def owner_codes(store: Store, principal: Principal) -> list[str | None]:
    """The owners whose electricity load the caller may forecast: every enterprise and the
    park (None) for a park-wide caller, its own enterprise for an enterprise user."""
    park_id = store.registry.park(principal.park_id).id
    ents = sorted(store.registry.enterprises(park_id), key=lambda e: e.code)
    if principal.tenant.enterprise_id is not None:
        return [e.code for e in ents if e.id == principal.tenant.enterprise_id]
    return [*(e.code for e in ents), None]


def _run_matrix(store: Store, run: ForecastRunRow) -> Callable[[dt.date, int, ZoneInfo], F64]:
    """How the actuals of a stored forecast's subject are read, slot by slot at the forecast's
    ``step_s`` (the caller checked scope)."""
    if run.subject == SubjectKind.POINT.value:
        point = store.registry.points_by_id().get(run.point_id or 0)
        if point is None:
            raise NotFound("forecast not found")
        if run.step_s != US_PER_HOUR // 1_000_000:
            # a 15-minute forecast: its actuals come from the readings, as its series did
            # (imported here: the 15-minute module builds on this one)
            from lingtan.forecast.quarter_service import slot_actuals

            return lambda first, days, tz: slot_actuals(store, point, first, days, tz)
        return lambda first, days, tz: day_matrix(store, point, first, days, tz)
    if run.enterprise_id is not None:
        owners = [run.enterprise_id]
    else:
        owners = [0, *(e.id for e in store.registry.enterprises(run.park_id))]
    carrier = run.carrier or ELECTRICITY
    return lambda first, days, tz: owner_matrix(
        store, park_id=run.park_id, owners=owners, carrier=carrier, first=first, days=days, tz=tz
    )


def forecast(store: Store, *, principal: Principal, run_id: int) -> ForecastView:
    """One stored forecast in scope with its values and the actuals known since."""
    require(principal, Permission.READ)
    repo = ForecastRepo(store)
    run = repo.run(tenant=principal.tenant, run_id=run_id)
    matrix = _run_matrix(store, run)
    values = repo.run_values(run.id)
    actual: dict[int, float] = {}
    if values:
        tz = _zone(store, run.park_id)
        first = dt.date.fromisoformat(run.first_day)
        m = matrix(first, run.days, tz).reshape(-1)
        h0 = _day_start_us(first, tz)
        step = run.step_s * 1_000_000
        actual = {h0 + i * step: float(v) for i, v in enumerate(m) if math.isfinite(v)}
    return ForecastView(
        run=run,
        point_code=run.subject_code,
        hours=[(h, a, b, c, actual.get(h)) for h, a, b, c in values],
    )


def forecasts(
    store: Store,
    *,
    principal: Principal,
    point_code: str | None = None,
    enterprise_code: str | None = None,
    park: bool = False,
    horizon: Horizon | None = None,
    step_s: int | None = None,
    latest_only: bool = True,
    limit: int = 100,
) -> list[tuple[ForecastRunRow, str]]:
    """Stored forecasts in scope (newest per subject, carrier, horizon and slot length by
    default) with their subjects' codes; of one point, one enterprise or the park if asked (one
    at most), of one slot length (3600, 900) if asked."""
    require(principal, Permission.READ)
    if step_s is not None and step_s not in STEPS_S:
        raise InvalidInput(
            f"resolution_s must be one of {', '.join(map(str, STEPS_S))}", field="resolution_s"
        )
    point_id = None
    subject: str | None = None
    code: str | None = None
    # each subject named is looked up in scope first (out of scope: refused as such)
    if point_code is not None:
        point_id = _point(store, principal, point_code).id
    if enterprise_code is not None:
        _owner_subject(store, principal, enterprise_code, ELECTRICITY)
    if park:
        _owner_subject(store, principal, None, ELECTRICITY)
    if sum((point_code is not None, enterprise_code is not None, park)) > 1:
        raise InvalidInput("name one of point, enterprise or the park scope", field="scope")
    if enterprise_code is not None or park:
        owner = _owner_subject(store, principal, enterprise_code, ELECTRICITY)
        subject, code = owner.kind.value, owner.code
    park_id = store.registry.park(principal.park_id).id
    runs = ForecastRepo(store).runs(
        tenant=principal.tenant,
        park_id=park_id,
        point_id=point_id,
        subject=subject,
        subject_code=code,
        horizon=None if horizon is None else horizon.value,
        step_s=step_s,
        latest_only=latest_only,
        limit=limit,
    )
    return [(r, r.subject_code) for r in runs]


def declare_pv_plant(
    store: Store,
    *,
    principal: Principal,
    point_code: str,
    kwp: float,
    tilt_deg: float,
    azimuth_deg: float,
    losses_pct: float,
    latitude: float,
    longitude: float,
    altitude_m: float = 0.0,
) -> PvPlantRow:
    """Declare (or replace) the PV plant behind a ``pv_generation`` point in scope."""
    require(principal, Permission.WRITE)
    point = _point(store, principal, point_code)
    if point.carrier != Carrier.PV_GENERATION.value:
        raise InvalidInput(
            f"point {point_code} measures {point.carrier}, not pv_generation", field="point"
        )
    pv.PvPlant(kwp, tilt_deg, azimuth_deg, losses_pct, latitude, longitude, altitude_m)
    repo = ForecastRepo(store)
    current = repo.pv_plant(tenant=principal.tenant, point_id=point.id)
    if current is not None and current.source == PARK_FILE_SOURCE:
        raise Conflict(
            f"the PV plant of {point_code} is declared in the park file (points[].pv_plant): "
            "change it there and load the park file again"
        )
    row = PvPlantRow(
        point_id=point.id,
        enterprise_id=point.enterprise_id,
        kwp=kwp,
        tilt_deg=tilt_deg,
        azimuth_deg=azimuth_deg,
        losses_pct=losses_pct,
        latitude=latitude,
        longitude=longitude,
        altitude_m=altitude_m,
        source=principal.actor,
        updated_at=_now(),
    )
    repo.save_pv_plant(row)
    got = repo.pv_plant(tenant=principal.tenant, point_id=point.id)
    assert got is not None
    return got


def import_weather_csv(
    store: Store,
    *,
    principal: Principal,
    code: str,
    quantity: str,
    source: str,
    text: str,
) -> dict[str, Any]:
    """Import an hourly weather series from CSV text ``hour,value`` (hour: ISO 8601 with its
    UTC offset, the start of the hour). Park-wide administrators only: weather is the park's.

    Every row is checked; one bad row refuses the whole file, naming the line.
    """
    require(principal, Permission.ADMIN_PARK)
    require_park_wide(principal, "importing weather series")
    if quantity not in WEATHER_QUANTITIES:
        raise InvalidInput(
            f"quantity must be one of {', '.join(sorted(WEATHER_QUANTITIES))}", field="quantity"
        )
    if not source.strip():
        raise InvalidInput("source (station, provider or file) is required", field="source")
    values: dict[int, float] = {}
    for line, at, value in hourly_csv(text):
        us = to_us(at)
        if us % US_PER_HOUR:
            raise InvalidInput(
                f"line {line}: {at.isoformat()} is not the start of an hour", field="file"
            )
        if quantity == "ghi" and value < 0:
            raise InvalidInput(f"line {line}: irradiance cannot be negative", field="file")
        if us in values:
            raise InvalidInput(f"line {line}: hour {at.isoformat()} appears twice", field="file")
        values[us] = value
    if not values:
        raise InvalidInput("the CSV holds no values", field="file")
    park_id = store.registry.park(principal.park_id).id
    sid, count = ForecastRepo(store).import_weather(
        park_id=park_id,
        code=code,
        quantity=quantity,
        unit=WEATHER_QUANTITIES[quantity],
        source=source.strip(),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        actor=principal.actor,
        now=_now(),
        values=sorted(values.items()),
    )
    return {"series": code, "id": sid, "quantity": quantity, "hours": count}


def calendar_status() -> dict[str, Any]:
    """Which years the installed Chinese calendar knows."""
    first, last = calendar_coverage()
    return {"package": "chinesecalendar", "first_year": first, "last_year": last}


def actuals_before(
    store: Store, *, principal: Principal, view: ForecastView, days: int = 3
) -> list[tuple[int, float]]:
    """The subject's actuals of the ``days`` days before a forecast, at the forecast's slot
    length (for its chart)."""
    require(principal, Permission.READ)
    run = ForecastRepo(store).run(tenant=principal.tenant, run_id=view.run.id)
    tz = _zone(store, run.park_id)
    first = dt.date.fromisoformat(view.run.first_day) - dt.timedelta(days=days)
    m = _run_matrix(store, run)(first, days, tz).reshape(-1)
    h0 = _day_start_us(first, tz)
    step = run.step_s * 1_000_000
    return [(h0 + i * step, float(v)) for i, v in enumerate(m) if math.isfinite(v)]
