"""``lingtan environment``: assess a monitoring CSV against GB 3095-2012 / GB 3838-2002 (no store
needed), run the HJ 212 receiving server, and run the HJ 212 station simulator."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import datetime as dt
import json
import signal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lingtan.cli._common import ParkOption, console, domain_errors
from lingtan.errors import InvalidInput, Unavailable

environment_app = typer.Typer(
    help="Environmental monitoring: HJ 212 stations, GB 3095/3838 assessment (环境监测).",
    no_args_is_help=True,
)


def _fmt(x: Any, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [_jsonable(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, dt.date | dt.datetime):
        return obj.isoformat()
    return obj


def assess(
    input: Annotated[
        Path | None, typer.Option("--input", help="CSV: station,parameter,ts,value,unit")
    ] = None,
    station: Annotated[
        str | None,
        typer.Option("--station", help="a station of the store (instead of --input)"),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="with --station: start, ISO 8601 with offset")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="with --station: end (exclusive), ISO 8601")
    ] = None,
    park: ParkOption = None,
    air_class: Annotated[
        int,
        typer.Option("--class", help="GB 3095-2012 function-zone class of every station (1 or 2)"),
    ] = 2,
    tz: Annotated[str, typer.Option("--tz", help="time zone of the natural day")] = "Asia/Shanghai",
    as_json: Annotated[
        bool, typer.Option("--json", help="print the full assessment as JSON")
    ] = False,
    classes: Annotated[
        Path | None,
        typer.Option("--classes", help="CSV station,class giving stations another class"),
    ] = None,
) -> None:
    """Assess hourly values of a file by hand (no store needed) — or, with --station, a
    station of the store over --from/--to: daily means or O3 daily max 8-h with validity
    (GB 3095-2012 表4), exceedances of the class limits, annual means; water classes; outlet
    permit limits; indoor hour-by-hour compliance."""
    from lingtan.environment.assess import assess as run_assess
    from lingtan.environment.assess import read_csv
    from lingtan.timeutil import zone

    if station is not None:
        if input is not None:
            with domain_errors():
                raise InvalidInput("give --input or --station, not both", field="station")
        _assess_station(station, start, end, park, as_json)
        return
    with domain_errors():
        if input is None:
            raise InvalidInput("give --input FILE or --station CODE", field="input")
        if air_class not in (1, 2):
            raise InvalidInput("--class must be 1 or 2", field="class")
        zone_info = zone(tz)
        try:
            series = read_csv(input, input.name)
        except OSError as err:
            raise InvalidInput(f"cannot read {input}: {err}", field="input") from err
        by_station: dict[str, int] | int = air_class
        if classes is not None:
            by_station = _read_classes(classes, {x.station for x in series}, air_class)
        result = run_assess(series, by_station, zone_info, tz)
    if as_json:
        from lingtan.environment import aqi

        payload = _jsonable(result)
        # HJ 633-2012 daily AQI of each station with any of the six pollutants
        stations: dict[str, dict[str, aqi.HourSeries]] = {}
        for x in series:
            if x.parameter in aqi.POLLUTANTS:
                stations.setdefault(x.station, {})[x.parameter] = aqi.HourSeries(
                    x.start_s, x.value, x.unit
                )
        payload["aqi_daily"] = {
            code: [
                {"day": d.day.isoformat(), **aqi.aqi_jsonable(d.result)}
                for d in aqi.daily_aqi_series(by, zone_info)
            ]
            for code, by in stations.items()
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    default = f"class {air_class}" + (" unless --classes says otherwise" if classes else "")
    table = Table(title=f"GB 3095-2012 ({default}) — {input.name} ({tz})")
    for col in (
        "station",
        "parameter",
        "class",
        "unit",
        "hours",
        "valid h",
        "days",
        "invalid days",
        "exceed days",
        "1-h exceed",
        "max 超标倍数",
    ):
        table.add_column(
            col, justify="left" if col in ("station", "parameter", "unit") else "right"
        )
    for row in result.summary():
        table.add_row(
            str(row["station"]),
            str(row["parameter"]),
            str(row["class"]),
            str(row["unit"]),
            str(row["hours"]),
            str(row["valid_hours"]),
            str(row["days"]),
            str(row["invalid_days"]),
            str(row["exceedance_days"]),
            str(row["hourly_exceedances"]),
            _fmt(row["max_multiple"]),
        )
    console.print(table)
    for r in result.series:
        for d in r.days:
            if d.exceeded:
                console.print(
                    f"{r.station} {r.parameter} {d.day} {d.statistic} {_fmt(d.value)} > "
                    f"{_fmt(d.limit)} {r.unit} (超标倍数 {_fmt(d.multiple)})"
                )
    annual = [(r, a) for r in result.series for a in r.annual]
    if annual:
        yearly = Table(title="annual means (年平均, valid with ≥ 324 valid days)")
        for col in (
            "station",
            "parameter",
            "year",
            "mean",
            "limit",
            "valid days",
            "valid",
            "exceeded",
        ):
            yearly.add_column(col)
        for r, a in annual:
            yearly.add_row(
                r.station,
                r.parameter,
                str(a.year),
                _fmt(a.value),
                _fmt(r.annual_limit),
                str(a.days),
                "yes" if a.valid else "no",
                "yes" if a.year in r.annual_exceeded else "no",
            )
        console.print(yearly)


def _assess_station(
    code: str, start: str | None, end: str | None, park: str | None, as_json: bool
) -> None:
    import dataclasses as dc

    from lingtan.cli._common import park_of
    from lingtan.cli.data import open_configured
    from lingtan.environment import service
    from lingtan.identity.roles import SYSTEM
    from lingtan.timeutil import parse_timestamp

    with domain_errors(), open_configured() as store:
        principal = dc.replace(SYSTEM, park_id=park_of(store, park).id)
        row = service.get_station(store, principal=principal, code=code)
        _d0, d1 = service.default_period(store, [row])
        t1 = parse_timestamp(end, "to") if end else d1
        t0 = parse_timestamp(start, "from") if start else t1 - dt.timedelta(days=7)
        result = service.assess_station(store, principal=principal, code=code, start=t0, end=t1)
        found = service.exceedances_of(result)
    if as_json:
        typer.echo(json.dumps(service.jsonable(result), ensure_ascii=False, indent=1))
        return
    console.print(
        f"[bold]{row.code}[/] {row.name} ({row.kind}) {result.start} … {result.end} ({result.tz})",
        highlight=False,
    )
    if result.quality is not None:
        table = Table(title="GB 3095-2012 / GB 3838-2002")
        for col in ("parameter", "unit", "valid h", "days", "invalid days", "exceed days",
                    "1-h exceed", "max 超标倍数"):  # fmt: skip
            table.add_column(col)
        for r in result.quality.summary():
            table.add_row(str(r["parameter"]), str(r["unit"]), str(r["valid_hours"]),
                          str(r["days"]), str(r["invalid_days"]), str(r["exceedance_days"]),
                          str(r["hourly_exceedances"]), _fmt(r["max_multiple"]))  # fmt: skip
        console.print(table)
    for parameter, hours in result.indoor.items():
        judged = [h for h in hours if h.compliant is not None]
        ok = sum(1 for h in judged if h.compliant)
        console.print(f"{parameter}: {ok}/{len(judged)} assessed hours compliant (GB/T 18883)")
    if found:
        log = Table(title="exceedances 超标记录")
        for col in ("parameter", "statistic", "when", "value", "limit", "超标倍数"):
            log.add_column(col)
        for e in found:
            log.add_row(e.parameter, e.statistic, e.when, _fmt(e.value), _fmt(e.limit),
                        _fmt(e.multiple))  # fmt: skip
        console.print(log)
    else:
        console.print("no exceedances 无超标")
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)


def stations(
    park: ParkOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """The monitoring stations of the park file with each parameter's latest hourly mean."""
    import dataclasses as dc

    from lingtan.cli._common import park_of
    from lingtan.cli.data import open_configured
    from lingtan.environment import service
    from lingtan.identity.roles import SYSTEM

    with domain_errors(), open_configured() as store:
        principal = dc.replace(SYSTEM, park_id=park_of(store, park).id)
        rows = service.list_stations(store, principal=principal)
        latest = {r.code: service.latest_values(store, principal=principal, row=r) for r in rows}
    if as_json:
        out = [{"code": r.code, "name": r.name, "kind": r.kind, "mn": r.mn,
                "latest": service.jsonable(latest[r.code])} for r in rows]  # fmt: skip
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    table = Table(title="monitoring stations 监测站点")
    for col in ("code", "name", "kind", "MN", "latest (hourly mean)"):
        table.add_column(col)
    for r in rows:
        values = ", ".join(
            f"{x.parameter} {_fmt(x.value, 2)} {x.unit}"
            + (" [red]超标[/]" if x.status == "exceeded" else "")
            for x in latest[r.code]
        )
        table.add_row(r.code, r.name, r.kind, r.mn, values)
    console.print(table)
    if not rows:
        console.print("no stations: declare them in the park file's environment: section")


