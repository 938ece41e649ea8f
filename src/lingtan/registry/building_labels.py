"""Buildings' energy-performance labels (建筑能效标识) a site of the park file may declare.

Two families, each the classes of one national standard, kept as reference data with their
source and confidence in ``data/building_labels.yaml``:

* ``energy_label`` — GB/T 51350-2019《近零能耗建筑技术标准》: ``ultra_low_energy`` (超低能耗建筑),
  ``near_zero_energy`` (近零能耗建筑), ``zero_energy`` (零能耗建筑);
* ``green_building_star`` — GB/T 50378-2019《绿色建筑评价标准》3.2.7: ``basic`` (基本级), ``1``,
  ``2``, ``3`` (一星级, 二星级, 三星级).

A building holds at most one class of each family (its certificate names one).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from lingtan.shipped import load_yaml

#: the park-file fields of the two families
ENERGY_LABEL: Final = "energy_label"
GREEN_BUILDING_STAR: Final = "green_building_star"


@dataclass(frozen=True, slots=True)
class LabelClass:
    """One class of a family: lingtan's code and the standard's name."""

    code: str
    name_zh: str
    name_en: str
    definition: str


@dataclass(frozen=True, slots=True)
class LabelFamily:
    """The classes of one standard, with where they were read and how well."""

    field: str
    standard: str
    title: str
    clause: str
    source: str
    confidence: str
    verified: bool
    classes: tuple[LabelClass, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.classes)

    def named(self, code: str) -> LabelClass:
        """The class of ``code`` (``KeyError`` when it is not one)."""
        for c in self.classes:
            if c.code == code:
                return c
        raise KeyError(code)

    def citation(self) -> str:
        """``GB/T 51350-2019《近零能耗建筑技术标准》``."""
        return f"{self.standard}《{self.title}》"


def _family(data: dict[str, Any]) -> LabelFamily:
    return LabelFamily(
        field=str(data["field"]),
        standard=str(data["standard"]),
        title=str(data["title"]),
        clause=str(data["clause"]),
        source=" ".join(str(data["source"]).split()),
        confidence=str(data["confidence"]),
        verified=bool(data["verified"]),
        classes=tuple(
            LabelClass(str(c["code"]), str(c["name_zh"]), str(c["name_en"]), str(c["definition"]))
            for c in data["classes"]
        ),
    )


@functools.cache
def families() -> dict[str, LabelFamily]:
    """The shipped families by park-file field (``energy_label``, ``green_building_star``)."""
    text = resources.files("lingtan.registry").joinpath("data", "building_labels.yaml")
    raw = load_yaml(text.read_text("utf-8"))
    return {name: _family(raw[name]) for name in (ENERGY_LABEL, GREEN_BUILDING_STAR)}


def label_problem(field: str, code: str) -> str | None:
    """None if ``code`` is a class of the family ``field``, else why not (naming the
    standard and the allowed codes)."""
    fam = families()[field]
    if code in fam.codes:
        return None
    allowed = ", ".join(f"{c.code} ({c.name_zh})" for c in fam.classes)
    return f"{code!r} is not a class of {fam.citation()}; one of: {allowed}"


def label_name(field: str, code: str | None, lang: str = "zh") -> str:
    """The standard's name of a class (``超低能耗建筑``), ``""`` for None, the code itself when
    it is not a shipped class (a row stored before a change of the data file)."""
    if code is None:
        return ""
    try:
        c = families()[field].named(code)
    except KeyError:
        return code
    return c.name_zh if lang == "zh" else c.name_en


def describe(energy_label: str | None, green_building_star: str | None, lang: str = "zh") -> str:
    """A site's labels in words: ``近零能耗建筑；绿色建筑二星级`` (``""`` when it has none)."""
    parts = []
    if energy_label is not None:
        parts.append(label_name(ENERGY_LABEL, energy_label, lang))
    if green_building_star is not None:
        star = label_name(GREEN_BUILDING_STAR, green_building_star, lang)
        parts.append(f"绿色建筑{star}" if lang == "zh" else f"green building, {star}")
    return ("；" if lang == "zh" else "; ").join(parts)
