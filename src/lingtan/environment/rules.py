"""Alarm rules derived from the limits of a station's parameters (pure).

Each station parameter with a limit gets a threshold rule of the alarm engine (docs/alarms.md)
on its point, named after the standard, table and class the number comes from:

* air (GB 3095-2012): the 1-h limit of the zone class on the hourly mean; a pollutant with
  only a 24-h limit (PM10, PM2.5) on the daily mean;
* water (GB 3838-2002): the target class's limit on the daily mean (DO below its minimum,
  pH outside 6–9);
* outlet: each permit limit on the hourly mean;
* indoor (GB/T 18883): each maximum on the hourly or daily mean of its record;
* station checks of kind ``environment`` (lingtan.environment.alarms): comms loss of every
  station (``env.<station>.comms``), the O3 daily maximum 8-h mean of air stations measuring
  O3 (``env.<station>.O3.8h_daily_max``), the seasonal temperature and humidity ranges of
  indoor monitors (``env.<station>.<parameter>.range``).

The alarm engine treats "above" as strictly above the limit (equal is compliant), as the
standards do. The rules are ordinary rules: created once, then edited or retired like any other.
"""

from __future__ import annotations

from typing import Any, Final

from lingtan import units
from lingtan.environment.indoor import indoor_limits
from lingtan.environment.limits import air_limit, validity_cite, validity_rules, water_standard
from lingtan.environment.stations import Station, StationKind

#: the source recorded with generated rules (kept when a park file restates its alarm rules)
RULE_SOURCE: Final = "environment limits"
_CLASS_ZH: Final = {1: "一类区", 2: "二类区"}


def _rule(
    station: Station, parameter: str, unit: str, statistic: str, *, op: str,
    high: float | None = None, low: float | None = None, cite: str, basis: str,
) -> dict[str, Any]:  # fmt: skip
    on = "hour" if statistic == "1h" else "day"
    if op == "above":
        band = f"> {high:g}"
    elif op == "below":
        band = f"< {low:g}"
    else:
        band = f"∉ [{low:g}, {high:g}]"
    rule: dict[str, Any] = {
        "id": f"env.{station.code}.{parameter}.{statistic}",
        "name": f"{station.name} {parameter} {statistic} {band} {unit} ({cite})",
        "kind": "threshold",
        "severity": "major",
        "scope": {"points": [station.point_code(parameter)]},
        "on": on,
        "statistic": "mean",
        "op": op,
        "description": f"generated from {basis}; {unit}",
    }
    if high is not None:
        rule["high"] = high
    if low is not None:
        rule["low"] = low
    return rule


