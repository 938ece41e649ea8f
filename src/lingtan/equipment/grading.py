"""Efficiency grades of equipment from the standards' tables (pure).

A grade is reached when the value is at least the grade's threshold for "higher is better"
metrics (efficiency, COP) and at most it for "lower is better" ones (specific power, losses):
a value equal to a threshold reaches the grade. Grade 3 is the minimum allowed (能效限定值);
below it the item is ``below_3``. Where the standard has no table on record the result says
``no_grade_table`` and carries no grade — nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lingtan.equipment.reference import MOTOR_POLES, GradeStandard, standard_for

#: the statuses of a grading
GRADED = "graded"
NO_TABLE = "no_grade_table"
NOT_TABULATED = "not_tabulated"
NO_VALUE = "no_value"
NO_STANDARD = "no_standard"


@dataclass(frozen=True, slots=True)
class GradeResult:
    """The grade of one item against its standard."""

    status: str
    grade: str | None  # "1", "2", "3", "below_3"
    value: float | None
    unit: str | None
    thresholds: dict[str, float] = field(default_factory=dict)
    standard: dict[str, Any] | None = None
    reason: str | None = None

    @property
    def below_minimum(self) -> bool:
        """Below grade 3 (the minimum allowed)."""
        return self.grade == "below_3"

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "status": self.status,
            "grade": self.grade,
            "value": self.value,
            "unit": self.unit,
            "thresholds": self.thresholds,
            "standard": self.standard,
            "reason": self.reason,
            "below_minimum": self.below_minimum,
        }


def grade_of(value: float, thresholds: dict[str, float], direction: str) -> str:
    """The best grade whose threshold ``value`` reaches (``below_3`` if none).

    Notes
    -----
    ``direction`` ``ge``: grade g is reached when value ≥ threshold_g; ``le``: when
    value ≤ threshold_g (GB 18613-2020 4.1: the efficiency shall not be below the grade's
    value; equal reaches it).
    """
    for g in ("1", "2", "3"):
        t = thresholds[g]
        if (value >= t) if direction == "ge" else (value <= t):
            return g
    return "below_3"


def motor_thresholds(std: GradeStandard, rated_kw: float, poles: int) -> dict[str, float] | None:
    """GB 18613-2020 表1 thresholds [%] for a rated power and number of poles (None: the
    rated power is not a tabulated value)."""
    assert std.motor_table is not None
    row = std.motor_table.row(rated_kw)
    if row is None:
        return None
    i = MOTOR_POLES.index(poles)
    return {"1": row.grade_1[i], "2": row.grade_2[i], "3": row.grade_3[i]}


def grade_motor(
    std: GradeStandard, rated_kw: float, poles: int, efficiency_pct: float
) -> GradeResult:
    """A three-phase asynchronous motor's grade by GB 18613-2020 表1."""
    brief = std.brief()
    th = motor_thresholds(std, rated_kw, poles)
    if th is None:
        return GradeResult(
            NOT_TABULATED, None, efficiency_pct, "%", {}, brief,
            f"{rated_kw:g} kW is not a rated power of {std.standard} 表1 "
            "(intermediate powers are not graded)",
        )  # fmt: skip
    return GradeResult(GRADED, grade_of(efficiency_pct, th, "ge"), efficiency_pct, "%", th, brief)


