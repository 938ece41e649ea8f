"""``/api/v1/forecasts``: issued load and PV forecasts (P10/P50/P90 with their backtest beside
them), issuing one, declaring a PV plant's parameters and importing a weather series. Thin: the work is in
:mod:`lingtan.forecast.service`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field, model_validator

from lingtan.api.common import CODE_PATTERN, CodePath, IdPath, Page, Paging, iso
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.api.readings.service import park_zone
from lingtan.forecast import service
from lingtan.forecast.service import ForecastView, Horizon, Status
from lingtan.store.forecast_repo import ForecastRunRow, PvPlantRow

router = APIRouter(prefix="/forecasts", tags=["forecasts"])


class ForecastHourOut(BaseModel):
    """One forecast slot (an hour or a quarter hour) and, once known, its actual value."""

    hour: str = Field(description="start of the slot (park local time)")
    p10: float | None
    p50: float | None
    p90: float | None
    actual: float | None


class ForecastOut(BaseModel):
    """A stored forecast: model, features, training window and backtest with the values."""

    id: int
    subject: str = Field(description="point, enterprise or park")
    point: str = Field(description="the subject's code: the point's, enterprise's or park's")
    carrier: str | None = Field(
        description="an owner's carrier (electricity: its balance); null for a point"
    )
    horizon: Horizon
    first_day: str
    days: int
    resolution_s: int = Field(
        description="slot length [s]: 3600 hourly (24 a day), 900 15-minute (96 a day)"
    )
    status: Status
    detail: str = Field(description="why a forecast has no values (empty when ok)")
    model: str = Field(description="gbm, seasonal_naive, pv_clear_sky, pv_irradiance, none")
    model_version: str
    features: list[str]
    train_start: str | None
    train_end: str | None
    backtest: dict[str, Any] = Field(
        description="rolling-origin errors (MAE, RMSE, MAPE, band coverage) of the model and "
        "of seasonal-naive, and the skill 1 − MAE_model / MAE_naive"
    )
    issued_by: str
    issued_at: str | None
    hours: list[ForecastHourOut]


def _out(run: ForecastRunRow, code: str, view: ForecastView | None, tz: dt.tzinfo) -> ForecastOut:
    return ForecastOut(
        id=run.id, subject=run.subject, point=code, carrier=run.carrier, horizon=Horizon(run.horizon), first_day=run.first_day,
        days=run.days, resolution_s=run.step_s, status=Status(run.status), detail=run.detail, model=run.model,
        model_version=run.model_version, features=run.features, train_start=run.train_start,
        train_end=run.train_end, backtest=run.backtest, issued_by=run.issued_by,
        issued_at=iso(run.issued_at, tz),
        hours=[]
        if view is None
        else [
            ForecastHourOut(hour=iso(h, tz) or "", p10=a, p50=b, p90=c, actual=x)
            for h, a, b, c, x in view.hours
        ],
    )  # fmt: skip


class IssueIn(BaseModel):
    """A forecast to issue for one point, one enterprise's load or the park's load (name one
    of ``point``, ``enterprise`` or ``scope: park``)."""

    point: str | None = Field(default=None, pattern=CODE_PATTERN, max_length=64)
    enterprise: str | None = Field(
        default=None, pattern=CODE_PATTERN, max_length=64,
        description="an enterprise's code: forecast its hourly load (energy balance)",
    )  # fmt: skip
    scope: Literal["park"] | None = Field(
        default=None, description="park: forecast the park's hourly load (every owner's)"
    )
    carrier: str = Field(
        default="electricity", max_length=32,
        description="an owner's carrier: electricity (its balance) or one carrier",
    )  # fmt: skip
    horizon: Horizon = Horizon.DAY_AHEAD
    issue_day: dt.date | None = Field(
        default=None, description="last day of known data (default: the point's latest day)"
    )
    history_days: int = Field(default=365, ge=28, le=1098)
    resolution_s: Literal[3600, 900] = Field(
        default=3600,
        description="3600: hourly; 900: a 15-minute forecast of a point read at least every "
        "15 minutes (from its readings; history_days at most 366)",
    )
    temperature_series: str | None = Field(default=None, pattern=CODE_PATTERN, max_length=64)
    irradiance_series: str | None = Field(default=None, pattern=CODE_PATTERN, max_length=64)

    @model_validator(mode="after")
    def _one_subject(self) -> IssueIn:
        if sum((self.point is not None, self.enterprise is not None, self.scope is not None)) != 1:
            raise ValueError("name exactly one of point, enterprise or scope=park")
        if self.resolution_s == 900 and self.point is None:
            raise ValueError("a 15-minute forecast (resolution_s 900) is of a point: name it")
        return self


class PvPlantIn(BaseModel):
    """Declared parameters of the PV plant behind a ``pv_generation`` point."""

    kwp: float = Field(gt=0, le=1e7)
    tilt_deg: float = Field(ge=0, le=90)
    azimuth_deg: float = Field(ge=0, lt=360, description="clockwise from north; 180 = south")
    losses_pct: float = Field(ge=0, lt=100, description="system losses (PVWatts default 14.08)")
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    altitude_m: float = Field(default=0.0, ge=-500, le=9000)


class PvPlantOut(PvPlantIn):
    """A declared PV plant."""

    point: str
    source: str


@router.get("", response_model=Page[ForecastOut])
def list_forecasts(
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    point: Annotated[str | None, Query(pattern=CODE_PATTERN, max_length=64)] = None,
    enterprise: Annotated[
        str | None,
        Query(pattern=CODE_PATTERN, max_length=64, description="one enterprise's load forecasts"),
    ] = None,
    scope: Annotated[
        Literal["park"] | None, Query(description="park: the park's load forecasts")
    ] = None,
    horizon: Horizon | None = None,
    resolution_s: Annotated[
        int | None, Query(description="only hourly (3600) or 15-minute (900) forecasts")
    ] = None,
    latest: Annotated[
        bool, Query(description="only the newest per subject, carrier, horizon and resolution")
    ] = True,
) -> Page[ForecastOut]:
    """Forecasts in the caller's scope (an enterprise sees its own points' and its own load's,
    never the park's), newest first, without their hourly values (ask for one forecast)."""
    tz = park_zone(store, principal.park_id)
    rows = service.forecasts(
        store, principal=principal, point_code=point, enterprise_code=enterprise,
        park=scope == "park", horizon=horizon, step_s=resolution_s, latest_only=latest,
        limit=page.offset + page.limit,
    )  # fmt: skip
    items = [_out(r, code, None, tz) for r, code in rows[page.offset :]]
    return Page(items=items, total=len(rows), limit=page.limit, offset=page.offset)