def limit_rules(station: Station) -> list[dict[str, Any]]:
    """The rule records (``alarms.rules`` mappings) of a station's limits."""
    out: list[dict[str, Any]] = []
    for p in station.parameters:
        name, unit = p.parameter, p.unit
        if station.kind is StationKind.AIR:
            cls = station.air_class or 2
            rec = air_limit(name, "1h") or air_limit(name, "24h")
            if rec is None:
                continue
            limit = rec.value(cls) * units.factor(rec.unit, unit)
            out.append(
                _rule(
                    station,
                    name,
                    unit,
                    rec.averaging,
                    op="above",
                    high=limit,
                    cite=f"{rec.standard} 表{rec.table} {_CLASS_ZH[cls]}",
                    basis=f"{rec.cite}, class {cls}, {rec.averaging} {rec.value(cls):g} {rec.unit}",
                )
            )
        elif station.kind is StationKind.WATER:
            std = water_standard()
            wrec = next((w for w in std.parameters if w.parameter == name), None)
            if wrec is None:
                continue
            target = station.water_class or "III"
            idx = std.classes.index(target)
            f = 1.0 if wrec.unit == "1" else units.factor(wrec.unit, unit)
            cite = f"{std.standard} 表{std.table} {target}类"
            basis = f"{std.standard} 表{std.table}, target class {target}"
            if wrec.direction == "range":
                out.append(
                    _rule(station, name, unit, "24h", op="outside", low=wrec.low, high=wrec.high,
                          cite=cite, basis=basis)
                )  # fmt: skip
            elif wrec.direction == "min":
                out.append(
                    _rule(station, name, unit, "24h", op="below", low=wrec.limits[idx] * f,
                          cite=cite, basis=basis)
                )  # fmt: skip
            else:
                out.append(
                    _rule(station, name, unit, "24h", op="above", high=wrec.limits[idx] * f,
                          cite=cite, basis=basis)
                )  # fmt: skip
        elif station.kind is StationKind.OUTLET:
            for lim in station.limits:
                if lim.parameter == name:
                    out.append(
                        _rule(station, name, unit, "1h", op="above",
                              high=lim.limit * units.factor(lim.unit, unit),
                              cite=lim.source, basis=f"permit limit {lim.limit:g} {lim.unit}, "
                              f"{lim.source}")
                    )  # fmt: skip
        else:
            for irec in indoor_limits():
                if irec.parameter != name or irec.season is not None:
                    continue
                _low, high = irec.bounds_in(unit)
                out.append(
                    _rule(station, name, unit, irec.averaging, op="above", high=high,
                          cite=f"{irec.cite} (confidence {irec.confidence})",
                          basis=f"{irec.cite}: {irec.note}")
                )  # fmt: skip
    out.extend(station_checks(station))
    return out


def _check(
    station: Station, suffix: str, name: str, check: str, severity: str, description: str,
    **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    return {
        "id": f"env.{station.code}.{suffix}",
        "name": f"{station.name} {name}",
        "kind": "environment",
        "check": check,
        "station": station.code,
        "severity": severity,
        "description": description,
        **extra,
    }


def station_checks(station: Station) -> list[dict[str, Any]]:
    """The ``environment`` rules of a station (comms loss; O3 8-h; indoor seasonal ranges)."""
    out = [
        _check(
            station, "comms", f"通信中断 > {station.silence_min} min", "comms_loss", "major",
            "generated: no data from the station for the station's comms_loss_min (lingtan "
            "default, not a standard's)", silence_min=station.silence_min,
        )
    ]  # fmt: skip
    names = {p.parameter for p in station.parameters}
    daily = validity_rules().get("24h")
    if station.kind is StationKind.AIR and daily is not None and names & set(daily.applies_to):
        out.append(
            _check(
                station, "invalid_day",
                f"数据无效日（日有效小时值 < {daily.min_count}，{validity_cite()}）",
                "invalid_day", "minor",
                f"generated from {validity_cite()}: a daily statistic needs {daily.min_count} "
                f"valid hourly values (confidence {daily.confidence})",
            )
        )  # fmt: skip
    if station.kind is StationKind.AIR and "O3" in names:
        cls = station.air_class or 2
        rec = air_limit("O3", "8h_daily_max")
        if rec is not None:
            out.append(
                _check(
                    station, "O3.8h_daily_max",
                    f"O3 日最大8小时平均 > {rec.value(cls):g} {rec.unit} "
                    f"({rec.standard} 表{rec.table} {_CLASS_ZH[cls]})",
                    "o3_8h", "major", f"generated from {rec.cite}, class {cls}, 8h_daily_max",
                )
            )  # fmt: skip
    if station.kind is StationKind.INDOOR:
        for irec in indoor_limits():
            if irec.season is None or irec.parameter not in names:
                continue
            suffix = f"{irec.parameter}.range"
            if any(r["id"].endswith(suffix) for r in out):
                continue
            out.append(
                _check(
                    station, suffix, f"{irec.parameter} 超出季节范围 ({irec.cite})",
                    "indoor_range", "minor",
                    f"generated from {irec.cite} (confidence {irec.confidence})",
                    parameter=irec.parameter,
                )
            )  # fmt: skip
    return out


__all__ = ["RULE_SOURCE", "limit_rules", "station_checks"]
