"""The categories and grades of 突发事件 (《中华人民共和国突发事件应对法》 Articles 2 and 3) and
the park standard's kinds of event, read from ``data/emergency_law.yaml`` (pure: no I/O but
the package's own file)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

DATA: Final = Path(__file__).parent / "data" / "emergency_law.yaml"


@dataclass(frozen=True, slots=True)
class Term:
    """A category, grade or kind: its code, names and where it comes from."""

    code: str
    zh: str
    en: str
    #: the law's article (categories, grades) or the source text (kinds)
    source: str
    confidence: str
    #: the category of a kind; empty for categories and grades
    category: str = ""
    #: the order of a grade (1 = 特别重大, the gravest); 0 otherwise
    rank: int = 0

    def name(self, lang: str) -> str:
        """The term in ``lang`` (``zh`` or ``zh-CN`` give Chinese, anything else English)."""
        return self.zh if lang.startswith("zh") else self.en


@dataclass(frozen=True, slots=True)
class Catalog:
    """The law's record and its terms, each by code in file order."""

    law: dict[str, str]
    categories: dict[str, Term]
    grades: dict[str, Term]
    kinds: dict[str, Term]

    def category_of(self, kind: str) -> Term:
        """The law's category of a kind."""
        return self.categories[self.kinds[kind].category]

    def citation(self, lang: str) -> str:
        """The law as cited under a report: name and edition."""
        name = self.law["name"] if lang.startswith("zh") else self.law["name_en"]
        return f"{name}（{self.law['edition']}）" if lang.startswith("zh") else name


def _terms(rows: list[dict[str, Any]]) -> dict[str, Term]:
    return {
        str(r["code"]): Term(
            code=str(r["code"]),
            zh=str(r["zh"]),
            en=str(r["en"]),
            source=str(r.get("article") or r.get("source") or ""),
            confidence=str(r["confidence"]),
            category=str(r.get("category") or ""),
            rank=int(r.get("rank") or 0),
        )
        for r in rows
    }


@functools.cache
def catalog() -> Catalog:
    """The shipped catalogue (read once). Every kind's category must be a category."""
    raw: dict[str, Any] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    cat = Catalog(
        law={str(k): str(v) for k, v in raw["law"].items()},
        categories=_terms(raw["categories"]),
        grades=_terms(raw["grades"]),
        kinds=_terms(raw["kinds"]),
    )
    unknown = {k.category for k in cat.kinds.values()} - set(cat.categories)
    if unknown:  # a broken data file, not user input
        raise ValueError(f"{DATA.name}: kinds name unknown categories {sorted(unknown)}")
    return cat
