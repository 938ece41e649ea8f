"""Key energy-user online monitoring (重点用能单位能耗在线监测): the data model of an upload and
the checks run before it is queued — pure: no I/O, no SQL.

What is implemented, and what is assumed (docs/outbound.md says the same):

* GB/T 38692-2020《用能单位能耗在线监测技术要求》 sets what is monitored (energy by carrier
  and use, production data) and how it is collected; the national centre's access-side
  specification (接入端技术规范: data item codes, message format, signing) is not published
  openly. lingtan therefore sends a **documented placeholder** message (:func:`payload`,
  ``schema: lingtan-ecm/1``): the unit's codes, and one item per carrier, use, granularity and
  period start, with the collected share and the checks' findings. A real provincial platform
  needs an adapter from this model to its wire format.
* The unit is identified by its 统一社会信用代码 (GB 32100-2015), checked with its check
  character (:func:`uscc_valid`).
* Granularities: ``15min``, ``day`` and ``month``. The store builder
  (:mod:`lingtan.exchange.upload`) fills ``day`` and ``month`` from lingtan's daily and monthly
  statistics and ``15min`` from the readings of points read at least every 15 minutes
  (:mod:`lingtan.normalize.slots`, the computation of the 15-minute forecasts).
* Production data (``production``): the month's 产品产量 records (``product_output``).
* The checks (:func:`check`) apply the data-quality rules of ``data/ecm_rules.yaml``
  (completeness ≥ 90 %, Σ daily within 5 % of the monthly value — confidence L, not verified
  from the specification's text; Σ of a day's quarter-hours within 5 % of the daily value —
  lingtan's own, confidence L). An ``error`` refuses the upload; a ``warning`` is sent with
  the data (the platform sees the flag).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Final

import yaml

from lingtan.errors import InvalidInput

SCHEMA: Final = "lingtan-ecm/1"
GRANULARITIES: Final = ("15min", "day", "month")
#: 15-minute items due per series and local day (a zone without daylight saving)
QUARTERS_PER_DAY: Final = 96
LEVELS: Final = ("error", "warning")
#: GB 32100-2015 统一社会信用代码: the 31 characters (no I, O, S, V, Z) and the weights
#: 3^(i-1) mod 31 of positions 1-17
_USCC_CHARS: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))


def uscc_valid(code: str) -> bool:
    """Whether ``code`` is an 18-character 统一社会信用代码 whose check character (position 18)
    matches positions 1-17 (GB 32100-2015 clause 5: C18 = 31 − (Σ Ci·Wi mod 31), 31 → 0)."""
    if not isinstance(code, str) or len(code) != 18:
        return False
    try:
        values = [_USCC_CHARS.index(ch) for ch in code]
    except ValueError:
        return False
    check = 31 - sum(v * w for v, w in zip(values[:17], _USCC_WEIGHTS, strict=True)) % 31
    return values[17] == (0 if check == 31 else check)


@dataclass(frozen=True, slots=True)
class Rules:
    """The data-quality rules (records of ``data/ecm_rules.yaml``)."""

    completeness_min: float
    daily_monthly_max_deviation: float
    #: |Σ a day's 96 quarter-hour values − the daily value| / the daily value, at most
    quarter_daily_max_deviation: float = 0.05
    #: the record ids, for the findings
    ids: Mapping[str, str] = field(default_factory=dict)


@cache
def default_rules() -> Rules:
    """The rules shipped in ``data/ecm_rules.yaml``."""
    text = resources.files("lingtan.exchange").joinpath("data", "ecm_rules.yaml").read_text("utf-8")
    records = {r["id"]: r for r in yaml.safe_load(text)["records"]}
    return Rules(
        completeness_min=float(records["ecm.completeness_min"]["value"]),
        daily_monthly_max_deviation=float(records["ecm.daily_monthly_max_deviation"]["value"]),
        quarter_daily_max_deviation=float(records["ecm.quarter_daily_max_deviation"]["value"]),
        ids={k: k for k in records},
    )


@dataclass(frozen=True, slots=True)
class Unit:
    """The reporting unit (用能单位) and its codes."""

    #: 统一社会信用代码 (GB 32100-2015)
    uscc: str
    name: str
    #: 国民经济行业分类 code (GB/T 4754), when known
    industry: str | None = None
    #: the unit's code in lingtan (the park file's enterprise id)
    code: str = ""


@dataclass(frozen=True, slots=True)
class Item:
    """One data item (数据项): the energy of one carrier and use over one period."""

    carrier: str
    name: str
    #: 用途: ``total`` (the unit's whole consumption of the carrier) or a use named by the park
    use: str
    granularity: str
    #: the period's start in the park's local time (ISO 8601 with offset)
    start: str
    value: float | None
    unit: str
    #: collected share of the period (measured time / the period's time), 0-1
    completeness: float
    #: whether part of the value was estimated (gap filled by normalisation)
    estimated: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        """(carrier, use, unit): the series the item belongs to."""
        return (self.carrier, self.use, self.unit)


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of a check: ``error`` refuses the upload, ``warning`` flags it."""

    rule: str
    level: str
    message: str
    carrier: str | None = None
    start: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "rule": self.rule,
            "level": self.level,
            "message": self.message,
            "carrier": self.carrier,
            "start": self.start,
        }


