r"""EU CBAM embedded emissions of goods made in a park installation, and the communication to
EU importers (definitive period from 2026; Regulation (EU) 2023/956, methodology Implementing
Regulation (EU) 2025/2547, default values Implementing Regulation (EU) 2025/2621).

The EU boundary is its own accounting basis (system boundaries aligned with the EU ETS, per
installation → production process → goods), never the Chinese park or enterprise boundary. For a
production process making goods :math:`g` with activity level :math:`AL` [t]:

.. math::
    AttrEm_{dir} = DirEm + Em_{H,imp} - Em_{H,exp} - Em_{el,exp}, \qquad
    AttrEm_{indir} = E_{el} \times EF_{el}

.. math::
    SEE_{dir} = \frac{AttrEm_{dir} + \sum_i M_i \, SEE_{dir,i}}{AL}, \qquad
    SEE_{indir} = \frac{AttrEm_{indir} + \sum_i M_i \, SEE_{indir,i}}{AL}

(simple goods have no precursor term; complex goods add each precursor's mass :math:`M_i` times
its specific embedded emissions). Where actual data is missing, the country default value is used
*with the year's mark-up*: :math:`SEE = DV \times (1 + markup_{year})`, marked ``default`` and
counted in the share of default values. The equation forms follow the transitional-period
methodology (IR 2023/1773 Annex III) that the definitive act carries over; the annex and equation
numbers of IR 2025/2547 were not read here.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lingtan.carbon import default_library
from lingtan.carbon.citation import Clause, cites
from lingtan.carbon.factors.loader import FactorLibrary
from lingtan.errors import InvalidInput, NotFound
from lingtan.ghg import records
from lingtan.ghg.labels import Words

METHOD = "Implementing Regulation (EU) 2025/2547 (methodology; form of IR 2023/1773 Annex III F)"


def good_of(cn_code: str, *, field: str = "cn_code") -> records.Good:
    """The covered good of a CN code (8 digits, spaces allowed); ``InvalidInput`` naming
    ``field`` if the code is not a CBAM good (Annex I of Regulation (EU) 2023/956)."""
    code = cn_code.replace(" ", "")
    if not code.isdigit() or len(code) not in (4, 6, 8):
        raise InvalidInput(f"{field}: {cn_code!r} is not a CN code (4, 6 or 8 digits)", field=field)
    table = records.goods()
    if code in table:
        return table[code]
    if len(code) < 8:  # a heading or subheading: covered if Annex I lists codes under it
        under = [g for cn, g in sorted(table.items()) if cn.startswith(code)]
        if under:
            return under[0]
    raise InvalidInput(f"{field}: {cn_code!r} is not a CBAM good (Annex I)", field=field)


def markup(year: int, sector: str) -> records.Markup:
    """The mark-up record for default values of ``sector`` in ``year`` (2028's from 2028 on)."""
    rows: list[records.Markup] = [m for m in records.cbam_meta()["markups"] if sector in m.sectors]
    if not rows:
        raise InvalidInput(f"sector: no mark-up record for {sector}", field="sector")
    if year < min(m.year for m in rows):
        raise InvalidInput(
            f"year: default values with mark-up apply from {min(m.year for m in rows)}",
            field="year",
        )
    eligible: list[records.Markup] = [m for m in rows if m.year <= year]
    return max(eligible, key=lambda m: m.year)


@dataclass(frozen=True)
class DefaultSee:
    """A default value with its mark-up applied."""

    cn_code: str
    description: str
    route: str
    direct: float
    indirect: float
    base_total: float
    markup: float
    markup_record: str
    confidence: str

    @property
    def total(self) -> float:
        """direct + indirect (with mark-up) [tCO2e/t]."""
        return self.direct + self.indirect


def default_see(
    cn_code: str, year: int, *, variant: str | None = None, field: str = "cn_code"
) -> DefaultSee:
    """The China default value of a CN code for ``year`` with its mark-up.

    The longest CN prefix with a default row wins; where several rows share it (grey/white
    clinker, production routes), ``variant`` (the route letter or the description) chooses one,
    and its absence is an error naming the choices.
    """
    good = good_of(cn_code, field=field)
    code = cn_code.replace(" ", "")
    rows: list[records.DefaultValue] = []
    for n in (8, 6, 4):
        rows = [r for r in records.default_values() if r.cn8 == code[:n]]
        if rows:
            break
    if not rows:
        raise InvalidInput(f"{field}: no China default value for {cn_code!r}", field=field)
    if len(rows) > 1:
        chosen = [r for r in rows if variant in (r.route, r.description)] if variant else []
        if len(chosen) != 1:
            options = "; ".join(f"{r.description} (route {r.route or '-'})" for r in rows)
            raise InvalidInput(
                f"{field}: {cn_code} has several default values, choose variant: {options}",
                field=field,
            )
        rows = chosen
    row = rows[0]
    m = markup(year, good.sector)
    k = 1 + m.value
    direct = (row.direct if row.direct is not None else row.total) * k
    indirect = (row.indirect or 0.0) * k
    return DefaultSee(
        cn_code=row.cn_code,
        description=row.description,
        route=row.route,
        direct=direct,
        indirect=indirect,
        base_total=row.total,
        markup=m.value,
        markup_record=m.id,
        confidence=row.confidence,
    )


class Precursor(BaseModel):
    """A precursor consumed by a production process (actual SEE or the default)."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    cn_code: str = Field(min_length=4, max_length=12)
    quantity: float = Field(ge=0, allow_inf_nan=False, le=1e12, description="t consumed")
    see_direct: float | None = Field(default=None, ge=0, allow_inf_nan=False, le=1e12)
    see_indirect: float | None = Field(default=None, ge=0, allow_inf_nan=False, le=1e12)
    default_variant: str | None = None
    installation: str | None = Field(default=None, max_length=200, description="where it was made")


class Process(BaseModel):
    """A production process of the installation and the goods it makes."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    id: str = Field(min_length=1, max_length=64)
    cn_code: str = Field(min_length=4, max_length=12)
    route: str | None = Field(default=None, max_length=64)
    output: float = Field(gt=0, allow_inf_nan=False, le=1e12, description="activity level AL [t]")
    #: None → actual data missing: the default value (with mark-up) is used
    direct_emissions: float | None = Field(default=None, ge=0, allow_inf_nan=False, le=1e12)
    heat_imported: float = Field(default=0, ge=0, allow_inf_nan=False, le=1e12)
    heat_exported: float = Field(default=0, ge=0, allow_inf_nan=False, le=1e12)
    electricity_exported: float = Field(default=0, ge=0, allow_inf_nan=False, le=1e12)
    electricity: float = Field(
        default=0, ge=0, allow_inf_nan=False, le=1e12, description="MWh consumed"
    )
    electricity_factor: float = Field(
        default=0, ge=0, allow_inf_nan=False, le=1e12, description="tCO2/MWh"
    )
    electricity_factor_source: str = Field(default="", max_length=200)
    #: instead of ``electricity``: the enterprise's metering point whose twelve months of the
    #: year give it (filled by the store-backed service, :func:`lingtan.ghg.service.
    #: cbam_installation`); ``electricity_source`` then names the meter and months
    electricity_meter: str | None = Field(default=None, min_length=1, max_length=64)
    electricity_source: str = Field(default="", max_length=300)
    #: instead of ``electricity_factor``: a grid-electricity record of the factor library
    electricity_factor_record: str | None = Field(default=None, min_length=1, max_length=120)
    default_variant: str | None = None
    precursors: tuple[Precursor, ...] = ()

    @model_validator(mode="after")
    def _one_source(self) -> Process:
        if self.electricity_meter is not None and self.electricity and not self.electricity_source:
            raise ValueError("give electricity or electricity_meter, not both")
        if (
            self.electricity_factor_record is not None
            and self.electricity_factor
            and not (self.electricity_factor_source)
        ):
            raise ValueError("give electricity_factor or electricity_factor_record, not both")
        return self


class CarbonPrice(BaseModel):
    """Carbon price effectively paid in China for the goods (national ETS), if any."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    instrument: str = Field(max_length=200)
    amount_per_t: float = Field(ge=0, allow_inf_nan=False, le=1e12, description="per t of goods")
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")


class Installation(BaseModel):
    """An installation and its reporting period."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    name: str = Field(min_length=1, max_length=200)
    operator: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=300)
    country: Literal["CN"] = "CN"
    year: int = Field(ge=2026, le=2100)
    processes: tuple[Process, ...] = Field(min_length=1)
    carbon_price: dict[str, CarbonPrice] = Field(default_factory=dict, description="by process id")


