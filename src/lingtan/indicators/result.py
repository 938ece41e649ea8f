"""Values before and after judgement: what the indicator functions return, and the quality
behind them; the protocol through which the core indicator reaches the accounting."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from lingtan.carbon.citation import clause_of
from lingtan.indicators.options import IndicatorOptions
from lingtan.indicators.period import Period

if TYPE_CHECKING:
    from lingtan.store import Store


@dataclass(frozen=True, slots=True)
class DataQuality:
    """What the value rests on: shares of its inputs measured, estimated, entered, missing."""

    measured: float
    estimated: float
    entered: float
    missing: float
    #: metered completeness, or the time coverage of the statistics records (the lower)
    completeness: float
    threshold: float
    detail: str = ""

    @property
    def complete(self) -> bool:
        """Whether completeness reaches the threshold."""
        return self.completeness >= self.threshold - 1e-12

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "measured": self.measured,
            "estimated": self.estimated,
            "entered": self.entered,
            "missing": self.missing,
            "completeness": self.completeness,
            "threshold": self.threshold,
            "complete": self.complete,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Computed:
    """A computed value with what made it (before it meets a target)."""

    value: float | None
    #: why there is no value (zh, en)
    reason: tuple[str, str] | None
    inputs: Mapping[str, Any]
    evidence: Sequence[Mapping[str, Any]]
    quality: DataQuality
    details: Sequence[Mapping[str, Any]] = ()
    #: annual park energy [tce] for the size class of targets (core indicator only)
    energy_tce: float | None = None


class AccountingHook(Protocol):
    """How the core indicator reaches the accounting (see :mod:`lingtan.indicators.core`)."""

    def core(
        self,
        store: Store,
        period: Period,
        enterprise_id: int | None,
        options: IndicatorOptions,
        *,
        park_id: int | None = None,
    ) -> Computed:
        """The core indicator of the park (``enterprise_id=None``) or of one enterprise."""
        ...

    def enterprise_cores(
        self,
        store: Store,
        period: Period,
        options: IndicatorOptions,
        *,
        park_id: int | None = None,
    ) -> dict[int, Computed]:
        """The core indicator of every enterprise with data."""
        ...


def clause_evidence(func: Callable[..., Any]) -> dict[str, Any]:
    c = clause_of(func)
    return {"kind": "clause", "formula": func.__name__, "text": c.label(), "verified": c.verified}