def trend(
    station: Annotated[str, typer.Option("--station", help="a water section or an outlet")],
    start: Annotated[
        str | None, typer.Option("--from", help="start, ISO 8601 with offset (default: to − 365 d)")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="end (exclusive), ISO 8601 (default: latest data)")
    ] = None,
    park: ParkOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Monthly trend of a water section (GB 3838-2002 class and attainment over days) or of an
    outlet against its permit limits (hours above, 超标倍数, attainment over hours)."""
    import dataclasses as dc

    from lingtan.cli._common import park_of
    from lingtan.cli.data import open_configured
    from lingtan.environment import service
    from lingtan.identity.roles import SYSTEM
    from lingtan.timeutil import parse_timestamp

    with domain_errors(), open_configured() as store:
        principal = dc.replace(SYSTEM, park_id=park_of(store, park).id)
        t1 = parse_timestamp(end, "to") if end else None
        t0 = parse_timestamp(start, "from") if start else None
        out = service.water_trend(store, principal=principal, code=station, start=t0, end=t1)
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    if out["kind"] is None:
        console.print(out["note"], highlight=False)
        return
    console.print(f"[bold]{out['station']}[/] {out['start']} … {out['end']} ({out['tz']})",
                  highlight=False)  # fmt: skip
    if out["kind"] == "section":
        table = Table(title=f"GB 3838-2002 monthly trend, target class {out['target_class']}")
        for col in ("month", "class", "worst", "attainment (days)", "parameters"):
            table.add_column(col)
        for m in out["months"]:
            params = ", ".join(f"{p['parameter']} {_fmt(p['mean'])} {p['water_class']}"
                               for p in m["parameters"])  # fmt: skip
            table.add_row(m["month"], m["water_class"] or "—", ", ".join(m["worst"]),
                          _pct(m["attainment"], m["attained_days"], m["days"]), params)  # fmt: skip
        console.print(table)
        return
    limits = ", ".join(f"{x['parameter']} ≤ {x['limit']:g} {x['unit']}" for x in out["limits"])
    table = Table(title=f"permit trend 排放口月度达标 ({limits})")
    for col in ("month", "parameter", "valid h", "mean", "max", "h above", "max 超标倍数",
                "attainment (hours)"):  # fmt: skip
        table.add_column(col)
    for m in out["months"]:
        if not m["valid_hours"]:
            table.add_row(m["month"], "all", "0", "", "", "", "", "no valid hour")
            continue
        table.add_row(m["month"], "all", str(m["valid_hours"]), "", "",
                      ", ".join(m["failed"]) or "—", "",
                      _pct(m["attainment"], m["attained_hours"], m["valid_hours"]))  # fmt: skip
        for p in m["parameters"]:
            table.add_row("", p["parameter"], str(p["valid_hours"]), _fmt(p["mean"]),
                          _fmt(p["max"]), str(p["exceeded_hours"]), _fmt(p["max_multiple"]),
                          _pct(p["attainment"], p["attained_hours"], p["valid_hours"]))  # fmt: skip
    console.print(table)
    for note in out.get("notes", []):
        console.print(f"note: {note}", highlight=False)


def _pct(share: float | None, part: int, whole: int) -> str:
    return "—" if share is None else f"{share * 100:.1f} % ({part}/{whole})"


def disclosure(
    enterprise: Annotated[str, typer.Option("--enterprise", help="the enterprise's code")],
    year: Annotated[int, typer.Option("--year")],
    out: Annotated[Path, typer.Option("--out", help="file to write: .xlsx or .html")],
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help="a kind of enterprise it is (key_polluter, cleaner_production, "
            "listed, bond_issuer); repeat for several",
        ),
    ] = None,
    park: ParkOption = None,
) -> None:
    """Draft the enterprise's annual environmental-information disclosure report
    (企业环境信息依法披露, zh-CN): lingtan's figures with their sources, the rest marked for
    the enterprise to complete."""
    import dataclasses as dc

    from lingtan.cli._common import park_of
    from lingtan.cli.data import open_configured
    from lingtan.environment.disclosure import build_disclosure, disclosure_bytes
    from lingtan.identity.roles import SYSTEM

    fmt = out.suffix.lower().lstrip(".")
    with domain_errors():
        if fmt not in ("xlsx", "html"):
            raise InvalidInput("--out must end in .xlsx or .html", field="out")
        with open_configured() as store:
            principal = dc.replace(SYSTEM, park_id=park_of(store, park).id)
            report = build_disclosure(
                store, principal=principal, enterprise=enterprise, year=year, kinds=kind
            )
        out.write_bytes(disclosure_bytes(report, fmt))
    console.print(f"written {out} ({len(report.sections)} sections)", highlight=False)


def _read_classes(path: Path, stations: set[str], default: int) -> dict[str, int]:
    """Station → class: the file's classes, ``default`` for the stations it does not name."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as err:
        raise InvalidInput(f"cannot read {path}: {err}", field="classes") from err
    out = dict.fromkeys(stations, default)
    for k, row in enumerate(rows, start=2):
        cls = (row.get("class") or "").strip()
        if cls not in ("1", "2") or not row.get("station"):
            raise InvalidInput(
                f"{path.name} line {k}: needs station and class 1 or 2", field="classes"
            )
        out[row["station"].strip()] = int(cls)
    return out