def parse_installation(data: dict[str, Any]) -> Installation:
    """Validate; ``InvalidInput`` naming the first bad field's path."""
    try:
        inst = Installation.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}", field=where) from err
    for i, p in enumerate(inst.processes):
        good_of(p.cn_code, field=f"processes.{i}.cn_code")
        for j, pre in enumerate(p.precursors):
            good_of(pre.cn_code, field=f"processes.{i}.precursors.{j}.cn_code")
    for pid in inst.carbon_price:
        if pid not in {p.id for p in inst.processes}:
            raise InvalidInput(f"carbon_price: unknown process {pid!r}", field="carbon_price")
    return with_factor_records(inst)


#: grid-factor units and their value in tCO2/MWh (1 kgCO2/kWh = 1 tCO2/MWh)
_PER_MWH: dict[str, float] = {"tCO2/MWh": 1.0, "kgCO2/kWh": 1.0}


def with_factor_records(inst: Installation, library: FactorLibrary | None = None) -> Installation:
    """``inst`` with each ``electricity_factor_record`` resolved from the factor library (the
    shipped one by default): the record's value in tCO2/MWh as ``electricity_factor`` and its id
    and source as ``electricity_factor_source``. A record that is not an annual grid-electricity
    factor is refused naming the field."""
    lib = library or default_library()
    processes = []
    for i, p in enumerate(inst.processes):
        if p.electricity_factor_record is None or p.electricity_factor_source:
            processes.append(p)
            continue
        where = f"processes.{i}.electricity_factor_record"
        try:
            rec = lib.get(p.electricity_factor_record)
        except NotFound as err:
            raise InvalidInput(f"{where}: {err}", field=where) from err
        if rec.kind != "grid_electricity" or rec.unit not in _PER_MWH:
            raise InvalidInput(
                f"{where}: {rec.id} is a {rec.kind} factor in {rec.unit}, not an annual "
                "grid-electricity factor",
                field=where,
            )
        source = f"{rec.id}: {rec.source}"
        processes.append(p.model_copy(update={
            "electricity_factor": rec.value * _PER_MWH[rec.unit],
            "electricity_factor_source": source[:200],
        }))  # fmt: skip
    return inst.model_copy(update={"processes": tuple(processes)})


