"""Air quality index (空气质量指数 AQI) and individual indices (空气质量分指数 IAQI) by
HJ 633-2012 环境空气质量指数（AQI）技术规定（试行） (pure).

The breakpoints (表1), categories and colours (表2, 附录A) and the rules as implemented are the
record ``environment/data/hj633_2012.yaml`` with their sources and confidence; this module loads
them and computes:

* :func:`iaqi` — HJ 633-2012 §4.2 formula (1): IAQI_P = (IAQI_Hi − IAQI_Lo) / (BP_Hi − BP_Lo) ×
  (C_P − BP_Lo) + IAQI_Lo, on the segment of 表1 that holds C_P, rounded up to an integer;
* :func:`daily_aqi` (日报) — from the 24-h means of SO2, NO2, PM10, PM2.5 and CO, the O3 daily
  maximum 1-h mean and the O3 daily maximum 8-h mean (表1 note (3): no 1-h rows in the daily
  report); note (2): an O3 8-h value above 800 µg/m³ gets no IAQI, O3 is reported by its 1-h IAQI;
* :func:`hourly_aqi` (实时报) — from the 1-h means of SO2, NO2, CO and O3 and of PM10 / PM2.5 on
  their 24-h rows (confidence L, see the record); note (1): an SO2 1-h value above 800 µg/m³
  gets no IAQI, SO2 is reported by the IAQI of its 24-h mean;
* AQI = max IAQI (§4.3 formula (2)); 首要污染物: the items with the largest IAQI when AQI > 50;
  超标污染物: items with IAQI > 100; the level, category and colour of 表2.

Items are named ``<pollutant>_<averaging>`` as in published reports (``O3_8h``, ``PM2.5_24h``).
Series versions (:func:`daily_aqi_series`, :func:`hourly_aqi_series`) take hourly series and
reuse :mod:`lingtan.environment.air` (natural local days, GB 3095-2012 表4 validity).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from lingtan import units
from lingtan.environment import air
from lingtan.environment.limits import min_count
from lingtan.errors import InvalidInput, NotFound

Confidence = Literal["H", "M", "L", "U"]
#: the pollutants of HJ 633-2012 表1
POLLUTANTS = ("SO2", "NO2", "PM10", "CO", "O3", "PM2.5")
#: items of the daily report (日报), 表1 note (3)
DAILY_ITEMS = ("SO2_24h", "NO2_24h", "PM10_24h", "CO_24h", "O3_1h", "O3_8h", "PM2.5_24h")
#: items of the real-time report (实时报)
HOURLY_ITEMS = ("SO2_1h", "NO2_1h", "PM10_1h", "CO_1h", "O3_1h", "PM2.5_1h")
#: the 1-h items of PM10 / PM2.5 use their 24-h rows (record rule ``hourly_particulates``)
_ROW_OF = {"PM10_1h": ("PM10", "24h"), "PM2.5_1h": ("PM2.5", "24h")}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Breakpoints(_Strict):
    """One row of 表1: the concentrations at IAQI 0, 50, 100, … (a short row stops early)."""

    pollutant: str
    averaging: Literal["1h", "8h", "24h"]
    unit: str
    table: str
    values: tuple[float, ...]
    note: str | None = None


class Category(_Strict):
    """One line of 表2 / 附录A."""

    level: int
    low: int
    high: int | None
    level_name: str
    category: str
    category_en: str
    colour: str
    colour_en: str
    rgb: tuple[int, int, int]

    @property
    def hex(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


class Rule(_Strict):
    text: str
    confidence: Confidence


class AqiStandard(_Strict):
    standard: str
    edition: str
    title: str
    confidence: Confidence
    sources: tuple[str, ...]
    iaqi: tuple[int, ...]
    breakpoints: tuple[Breakpoints, ...]
    notes: dict[str, str]
    categories: tuple[Category, ...]
    rules: dict[str, Rule]

    @model_validator(mode="after")
    def _shape(self) -> AqiStandard:
        if list(self.iaqi) != sorted(set(self.iaqi)) or self.iaqi[0] != 0:
            raise ValueError("iaqi: must rise from 0")
        for b in self.breakpoints:
            name = f"{b.pollutant}_{b.averaging}"
            if not 2 <= len(b.values) <= len(self.iaqi):
                raise ValueError(f"{name}: needs 2…{len(self.iaqi)} values")
            if list(b.values) != sorted(set(b.values)) or b.values[0] != 0:
                raise ValueError(f"{name}: values must rise from 0")
            units.unit(b.unit)
        keys = [(b.pollutant, b.averaging) for b in self.breakpoints]
        if len(set(keys)) != len(keys):
            raise ValueError("a pollutant/averaging row is listed twice")
        lows = [c.low for c in self.categories]
        if lows != sorted(lows) or [c.level for c in self.categories] != list(
            range(1, len(lows) + 1)
        ):
            raise ValueError("categories: levels 1… with rising ranges")
        return self

    def row(self, pollutant: str, averaging: str) -> Breakpoints:
        for b in self.breakpoints:
            if b.pollutant == pollutant and b.averaging == averaging:
                return b
        raise NotFound(f"HJ 633-2012 表1 has no row for {pollutant} {averaging}")


@lru_cache(maxsize=1)
def standard() -> AqiStandard:
    """The HJ 633-2012 record (表1, 表2, 附录A, rules with their confidence)."""
    text = resources.files("lingtan.environment").joinpath("data", "hj633_2012.yaml")
    doc: Any = yaml.safe_load(text.read_text("utf-8"))
    try:
        return AqiStandard.model_validate(doc)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"]) or "record"
        raise InvalidInput(f"hj633_2012.yaml: {loc}: {first['msg']}", field=loc) from err


@dataclass(frozen=True, slots=True)
class Iaqi:
    """The IAQI of one item. ``value`` is rounded up; ``exact`` is formula (1) unrounded;
    ``above_table``: the concentration is above the row's last value (reported as 500 only if
    the row reaches IAQI 500, else no IAQI — notes (1), (2))."""

    item: str
    concentration: float
    unit: str
    value: int | None
    exact: float | None
    above_table: bool = False
    note: str | None = None


def _split(item: str) -> tuple[str, str]:
    pollutant, _, averaging = item.rpartition("_")
    if not pollutant or averaging not in ("1h", "8h", "24h"):
        raise InvalidInput(f"AQI item {item!r}: expected <pollutant>_<1h|8h|24h>", field="item")
    return pollutant, averaging


def iaqi(item: str, concentration: float, unit: str | None = None) -> Iaqi:
    """IAQI of ``item`` (e.g. ``PM2.5_24h``) for ``concentration`` in ``unit`` (default: the
    row's unit, µg/m³; mg/m³ for CO), HJ 633-2012 §4.2 formula (1)."""
    std = standard()
    pollutant, averaging = _ROW_OF.get(item) or _split(item)
    row = std.row(pollutant, averaging)
    unit = unit or row.unit
    if math.isnan(concentration) or concentration < 0:
        raise InvalidInput(f"{item}: concentration must be ≥ 0, not {concentration}", field=item)
    c = concentration * units.factor(unit, row.unit)
    bp = row.values
    top = bp[-1]
    if c > top:
        if len(bp) < len(std.iaqi):
            # 表1 notes (1), (2): no IAQI above the row's last value
            note = std.notes.get(row.note or "", None)
            return Iaqi(item, concentration, unit, None, None, True, note)
        return Iaqi(item, concentration, unit, std.iaqi[-1], None, True, "above 表1")
    k = max(1, int(np.searchsorted(np.asarray(bp), c, side="left")))
    lo, hi = bp[k - 1], bp[k]
    i_lo, i_hi = std.iaqi[k - 1], std.iaqi[k]
    exact = (i_hi - i_lo) / (hi - lo) * (c - lo) + i_lo
    # guard against 157.0000000001 from the unit conversion before rounding up
    return Iaqi(item, concentration, unit, math.ceil(round(exact, 9)), exact)


def category(aqi_value: int) -> Category:
    """The 表2 line of an AQI value."""
    for c in standard().categories:
        if aqi_value >= c.low and (c.high is None or aqi_value <= c.high):
            return c
    raise InvalidInput(f"AQI must be ≥ 0, not {aqi_value}", field="aqi")


@dataclass
class Aqi:
    """An AQI (日报 or 实时报) with its items."""

    kind: Literal["daily", "hourly"]
    aqi: int | None
    items: dict[str, Iaqi] = field(default_factory=dict)
    primary: list[str] = field(default_factory=list)
    exceeding: list[str] = field(default_factory=list)
    level: int | None = None
    level_name: str | None = None
    category: str | None = None
    category_en: str | None = None
    colour: str | None = None
    colour_hex: str | None = None
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The AQI as shown: ``> 500`` when an item was above 表1."""
        if self.aqi is None:
            return "—"
        above = any(i.above_table and i.value is not None for i in self.items.values())
        return "> 500" if above else str(self.aqi)


def _combine(kind: Literal["daily", "hourly"], items: dict[str, Iaqi], missing: list[str]) -> Aqi:
    out = Aqi(kind, None, items, missing=missing)
    scored = {k: v.value for k, v in items.items() if v.value is not None}
    for v in items.values():
        if v.note:
            out.notes.append(f"{v.item}: {v.note}")
    if not scored:
        return out
    top = max(scored.values())
    out.aqi = top
    if top > 50:
        out.primary = [k for k, v in scored.items() if v == top]
    out.exceeding = [k for k, v in scored.items() if v > 100]
    c = category(top)
    out.level, out.level_name = c.level, c.level_name
    out.category, out.category_en = c.category, c.category_en
    out.colour, out.colour_hex = c.colour, c.hex
    return out


def daily_aqi(
    concentrations: Mapping[str, float | None], units_of: Mapping[str, str] | None = None
) -> Aqi:
    """日报 AQI from the items of :data:`DAILY_ITEMS` (missing or None: not assessed).

    Note (2): ``O3_8h`` above 800 µg/m³ gets no IAQI; O3 is then reported by ``O3_1h``.
    """
    unknown = sorted(set(concentrations) - set(DAILY_ITEMS))
    if unknown:
        raise InvalidInput(f"not a daily AQI item: {', '.join(unknown)}", field="item")
    u = units_of or {}
    items: dict[str, Iaqi] = {}
    missing = []
    for item in DAILY_ITEMS:
        c = concentrations.get(item)
        if c is None or math.isnan(c):
            missing.append(item)
            continue
        items[item] = iaqi(item, c, u.get(item))
    return _combine("daily", items, missing)


def hourly_aqi(
    concentrations: Mapping[str, float | None],
    units_of: Mapping[str, str] | None = None,
    so2_24h: float | None = None,
) -> Aqi:
    """实时报 AQI from the items of :data:`HOURLY_ITEMS`.

    Note (1): ``SO2_1h`` above 800 µg/m³ gets no IAQI; SO2 is then reported by the IAQI of its
    24-h mean ``so2_24h`` (the mean of the 24 hours up to this one), as item ``SO2_24h``.
    """
    unknown = sorted(set(concentrations) - set(HOURLY_ITEMS))
    if unknown:
        raise InvalidInput(f"not an hourly AQI item: {', '.join(unknown)}", field="item")
    u = units_of or {}
    items: dict[str, Iaqi] = {}
    missing = []
    for item in HOURLY_ITEMS:
        c = concentrations.get(item)
        if c is None or math.isnan(c):
            missing.append(item)
            continue
        items[item] = iaqi(item, c, u.get(item))
    so2 = items.get("SO2_1h")
    if so2 is not None and so2.value is None:
        if so2_24h is None or math.isnan(so2_24h):
            missing.append("SO2_24h")
        else:
            items["SO2_24h"] = iaqi("SO2_24h", so2_24h, u.get("SO2_1h"))
    return _combine("hourly", items, missing)


# -- series -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HourSeries:
    """An hourly series of one pollutant: hour starts [s], means (NaN = not valid), unit."""

    start_s: air.I64
    value: air.F64
    unit: str


@dataclass(frozen=True, slots=True)
class DayAqi:
    day: dt.date
    result: Aqi


@dataclass(frozen=True, slots=True)
class HourAqi:
    start: dt.datetime
    result: Aqi


def _daily_max_1h(s: HourSeries, tz: dt.tzinfo, min_hours: int) -> dict[int, float]:
    days = air.local_day(s.start_s, tz)
    out: dict[int, float] = {}
    for d in np.unique(days).tolist():
        v = s.value[days == d]
        ok = v[~np.isnan(v)]
        if len(ok) >= min_hours:
            out[int(d)] = float(ok.max())
    return out


def daily_aqi_series(series: Mapping[str, HourSeries], tz: dt.tzinfo) -> list[DayAqi]:
    """日报 AQI of each local natural day of hourly ``series`` keyed by pollutant.

    Each item counts only when its statistic is valid by GB 3095-2012 表4 (24-h: ≥ 20 hours;
    O3 8-h daily max: ≥ 14 valid windows of ≥ 6 hours); the O3 daily maximum 1-h mean needs the
    same 20 valid hours as a 24-h mean (confidence L: no rule for it was found).
    """
    values: dict[int, dict[str, float]] = {}
    unit_of: dict[str, str] = {}
    for pollutant, s in series.items():
        if pollutant not in POLLUTANTS or len(s.start_s) == 0:
            continue
        if pollutant == "O3":
            w = air.daily_max_8h_mean(s.start_s, s.value, tz, min_count("8h"), min_count("8h_daily_max"))  # fmt: skip
            for d, v, ok in zip(w.day.tolist(), w.value.tolist(), w.valid.tolist(), strict=True):
                if ok:
                    values.setdefault(d, {})["O3_8h"] = v
            for d, v in _daily_max_1h(s, tz, min_count("24h")).items():
                values.setdefault(d, {})["O3_1h"] = v
            unit_of["O3_8h"] = unit_of["O3_1h"] = s.unit
            continue
        item = f"{pollutant}_24h"
        unit_of[item] = s.unit
        daily = air.daily_mean(s.start_s, s.value, tz, min_count("24h"))
        for d, v, ok in zip(daily.day.tolist(), daily.value.tolist(), daily.valid.tolist(), strict=True):  # fmt: skip
            values.setdefault(d, {})
            if ok:
                values[d][item] = v
    return [DayAqi(air.day_date(d), daily_aqi(values[d], unit_of)) for d in sorted(values)]


def hourly_aqi_series(series: Mapping[str, HourSeries], tz: dt.tzinfo) -> list[HourAqi]:
    """实时报 AQI of each hour of hourly ``series`` keyed by pollutant (NaN hours not assessed);
    the SO2 24-h mean of note (1) is the mean of the 24 hours ending with the hour, valid with
    ≥ 20 valid hours (GB 3095-2012 表4)."""
    by_hour: dict[int, dict[str, float]] = {}
    unit_of: dict[str, str] = {}
    so2_24: dict[int, float] = {}
    for pollutant, s in series.items():
        if pollutant not in POLLUTANTS:
            continue
        item = f"{pollutant}_1h"
        unit_of[item] = s.unit
        for t, v in zip(s.start_s.tolist(), s.value.tolist(), strict=True):
            if not math.isnan(v):
                by_hour.setdefault(t, {})[item] = v
        if pollutant == "SO2":
            vals = dict(zip(s.start_s.tolist(), s.value.tolist(), strict=True))
            for t in s.start_s.tolist():
                last = [vals.get(t - k * air.HOUR_S, math.nan) for k in range(24)]
                ok = [x for x in last if not math.isnan(x)]
                if len(ok) >= min_count("24h"):
                    so2_24[t] = sum(ok) / len(ok)
    return [
        HourAqi(
            dt.datetime.fromtimestamp(t, dt.UTC).astimezone(tz),
            hourly_aqi(by_hour[t], unit_of, so2_24.get(t)),
        )
        for t in sorted(by_hour)
    ]


def aqi_jsonable(a: Aqi) -> dict[str, Any]:
    """An :class:`Aqi` as plain data (API, CLI ``--json``)."""
    return {
        "kind": a.kind,
        "aqi": a.aqi,
        "label": a.label,
        "level": a.level,
        "level_name": a.level_name,
        "category": a.category,
        "category_en": a.category_en,
        "colour": a.colour,
        "colour_hex": a.colour_hex,
        "primary": a.primary,
        "exceeding": a.exceeding,
        "items": {
            k: {
                "concentration": v.concentration,
                "unit": v.unit,
                "iaqi": v.value,
                "exact": v.exact,
                "above_table": v.above_table,
            }
            for k, v in a.items.items()
        },
        "missing": a.missing,
        "notes": a.notes,
        "standard": "HJ 633-2012",
    }
