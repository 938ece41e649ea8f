"""Progress of an annual saving plan against its targets (pure: the monthly values come in).

Schedule. A ceiling target (``energy_tce_max``, ``carbon_tco2_max``, ``water_m3_max``) is
spread evenly over the year's months: the target to date after month k is max × k / 12, where k
is the last month with metered data. The year's projection extrapolates the months with data:
Σ values × 12 / (months with data). A month without data is shown as such, never as zero.

Savings targets (``savings_tce``, ``savings_tco2``, ``water_savings_m3``) compare the measures'
verified savings (GB/T 28750 verification kept on each measure) and, for information, their
expected savings. Intensity = energy to date / the statistics records' denominator over the
same months.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lingtan.programme.models import Targets


@dataclass(frozen=True, slots=True)
class MonthValue:
    """One month of the plan's owner: metered energy, emissions, water (None: no data)."""

    month: int
    energy_tce: float | None = None
    carbon_tco2: float | None = None
    water_m3: float | None = None
    reason: str | None = None

    @property
    def has_data(self) -> bool:
        """Whether the month has any metered value."""
        return any(v is not None for v in (self.energy_tce, self.carbon_tco2, self.water_m3))


@dataclass(frozen=True, slots=True)
class TargetLine:
    """One target and where the plan stands."""

    target: str
    unit: str
    value: float
    #: value to date: metered (ceilings) or verified (savings)
    actual: float | None
    #: the target to date (ceilings: value × k / 12; savings: the value)
    to_date: float | None
    projected: float | None
    #: on_track, off_track, no_data
    status: str
    expected: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "target": self.target, "unit": self.unit, "value": self.value,
            "actual": self.actual, "to_date": self.to_date, "projected": self.projected,
            "status": self.status, "expected": self.expected,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class PlanProgress:
    """A plan's progress."""

    plan: dict[str, Any]
    months: tuple[MonthValue, ...]
    last_month: int | None
    lines: tuple[TargetLine, ...]
    measures: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "plan": self.plan,
            "months": [
                {"month": x.month, "energy_tce": x.energy_tce, "carbon_tco2": x.carbon_tco2,
                 "water_m3": x.water_m3, "reason": x.reason}
                for x in self.months
            ],
            "last_month": self.last_month,
            "targets": [x.as_dict() for x in self.lines],
            "measures": list(self.measures),
            "notes": list(self.notes),
        }  # fmt: skip


def _ceiling(
    name: str, unit: str, value: float, values: Sequence[float | None], last: int | None
) -> TargetLine:
    have = [v for v in values if v is not None]
    if not have or last is None:
        return TargetLine(name, unit, value, None, None, None, "no_data")
    actual = float(sum(have))
    to_date = value * last / 12.0
    projected = actual * 12.0 / len(have)
    status = "on_track" if actual <= to_date else "off_track"
    return TargetLine(name, unit, value, actual, to_date, projected, status)


def _saving(
    name: str, unit: str, value: float, verified: Sequence[float | None],
    expected: Sequence[float | None],
) -> TargetLine:  # fmt: skip
    have = [v for v in verified if v is not None]
    exp = [v for v in expected if v is not None]
    actual = float(sum(have)) if have else None
    status = "no_data" if actual is None else ("on_track" if actual >= value else "off_track")
    return TargetLine(name, unit, value, actual, value, None, status,
                      expected=float(sum(exp)) if exp else None)  # fmt: skip


def plan_progress(
    *,
    plan: dict[str, Any],
    targets: Targets,
    months: Sequence[MonthValue],
    measures: Sequence[dict[str, Any]],
    intensity_denominator: float | None = None,
) -> PlanProgress:
    """The plan's target lines from the monthly values and the measures."""
    last = max((x.month for x in months if x.has_data), default=None)
    lines: list[TargetLine] = []
    notes: list[str] = []
    if targets.energy_tce_max is not None:
        lines.append(_ceiling("energy_tce_max", "tce", targets.energy_tce_max,
                              [x.energy_tce for x in months], last))  # fmt: skip
    if targets.carbon_tco2_max is not None:
        lines.append(_ceiling("carbon_tco2_max", "tCO2", targets.carbon_tco2_max,
                              [x.carbon_tco2 for x in months], last))  # fmt: skip
    if targets.water_m3_max is not None:
        lines.append(_ceiling("water_m3_max", "m3", targets.water_m3_max,
                              [x.water_m3 for x in months], last))  # fmt: skip
    live = [x for x in measures if x.get("status") != "cancelled"]

    def verified(key: str) -> list[float | None]:
        return [None if x.get("verified") is None else x["verified"].get(key) for x in live]

    def verified_water() -> list[float | None]:
        out: list[float | None] = []
        for x in live:
            v = x.get("verified")
            if v is not None and v["verification"]["unit"] == "m3":
                out.append(v["verification"]["savings"])
            else:
                out.append(None)
        return out

    if targets.savings_tce is not None:
        lines.append(_saving("savings_tce", "tce", targets.savings_tce, verified("savings_tce"),
                             [x.get("expected_tce") for x in live]))  # fmt: skip
    if targets.savings_tco2 is not None:
        lines.append(_saving("savings_tco2", "tCO2", targets.savings_tco2,
                             verified("savings_tco2"),
                             [x.get("expected_tco2") for x in live]))  # fmt: skip
    if targets.water_savings_m3 is not None:
        lines.append(_saving("water_savings_m3", "m3", targets.water_savings_m3,
                             verified_water(), [x.get("expected_m3") for x in live]))  # fmt: skip
    if targets.intensity is not None:
        t = targets.intensity
        energy = [x.energy_tce for x in months if x.energy_tce is not None]
        if energy and intensity_denominator:
            actual = float(sum(energy)) / intensity_denominator
            status = "on_track" if actual <= t.value else "off_track"
            lines.append(TargetLine("intensity", t.unit, t.value, actual, t.value, None, status))
        else:
            lines.append(TargetLine("intensity", t.unit, t.value, None, t.value, None, "no_data"))
            notes.append(
                f"intensity: no {t.category}/{t.item} records for the months with data"
                if energy
                else "intensity: no metered energy"
            )
    return PlanProgress(plan, tuple(months), last, tuple(lines), tuple(measures), tuple(notes))