def boiler_thresholds(
    std: GradeStandard, rated: dict[str, Any]
) -> tuple[dict[str, float] | None, str | None]:
    """GB 24500-2020 thresholds [%] for a boiler's fuel, combustion and capacity, or (None,
    why not): 表4 for chamber combustion of gas, oil and pulverised coal (condensing gas its
    own row), 表3 for biomass by capacity (≤ 10 t/h or ≤ 7 MW, else above), 5.2 for electric
    boilers (the minimum only, as grade 3)."""
    assert std.boiler_table is not None
    bt = std.boiler_table
    fuel = rated.get("fuel")
    if fuel == "electric":
        return {"3": bt.electric_minimum}, None
    if fuel == "biomass":
        b = bt.biomass
        t_h, mw = rated.get("capacity_t_h"), rated.get("capacity_mw")
        cols = set()
        if t_h is not None:
            cols.add(t_h <= b.limit_t_h)
        if mw is not None:
            cols.add(mw <= b.limit_mw)
        if len(cols) != 1:
            return None, (
                f"capacity_t_h and capacity_mw fall in different columns of 表3 "
                f"(≤ {b.limit_t_h:g} t/h, ≤ {b.limit_mw:g} MW)"
            )
        g = b.small if cols.pop() else b.large
        return {"1": g[0], "2": g[1], "3": g[2]}, None
    if fuel in ("gas", "oil") or (fuel == "coal" and rated.get("combustion") == "chamber"):
        condensing = bool(rated.get("condensing")) and fuel == "gas"
        for r in bt.chamber:
            if r.fuel == fuel and r.condensing == condensing:
                return {"1": r.grades[0], "2": r.grades[1], "3": r.grades[2]}, None
    if fuel == "coal":
        return None, "grate and fluidised-bed coal boilers (表1, 表2) are not on record"
    return None, f"no GB 24500-2020 row for fuel {fuel!r}"


_ORDER = ("1", "2", "3", "below_3")


def grade_transformer(std: GradeStandard, rated: dict[str, Any]) -> GradeResult:
    """A distribution transformer's grade by GB 20052-2024 表1: the best grade whose maximum
    no-load loss and maximum load loss both hold (the worse of the two losses' grades).
    Graded only for the table's scope (oil-immersed, its voltage) with the core material and
    connection group declared and the capacity a tabulated value."""
    assert std.transformer_table is not None
    tt = std.transformer_table
    brief = std.brief()
    kva = float(rated["capacity_kva"])
    missing = [
        f for f in ("insulation", "voltage_kv", "core", "connection") if rated.get(f) is None
    ]
    if missing:
        return GradeResult(
            NOT_TABULATED, None, None, "W", {}, brief,
            f"{', '.join(missing)} not declared: the row of {std.table} cannot be chosen",
        )  # fmt: skip
    if (
        rated["insulation"] != tt.insulation
        or abs(float(rated["voltage_kv"]) - tt.voltage_kv) > 1e-9
    ):
        return GradeResult(
            NOT_TABULATED, None, None, "W", {}, brief,
            f"only {std.table} is on record ({tt.voltage_kv:g} kV, {tt.insulation}-immersed)",
        )  # fmt: skip
    connection = "Dyn11" if rated["connection"] in ("Dyn11", "Yzn11") else rated["connection"]
    row = tt.row(kva, rated["core"], connection)
    if row is None:
        return GradeResult(
            NOT_TABULATED, None, None, "W", {}, brief,
            f"{kva:g} kVA, {rated['core']}, {rated['connection']} is not a row of {std.table}",
        )  # fmt: skip
    nl, ll = float(rated["no_load_loss_w"]), float(rated["load_loss_w"])
    th_nl = {g: round(1000 * v, 6) for g, v in zip(("1", "2", "3"), row.no_load_kw, strict=True)}
    th_ll = {g: round(1000 * v, 6) for g, v in zip(("1", "2", "3"), row.load_kw, strict=True)}
    g_nl, g_ll = grade_of(nl, th_nl, "le"), grade_of(ll, th_ll, "le")
    grade = max(g_nl, g_ll, key=_ORDER.index)
    thresholds = {f"no_load_{g}": v for g, v in th_nl.items()} | {
        f"load_{g}": v for g, v in th_ll.items()
    }
    return GradeResult(
        GRADED, grade, None, "W", thresholds, brief,
        f"no-load {nl:g} W: {g_nl}; load {ll:g} W: {g_ll} ({row.data_id})",
    )  # fmt: skip


