"""``lingtan forecast``: train and issue load and PV forecasts, show them with their backtest,
backtest without storing, import weather series and declare PV plants — the same service as
``/api/v1/forecasts``, run as the system (the park administrator) on the local store."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperCommand

from lingtan.cli._common import ParkOption, console, domain_errors, park_of
from lingtan.cli.data import open_configured, progress_bar
from lingtan.errors import InvalidInput

forecast_app = typer.Typer(
    help="Load and PV forecasts with backtests (负荷与光伏预测).", no_args_is_help=True
)

HorizonOption = Annotated[str, typer.Option("--horizon", help="day_ahead or week_ahead")]


def _principal(store, park: str | None):  # type: ignore[no-untyped-def]
    from lingtan.identity.roles import SYSTEM

    return dataclasses.replace(SYSTEM, park_id=park_of(store, park).id)


def _horizon(text: str):  # type: ignore[no-untyped-def]
    from lingtan.forecast.service import Horizon

    try:
        return Horizon(text)
    except ValueError:
        raise InvalidInput("--horizon must be day_ahead or week_ahead", field="horizon") from None


def _day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("--issue-day must be YYYY-MM-DD", field="issue_day") from None


def _fmt(x: Any, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def plant_text(backtest: dict[str, Any]) -> str:
    """The declared PV plant a forecast modelled with, in a few words ("" for other models)."""
    plant = backtest.get("plant")
    if not plant:
        return ""
    return (
        f"plant {plant['kwp']:g} kWp, tilt {plant['tilt_deg']:g}°, azimuth "
        f"{plant['azimuth_deg']:g}°, losses {plant['losses_pct']:g} % "
        f"({backtest.get('plant_source', '?')})"
    )


def _metric_row(view: Any) -> list[str]:
    b = view.run.backtest or {}
    model = b.get("gbm") if view.run.model == "gbm" else b.get("model")
    naive = b.get("naive") or {}
    return [
        view.point_code,
        f"{view.run.step_s // 60} min",
        view.run.status,
        view.run.model,
        _fmt((model or naive).get("mae") if b else None),
        _fmt(naive.get("mae")),
        _fmt(b.get("skill"), 3),
        view.run.detail[:60] or plant_text(b),
    ]


def _summary(views: list[Any], title: str) -> None:
    table = Table(title=title)
    for col in (
        "点位 point",
        "分辨率 step",
        "状态 status",
        "模型 model",
        "MAE",
        "MAE naive",
        "skill",
        "说明 detail",
    ):
        table.add_column(col)
    for v in views:
        table.add_row(*_metric_row(v))
    console.print(table)


def train(
    point: Annotated[
        list[str] | None, typer.Option("--point", help="point ids (default: every point)")
    ] = None,
    horizon: HorizonOption = "day_ahead",
    issue_day: Annotated[
        str | None, typer.Option("--issue-day", help="last day of known data (YYYY-MM-DD)")
    ] = None,
    history_days: Annotated[int, typer.Option("--history-days", min=28, max=1098)] = 365,
    temperature: Annotated[
        str | None, typer.Option("--temperature", help="a temperature weather series")
    ] = None,
    irradiance: Annotated[
        str | None, typer.Option("--irradiance", help="a GHI weather series (PV points)")
    ] = None,
    enterprise: Annotated[
        list[str] | None,
        typer.Option("--enterprise", help="an enterprise's code: forecast its hourly load"),
    ] = None,
    park_load: Annotated[
        bool,
        typer.Option(
            "--park-load",
            help="forecast the park's hourly load (also: --park without a code; "
            "--park CODE names which park, as elsewhere)",
        ),
    ] = False,
    carrier: Annotated[
        str, typer.Option("--carrier", help="an owner's carrier (electricity: its balance)")
    ] = "electricity",
    park: ParkOption = None,
) -> None:
    """Train, backtest and issue forecasts, and store them (训练并发布预测). Points by
    default; with --enterprise or --park-load the load of those owners (企业/园区负荷)."""
    from lingtan.forecast import service
    from lingtan.store.query_repo import QueryRepo

    with domain_errors(), open_configured() as store:
        h, day = _horizon(horizon), _day(issue_day)
        principal = _principal(store, park)
        owners: list[str | None] = [*(enterprise or []), *([None] if park_load else [])]
        if owners:
            views = []
            for owner in owners:
                views.append(
                    service.issue_owner_forecast(
                        store,
                        principal=principal,
                        enterprise_code=owner,
                        carrier=carrier,
                        horizon=h,
                        issue_day=day,
                        history_days=history_days,
                        temperature_series=temperature,
                    )
                )
            if not point:
                _summary(views, f"负荷预测 load forecasts ({h.value}): {len(views)}")
                return
        else:
            views = []
        codes = point
        if not codes:
            rows, _ = QueryRepo(store).points(tenant=principal.tenant, park_id=principal.park_id)
            codes = sorted(p.code for p in rows)
        with progress_bar() as bar:
            task = bar.add_task("forecast", total=len(codes))
            for code in codes:
                views.append(
                    service.issue_forecast(
                        store,
                        principal=principal,
                        point_code=code,
                        horizon=h,
                        issue_day=day,
                        history_days=history_days,
                        temperature_series=temperature,
                        irradiance_series=irradiance,
                    )
                )
                bar.advance(task)
    _summary(views, f"预测 forecasts ({h.value}): {len(views)}")


def backtest(
    point: Annotated[list[str], typer.Option("--point", help="point ids")],
    horizon: HorizonOption = "day_ahead",
    history_days: Annotated[int, typer.Option("--history-days", min=28, max=1098)] = 365,
    issue_day: Annotated[str | None, typer.Option("--issue-day")] = None,
    backtest_days: Annotated[
        int, typer.Option("--backtest-days", min=7, max=1098, help="days of weekly origins")
    ] = 365,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    park: ParkOption = None,
) -> None:
    """Rolling-origin backtest against seasonal-naive, without storing (回测)."""
    from lingtan.forecast import service

    with domain_errors(), open_configured() as store:
        h, day = _horizon(horizon), _day(issue_day)
        principal = _principal(store, park)
        views = []
        with progress_bar() as bar:
            task = bar.add_task("backtest", total=len(point))
            for code in point:
                views.append(
                    service.issue_forecast(
                        store,
                        principal=principal,
                        point_code=code,
                        horizon=h,
                        issue_day=day,
                        history_days=history_days,
                        backtest_days=backtest_days,
                        dry_run=True,
                    )
                )
                bar.advance(task)
    if as_json:
        for v in views:
            console.print_json(json.dumps({"point": v.point_code, **v.run.backtest}))
        return
    _summary(views, f"回测 backtest ({h.value})")


def show(
    point: Annotated[str | None, typer.Option("--point")] = None,
    forecast_id: Annotated[int | None, typer.Option("--id", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    park: ParkOption = None,
) -> None:
    """The latest forecasts, or one forecast hour by hour beside the actuals (查看预测)."""
    from lingtan.forecast import service
    from lingtan.timeutil import from_us, zone

    with domain_errors(), open_configured() as store:
        principal = _principal(store, park)
        tz = zone(park_of(store, park).timezone)
        if forecast_id is None:
            rows = service.forecasts(store, principal=principal, point_code=point)
            views = [service.ForecastView(r, code, []) for r, code in rows]
            _summary(views, f"最新预测 latest forecasts: {len(views)}")
            return
        view = service.forecast(store, principal=principal, run_id=forecast_id)
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "point": view.point_code,
                    "resolution_s": view.run.step_s,
                    "status": view.run.status,
                    "model": view.run.model,
                    "backtest": view.run.backtest,
                    "hours": [
                        {
                            "hour": from_us(h, tz).isoformat(),
                            "p10": a,
                            "p50": b,
                            "p90": c,
                            "actual": x,
                        }
                        for h, a, b, c, x in view.hours
                    ],
                }
            )
        )
        return
    _summary([view], f"预测 forecast {view.run.id} ({view.run.horizon}, {view.run.first_day})")
    table = Table()
    for col in ("时 hour", "P10", "P50", "P90", "实际 actual"):
        table.add_column(col)
    for h, a, b, c, x in view.hours:
        table.add_row(from_us(h, tz).strftime("%m-%d %H:%M"), _fmt(a), _fmt(b), _fmt(c), _fmt(x))
    console.print(table)


def import_weather(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV hour,value")],
    code: Annotated[str, typer.Option("--code", help="series id")],
    quantity: Annotated[str, typer.Option("--quantity", help="temperature or ghi")],
    source: Annotated[str, typer.Option("--source", help="station, provider or file origin")],
    park: ParkOption = None,
) -> None:
    """Import an hourly weather series from CSV with its provenance (导入气象数据)."""
    from lingtan.forecast import service

    with domain_errors(), open_configured() as store:
        got = service.import_weather_csv(
            store, principal=_principal(store, park), code=code, quantity=quantity,
            source=source, text=file.read_text(encoding="utf-8-sig"),
        )  # fmt: skip
    console.print(f"weather series {got['series']}: {got['hours']} hours ({got['quantity']})")


def pv_plant(
    point: Annotated[str, typer.Argument(help="a pv_generation point")],
    kwp: Annotated[float, typer.Option("--kwp")],
    tilt: Annotated[float, typer.Option("--tilt", help="degrees from horizontal")],
    azimuth: Annotated[float, typer.Option("--azimuth", help="degrees from north; 180 = south")],
    latitude: Annotated[float, typer.Option("--lat")],
    longitude: Annotated[float, typer.Option("--lon")],
    losses: Annotated[float, typer.Option("--losses", help="system losses [%]")] = 14.08,
    altitude: Annotated[float, typer.Option("--altitude")] = 0.0,
    park: ParkOption = None,
) -> None:
    """Declare the PV plant behind a point (光伏电站参数)."""
    from lingtan.forecast import service

    with domain_errors(), open_configured() as store:
        service.declare_pv_plant(
            store, principal=_principal(store, park), point_code=point, kwp=kwp,
            tilt_deg=tilt, azimuth_deg=azimuth, losses_pct=losses, latitude=latitude,
            longitude=longitude, altitude_m=altitude,
        )  # fmt: skip
    console.print(
        f"PV plant of {point} declared: {kwp:g} kWp, tilt {tilt:g}°, azimuth {azimuth:g}°"
    )


class _TrainCommand(TyperCommand):
    """``--park`` alone asks for the park's load (``--park-load``); ``--park CODE`` still names
    the park to work on, as in every command: ``lingtan forecast train --park`` and
    ``lingtan forecast train --park P2 --park-load``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's click Context
        fixed: list[str] = []
        for i, arg in enumerate(args):
            bare = arg == "--park" and (i + 1 == len(args) or args[i + 1].startswith("-"))
            fixed.append("--park-load" if bare else arg)
        return super().parse_args(ctx, fixed)