@cites(
    Clause(
        METHOD,
        "attributed emissions of a production process",
        "AttrEm_dir = DirEm + Em_H,imp − Em_H,exp − Em_el,exp",
        False,
    )
)
def attributed_direct(
    direct: float, heat_imported: float, heat_exported: float, electricity_exported: float
) -> float:
    r"""Direct emissions attributed to a production process [tCO2e].

    Notes
    -----
    .. math:: AttrEm_{dir} = DirEm + Em_{H,imp} - Em_{H,exp} - Em_{el,exp}
    """
    value = direct + heat_imported - heat_exported - electricity_exported
    if value < 0:
        raise InvalidInput(
            "heat_exported: exports exceed the process's emissions", field="heat_exported"
        )
    return value


@cites(
    Clause(
        METHOD,
        "specific embedded emissions of complex goods",
        "SEE = (AttrEm + Σ M_i × SEE_i) / AL",
        False,
    )
)
def specific_embedded(
    attributed: float, precursor_mass: list[float], precursor_see: list[float], output: float
) -> float:
    r"""Specific embedded emissions of goods [tCO2e/t].

    Notes
    -----
    .. math:: SEE = \frac{AttrEm + \sum_i M_i \, SEE_i}{AL}
    """
    if output <= 0:
        raise InvalidInput("output: must be > 0", field="output")
    see = (
        attributed + sum(m * s for m, s in zip(precursor_mass, precursor_see, strict=True))
    ) / output
    if not math.isfinite(see):
        raise InvalidInput("output: too small for the emissions given", field="output")
    return see


@dataclass
class GoodResult:
    """The communication line of one process's goods."""

    process: str
    cn_code: str
    sector: str
    category: str
    route: str | None
    output: float
    see_direct: float
    see_indirect: float
    indirect_counted: bool
    default_share: float
    basis: Literal["actual", "default"]
    precursors: list[dict[str, Any]]
    records: list[str]
    carbon_price: dict[str, Any] | None
    electricity_factor_source: str = ""
    electricity_source: str = ""

    @property
    def see_total(self) -> float:
        """direct + indirect [tCO2e/t]."""
        return self.see_direct + self.see_indirect