def grade_compressor(std: GradeStandard, rated: dict[str, Any], value: float) -> GradeResult:
    """A displacement air compressor's grade by GB 19153-2019 (表1–表4 of the transcription):
    the row of its kind (``compressor_kind``), rated power, discharge pressure and, for the
    oil-injected rotary tables, cooling; the value (nameplate or measured specific power,
    kW/(m3/min)) reaches a grade when it is at most the grade's limit. Only tabulated powers
    and pressures are graded (no interpolation: the source gives no rule), and a row the table
    marks "-" is not applicable."""
    ct = std.compressor_table
    assert ct is not None
    brief, unit = std.brief(), std.unit
    kind = rated.get("compressor_kind")
    if kind is None:
        return GradeResult(
            NOT_TABULATED, None, value, unit, {}, brief,
            f"compressor_kind not declared: the table of {std.standard} "
            f"({', '.join(sorted({k.table for k in ct.kinds.values()}))}) cannot be chosen",
        )  # fmt: skip
    kw, mpa = float(rated["rated_kw"]), float(rated["pressure_mpa"])
    row, k = std.compressor_row(kind, kw, mpa, rated.get("cooling"))
    where = f"{kw:g} kW, {mpa:g} MPa" + (f", {rated.get('cooling')}-cooled" if k.by_cooling else "")
    if row is None:
        return GradeResult(
            NOT_TABULATED, None, value, unit, {}, brief,
            f"{where} is not a row of {std.standard} {k.table} ({k.type}); powers and "
            "pressures between tabulated values are not graded",
        )  # fmt: skip
    if row.limits is None:
        return GradeResult(
            NOT_TABULATED, None, value, unit, {}, brief,
            f"{std.standard} {k.table} ({k.type}) gives no values for {where} (\"-\": not "
            f"applicable; {row.data_ids[0]}…{row.data_ids[2]})",
        )  # fmt: skip
    th = {g: v for g, v in zip(("1", "2", "3"), row.limits, strict=True)}
    return GradeResult(
        GRADED, grade_of(float(value), th, "le"), value, unit, th, brief,
        f"{k.table} {k.type}, {where} ({', '.join(row.data_ids)}, source pages "
        f"{row.source_pages})",
    )  # fmt: skip


#: the rated-data field graded for each type (nameplate value)
_VALUE_FIELD = {
    "motor": "efficiency_pct",
    "pump": "efficiency_pct",
    "fan": "efficiency_pct",
    "air_compressor": "specific_power_kw_per_m3min",
    "boiler": "thermal_efficiency_pct",
    "chiller": "cop",
    "aerator": "oxygen_kg_per_kwh",
}


def grade_item(
    equipment_type: str, rated: dict[str, Any], *, value: float | None = None
) -> GradeResult:
    """The grade of an item from its rated data (or ``value``, a measured value of the
    standard's metric, e.g. a compressor's measured specific power)."""
    std = standard_for(equipment_type)
    if std is None:
        return GradeResult(
            NO_STANDARD, None, value, None, reason="no efficiency standard on record"
        )
    if value is None:
        f = _VALUE_FIELD.get(equipment_type)
        value = None if f is None else rated.get(f)
    if not std.has_table:
        return GradeResult(
            NO_TABLE, None, value, std.unit, {}, std.brief(),
            f"no grade table of {std.standard} on record ({std.note or 'not read'})",
        )  # fmt: skip
    if equipment_type == "transformer" and std.transformer_table is not None:
        return grade_transformer(std, rated)
    if value is None:
        return GradeResult(NO_VALUE, None, None, std.unit, {}, std.brief(), "no value to grade")
    if equipment_type == "air_compressor" and std.compressor_table is not None:
        return grade_compressor(std, rated, float(value))
    if equipment_type == "motor":
        return grade_motor(std, float(rated["rated_kw"]), int(rated["poles"]), float(value))
    if equipment_type == "boiler":
        th, why = boiler_thresholds(std, rated)
        if th is None:
            return GradeResult(NO_TABLE, None, value, std.unit, {}, std.brief(), why)
        if "1" not in th:  # electric: the minimum only
            grade = "3" if value >= th["3"] else "below_3"
            return GradeResult(
                GRADED, grade, value, std.unit, th, std.brief(),
                "GB 24500-2020 5.2 gives electric boilers a minimum only (no grades 1–2)",
            )  # fmt: skip
        return GradeResult(
            GRADED, grade_of(float(value), th, "ge"), value, std.unit, th, std.brief()
        )
    return GradeResult(NO_TABLE, None, value, std.unit, {}, std.brief(), "no grade table")