def quarter_hour(
    point: Annotated[str, typer.Option("--point", help="a point read every 15 minutes")],
    horizon: HorizonOption = "day_ahead",
    history_days: Annotated[int, typer.Option("--history-days", min=28, max=366)] = 56,
    issue_day: Annotated[str | None, typer.Option("--issue-day")] = None,
    backtest_days: Annotated[int, typer.Option("--backtest-days", min=7, max=366)] = 28,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    store_it: Annotated[
        bool, typer.Option("--store", help="store it as a forecast (listed by show, API, page)")
    ] = False,
    park: ParkOption = None,
) -> None:
    """A 15-minute forecast from the point's readings, with its backtest (15 分钟预测);
    ``--store`` issues and stores it like an hourly forecast."""
    from lingtan.forecast.quarter_service import issue_quarter_forecast, quarter_hour_forecast

    if store_it:
        with domain_errors(), open_configured() as store:
            view = issue_quarter_forecast(
                store, principal=_principal(store, park), point_code=point,
                horizon=_horizon(horizon), issue_day=_day(issue_day),
                history_days=history_days, backtest_days=min(backtest_days, history_days),
            )  # fmt: skip
        if as_json:
            console.print_json(
                json.dumps({"id": view.run.id, "resolution_s": view.run.step_s,
                            "status": view.run.status, "slots": len(view.hours)})
            )  # fmt: skip
            return
        _summary([view], f"预测 forecast {view.run.id} (15 min, {view.run.first_day})")
        console.print(f"{len(view.hours)} slots stored")
        return
    with domain_errors(), open_configured() as store:
        got = quarter_hour_forecast(
            store, principal=_principal(store, park), point_code=point,
            horizon=_horizon(horizon), issue_day=_day(issue_day), history_days=history_days,
            backtest_days=min(backtest_days, history_days),
        )  # fmt: skip
    if as_json:
        console.print_json(json.dumps(got, ensure_ascii=False))
        return
    back = got["backtest"] or {}
    console.print(
        f"{got['point']} {got['status']} {got['detail']} — 15 min, model {got['model']}, "
        f"skill {_fmt(back.get('skill'), 3)} over {len(back.get('origins', []))} origins"
    )
    slots = got["slots"]
    if slots:
        total = sum(x["p50"] or 0 for x in slots)
        console.print(
            f"{len(slots)} slots from {got['first_day']}, Σ P50 {total:,.1f} {got['unit']}"
        )


def register(app: typer.Typer) -> None:
    """Add ``forecast train|backtest|show|import-weather|pv-plant``."""
    forecast_app.command("train", cls=_TrainCommand)(train)
    forecast_app.command("backtest")(backtest)
    forecast_app.command("quarter-hour")(quarter_hour)
    forecast_app.command("show")(show)
    forecast_app.command("import-weather")(import_weather)
    forecast_app.command("pv-plant")(pv_plant)
    app.add_typer(forecast_app, name="forecast")
