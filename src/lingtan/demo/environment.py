"""The demo park's monitoring stations and their synthetic (合成) hourly data.

Two ambient-air stations, one surface-water section, one enterprise outlet (E02's, with
made-up permit limits) and two indoor monitors (the park's administration building and E01's
factory). Every value is synthetic: a deterministic function of the station, parameter and
hour (a daily and a seasonal cycle plus hashed noise), with a few deliberate episodes so that
the assessment and the alarms have something to find — a PM2.5 episode in January, an outlet
COD excursion in February, a warm afternoon in the administration building in July.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
HOUR_US: Final = 3_600_000_000
#: the source label of every demo station reading
SOURCE: Final = "demo:environment（合成 SYNTHETIC）"

#: parameter → (unit, annual mean level, daily swing, seasonal swing, decimals)
LEVELS: Final[dict[str, tuple[str, float, float, float, int]]] = {
    "SO2": ("µg/m3", 9.0, 3.0, 3.0, 0),
    "NO2": ("µg/m3", 32.0, 12.0, 8.0, 0),
    "CO": ("mg/m3", 0.7, 0.2, 0.2, 1),
    "O3": ("µg/m3", 70.0, 45.0, 25.0, 0),
    "PM10": ("µg/m3", 60.0, 15.0, 20.0, 0),
    "PM2.5": ("µg/m3", 35.0, 10.0, 15.0, 0),
    "pH": ("1", 7.4, 0.1, 0.1, 2),
    "DO": ("mg/L", 6.8, 0.6, 1.2, 2),
    "COD": ("mg/L", 16.0, 2.0, 2.0, 1),
    "NH3-N": ("mg/L", 0.6, 0.1, 0.15, 3),
    "TP": ("mg/L", 0.12, 0.02, 0.03, 3),
    "CO2": ("ppm", 650.0, 200.0, 50.0, 0),
    "temperature": ("degC", 23.0, 1.0, 2.5, 1),
    "RH": ("%", 50.0, 6.0, 8.0, 0),
}


def stations(enterprises: Sequence[str]) -> list[dict[str, Any]]:
    """The demo's ``environment.stations`` (the outlet and E01's monitor only when their
    enterprise is part of the demo)."""

    def params(*names: str) -> list[dict[str, Any]]:
        return [{"parameter": n, "unit": LEVELS[n][0]} for n in names]

    out: list[dict[str, Any]] = [
        {"code": "AQ-N", "name": "北区环境空气站（合成）", "kind": "air", "mn": "LTDEMOAQN0000001",
         "air_class": 2, "parameters": params("SO2", "NO2", "CO", "O3", "PM10", "PM2.5")},
        {"code": "AQ-S", "name": "南区居民点空气站（合成）", "kind": "air", "mn": "LTDEMOAQS0000001",
         "air_class": 2, "parameters": params("NO2", "O3", "PM10", "PM2.5")},
        {"code": "WS-1", "name": "园区河道下游断面（合成）", "kind": "water", "mn": "LTDEMOWS10000001",
         "water_class": "III", "parameters": params("pH", "DO", "COD", "NH3-N", "TP")},
        {"code": "IN-ADM", "name": "园区综合楼室内（合成）", "kind": "indoor", "mn": "LTDEMOINA0000001",
         "site": "PARK-ADM", "parameters": params("CO2", "temperature", "RH")},
    ]  # fmt: skip
    if "E01" in enterprises:
        out.append(
            {"code": "IN-E01", "name": "芯源电子厂房室内（合成）", "kind": "indoor",
             "mn": "LTDEMOINE0000001", "site": "E01-B1",
             "parameters": params("CO2", "temperature", "RH")}
        )  # fmt: skip
    if "E02" in enterprises:
        out.append(
            {"code": "E02-OUT1", "name": "华辰电路板废水总排口（合成）", "kind": "outlet",
             "mn": "LTDEMOOUT0000002", "enterprise": "E02", "site": "E02-B1",
             "parameters": params("COD", "NH3-N"),
             "limits": [
                 {"parameter": "COD", "limit": 50, "unit": "mg/L",
                  "source": "排污许可证（合成）LTDEMO-E02-001P 表 废水排放限值"},
                 {"parameter": "NH3-N", "limit": 5, "unit": "mg/L",
                  "source": "排污许可证（合成）LTDEMO-E02-001P 表 废水排放限值"},
             ]}
        )  # fmt: skip
    return out


def _noise(n: int, seed: int) -> F64:
    return np.random.default_rng(seed).normal(0.0, 1.0, n)


def values(station: str, parameter: str, hours_us: I64, seed: int) -> F64:
    """The synthetic hourly values of one station parameter at the hour starts ``hours_us``
    (UTC µs; Beijing time drives the cycles)."""
    _, level, daily, seasonal, decimals = LEVELS[parameter]
    local_h = ((hours_us // HOUR_US) + 8) % 24
    doy = ((hours_us // HOUR_US + 8) // 24) % 365
    winter = np.cos(doy / 365 * 2 * np.pi)  # +1 in early January, −1 in early July
    if parameter == "O3":  # afternoon peak, summer high
        cycle = np.sin((local_h - 9) / 24 * 2 * np.pi)
        v = level + daily * cycle - seasonal * winter
    elif parameter in ("temperature", "RH", "CO2"):
        office = ((local_h >= 8) & (local_h < 18)).astype(float)
        v = level + daily * (2 * office - 1) + (seasonal * -winter if parameter != "CO2" else 0)
    else:  # traffic and heating: morning/evening peaks, winter high
        cycle = np.cos((local_h - 8) / 12 * 2 * np.pi)
        v = level + daily * cycle + seasonal * winter
    v = v + _noise(len(hours_us), seed) * daily * 0.3
    v = _episodes(station, parameter, hours_us, local_h, v)
    floor = {"pH": 6.5, "RH": 20.0, "temperature": 10.0}.get(parameter, 0.0)
    return np.asarray(np.round(np.maximum(v, floor), decimals), np.float64)


def _episodes(station: str, parameter: str, hours_us: I64, local_h: I64, v: F64) -> F64:
    """The deliberate episodes (all synthetic)."""
    day = (hours_us // HOUR_US + 8) // 24  # local day number since 1970-01-01
    jan = 20_107  # 2025-01-19 (local day number)
    if station.startswith("AQ") and parameter in ("PM2.5", "PM10"):
        # a three-day haze episode: 24-h PM2.5 above 75 µg/m3 on 2025-01-19/20/21
        v = np.where(
            (day >= jan) & (day < jan + 3), v + (70.0 if parameter == "PM2.5" else 90.0), v
        )
    if station == "E02-OUT1" and parameter == "COD":
        feb = jan + 24  # 2025-02-12, 10:00–13:00: an excursion above the permit's 50 mg/L
        v = np.where((day == feb) & (local_h >= 10) & (local_h < 14), 58.0 + local_h - 10, v)
    if station == "IN-ADM" and parameter == "temperature":
        jul = jan + 176  # 2025-07-14, 13:00–16:00: 29.x °C, above the cooling-season 28 °C
        v = np.where(
            (day == jul) & (local_h >= 13) & (local_h < 17), 29.2 + 0.2 * (local_h - 13), v
        )
    return v


def series(
    spec: Sequence[dict[str, Any]], first_us: int, last_us: int
) -> dict[str, tuple[I64, F64]]:
    """Hourly readings (hour start µs, value) per station point in [first, last)."""
    hours = np.arange(first_us // HOUR_US * HOUR_US, last_us, HOUR_US, dtype=np.int64)
    out: dict[str, tuple[I64, F64]] = {}
    for k, st in enumerate(spec):
        for j, p in enumerate(st["parameters"]):
            name = p["parameter"]
            out[f"{st['code']}:{name}"] = (hours, values(st["code"], name, hours, 500 + 31 * k + j))
    return out


__all__ = ["LEVELS", "SOURCE", "series", "stations", "values"]
