"""Targets as data: national thresholds, provincial paths, a park's own plan — each with a source.

A target set is a YAML file (see ``data/targets_national.yaml``): an id, a level (national,
province, park), a source document and URL, and target records. A record names the indicator,
the comparator (``le``: the value must not exceed it; ``ge``: must reach it), the value and unit,
optionally a milestone ``year`` and the range of annual park energy consumption it applies to
(``energy_min_tce`` inclusive, ``energy_max_tce`` exclusive), and its own confidence grade.
A set may ``inherits`` another set for the indicators it does not list (Hunan lists the core
indicator and the clean-energy share and takes the national thresholds for the rest).

Shipped sets: ``national`` and ``hunan``, and ``demo-plan`` — the demo park's own year-by-year
plan, synthetic, an example of the format a park's plan file takes (``level: park``). The
``hunan`` set is read from the ``hunan`` indicator profile (:func:`target_set_of_profile`), so
the Hunan values have one source for ``--targets hunan`` and ``--profile hunan``.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lingtan.errors import InvalidInput, NotFound

IndicatorId = Literal[
    "carbon_per_energy",
    "clean_energy_share",
    "product_unit_energy",
    "solid_waste_utilisation",
    "waste_heat_utilisation",
    "water_reuse",
]
Confidence = Literal["H", "M-H", "M", "L", "U"]
SHIPPED: Final[dict[str, str]] = {
    "national": "targets_national.yaml",
    #: read from the ``hunan`` indicator profile (profiles/hunan.yaml): one source of the values
    "hunan": "profiles/hunan.yaml",
    #: the demo park's plan (synthetic), an example of a park's own year-by-year plan
    "demo-plan": "targets_demo_park_plan.yaml",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Strict):
    """One threshold or milestone."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:\-]+$")
    indicator: IndicatorId
    comparator: Literal["le", "ge"]
    value: float
    unit: str
    #: milestone year; None = applies to every year (the acceptance thresholds)
    year: int | None = Field(default=None, ge=2000, le=2100)
    #: annual park energy consumption range [tce] the target applies to
    energy_min_tce: float | None = Field(default=None, ge=0)
    energy_max_tce: float | None = Field(default=None, gt=0)
    #: the core indicator is a veto (否决项): a park missing it may not apply for acceptance
    veto: bool = False
    #: for product_unit_energy: the limit-standard level products must reach
    limit_level: int | None = Field(default=None, ge=1, le=5)
    confidence: Confidence
    verified: bool
    note: str | None = None
    #: a record's own source when it differs from the set's
    source: str | None = None

    @model_validator(mode="after")
    def _rules(self) -> Target:
        if self.verified and self.confidence in ("L", "U"):
            raise ValueError(f"confidence {self.confidence} targets must say verified: false")
        if (
            self.energy_min_tce is not None
            and self.energy_max_tce is not None
            and self.energy_max_tce <= self.energy_min_tce
        ):
            raise ValueError("energy_max_tce must exceed energy_min_tce")
        if self.comparator == "ge" and self.unit == "1" and not 0 <= self.value <= 1:
            raise ValueError("a share target lies in [0, 1]")
        return self

    def applies(self, energy_tce: float | None) -> bool | None:
        """Whether the target applies at this annual energy use (None if energy is unknown)."""
        if self.energy_min_tce is None and self.energy_max_tce is None:
            return True
        if energy_tce is None:
            return None
        if self.energy_min_tce is not None and energy_tce < self.energy_min_tce:
            return False
        return not (self.energy_max_tce is not None and energy_tce >= self.energy_max_tce)

    def met(self, value: float) -> bool:
        """Whether ``value`` meets the target."""
        return value <= self.value if self.comparator == "le" else value >= self.value

    def text(self) -> str:
        """``≤ 0.2 tCO2/tce`` or ``≥ 90 %``."""
        sign = "≤" if self.comparator == "le" else "≥"
        if self.unit == "1":
            return f"{sign} {self.value * 100:g} %"
        return f"{sign} {self.value:g} {self.unit}"


