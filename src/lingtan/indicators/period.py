"""Reporting periods in park local time: a calendar year, a month, or year-to-date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from lingtan.errors import InvalidInput
from lingtan.timeutil import SECOND_US, local_day_start_us

_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period: ``year``; ``year`` + ``month``; or year-to-date through ``month``."""

    year: int
    month: int | None = None
    ytd: bool = False

    def __post_init__(self) -> None:
        if not 1990 <= self.year <= 2100:
            raise InvalidInput(f"year {self.year} outside 1990–2100", field="year")
        if self.month is not None and not 1 <= self.month <= 12:
            raise InvalidInput(f"month {self.month} outside 1–12", field="month")
        if self.ytd and self.month is None:
            raise InvalidInput("year-to-date needs the last month", field="month")

    @property
    def first(self) -> dt.date:
        """First local day of the period."""
        if self.month is None or self.ytd:
            return dt.date(self.year, 1, 1)
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        """Last local day of the period (inclusive)."""
        if self.month is None:
            return dt.date(self.year, 12, 31)
        nxt = dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        """Number of days."""
        return (self.last - self.first).days + 1

    @property
    def day_numbers(self) -> tuple[int, int]:
        """[first, last + 1) as local day numbers (days since 1970-01-01, as ``stat_day``)."""
        return self.first.toordinal() - _EPOCH_ORDINAL, self.last.toordinal() + 1 - _EPOCH_ORDINAL

    def bounds_us(self, tz: ZoneInfo) -> tuple[int, int]:
        """[start, end) in epoch microseconds."""
        return local_day_start_us(self.first, tz), local_day_start_us(
            self.last + dt.timedelta(days=1), tz
        )

    def seconds(self, tz: ZoneInfo) -> float:
        """Length in seconds (a local year or month)."""
        a, b = self.bounds_us(tz)
        return (b - a) / SECOND_US

    def months(self) -> list[int]:
        """The calendar months the period covers."""
        return list(range(self.first.month, self.last.month + 1))

    def with_year(self, year: int) -> Period:
        """The same period in another year (for the base-year trend)."""
        return Period(year, self.month, self.ytd)

    @property
    def label(self) -> str:
        """``2025``, ``2025-03`` or ``2025-01…03`` (year-to-date)."""
        if self.month is None:
            return f"{self.year}"
        if self.ytd:
            return f"{self.year}-01…{self.month:02d}"
        return f"{self.year}-{self.month:02d}"

    @property
    def kind(self) -> str:
        """``year``, ``month`` or ``ytd``."""
        return "year" if self.month is None else ("ytd" if self.ytd else "month")

    def annualisation(self) -> float:
        """Factor taking a quantity of this period to a year (1 for a whole year)."""
        year_days = (dt.date(self.year + 1, 1, 1) - dt.date(self.year, 1, 1)).days
        return year_days / self.days

    def as_dict(self) -> dict[str, object]:
        """Plain data."""
        return {
            "kind": self.kind,
            "year": self.year,
            "month": self.month,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "label": self.label,
        }


def overlap_days(first: dt.date, last: dt.date, period: Period) -> int:
    """Days of [first, last] inside ``period``."""
    a = max(first, period.first)
    b = min(last, period.last)
    return max(0, (b - a).days + 1)