def _precursor_see(pre: Precursor, year: int, field: str) -> tuple[float, float, bool, list[str]]:
    if pre.see_direct is not None:
        return pre.see_direct, pre.see_indirect or 0.0, False, []
    if pre.see_indirect is not None:
        raise InvalidInput(
            f"{field.rsplit('.', 1)[0]}.see_direct: required with see_indirect (actual data "
            "is given for both or taken from the default for both)",
            field=f"{field.rsplit('.', 1)[0]}.see_direct",
        )
    dv = default_see(pre.cn_code, year, variant=pre.default_variant, field=field)
    return (
        dv.direct,
        dv.indirect,
        True,
        [dv.markup_record, f"IR2025/2621:{dv.cn_code}:{dv.route or '-'}"],
    )


def embedded(inst: Installation) -> list[GoodResult]:
    """Specific embedded emissions of every process's goods."""
    for k, p in enumerate(inst.processes):
        if p.electricity_meter is not None and not p.electricity_source:
            where = f"processes.{k}.electricity_meter"
            raise InvalidInput(
                f"{where}: metered electricity is read from the store: check the installation "
                "through the service for its enterprise (API, or the CLI with --enterprise)",
                field=where,
            )
    out = []
    sectors = records.cbam_meta()["sectors"]
    for i, p in enumerate(inst.processes):
        good = good_of(p.cn_code, field=f"processes.{i}.cn_code")
        counted = sectors[good.sector].indirect_counted if good.sector in sectors else True
        pre_lines, masses, dirs, indirs, used = [], [], [], [], []
        default_part = 0.0
        for j, pre in enumerate(p.precursors):
            d, ind, is_default, recs = _precursor_see(
                pre, inst.year, f"processes.{i}.precursors.{j}.cn_code"
            )
            masses.append(pre.quantity)
            dirs.append(d)
            indirs.append(ind)
            used += recs
            if is_default:
                default_part += pre.quantity * (d + ind)
            pre_lines.append({"cn_code": pre.cn_code, "quantity": pre.quantity, "see_direct": d,
                              "see_indirect": ind, "basis": "default" if is_default else "actual",
                              "installation": pre.installation})  # fmt: skip
        if p.direct_emissions is None:
            dv = default_see(
                p.cn_code, inst.year, variant=p.default_variant, field=f"processes.{i}.cn_code"
            )
            see_d, see_i = dv.direct, dv.indirect
            used += [dv.markup_record, f"IR2025/2621:{dv.cn_code}:{dv.route or '-'}"]
            basis: Literal["actual", "default"] = "default"
            share = 1.0
        else:
            attr_d = attributed_direct(
                p.direct_emissions, p.heat_imported, p.heat_exported, p.electricity_exported
            )
            attr_i = p.electricity * p.electricity_factor
            see_d = specific_embedded(attr_d, masses, dirs, p.output)
            see_i = specific_embedded(attr_i, masses, indirs, p.output)
            total = (see_d + see_i) * p.output
            share = 0.0 if total == 0 else default_part / total
            basis = "actual"
        price = inst.carbon_price.get(p.id)
        out.append(
            GoodResult(
                process=p.id, cn_code=p.cn_code, sector=good.sector, category=good.category,
                route=p.route, output=p.output, see_direct=see_d, see_indirect=see_i,
                indirect_counted=counted, default_share=share, basis=basis,
                precursors=pre_lines, records=sorted(set(used)),
                carbon_price=None if price is None else price.model_dump(),
                electricity_factor_source=p.electricity_factor_source,
                electricity_source=p.electricity_source,
            )
        )  # fmt: skip
    return out


LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "sheet": "CBAM 通报",
        "pre": "前体",
        "src": "法规与记录",
        "installation": "设施",
        "operator": "经营者",
        "period": "报告期",
        "head": "工序|CN 编码|类别|生产路线|产量 (t)|直接隐含排放 (tCO2e/t)|间接隐含排放 (tCO2e/t)|"
        "间接排放计入义务|合计 (tCO2e/t)|缺省值占比|依据|已付碳价|币种|碳价工具",
        "pre_head": "工序|前体 CN 编码|用量 (t)|直接 (tCO2e/t)|间接 (tCO2e/t)|依据|来源设施",
        "src_head": "记录|名称|网址|置信度",
        "markup": "缺省值加成",
        "electricity": "耗电量来源",
        "factor": "电力排放因子来源",
        "yes": "是",
        "no": "否",
    },
    "en": {
        "sheet": "CBAM communication",
        "pre": "Precursors",
        "src": "Regulations and records",
        "installation": "Installation",
        "operator": "Operator",
        "period": "Reporting period",
        "head": "Process|CN code|Category|Route|Output (t)|Direct SEE (tCO2e/t)|Indirect SEE (tCO2e/t)|"
        "Indirect counted|Total (tCO2e/t)|Share from default values|Basis|Carbon price paid|Currency|Instrument",
        "pre_head": "Process|Precursor CN code|Quantity (t)|Direct (tCO2e/t)|Indirect (tCO2e/t)|Basis|Made at",
        "src_head": "Record|Title|URL|Confidence",
        "markup": "mark-up on default values",
        "electricity": "electricity consumed",
        "factor": "electricity emission factor",
        "yes": "yes",
        "no": "no",
    },
}


