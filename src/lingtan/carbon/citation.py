"""Machine-readable citations: which standard and clause each formula implements.

Every public formula in :mod:`lingtan.carbon.methods` is decorated with :func:`cites`, so a report
can list the clauses an inventory relied on and a test can check that no formula is uncited.
Where the clause numbering could not be checked against the published text, ``clause`` says so
(``verified=False``) instead of guessing a number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Clause:
    """A reference to one clause (and equation) of a standard or policy document."""

    #: document, e.g. ``"发改环资〔2025〕910号 附件4"`` or ``"GB/T 32150-2015"``
    standard: str
    #: clause as printed in the document, e.g. ``"二（二）3①"``
    clause: str
    #: equation label or the equation itself when the document does not number it
    equation: str = ""
    #: False when the clause numbering was not checked against the published text
    verified: bool = True

    def label(self) -> str:
        """A one-line citation for explain lines and reports."""
        text = f"{self.standard} {self.clause}".strip()
        if self.equation:
            text += f" ({self.equation})"
        if not self.verified:
            text += " [clause number not verified]"
        return text


#: every cited function, by qualified name
REGISTRY: dict[str, Clause] = {}


def cites(clause: Clause) -> Callable[[F], F]:
    """Attach ``clause`` to a formula and register it."""

    def decorate(func: F) -> F:
        func.__clause__ = clause  # type: ignore[attr-defined]
        REGISTRY[f"{func.__module__}.{func.__qualname__}"] = clause
        return func

    return decorate


def clause_of(func: Callable[..., Any]) -> Clause:
    """The clause a formula cites; ``LookupError`` if it cites none."""
    clause = getattr(func, "__clause__", None)
    if not isinstance(clause, Clause):
        raise LookupError(f"{func.__qualname__} cites no clause")
    return clause