def _read_stations(path: Path) -> dict[str, str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as err:
        raise InvalidInput(f"cannot read {path}: {err}", field="stations") from err
    if not rows or not {"mn", "pw"} <= set(rows[0]):
        raise InvalidInput(f"{path}: the header must name columns mn,pw", field="stations")
    return {r["mn"].strip(): r["pw"].strip() for r in rows}


def hj212_serve(
    port: Annotated[int, typer.Option("--port", help="TCP port to listen on")] = 9212,
    stations: Annotated[
        Path | None,
        typer.Option(
            "--stations",
            help="CSV with columns mn,pw (no store); absent: the stations of the store, "
            "whose data are written through the ingest pipeline",
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    seconds: Annotated[
        float, typer.Option("--seconds", help="stop after this many seconds (0 = run until ^C)")
    ] = 0.0,
    every: Annotated[float, typer.Option("--every", help="print counters every N seconds")] = 10.0,
    out: Annotated[
        Path | None, typer.Option("--out", help="append accepted records as JSON lines")
    ] = None,
    csv_out: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="append hourly (2061) averages as rows for `environment assess`"
        ),
    ] = None,
) -> None:
    """Run the HJ 212 receiving server and print its counters (accepted by CN, rejected by
    reason); stations not in the file, or with a wrong PW, are rejected and counted."""
    from lingtan.connectors.hj212.server import (
        DataRecord,
        Hj212Server,
        Rejected,
        assessment_rows,
    )

    store = None
    store_sink = None
    with domain_errors():
        if stations is not None:
            known = _read_stations(stations)
        else:
            from lingtan.cli.data import open_configured
            from lingtan.environment.receiver import StoreSink
            from lingtan.environment.service import station_of
            from lingtan.store.environment_repo import EnvironmentRepo

            store = open_configured()
            rows = EnvironmentRepo(store).receivers()
            known = {r.mn: r.pw for r in rows}
            store_sink = StoreSink(store, [station_of(r) for r in rows])
            console.print(f"store: {store.display_url}", highlight=False)

    sink_file = out.open("a", encoding="utf-8") if out is not None else None
    csv_file = None
    if csv_out is not None:
        fresh = not csv_out.exists() or csv_out.stat().st_size == 0
        csv_file = csv_out.open("a", encoding="utf-8", newline="")
        if fresh:
            csv_file.write("station,parameter,ts,value,unit\n")
    csv_writer = csv.writer(csv_file, lineterminator="\n") if csv_file is not None else None

    async def sink(records: list[DataRecord]) -> None:
        if store_sink is not None:
            await store_sink(records)
        if sink_file is not None:
            for r in records:
                sink_file.write(json.dumps(_jsonable(r), ensure_ascii=False) + "\n")
        if csv_writer is not None:
            csv_writer.writerows(assessment_rows(records))

    async def on_reject(rej: Rejected) -> None:
        console.print(f"[yellow]rejected[/] {rej.peer} {rej.reason}: {rej.detail}", highlight=False)

    server_ref: list[Hj212Server] = []

    async def main() -> None:
        server = Hj212Server(known, sink, on_reject=on_reject)
        server_ref.append(server)
        bound = await server.start(host, port)
        console.print(f"HJ 212 server on {host}:{bound}, {len(known)} stations")
        loop = asyncio.get_running_loop()
        # ^C and SIGTERM through the loop (its wake-up descriptor): a signal the kernel hands
        # to another thread of the process still wakes the loop, where a plain handler would
        # wait for the next timer (an hour with --every 3600) to run
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        t_end = loop.time() + seconds if seconds > 0 else None
        try:
            while (t_end is None or loop.time() < t_end) and not stop.is_set():
                wait = every if t_end is None else min(every, max(t_end - loop.time(), 0.0))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
                if stop.is_set():
                    break
                await normalise()
                typer.echo(json.dumps(counters(), ensure_ascii=False))
        finally:
            await server.close()
            if store_sink is not None:
                await store_sink.close()
            await normalise()
            typer.echo(json.dumps(counters(), ensure_ascii=False))

    def counters() -> dict[str, object]:
        out = server_ref[0].counters.as_dict() if server_ref else {}
        if store_sink is not None:
            out["stored"] = dict(store_sink.totals)
        return out

    async def normalise() -> None:
        # the hourly statistics of the stored readings, as the collector does after its batches
        if store is not None:
            from lingtan.normalize.service import normalise_pending

            await asyncio.to_thread(normalise_pending, store)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    finally:
        for fh in (sink_file, csv_file):
            if fh is not None:
                fh.close()
        if store is not None:
            store.close()


def simulate(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 9212,
    stations: Annotated[int, typer.Option("--stations", help="number of simulated stations")] = 1,
    minutes: Annotated[int, typer.Option("--minutes", help="minutes of data per station")] = 60,
    start: Annotated[
        str | None, typer.Option("--start", help="first minute, ISO 8601 with offset")
    ] = None,
    pw: Annotated[str, typer.Option("--pw", help="access password of every station")] = "123456",
) -> None:
    """Send minute (2051) and hourly (2061) packets of simulated stations (MN SIM0000000000001 …)
    to an HJ 212 server and count the 9014 answers."""
    from lingtan.connectors.hj212.sim import run_stations, station_specs
    from lingtan.timeutil import parse_timestamp, utcnow

    with domain_errors():
        if stations < 1 or minutes < 1:
            raise InvalidInput("--stations and --minutes must be ≥ 1", field="stations")
        t0 = parse_timestamp(start, "start") if start else utcnow().replace(second=0, microsecond=0)
        try:
            results = asyncio.run(
                run_stations(station_specs(stations, pw=pw), host, port, start=t0, minutes=minutes)
            )
        except OSError as err:
            raise Unavailable(f"cannot reach the HJ 212 server {host}:{port}: {err}") from err
    table = Table(title=f"HJ 212 simulator → {host}:{port}")
    for col in ("MN", "packets", "9014 answers", "values"):
        table.add_column(col)
    for r in results:
        table.add_row(r.mn, str(r.packets_sent), str(r.answers), str(len(r.sent)))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``environment assess|stations|trend|disclosure|simulate|hj212-serve``."""
    environment_app.command(
        "assess",
        short_help="Assess an hourly CSV against GB 3095-2012 / GB 3838-2002 (no store needed).",
    )(assess)
    environment_app.command(
        "stations", short_help="List the park's monitoring stations with their latest values."
    )(stations)
    environment_app.command(
        "trend",
        short_help="Monthly trend of a water section or of an outlet against its permit.",
    )(trend)
    environment_app.command(
        "disclosure",
        short_help="Draft an enterprise's environmental-information disclosure report.",
    )(disclosure)
    environment_app.command(
        "simulate", short_help="Send simulated HJ 212 station packets to a server."
    )(simulate)
    environment_app.command(
        "hj212-serve", short_help="Run the HJ 212 receiving server and print its counters."
    )(hj212_serve)
    app.add_typer(environment_app, name="environment")
