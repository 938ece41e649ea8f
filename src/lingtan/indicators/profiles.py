"""Indicator profiles (指标体系配置): a province's, a group standard's or a park's indicator set
as a versioned data file.

A profile (YAML, see ``profiles/national.yaml`` and docs/indicator-profiles.md) names its issuer
and document (number, date, URL, confidence), whether it is a draft, the park types it
distinguishes (e.g. 化工园区 / 非化工园区), and its indicators. Each indicator has a definition —
a formula over the named quantities lingtan computes (:mod:`lingtan.indicators.quantities`,
checked by :mod:`lingtan.indicators.formula_lang`), never a typed number —, a unit, a direction
(``le``: lower is better, the value must not exceed the target; ``ge``: must reach it), whether
it is binding (否决项) or guiding, and targets by park type, year and park size, each with its
own confidence.

A profile may ``inherits`` another for the indicators it does not list (Hunan lists the core
indicator and the clean-energy share and takes the national ones for the rest).

Loading validates everything and refuses a profile with an error naming the line: an unknown
quantity, a unit mismatch (in a definition, or between a target and its indicator), an indicator
without a target for one of the profile's park types, an unknown key. A target whose value the
published text does not give is written ``value: null`` with a note and confidence L or U; it
evaluates to "no target" saying so, instead of a number nobody can source.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

import yaml

from lingtan.errors import InvalidInput, NotFound
from lingtan.indicators.formula_lang import Formula, FormulaError, parse_formula, same_unit
from lingtan.indicators.quantities import UNITS

Confidence = Literal["H", "M-H", "M", "L", "U"]
CONFIDENCES: Final[tuple[str, ...]] = ("H", "M-H", "M", "L", "U")
LEVELS: Final[tuple[str, ...]] = ("national", "province", "group_standard", "park")
#: shipped profiles: name → file under ``lingtan/indicators/profiles/``
SHIPPED: Final[dict[str, str]] = {
    "national": "national.yaml",
    "hunan": "hunan.yaml",
    "jiangxi": "jiangxi.yaml",
    "zhejiang-draft": "zhejiang_draft.yaml",
    "cec-evaluation": "cec_evaluation.yaml",
}
ALL_TYPES: Final = "all"

_PROFILE_KEYS: Final = {
    "id", "version", "name_zh", "name_en", "level", "province", "issuer", "document", "number",
    "date", "url", "url_note", "confidence", "draft", "inherits", "park_types", "indicators",
    "note",
}  # fmt: skip
_INDICATOR_KEYS: Final = {
    "id", "name_zh", "name_en", "definition", "unit", "direction", "binding", "kind", "clause",
    "bounds", "targets", "note", "confidence",
}  # fmt: skip
_TARGET_KEYS: Final = {
    "value", "unit", "park_types", "year", "energy_min_tce", "energy_max_tce", "confidence",
    "verified", "note", "source",
}  # fmt: skip


@dataclass(frozen=True)
class ProfileTarget:
    """One target of an indicator: its value (None: set by the document, value not found)."""

    value: float | None
    park_types: tuple[str, ...] | None
    year: int | None
    energy_min_tce: float | None
    energy_max_tce: float | None
    confidence: str
    verified: bool
    note: str | None
    source: str | None
    line: int

    def applies(self, energy_tce: float | None) -> bool | None:
        """Whether the target applies at this annual energy use (None if energy is unknown)."""
        if self.energy_min_tce is None and self.energy_max_tce is None:
            return True
        if energy_tce is None:
            return None
        if self.energy_min_tce is not None and energy_tce < self.energy_min_tce:
            return False
        return not (self.energy_max_tce is not None and energy_tce >= self.energy_max_tce)

    def for_type(self, park_type: str | None) -> bool:
        """Whether the target covers ``park_type`` (None = the profile's only type)."""
        return self.park_types is None or (park_type is not None and park_type in self.park_types)

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "value": self.value,
            "park_types": None if self.park_types is None else list(self.park_types),
            "year": self.year,
            "energy_min_tce": self.energy_min_tce,
            "energy_max_tce": self.energy_max_tce,
            "confidence": self.confidence,
            "verified": self.verified,
            "note": self.note,
            "source": self.source,
        }