class TargetSet(_Strict):
    """A set of targets with its source."""

    id: str = Field(min_length=1)
    name_zh: str
    name_en: str
    level: Literal["national", "province", "park"]
    province: str | None = None
    inherits: str | None = None
    source: str = Field(min_length=1)
    url: str | None
    url_note: str | None = None
    #: true for made-up data (the demo park's plan)
    synthetic: bool = False
    targets: tuple[Target, ...]

    @model_validator(mode="after")
    def _rules(self) -> TargetSet:
        if self.url is None and not self.url_note:
            raise ValueError("a set without url must say why in url_note")
        ids = [t.id for t in self.targets]
        if len(ids) != len(set(ids)):
            raise ValueError("target ids must be unique within a set")
        return self

    def brief(self) -> dict[str, Any]:
        """Identification printed with every evaluation."""
        return {
            "id": self.id,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "level": self.level,
            "source": self.source,
            "url": self.url,
            "synthetic": self.synthetic,
            "inherits": self.inherits,
        }


def parse_target_set(text: str, *, where: str = "targets") -> TargetSet:
    """Parse a target-set YAML document; ``InvalidInput`` naming the field on error."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise InvalidInput(f"{where}: not YAML: {err}", field=where) from err
    try:
        return TargetSet.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise InvalidInput(f"{where}: {loc}: {first['msg']}", field=loc) from err


#: shipped target sets read from an indicator profile of the same name
FROM_PROFILE: Final = frozenset({"hunan"})


def target_set_of_profile(name: str) -> TargetSet:
    """The target set of a shipped indicator profile's own indicators (the ones it inherits
    come from its ``inherits`` target set, as profiles inherit): each target becomes a record
    with the indicator's direction, unit and binding (否决项 → ``veto``), and an id from the
    indicator, size class and year (``hunan.carbon_per_energy.2-100.2027``).

    Only a profile without park types whose indicators are the national 1+5 converts."""
    from lingtan.indicators.profiles import shipped_profile

    prof = shipped_profile(name)
    if prof.park_types:
        raise InvalidInput(f"profile {name} distinguishes park types: not a target set")
    records: list[dict[str, Any]] = []
    for ind in prof.indicators:
        for t in ind.targets:
            if t.value is None:
                raise InvalidInput(f"profile {name}: {ind.id} has a target without a value")
            tid = f"{prof.id}.{ind.id}"
            if t.energy_min_tce is not None or t.energy_max_tce is not None:
                hi = "" if t.energy_max_tce is None else f"{t.energy_max_tce / 1e4:g}"
                tid += f".{(t.energy_min_tce or 0) / 1e4:g}-{hi}"
            if t.year is not None:
                tid += f".{t.year}"
            records.append({
                "id": tid, "indicator": ind.id, "comparator": ind.direction, "value": t.value,
                "unit": ind.unit, "year": t.year, "energy_min_tce": t.energy_min_tce,
                "energy_max_tce": t.energy_max_tce, "veto": ind.binding,
                "confidence": t.confidence, "verified": t.verified, "note": t.note,
                "source": t.source,
            })  # fmt: skip
    source = f"{prof.issuer}《{prof.document}》" + (prof.number or "")
    data = {
        "id": prof.id, "name_zh": prof.name_zh, "name_en": prof.name_en, "level": prof.level,
        "province": prof.province, "inherits": prof.inherits, "source": source,
        "url": prof.url, "url_note": prof.url_note, "targets": records,
    }  # fmt: skip
    try:
        return TargetSet.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise InvalidInput(f"profile {name}: {loc}: {first['msg']}", field=loc) from err


@functools.cache
def _shipped(name: str) -> TargetSet:
    if name in FROM_PROFILE:
        return target_set_of_profile(name)
    text = resources.files("lingtan.indicators").joinpath("data", SHIPPED[name]).read_text("utf-8")
    return parse_target_set(text, where=SHIPPED[name])


def load_target_set(name_or_path: str | Path) -> TargetSet:
    """A shipped set by name (``national``, ``hunan``) or a set file by path."""
    key = str(name_or_path)
    if key in SHIPPED:
        return _shipped(key)
    path = Path(key)
    if not path.is_file():
        raise NotFound(f"target set {key!r}: not a shipped set ({', '.join(SHIPPED)}) nor a file")
    return parse_target_set(path.read_text("utf-8"), where=path.name)


@functools.cache
def _chain_cached(name: str) -> tuple[TargetSet, ...]:
    return _chain(load_target_set(name))


def _chain(first: TargetSet) -> tuple[TargetSet, ...]:
    chain = [first]
    while chain[-1].inherits is not None:
        nxt = load_target_set(chain[-1].inherits)
        if any(s.id == nxt.id for s in chain):
            raise InvalidInput(f"target sets inherit in a cycle at {nxt.id}", field="inherits")
        chain.append(nxt)
    return tuple(chain)


def target_chain(target_set: TargetSet) -> tuple[TargetSet, ...]:
    """The set followed by the sets it inherits from."""
    if target_set.id in SHIPPED:
        return _chain_cached(target_set.id)
    return _chain(target_set)


def select_target(
    target_set: TargetSet,
    indicator: str,
    *,
    year: int,
    energy_tce: float | None,
    target_year: int | None = None,
) -> tuple[Target | None, TargetSet | None, tuple[str, str]]:
    """The target of ``indicator`` for a data ``year`` and annual park energy, and why.

    Returns (target, the set it comes from, explanation in Chinese and English). The set's own
    records win over inherited ones. Among milestones, ``target_year`` picks one; otherwise the
    first milestone in or after ``year`` (the last one when ``year`` is later than all).
    """
    for tset in target_chain(target_set):
        records = [t for t in tset.targets if t.indicator == indicator]
        if not records:
            continue
        fits = [t for t in records if t.applies(energy_tce)]
        if not fits:
            if energy_tce is None:
                return (
                    None,
                    tset,
                    (
                        "园区综合能源消费量未知，无法确定规模档",
                        "park energy consumption unknown: size class not determined",
                    ),
                )
            ranges = ", ".join(
                f"{(t.energy_min_tce or 0) / 1e4:g}–"
                + ("∞" if t.energy_max_tce is None else f"{t.energy_max_tce / 1e4:g}")
                + "万 tce"
                for t in records
            )
            used = f"{energy_tce / 1e4:,.2f}万 tce"
            return (
                None,
                tset,
                (
                    f"{tset.name_zh}未规定年综合能源消费量 {used} 园区的目标值（已规定：{ranges}）",
                    f"{tset.name_en}: no threshold for a park using {used} a year (thresholds cover "
                    f"{ranges})",
                ),
            )
        undated = [t for t in fits if t.year is None]
        dated = sorted((t for t in fits if t.year is not None), key=lambda t: t.year or 0)
        if target_year is not None:
            chosen = [t for t in dated if t.year == target_year]
            if chosen:
                return (
                    chosen[0],
                    tset,
                    (
                        f"{tset.name_zh} {target_year} 年目标",
                        f"{tset.name_en}, {target_year} milestone",
                    ),
                )
            if undated:
                return (
                    undated[0],
                    tset,
                    (
                        f"{tset.name_zh}（无 {target_year} 年节点，采用通用阈值）",
                        f"{tset.name_en} (no {target_year} milestone; the general threshold)",
                    ),
                )
            return (
                None,
                tset,
                (
                    f"{tset.name_zh}无 {target_year} 年目标",
                    f"{tset.name_en}: no {target_year} milestone",
                ),
            )
        if undated:
            return undated[0], tset, (tset.name_zh, tset.name_en)
        later = [t for t in dated if (t.year or 0) >= year]
        chosen_t = later[0] if later else dated[-1]
        return (
            chosen_t,
            tset,
            (
                f"{tset.name_zh} {chosen_t.year} 年目标（数据年份之后最近的节点）",
                f"{tset.name_en}, {chosen_t.year} milestone (the first in or after the data year)",
            ),
        )
    return (
        None,
        None,
        (
            f"{target_set.name_zh}未规定该指标的目标值",
            f"{target_set.name_en}: no target for {indicator}",
        ),
    )