@dataclass(frozen=True, slots=True)
class Dataset:
    """What one upload carries: a unit and a calendar month of items."""

    unit: Unit
    year: int
    month: int
    items: tuple[Item, ...]
    #: the number of days of the month (items of granularity ``day`` due per series)
    days: int
    #: production data (产品产量 …): one mapping per product, sent as given (the store builder
    #: gives category, product, quantity, unit, period, source and record id)
    production: tuple[Mapping[str, Any], ...] = ()
    #: what the builder found while building (a series without a 15-minute series, a month
    #: without a production record …): returned first by :func:`check`
    notes: tuple[Finding, ...] = ()


def _item_errors(items: Sequence[Item]) -> list[Finding]:
    out: list[Finding] = []
    for i, it in enumerate(items):
        if it.granularity not in GRANULARITIES:
            raise InvalidInput(
                f"items[{i}].granularity must be one of {', '.join(GRANULARITIES)}",
                field=f"items[{i}].granularity",
            )
        if it.value is not None and (not math.isfinite(it.value) or it.value < 0):
            out.append(
                Finding(
                    "value",
                    "error",
                    f"{it.carrier} {it.start}: value {it.value} is not a "
                    "finite non-negative number",
                    it.carrier,
                    it.start,
                )
            )
        if not 0.0 <= it.completeness <= 1.0:
            raise InvalidInput(
                f"items[{i}].completeness must lie in 0-1", field=f"items[{i}].completeness"
            )
    return out


def check(dataset: Dataset, rules: Rules | None = None) -> list[Finding]:
    """The findings of the data-quality checks on ``dataset`` (empty: clean).

    * unit code — a valid 统一社会信用代码 (GB 32100-2015), else error;
    * completeness (数据完整性) — each series has one daily item per day of the month and one
      monthly item, each with a value; a day or month whose collected share is below
      ``rules.completeness_min`` is an error (the platform's 90 % rule); an estimated value
      above it is a warning;
    * consistency (数据一致性) — per series, |Σ daily − monthly| ≤ ``max_deviation`` × monthly,
      else error (a monthly value of 0 needs Σ daily = 0);
    * 15-minute items, for a series that has them (:func:`_quarter_findings`): 96 a day on
      every day of the month, at least ``completeness_min`` of them with a value, and Σ of a
      day's 96 values within ``quarter_daily_max_deviation`` of the daily value.

    The builder's own findings (``dataset.notes``) come first.
    """
    r = rules or default_rules()
    out: list[Finding] = list(dataset.notes)
    if not uscc_valid(dataset.unit.uscc):
        out.append(
            Finding(
                "unit.uscc",
                "error",
                f"unit {dataset.unit.code or dataset.unit.name}: {dataset.unit.uscc!r} is not a "
                "valid 统一社会信用代码 (18 characters with a matching check character)",
            )
        )
    out.extend(_item_errors(dataset.items))
    series: dict[tuple[str, str, str], dict[str, list[Item]]] = {}
    for it in dataset.items:
        series.setdefault(it.key, {}).setdefault(it.granularity, []).append(it)
    if not series:
        out.append(Finding("completeness", "error", "the upload holds no energy data item"))
    for (carrier, use, unit), by in sorted(series.items()):
        days, months = by.get("day", []), by.get("month", [])
        label = f"{carrier}/{use} [{unit}]"
        if len(days) != dataset.days:
            out.append(
                Finding(
                    "completeness",
                    "error",
                    f"{label}: {len(days)} daily values for {dataset.days} days",
                    carrier,
                )
            )
        if len(months) != 1:
            out.append(Finding("completeness", "error", f"{label}: no monthly value", carrier))
        for it in (*days, *months):
            if it.value is None or it.completeness < r.completeness_min:
                out.append(
                    Finding(
                        "completeness",
                        "error",
                        f"{label} {it.start}: collected {it.completeness:.1%} of the period, "
                        f"below {r.completeness_min:.0%}",
                        carrier,
                        it.start,
                    )
                )
            elif it.estimated:
                out.append(
                    Finding(
                        "estimated",
                        "warning",
                        f"{label} {it.start}: partly estimated",
                        carrier,
                        it.start,
                    )
                )
        if "15min" in by:
            out.extend(_quarter_findings(label, carrier, by["15min"], days, dataset.days, r))
        if len(months) == 1 and months[0].value is not None and days:
            monthly = months[0].value
            daily = sum(d.value or 0.0 for d in days)
            allowed = r.daily_monthly_max_deviation * abs(monthly)
            if abs(daily - monthly) > allowed + 1e-9 * max(1.0, abs(monthly)):
                dev = "∞" if monthly == 0 else f"{abs(daily - monthly) / abs(monthly):.1%}"
                out.append(
                    Finding(
                        "consistency",
                        "error",
                        f"{label}: Σ daily {daily:g} differs from the monthly {monthly:g} by "
                        f"{dev}, more than {r.daily_monthly_max_deviation:.0%}",
                        carrier,
                        months[0].start,
                    )
                )
    return out


