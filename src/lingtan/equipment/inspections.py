"""Inspection plans and their due dates (pure).

A plan (pipe leaks, insulation, steam traps, a meter's calibration …) repeats every
``interval_days`` or ``interval_months``. Its next due date is the first due date while it
was never done, else the last completion plus the interval; adding months keeps the day of
the month, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb). A plan is
*overdue* on a local day after its due date (on the due date itself it is due, not overdue).
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lingtan.errors import InvalidInput

InspectionKind = Literal["pipe_leak", "insulation", "steam_trap", "meter_calibration", "other"]
KIND_ZH = {
    "pipe_leak": "管网泄漏巡检",
    "insulation": "保温检查",
    "steam_trap": "疏水阀检查",
    "meter_calibration": "计量器具检定/校准",
    "other": "其他巡检",
}
WorkStatus = Literal["open", "in_progress", "done", "cancelled"]
_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"


class PlanSpec(BaseModel):
    """An inspection plan as declared."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=1, max_length=200)
    kind: InspectionKind
    #: what is inspected: an equipment code of the register …
    equipment: str | None = Field(default=None, pattern=_CODE)
    #: … or a metering point (a meter's calibration)
    point: str | None = Field(default=None, pattern=_CODE)
    interval_days: int | None = Field(default=None, ge=1, le=3650)
    interval_months: int | None = Field(default=None, ge=1, le=120)
    first_due: dt.date
    last_done: dt.date | None = None
    responsible: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _shape(self) -> PlanSpec:
        if (self.interval_days is None) == (self.interval_months is None):
            raise ValueError("interval_days: give interval_days or interval_months (one)")
        if self.kind == "meter_calibration" and self.point is None:
            raise ValueError("point: a calibration plan names its metering point")
        return self


def parse_plan(data: dict[str, Any]) -> PlanSpec:
    """A plan from a mapping (InvalidInput naming the first failing field)."""
    try:
        return PlanSpec.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        msg = str(first["msg"]).removeprefix("Value error, ")
        if not loc and ":" in msg:
            loc, _, msg = (x.strip() for x in msg.partition(":"))
        raise InvalidInput(f"{loc}: {msg}", field=loc or "plan") from None


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, the day clamped to the month's end."""
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_due(
    *,
    first_due: dt.date,
    last_done: dt.date | None,
    interval_days: int | None,
    interval_months: int | None,
) -> dt.date:
    """The next due date: ``first_due`` until done once, then last completion + interval."""
    if last_done is None:
        return first_due
    if interval_months is not None:
        return add_months(last_done, interval_months)
    assert interval_days is not None
    return last_done + dt.timedelta(days=interval_days)


def days_overdue(due: dt.date, today: dt.date) -> int:
    """Whole days past the due date (0 on or before it)."""
    return max(0, (today - due).days)
