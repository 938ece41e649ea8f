"""Reference records of the equipment layer, validated strictly.

* ``data/grade_tables.yaml`` — one record per efficiency standard (能效限定值及能效等级): its
  edition, table, metric, direction, source and confidence; the GB 18613-2020 table 1 is
  filled, the others are ``table: null`` (no grade table) until a source is read;
* ``data/lighting_lpd.yaml`` — the road-lighting power-density record (CJJ 45-2015), values
  null.
"""

from __future__ import annotations

import functools
from typing import Literal

from pydantic import Field, model_validator

from lingtan.errors import InvalidInput
from lingtan.indicators.limits import Sourced, Strict, read_data, validate_yaml

Confidence = Literal["H", "M", "L", "U"]
EquipmentType = Literal[
    "motor", "pump", "fan", "air_compressor", "transformer", "boiler", "chiller",
    "dust_collector", "aerator", "other",
]  # fmt: skip
EQUIPMENT_TYPES: tuple[str, ...] = EquipmentType.__args__  # type: ignore[attr-defined]
MOTOR_POLES = (2, 4, 6, 8)


class _Provenance(Sourced):
    confidence: Confidence  # this layer's records: H, M, L or U


class MotorRow(Strict):
    """One rated power of GB 18613-2020 表1: the minimum efficiency [%] of each grade, one
    value per number of poles (2, 4, 6, 8)."""

    kw: float = Field(gt=0)
    grade_1: tuple[float, float, float, float]
    grade_2: tuple[float, float, float, float]
    grade_3: tuple[float, float, float, float]

    @model_validator(mode="after")
    def _order(self) -> MotorRow:
        for i in range(4):
            if not self.grade_1[i] >= self.grade_2[i] >= self.grade_3[i]:
                raise ValueError(f"{self.kw} kW: grade 1 ≥ grade 2 ≥ grade 3 must hold")
        return self