def _quarter_findings(
    label: str, carrier: str, quarters: Sequence[Item], days: Sequence[Item], n_days: int, r: Rules
) -> list[Finding]:
    """The checks of one series' 15-minute items, day by day (the local date of an item is the
    date part of its ``start``):

    * ``quarter.completeness`` (error) — every day of the month has its 96 items, and at least
      ``completeness_min`` of them carry a value (实际采集上传数据个数 / 应采集上传数据个数, the
      count rule of ``ecm.completeness_min``); an item without a value is sent as null;
    * ``estimated`` (warning) — one finding per day whose items are partly estimated;
    * ``quarter.consistency`` (error) — on a day whose 96 items all carry a value and whose
      daily item has one, |Σ quarters − daily| ≤ ``quarter_daily_max_deviation`` × daily. A
      day with unknown quarters is not summed (its completeness is checked instead).
    """
    out: list[Finding] = []
    by_day: dict[str, list[Item]] = {}
    for q in quarters:
        by_day.setdefault(q.start[:10], []).append(q)
    daily = {d.start[:10]: d for d in days}
    if len(by_day) != n_days:
        out.append(
            Finding(
                "quarter.completeness",
                "error",
                f"{label}: 15-minute values on {len(by_day)} of {n_days} days",
                carrier,
            )
        )
    for day, items in sorted(by_day.items()):
        start = items[0].start
        known = [q for q in items if q.value is not None]
        due = QUARTERS_PER_DAY
        if len(items) != due or len(known) < r.completeness_min * due:
            out.append(
                Finding(
                    "quarter.completeness",
                    "error",
                    f"{label} {day}: {len(known)} of {due} 15-minute values collected "
                    f"({len(items)} sent), below {r.completeness_min:.0%}"
                    if len(items) == due
                    else f"{label} {day}: {len(items)} 15-minute values for {due}",
                    carrier,
                    start,
                )
            )
        estimated = sum(1 for q in known if q.estimated)
        if estimated:
            out.append(
                Finding(
                    "estimated",
                    "warning",
                    f"{label} {day}: {estimated} of {len(items)} 15-minute values partly estimated",
                    carrier,
                    start,
                )
            )
        d = daily.get(day)
        if d is None or d.value is None or len(known) != due or len(items) != due:
            continue
        total = math.fsum(q.value or 0.0 for q in known)
        allowed = r.quarter_daily_max_deviation * abs(d.value)
        if abs(total - d.value) > allowed + 1e-9 * max(1.0, abs(d.value)):
            dev = "∞" if d.value == 0 else f"{abs(total - d.value) / abs(d.value):.1%}"
            out.append(
                Finding(
                    "quarter.consistency",
                    "error",
                    f"{label} {day}: Σ 15-minute values {total:g} differs from the daily "
                    f"{d.value:g} by {dev}, more than {r.quarter_daily_max_deviation:.0%}",
                    carrier,
                    d.start,
                )
            )
    return out


def refused(findings: Iterable[Finding]) -> bool:
    """Whether any finding refuses the upload."""
    return any(f.level == "error" for f in findings)


def payload(dataset: Dataset, findings: Sequence[Finding]) -> dict[str, Any]:
    """The JSON body of the upload (``schema: lingtan-ecm/1``, a documented placeholder for the
    platform's own format): no clock time, so the same data gives the same body."""
    return {
        "schema": SCHEMA,
        "unit": {
            "uscc": dataset.unit.uscc,
            "name": dataset.unit.name,
            "industry": dataset.unit.industry,
            "code": dataset.unit.code,
        },
        "period": {"year": dataset.year, "month": dataset.month},
        "items": [
            {
                "carrier": it.carrier,
                "name": it.name,
                "use": it.use,
                "granularity": it.granularity,
                "start": it.start,
                "value": it.value,
                "unit": it.unit,
                "completeness": round(it.completeness, 6),
                "estimated": it.estimated,
            }
            for it in sorted(
                dataset.items,
                key=lambda x: (
                    x.carrier,
                    x.use,
                    x.unit,
                    GRANULARITIES.index(x.granularity),
                    x.start,
                ),
            )
        ],
        "production": [dict(p) for p in dataset.production],
        "checks": [f.as_dict() for f in findings],
    }


def month_days(year: int, month: int) -> int:
    """Days in a calendar month."""
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return (nxt - dt.date(year, month, 1)).days
