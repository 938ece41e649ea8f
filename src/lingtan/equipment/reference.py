"""Reference records of the equipment layer, validated strictly.

* ``data/grade_tables.yaml`` — one record per efficiency standard (能效限定值及能效等级): its
  edition, table, metric, direction, source and confidence; the GB 18613-2020 table 1 is
  filled, the others are ``table: null`` (no grade table) until a source is read;
* ``data/gb19153_2019.csv`` — GB 19153-2019 表1–表4 (compressors' specific power limits), one
  line per row of the public transcription it was converted from
  (:mod:`lingtan.equipment.gb19153_import`), read through the ``gb19153-2019`` record;
* ``data/lighting_lpd.yaml`` — the road-lighting power-density record (CJJ 45-2015), values
  null.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from pydantic import Field, model_validator

from lingtan.equipment.gb19153_import import COLUMNS as GB19153_COLUMNS
from lingtan.errors import InvalidInput
from lingtan.indicators.limits import Sourced, Strict, read_data, validate_yaml

Confidence = Literal["H", "M", "L", "U"]
EquipmentType = Literal[
    "motor", "pump", "fan", "air_compressor", "transformer", "boiler", "chiller",
    "dust_collector", "aerator", "other",
]  # fmt: skip
EQUIPMENT_TYPES: tuple[str, ...] = EquipmentType.__args__  # type: ignore[attr-defined]
MOTOR_POLES = (2, 4, 6, 8)
#: displacement air compressors as GB 19153-2019 tabulates them (表1–表4 of the transcription)
CompressorKind = Literal[
    "oil_injected_rotary", "oil_injected_rotary_vsd", "reciprocating", "oil_free_reciprocating"
]
COMPRESSOR_KINDS: tuple[str, ...] = CompressorKind.__args__  # type: ignore[attr-defined]
#: the register's cooling (air/liquid) as the tables write it
COOLING_ZH = {"air": "风冷", "liquid": "液冷"}


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


class CompressorKindTable(Strict):
    """Which rows of the GB 19153-2019 file a compressor kind uses: the table and the type as
    the transcription writes them, and whether the table has a column per cooling."""

    table: str = Field(pattern=r"^表[0-9]+$")
    type: str = Field(min_length=1)
    by_cooling: bool


class CompressorTable(Strict):
    """GB 19153-2019 表1–表4 (比功率, kW/(m3/min)), rows in ``data/<file>``: one CSV line per
    row of the transcription, ``rows`` of them (GB19153-R000001 … in order)."""

    file: str = Field(pattern=r"^[a-z0-9_]+\.csv$")
    rows: int = Field(gt=0)
    kinds: dict[CompressorKind, CompressorKindTable]

    @model_validator(mode="after")
    def _distinct(self) -> CompressorTable:
        pairs = [(k.table, k.type) for k in self.kinds.values()]
        if len(pairs) != len(set(pairs)):
            raise ValueError("kinds: two kinds name the same table and type")
        return self


@dataclass(frozen=True, slots=True)
class CompressorRow:
    """One compressor row of GB 19153-2019: a kind's rated power, discharge pressure and
    cooling, and the maximum specific power of grades 1, 2, 3 (``None``: the table has "-",
    the row does not apply), with the transcription's data ids of the three values."""

    table: str
    type: str
    power_kw: float
    pressure_mpa: float
    cooling: str
    limits: tuple[float, float, float] | None
    data_ids: tuple[str, str, str]
    source_pages: str


def _key(table: str, power_kw: float, pressure_mpa: float, cooling: str) -> tuple[object, ...]:
    return (table, round(power_kw, 6), round(pressure_mpa, 6), cooling)