@dataclass(frozen=True)
class ProfileIndicator:
    """One indicator of a profile."""

    id: str
    name_zh: str
    name_en: str
    formula: Formula
    unit: str
    direction: Literal["le", "ge"]
    binding: bool
    kind: Literal["core", "guiding"]
    clause: str | None
    bounds: tuple[float, float] | None
    targets: tuple[ProfileTarget, ...]
    note: str | None
    line: int
    #: the profile the indicator comes from (differs from the profile's id when inherited)
    origin: str = ""

    @property
    def definition(self) -> str:
        """The formula text."""
        return self.formula.text

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "id": self.id,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "definition": self.definition,
            "quantities": list(self.formula.names),
            "unit": self.unit,
            "direction": self.direction,
            "binding": self.binding,
            "kind": self.kind,
            "clause": self.clause,
            "bounds": None if self.bounds is None else list(self.bounds),
            "targets": [t.as_dict() for t in self.targets],
            "note": self.note,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class Profile:
    """An indicator profile with its source."""

    id: str
    version: int
    name_zh: str
    name_en: str
    level: str
    province: str | None
    issuer: str
    document: str
    number: str | None
    date: str | None
    url: str | None
    url_note: str | None
    confidence: str
    draft: bool
    inherits: str | None
    park_types: Mapping[str, tuple[str, str]]
    indicators: tuple[ProfileIndicator, ...]
    note: str | None = None
    where: str = ""
    chain: tuple[str, ...] = field(default=())

    def indicator(self, indicator_id: str) -> ProfileIndicator:
        """One indicator by id."""
        for i in self.indicators:
            if i.id == indicator_id:
                return i
        raise NotFound(f"profile {self.id}: no indicator {indicator_id!r}")

    def brief(self) -> dict[str, Any]:
        """Identification printed with every evaluation."""
        return {
            "id": self.id,
            "version": self.version,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "level": self.level,
            "province": self.province,
            "issuer": self.issuer,
            "document": self.document,
            "number": self.number,
            "date": self.date,
            "url": self.url,
            "url_note": self.url_note,
            "confidence": self.confidence,
            "draft": self.draft,
            "inherits": self.inherits,
            "park_types": {
                k: {"name_zh": v[0], "name_en": v[1]} for k, v in self.park_types.items()
            },
        }

    def as_dict(self) -> dict[str, Any]:
        """Plain data with the indicators."""
        return {**self.brief(), "indicators": [i.as_dict() for i in self.indicators]}


# -- YAML with line numbers ------------------------------------------------------------------


class _Lines:
    """Line numbers (1-based) of every node of a composed YAML document, by path."""

    def __init__(self) -> None:
        self.at: dict[tuple[Any, ...], int] = {}
        #: collections already read: an alias to one is refused (no expansion bombs)
        self.seen: set[int] = set()

    def line(self, *path: Any) -> int:
        while path:
            if path in self.at:
                return self.at[path]
            path = path[:-1]
        return self.at.get((), 1)


def _plain(node: yaml.Node, path: tuple[Any, ...], lines: _Lines) -> Any:
    # a mapping's value keeps its key's line (``targets:`` rather than its first item)
    lines.at.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.CollectionNode):
        if id(node) in lines.seen:
            raise InvalidInput(
                f"line {node.start_mark.line + 1}: YAML aliases are not allowed in a profile",
                field="profile",
            )
        lines.seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for k, v in node.value:
            key = (
                yaml.safe_load(yaml.serialize(k))
                if not isinstance(k, yaml.ScalarNode)
                else (_scalar(k))
            )
            if key in out:
                raise InvalidInput(
                    f"line {k.start_mark.line + 1}: duplicate key {key!r}", field=str(key)
                )
            lines.at[(*path, key)] = k.start_mark.line + 1
            out[key] = _plain(v, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v, (*path, i), lines) for i, v in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    return yaml.safe_load(yaml.serialize(node))


def _compose(text: str, where: str) -> tuple[Any, _Lines]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f"line {mark.line + 1}: " if mark is not None else ""
        raise InvalidInput(f"{where}: {at}not YAML: {err}", field=where) from err
    lines = _Lines()
    if node is None:
        raise InvalidInput(f"{where}: empty profile", field=where)
    return _plain(node, (), lines), lines