@router.get("/quarter-hour", response_model=dict[str, Any])
def quarter_hour_forecast(
    principal: CurrentPrincipal,
    store: StoreDep,
    point: Annotated[
        str | None, Query(pattern=CODE_PATTERN, max_length=64, description="required")
    ] = None,
    horizon: Horizon = Horizon.DAY_AHEAD,
    issue_day: dt.date | None = None,
    history_days: Annotated[int, Query(ge=28, le=366)] = 56,
    backtest_days: Annotated[int, Query(ge=7, le=366)] = 28,
) -> dict[str, Any]:
    """A 15-minute forecast of a point read at least every 15 minutes, from its readings:
    P10/P50/P90 per slot with the rolling-origin backtest of seasonal-naive and the seasonal
    mean (computed on request, not stored: POST with resolution_s 900 stores one)."""
    from lingtan.errors import InvalidInput
    from lingtan.forecast.quarter_service import quarter_hour_forecast as compute
    from lingtan.identity.roles import Permission, require

    require(principal, Permission.READ)
    if point is None:
        raise InvalidInput("name the point to forecast", field="point")
    return compute(
        store, principal=principal, point_code=point, horizon=horizon, issue_day=issue_day,
        history_days=history_days, backtest_days=min(backtest_days, history_days),
    )  # fmt: skip