def load_compressor_rows(
    ct: CompressorTable, text: str, where: str
) -> dict[tuple[object, ...], CompressorRow]:
    """The rows of the CSV ``text`` by (table, power, pressure, cooling), checked: the columns,
    ``ct.rows`` lines with contiguous data ids, tables and types of ``ct.kinds``, grades 1–3 once
    per row, all three values given or all "-", grade 1 ≤ grade 2 ≤ grade 3."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(header) != GB19153_COLUMNS:
        raise InvalidInput(f"{where}: columns must be {','.join(GB19153_COLUMNS)}", field=where)
    kinds = {(k.table, k.type): k for k in ct.kinds.values()}
    cells: dict[tuple[object, ...], dict[int, tuple[float | None, str]]] = {}
    meta: dict[tuple[object, ...], tuple[str, str, float, float, str, str]] = {}
    n = 0
    for line, rec in enumerate(reader, start=2):
        n += 1
        at = f"{where}:{line}"
        row = dict(zip(GB19153_COLUMNS, rec, strict=False))
        if len(rec) != len(GB19153_COLUMNS):
            raise InvalidInput(f"{at}: {len(rec)} fields", field=where)
        if row["data_id"] != f"GB19153-R{n:06d}":
            raise InvalidInput(f"{at}: data_id {row['data_id']} out of sequence", field=where)
        kind = kinds.get((row["table"], row["type"]))
        if kind is None:
            raise InvalidInput(f"{at}: {row['table']} {row['type']} is no kind of the record",
                               field=where)  # fmt: skip
        cooling = row["cooling"]
        if (cooling in ("风冷", "液冷")) is not kind.by_cooling or (
            cooling and not kind.by_cooling
        ):
            raise InvalidInput(f"{at}: cooling {cooling!r} for {row['table']}", field=where)
        try:
            power, pressure, level = (
                float(row["power_kw"]),
                float(row["pressure_mpa"]),
                int(row["level"]),
            )
            sp = float(row["specific_power"]) if row["specific_power"] else None
        except ValueError:
            raise InvalidInput(f"{at}: not a number", field=where) from None
        if level not in (1, 2, 3) or power <= 0 or pressure <= 0 or (sp is not None and sp <= 0):
            raise InvalidInput(f"{at}: level, power, pressure or specific power out of range",
                               field=where)  # fmt: skip
        key = _key(row["table"], power, pressure, cooling)
        levels = cells.setdefault(key, {})
        if level in levels:
            raise InvalidInput(f"{at}: grade {level} repeated for its row", field=where)
        levels[level] = (sp, row["data_id"])
        meta[key] = (row["table"], row["type"], power, pressure, cooling, row["source_pages"])
    if n != ct.rows:
        raise InvalidInput(f"{where}: {n} rows, the record says {ct.rows}", field=where)
    out: dict[tuple[object, ...], CompressorRow] = {}
    for key, levels in cells.items():
        table, typ, power, pressure, cooling, pages = meta[key]
        name = f"{table} {power:g} kW {pressure:g} MPa {cooling}".rstrip()
        if sorted(levels) != [1, 2, 3]:
            raise InvalidInput(f"{where}: {name}: grades {sorted(levels)}", field=where)
        values = [levels[g][0] for g in (1, 2, 3)]
        ids = (levels[1][1], levels[2][1], levels[3][1])
        if any(v is None for v in values):
            if not all(v is None for v in values):
                raise InvalidInput(f"{where}: {name}: some grades '-', some not", field=where)
            limits = None
        else:
            g1, g2, g3 = (float(v) for v in values)  # type: ignore[arg-type]
            if not g1 <= g2 <= g3:
                raise InvalidInput(f"{where}: {name}: grade 1 ≤ grade 2 ≤ grade 3 must hold",
                                   field=where)  # fmt: skip
            limits = (g1, g2, g3)
        out[key] = CompressorRow(table, typ, power, pressure, cooling, limits, ids, pages)
    return out


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
    compressor_table: CompressorTable | None = None

    @model_validator(mode="after")
    def _table(self) -> GradeStandard:
        if self.motor_table is not None and self.equipment_type != "motor":
            raise ValueError(f"{self.id}: motor_table only for motors")
        if self.boiler_table is not None and self.equipment_type != "boiler":
            raise ValueError(f"{self.id}: boiler_table only for boilers")
        if self.transformer_table is not None and self.equipment_type != "transformer":
            raise ValueError(f"{self.id}: transformer_table only for transformers")
        if self.compressor_table is not None and self.equipment_type != "air_compressor":
            raise ValueError(f"{self.id}: compressor_table only for air compressors")
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
            or self.compressor_table is not None
        )

    def compressor_row(
        self, kind: str, power_kw: float, pressure_mpa: float, cooling: str | None
    ) -> tuple[CompressorRow | None, CompressorKindTable]:
        """The GB 19153-2019 row of ``kind`` at exactly ``power_kw`` and ``pressure_mpa`` (and
        ``cooling`` air/liquid where the kind's table has cooling columns), or None."""
        assert self.compressor_table is not None
        k = self.compressor_table.kinds[kind]  # type: ignore[index]
        zh = COOLING_ZH.get(cooling or "", "") if k.by_cooling else ""
        return compressor_rows(self.id).get(_key(k.table, power_kw, pressure_mpa, zh)), k

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


@functools.cache
def compressor_rows(standard_id: str) -> dict[tuple[object, ...], CompressorRow]:
    """The rows of the compressor table of ``standard_id`` (read once, checked)."""
    ct = grade_standards()[standard_id].compressor_table
    assert ct is not None
    text = resources.files("lingtan.equipment").joinpath("data", ct.file).read_text("utf-8")
    return load_compressor_rows(ct, text, ct.file)


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