# -- validation --------------------------------------------------------------------------------


class _Check:
    def __init__(self, where: str, lines: _Lines) -> None:
        self.where = where
        self.lines = lines

    def fail(self, path: tuple[Any, ...], message: str) -> InvalidInput:
        shown = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path)
        shown = shown.replace(".[", "[")
        line = self.lines.line(*path)
        return InvalidInput(
            f"{self.where}:{line}: {shown or 'profile'}: {message}", field=shown or "profile"
        )

    def mapping(self, data: Any, path: tuple[Any, ...], keys: set[str]) -> Mapping[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(path, "must be a mapping")
        unknown = sorted(set(map(str, data)) - keys)
        if unknown:
            raise self.fail((*path, unknown[0]), f"unknown key (known: {', '.join(sorted(keys))})")
        return data

    def text(self, data: Mapping[str, Any], path: tuple[Any, ...], key: str,
             *, required: bool = True) -> str | None:  # fmt: skip
        v = data.get(key)
        if v is None:
            if required:
                raise self.fail((*path, key), "is required")
            return None
        if isinstance(v, dt.date):
            return v.isoformat()
        if not isinstance(v, str | int | float) or isinstance(v, bool) or str(v).strip() == "":
            raise self.fail((*path, key), "must be text")
        return str(v)

    def number(self, data: Mapping[str, Any], path: tuple[Any, ...], key: str) -> float | None:
        v = data.get(key)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int | float) or v != v:
            raise self.fail((*path, key), f"must be a number, got {v!r}")
        return float(v)

    def boolean(self, data: Mapping[str, Any], path: tuple[Any, ...], key: str,
                default: bool) -> bool:  # fmt: skip
        v = data.get(key, default)
        if not isinstance(v, bool):
            raise self.fail((*path, key), "must be true or false")
        return v

    def choice(self, data: Mapping[str, Any], path: tuple[Any, ...], key: str,
               allowed: Sequence[str], default: str | None = None) -> str:  # fmt: skip
        v = data.get(key, default)
        if v not in allowed:
            raise self.fail((*path, key), f"must be one of {', '.join(allowed)}, got {v!r}")
        return str(v)


def _target(c: _Check, data: Any, path: tuple[Any, ...], ind_unit: str,
            types: Mapping[str, Any]) -> ProfileTarget:  # fmt: skip
    d = c.mapping(data, path, _TARGET_KEYS)
    if "value" not in d:
        raise c.fail(path, "a target needs a value (null when the document gives none)")
    value = c.number(d, path, "value")
    unit = c.text(d, path, "unit", required=False)
    if unit is not None and not same_unit(unit, ind_unit):
        raise c.fail((*path, "unit"), f"unit mismatch: target in {unit}, indicator in {ind_unit}")
    conf = c.choice(d, path, "confidence", CONFIDENCES)
    verified = c.boolean(d, path, "verified", False)
    note = c.text(d, path, "note", required=False)
    if verified and conf in ("L", "U"):
        raise c.fail((*path, "verified"), f"confidence {conf} targets must say verified: false")
    if value is None and (verified or not note):
        raise c.fail(
            (*path, "value"),
            "a null value means the document's value was not found: verified: false and a note",
        )
    pts = d.get("park_types")
    park_types: tuple[str, ...] | None = None
    if pts is not None:
        if not isinstance(pts, list) or not pts:
            raise c.fail((*path, "park_types"), "must be a list of park-type ids")
        for n, p in enumerate(pts):
            if p not in types:
                raise c.fail(
                    (*path, "park_types", n),
                    f"unknown park type {p!r} (the profile's: {', '.join(types) or 'none'})",
                )
        park_types = tuple(pts)
    year = d.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)
                             or not 2000 <= year <= 2100):  # fmt: skip
        raise c.fail((*path, "year"), f"must be a year, got {year!r}")
    lo, hi = c.number(d, path, "energy_min_tce"), c.number(d, path, "energy_max_tce")
    if lo is not None and hi is not None and hi <= lo:
        raise c.fail((*path, "energy_max_tce"), "must exceed energy_min_tce")
    return ProfileTarget(
        value, park_types, year, lo, hi, conf, verified, note,
        c.text(d, path, "source", required=False), c.lines.line(*path),
    )  # fmt: skip