class MotorTable(Strict):
    """GB 18613-2020 表1 (three-phase asynchronous motors)."""

    poles: tuple[int, int, int, int]
    rows: tuple[MotorRow, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _sorted(self) -> MotorTable:
        if self.poles != MOTOR_POLES:
            raise ValueError("poles: must be [2, 4, 6, 8]")
        kws = [r.kw for r in self.rows]
        if kws != sorted(set(kws)):
            raise ValueError("rows: rated powers must be unique and ascending")
        return self

    def row(self, kw: float) -> MotorRow | None:
        """The row of exactly ``kw`` (None: not tabulated)."""
        for r in self.rows:
            if abs(r.kw - kw) < 1e-9:
                return r
        return None


Grades3 = tuple[float, float, float]


class ChamberRow(Strict):
    """GB 24500-2020 表4 (室燃锅炉): design thermal efficiency [%] of grades 1, 2, 3."""

    fuel: Literal["gas", "oil", "coal"]
    condensing: bool
    grades: Grades3


class BiomassTable(Strict):
    """GB 24500-2020 表3 (生物质锅炉): grades 1–3 [%] up to and above the capacity limits."""

    limit_t_h: float = Field(gt=0)
    limit_mw: float = Field(gt=0)
    small: Grades3
    large: Grades3


class BoilerTable(Strict):
    """GB 24500-2020 表3, 表4 and 5.2 (electric boilers: the minimum only)."""

    chamber: tuple[ChamberRow, ...]
    biomass: BiomassTable
    electric_minimum: float = Field(gt=0, le=100)

    @model_validator(mode="after")
    def _order(self) -> BoilerTable:
        for g in [r.grades for r in self.chamber] + [self.biomass.small, self.biomass.large]:
            if not g[0] >= g[1] >= g[2]:
                raise ValueError("grade 1 ≥ grade 2 ≥ grade 3 must hold")
        return self


class TransformerRow(Strict):
    """One row of GB 20052-2024 表1: the maximum no-load and load losses [kW] of grades 1, 2,
    3 for a rated capacity, core material and connection group (``Dyn11`` stands for the
    table's "Dyn11/Yzn11")."""

    kva: float = Field(gt=0)
    core: Literal["electrical_steel", "amorphous"]
    connection: Literal["Dyn11", "Yyn0"]
    no_load_kw: Grades3
    load_kw: Grades3
    data_id: str

    @model_validator(mode="after")
    def _order(self) -> TransformerRow:
        for g in (self.no_load_kw, self.load_kw):
            if not g[0] <= g[1] <= g[2]:
                raise ValueError(f"{self.data_id}: grade 1 ≤ grade 2 ≤ grade 3 must hold")
        return self


class TransformerTable(Strict):
    """GB 20052-2024 表1 (10 kV oil-immersed three-phase distribution transformers)."""

    voltage_kv: float = Field(gt=0)
    insulation: Literal["oil"]
    rows: tuple[TransformerRow, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> TransformerTable:
        keys = [(r.kva, r.core, r.connection) for r in self.rows]
        if len(keys) != len(set(keys)):
            raise ValueError("rows: a capacity, core and connection repeat")
        return self

    def row(self, kva: float, core: str, connection: str) -> TransformerRow | None:
        """The row of exactly ``kva``, ``core`` and ``connection`` (None: not tabulated)."""
        for r in self.rows:
            if abs(r.kva - kva) < 1e-9 and r.core == core and r.connection == connection:
                return r
        return None


class GradeStandard(_Provenance):
    """One efficiency standard (能效限定值及能效等级) and, where read, its grade table."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    standard: str
    title_zh: str
    title_en: str
    edition: str
    in_force: str | None = None
    replaces: str | None = None
    equipment_type: EquipmentType
    metric: str
    unit: str | None
    direction: Literal["ge", "le"] | None
    table: str | None
    note: str | None = None
    motor_table: MotorTable | None = None
    boiler_table: BoilerTable | None = None
    transformer_table: TransformerTable | None = None

    @model_validator(mode="after")
    def _table(self) -> GradeStandard:
        if self.motor_table is not None and self.equipment_type != "motor":
            raise ValueError(f"{self.id}: motor_table only for motors")
        if self.boiler_table is not None and self.equipment_type != "boiler":
            raise ValueError(f"{self.id}: boiler_table only for boilers")
        if self.transformer_table is not None and self.equipment_type != "transformer":
            raise ValueError(f"{self.id}: transformer_table only for transformers")
        if self.table is None and self.has_table:
            raise ValueError(f"{self.id}: a filled table must name its table")
        return self

    @property
    def has_table(self) -> bool:
        """Whether grade thresholds are on record."""
        return (
            self.motor_table is not None
            or self.boiler_table is not None
            or self.transformer_table is not None
        )

    def brief(self) -> dict[str, object]:
        """Identification printed with results."""
        return {
            "id": self.id,
            "standard": self.standard,
            "edition": self.edition,
            "table": self.table,
            "has_table": self.has_table,
            "confidence": self.confidence,
            "verified": self.verified,
            "source": self.source,
            "url": self.url,
            "url_note": self.url_note,
        }


class _GradeFile(Strict):
    standards: tuple[GradeStandard, ...]


class LpdRecord(_Provenance):
    """A lighting power-density limit record (values null where not read)."""

    id: str
    standard: str
    title_zh: str
    title_en: str
    edition: str
    table: str
    unit: str
    values: dict[str, float] | None
    note: str | None = None


class _LpdFile(Strict):
    records: tuple[LpdRecord, ...]


@functools.cache
def grade_standards() -> dict[str, GradeStandard]:
    """The shipped standards by id (one per equipment type)."""
    text, where = read_data(None, "grade_tables.yaml", "lingtan.equipment")
    doc: _GradeFile = validate_yaml(_GradeFile, text, where)
    out: dict[str, GradeStandard] = {}
    types: set[str] = set()
    for r in doc.standards:
        if r.id in out or r.equipment_type in types:
            raise InvalidInput(f"{where}: {r.id} listed twice", field="standards")
        out[r.id] = r
        types.add(r.equipment_type)
    return out


def standard_for(equipment_type: str) -> GradeStandard | None:
    """The standard that grades ``equipment_type`` (None: none on record, e.g. ``other``)."""
    for r in grade_standards().values():
        if r.equipment_type == equipment_type:
            return r
    return None


def standard(standard_id: str) -> GradeStandard:
    """The standard ``standard_id`` (InvalidInput naming the field otherwise)."""
    try:
        return grade_standards()[standard_id]
    except KeyError:
        raise InvalidInput(
            f"standard: {standard_id!r} is not a standard on record "
            f"({', '.join(grade_standards())})",
            field="standard",
        ) from None


@functools.cache
def lpd_records() -> dict[str, LpdRecord]:
    """The shipped lighting power-density records by id."""
    text, where = read_data(None, "lighting_lpd.yaml", "lingtan.equipment")
    doc: _LpdFile = validate_yaml(_LpdFile, text, where)
    return {r.id: r for r in doc.records}