def communication(inst: Installation, *, lang: str = "zh-CN") -> dict[str, Any]:
    """The communication to EU importers as JSON-ready data (codes as computed; ``*_text``
    beside them in ``lang``)."""
    goods = embedded(inst)
    meta = records.cbam_meta()
    words = Words(lang)

    def good(g: GoodResult) -> dict[str, Any]:
        return {
            **g.__dict__,
            "see_total": g.see_total,
            "category_text": words.code(g.category, "cbam_category"),
            "basis_text": words.code(g.basis, "cbam_basis"),
            "precursors": [
                {**p, "basis_text": words.code(p["basis"], "cbam_basis")} for p in g.precursors
            ],
        }

    return {
        "lang": lang,
        "installation": inst.name,
        "operator": inst.operator,
        "address": inst.address,
        "country": inst.country,
        "period": f"{inst.year}-01-01/{inst.year}-12-31",
        "goods": [good(g) for g in goods],
        "regulations": [
            {
                "id": d["id"],
                "title": d["title"],
                "title_text": words.record(d["id"]) or d["title"],
                "url": d.get("url"),
                "confidence": d["confidence"],
            }
            for d in meta["documents"].values()
        ],
        "markups": [
            {**m.model_dump(), "sectors_text": [words.code(x, "cbam_sector") for x in m.sectors]}
            for m in meta["markups"]
        ],
    }


def communication_xlsx(inst: Installation, *, lang: str = "zh-CN") -> bytes:
    """The communication as an Excel workbook (one sheet of goods, one of precursors, one of
    sources)."""
    data = communication(inst, lang=lang)
    t = LABELS["en" if lang == "en" else "zh-CN"]

    def yes(value: bool) -> str:
        return t["yes"] if value else t["no"]

    wb = Workbook()
    ws = wb.active
    ws.title = t["sheet"]
    ws.append([t["installation"], data["installation"]])
    ws.append([t["operator"], data["operator"]])
    ws.append([t["period"], data["period"]])
    ws.append([])
    ws.append(t["head"].split("|"))
    for c in ws[5]:
        c.font = Font(bold=True)
    for g in data["goods"]:
        price = g["carbon_price"] or {}
        ws.append([g["process"], g["cn_code"], g["category_text"], g["route"] or "", g["output"],
                   g["see_direct"], g["see_indirect"], yes(g["indirect_counted"]), g["see_total"],
                   g["default_share"], g["basis_text"], price.get("amount_per_t", ""),
                   price.get("currency", ""), price.get("instrument", "")])  # fmt: skip
    ws = wb.create_sheet(t["pre"])
    ws.append(t["pre_head"].split("|"))
    for g in data["goods"]:
        for p in g["precursors"]:
            ws.append([g["process"], p["cn_code"], p["quantity"], p["see_direct"], p["see_indirect"],
                       p["basis_text"], p["installation"] or ""])  # fmt: skip
    ws = wb.create_sheet(t["src"])
    ws.append(t["src_head"].split("|"))
    for r in data["regulations"]:
        ws.append([r["id"], r["title_text"], r["url"] or "", r["confidence"]])
    sep = "、" if lang != "en" else ", "
    for m in data["markups"]:
        ws.append(
            [
                m["id"],
                f"{m['year']}: {t['markup']} {m['value']:.0%} ({sep.join(m['sectors_text'])})",
                "",
                m["confidence"],
            ]
        )
    words = Words(lang)
    for g in data["goods"]:  # where each process's electricity and its factor come from
        if g["electricity_source"]:
            ws.append([g["process"], f"{t['electricity']}: {words.text(g['electricity_source'])}"])
        if g["electricity_factor_source"]:
            ws.append([g["process"], f"{t['factor']}: {g['electricity_factor_source']}"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