def _indicator(c: _Check, data: Any, path: tuple[Any, ...], types: Mapping[str, Any],
               origin: str) -> ProfileIndicator:  # fmt: skip
    d = c.mapping(data, path, _INDICATOR_KEYS)
    iid = c.text(d, path, "id") or ""
    unit = c.text(d, path, "unit") or ""
    try:
        formula = parse_formula(str(d.get("definition", "")), UNITS)
    except FormulaError as err:
        raise c.fail((*path, "definition"), str(err)) from None
    try:
        ok = same_unit(unit, _unit_of(formula))
    except FormulaError as err:
        raise c.fail((*path, "unit"), str(err)) from None
    if not ok:
        raise c.fail(
            (*path, "unit"),
            f"unit mismatch: the definition gives {_unit_of(formula)}, the indicator says {unit}",
        )
    bounds = d.get("bounds")
    if bounds is not None:
        if (not isinstance(bounds, list) or len(bounds) != 2
                or not all(isinstance(b, int | float) for b in bounds)):  # fmt: skip
            raise c.fail((*path, "bounds"), "must be [low, high]")
        bounds = (float(bounds[0]), float(bounds[1]))
    raw = d.get("targets")
    if not isinstance(raw, list) or not raw:
        raise c.fail((*path, "targets"), "missing target: every indicator needs targets")
    targets = tuple(_target(c, t, (*path, "targets", n), unit, types) for n, t in enumerate(raw))
    for ptype in types or (ALL_TYPES,):
        if not any(t.for_type(None if ptype == ALL_TYPES else ptype) for t in targets):
            raise c.fail(
                (*path, "targets"), f"missing target for park type {ptype!r} of indicator {iid}"
            )
    return ProfileIndicator(
        id=iid,
        name_zh=c.text(d, path, "name_zh") or "",
        name_en=c.text(d, path, "name_en") or "",
        formula=formula,
        unit=unit,
        direction=c.choice(d, path, "direction", ("le", "ge")),  # type: ignore[arg-type]
        binding=c.boolean(d, path, "binding", False),
        kind=c.choice(d, path, "kind", ("core", "guiding"), "guiding"),  # type: ignore[arg-type]
        clause=c.text(d, path, "clause", required=False),
        bounds=bounds,
        targets=targets,
        note=c.text(d, path, "note", required=False),
        line=c.lines.line(*path),
        origin=origin,
    )


def _unit_of(formula: Formula) -> str:
    from lingtan.indicators.formula_lang import unit_text

    return unit_text(formula.unit)


def parse_profile(text: str, *, where: str = "profile") -> Profile:
    """Parse and validate a profile document; ``InvalidInput`` naming the line on error.

    Inherited indicators are not merged here (see :func:`load_profile`)."""
    data, lines = _compose(text, where)
    c = _Check(where, lines)
    d = c.mapping(data, (), _PROFILE_KEYS)
    pid = c.text(d, (), "id") or ""
    version = d.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise c.fail(("version",), "must be a whole number ≥ 1 (a revision is a new version)")
    url = c.text(d, (), "url", required=False)
    url_note = c.text(d, (), "url_note", required=False)
    if url is not None and not url.startswith(("https://", "http://")):
        raise c.fail(("url",), "must be an http(s) address")
    if url is None and url_note is None:
        raise c.fail(("url",), "a profile without url must say why in url_note")
    types_raw = d.get("park_types") or []
    if not isinstance(types_raw, list):
        raise c.fail(("park_types",), "must be a list")
    types: dict[str, tuple[str, str]] = {}
    for n, t in enumerate(types_raw):
        td = c.mapping(t, ("park_types", n), {"id", "name_zh", "name_en"})
        tid = c.text(td, ("park_types", n), "id") or ""
        if tid in types or tid == ALL_TYPES:
            raise c.fail(("park_types", n, "id"), f"duplicate or reserved park type {tid!r}")
        types[tid] = (
            c.text(td, ("park_types", n), "name_zh") or "",
            c.text(td, ("park_types", n), "name_en") or "",
        )
    raw = d.get("indicators")
    if not isinstance(raw, list) or (not raw and not d.get("inherits")):
        raise c.fail(("indicators",), "a profile lists its indicators")
    indicators = [_indicator(c, x, ("indicators", n), types, pid) for n, x in enumerate(raw)]
    seen: set[str] = set()
    for n, i in enumerate(indicators):
        if i.id in seen:
            raise c.fail(("indicators", n, "id"), f"duplicate indicator {i.id!r}")
        seen.add(i.id)
    return Profile(
        id=pid,
        version=version,
        name_zh=c.text(d, (), "name_zh") or "",
        name_en=c.text(d, (), "name_en") or "",
        level=c.choice(d, (), "level", LEVELS),
        province=c.text(d, (), "province", required=False),
        issuer=c.text(d, (), "issuer") or "",
        document=c.text(d, (), "document") or "",
        number=c.text(d, (), "number", required=False),
        date=c.text(d, (), "date", required=False),
        url=url,
        url_note=url_note,
        confidence=c.choice(d, (), "confidence", CONFIDENCES),
        draft=c.boolean(d, (), "draft", False),
        inherits=c.text(d, (), "inherits", required=False),
        park_types=types,
        indicators=tuple(indicators),
        note=c.text(d, (), "note", required=False),
        where=where,
    )