@router.get("/{forecast_id}", response_model=ForecastOut)
def get_forecast(principal: CurrentPrincipal, store: StoreDep, forecast_id: IdPath) -> ForecastOut:
    """One forecast with its hourly P10/P50/P90 and the actuals known since."""
    view = service.forecast(store, principal=principal, run_id=forecast_id)
    return _out(view.run, view.point_code, view, park_zone(store, principal.park_id))


@router.post("", response_model=ForecastOut, status_code=status.HTTP_201_CREATED)
def issue_forecast(principal: CurrentPrincipal, store: StoreDep, body: IssueIn) -> ForecastOut:
    """Train on a point's, an enterprise's or the park's hourly history, backtest against
    seasonal-naive, forecast and store. A forecast that lacks an input is stored with its
    status and no values. An enterprise user may forecast its own enterprise only.
    ``resolution_s`` 900 issues a point's 15-minute forecast from its readings instead."""
    if body.resolution_s == 900 and body.point is not None:
        from lingtan.forecast.quarter_service import issue_quarter_forecast

        view = issue_quarter_forecast(
            store, principal=principal, point_code=body.point, horizon=body.horizon,
            issue_day=body.issue_day, history_days=min(body.history_days, 366),
        )  # fmt: skip
    elif body.point is not None:
        view = service.issue_forecast(
            store, principal=principal, point_code=body.point, horizon=body.horizon,
            issue_day=body.issue_day, history_days=body.history_days,
            temperature_series=body.temperature_series,
            irradiance_series=body.irradiance_series,
        )  # fmt: skip
    else:
        view = service.issue_owner_forecast(
            store, principal=principal, enterprise_code=body.enterprise, carrier=body.carrier,
            horizon=body.horizon, issue_day=body.issue_day, history_days=body.history_days,
            temperature_series=body.temperature_series,
        )  # fmt: skip
    return _out(view.run, view.point_code, view, park_zone(store, principal.park_id))


@router.put("/pv-plants/{code}", response_model=PvPlantOut)
def declare_pv_plant(
    principal: CurrentPrincipal, store: StoreDep, code: CodePath, body: PvPlantIn
) -> PvPlantOut:
    """Declare (or replace) the PV plant behind a ``pv_generation`` point."""
    row: PvPlantRow = service.declare_pv_plant(
        store, principal=principal, point_code=code, **body.model_dump()
    )
    return PvPlantOut(
        point=code, source=row.source, kwp=row.kwp, tilt_deg=row.tilt_deg,
        azimuth_deg=row.azimuth_deg, losses_pct=row.losses_pct, latitude=row.latitude,
        longitude=row.longitude, altitude_m=row.altitude_m,
    )  # fmt: skip


class WeatherIn(BaseModel):
    """An hourly weather series of the park as CSV text ``hour,value`` (the hour's start in ISO
    8601 with its UTC offset), with its provenance."""

    code: str = Field(pattern=CODE_PATTERN, max_length=64, description="the series' code")
    quantity: Literal["temperature", "ghi"] = Field(
        description="temperature [°C] or global horizontal irradiance [W/m2]"
    )
    source: str = Field(
        min_length=1, max_length=500, description="station, provider or file it comes from"
    )
    csv: str = Field(min_length=1, description="the series: a header hour,value and a row per hour")


class WeatherOut(BaseModel):
    """The imported series."""

    series: str
    id: int
    quantity: str
    hours: int


@router.post("/weather-series", response_model=WeatherOut, status_code=status.HTTP_201_CREATED)
def import_weather(principal: CurrentPrincipal, store: StoreDep, body: WeatherIn) -> WeatherOut:
    """Import an hourly temperature or irradiance series for forecasts (park-wide
    administrators). One bad row refuses the whole series, naming its line."""
    out = service.import_weather_csv(
        store, principal=principal, code=body.code, quantity=body.quantity,
        source=body.source, text=body.csv,
    )  # fmt: skip
    return WeatherOut(**out)