@functools.cache
def _shipped(name: str) -> Profile:
    text = resources.files("lingtan.indicators").joinpath("profiles", SHIPPED[name])
    return parse_profile(text.read_text("utf-8"), where=SHIPPED[name])


def _read(name_or_path: str | Path) -> Profile:
    key = str(name_or_path)
    if key in SHIPPED:
        return _shipped(key)
    path = Path(key)
    if not path.is_file():
        raise NotFound(f"profile {key!r}: not a shipped profile ({', '.join(SHIPPED)}) nor a file")
    return parse_profile(path.read_text("utf-8"), where=path.name)


def load_profile(name_or_path: str | Path) -> Profile:
    """A shipped profile by name or a profile file by path, its inherited indicators merged
    (the profile's own win; inherited targets keep their own sources and confidences)."""
    return _merged(_read(name_or_path))


def _merged(first: Profile, read: Callable[[str], Profile] = _read) -> Profile:
    chain = [first]
    while chain[-1].inherits is not None:
        nxt = read(chain[-1].inherits)
        if any(p.id == nxt.id for p in chain):
            raise InvalidInput(f"profiles inherit in a cycle at {nxt.id}", field="inherits")
        chain.append(nxt)
    if len(chain) == 1:
        return first
    indicators: list[ProfileIndicator] = []
    seen: set[str] = set()
    for prof in chain:
        for i in prof.indicators:
            if i.id not in seen:
                seen.add(i.id)
                indicators.append(i)
    order = {i.id: n for n, i in enumerate(chain[-1].indicators)}
    indicators.sort(key=lambda i: order.get(i.id, len(order)))
    for i in indicators:
        for t in i.targets:
            for p in t.park_types or ():
                if p not in first.park_types:
                    raise InvalidInput(
                        f"{first.where}: inherited indicator {i.id} names park type {p!r} the "
                        "profile does not declare",
                        field="park_types",
                    )
    return Profile(
        **{
            **{k: getattr(first, k) for k in first.__dataclass_fields__},
            "indicators": tuple(indicators),
            "chain": tuple(p.id for p in chain),
        }
    )


def merge_profile(first: Profile, read: Callable[[str], Profile]) -> Profile:
    """``first`` with the indicators it inherits merged, each inherited profile read with
    ``read`` (by name; a service passes a reader that never opens a path)."""
    return _merged(first, read)


def shipped_profile(name: str) -> Profile:
    """A shipped profile as written (inherited indicators not merged)."""
    if name not in SHIPPED:
        raise NotFound(f"profile {name!r}: not a shipped profile ({', '.join(SHIPPED)})")
    return _shipped(name)


def shipped_profiles() -> list[Profile]:
    """Every shipped profile, merged."""
    return [load_profile(n) for n in SHIPPED]
