"""The dashboard's period picker: a reporting period named in the URL query
(``?period=month&start=2025-01``) so that a view can be shared.

Periods are park-local calendar days: ``day`` (``start=YYYY-MM-DD``), ``week`` (the ISO week,
Monday to Sunday, of ``start=YYYY-MM-DD``), ``month`` (``start=YYYY-MM``), ``year``
(``start=YYYY``) and ``custom`` (``start=YYYY-MM-DD&end=YYYY-MM-DD``, both days included).
A period without ``start`` is the one holding the page's default day (the last day with data).
Anything else is refused with an error naming the field (HTTP 422), never guessed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

from lingtan.errors import InvalidInput

KINDS: Final = ("day", "week", "month", "year", "custom")
#: the longest custom period (days): three years of daily statistics at most
MAX_CUSTOM_DAYS: Final = 3 * 366
_FIRST, _LAST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


@dataclass(frozen=True, slots=True)
class Span:
    """A chosen period: ``first`` ≤ day < ``end`` (park-local days)."""

    kind: str
    first: dt.date
    end: dt.date

    @property
    def last(self) -> dt.date:
        """The last day of the period (included)."""
        return self.end - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        """The period's length in days."""
        return (self.end - self.first).days

    @property
    def start_text(self) -> str:
        """The ``start`` parameter naming this period."""
        if self.kind == "month":
            return f"{self.first.year:04d}-{self.first.month:02d}"
        if self.kind == "year":
            return f"{self.first.year:04d}"
        return self.first.isoformat()

    def params(self) -> dict[str, str]:
        """The query parameters naming this period."""
        out = {"period": self.kind, "start": self.start_text}
        if self.kind == "custom":
            out["end"] = self.last.isoformat()
        return out

    def query(self, **extra: str | None) -> str:
        """``period=…&start=…`` and the page's other parameters (None ones left out)."""
        more = {k: v for k, v in extra.items() if v is not None and v != ""}
        return urlencode({**self.params(), **more})

    def label(self, lang: str) -> str:
        """The period in words (zh-CN or English)."""
        zh = lang == "zh-CN"
        f, la = self.first, self.last
        if self.kind == "day":
            return f"{f.year}年{f.month}月{f.day}日" if zh else f.isoformat()
        if self.kind == "month":
            return f"{f.year}年{f.month}月" if zh else f"{f:%B} {f.year}"
        if self.kind == "year":
            return f"{f.year}年" if zh else str(f.year)
        if self.kind == "week":
            week = f.isocalendar()
            text = f"{week.year}年第{week.week}周" if zh else f"week {week.week} of {week.year}"
            return (
                f"{text}（{f.isoformat()} – {la.isoformat()}）"
                if zh
                else (f"{text} ({f.isoformat()} – {la.isoformat()})")
            )
        return f"{f.isoformat()} – {la.isoformat()}"

    def previous(self) -> Span:
        """The period just before (环比): the day, week, month or year before; a custom
        period's equal length before it."""
        if self.kind == "month":
            return month_span(_add_months(self.first, -1))
        if self.kind == "year":
            return year_span(self.first.year - 1)
        length = dt.timedelta(days=self.days)
        return Span(self.kind, self.first - length, self.first)

    def following(self) -> Span:
        """The period just after (for the picker's arrow)."""
        if self.kind == "month":
            return month_span(_add_months(self.first, 1))
        if self.kind == "year":
            return year_span(self.first.year + 1)
        length = dt.timedelta(days=self.days)
        return Span(self.kind, self.end, self.end + length)

    def year_before(self) -> Span:
        """The same period a year earlier (同比); a week is the same ISO week."""
        if self.kind == "week":
            iso = self.first.isocalendar()
            year = iso.year - 1
            week = min(iso.week, dt.date(year, 12, 28).isocalendar().week)
            first = dt.date.fromisocalendar(year, week, 1)
            return Span("week", first, first + dt.timedelta(days=7))
        return Span(self.kind, year_back(self.first), year_back(self.end))


def year_back(d: dt.date) -> dt.date:
    """The same day a year earlier (29 February: the 28th)."""
    return (
        d.replace(year=d.year - 1, day=28)
        if (d.month, d.day) == (2, 29)
        else (d.replace(year=d.year - 1))
    )


def _add_months(d: dt.date, n: int) -> dt.date:
    k = d.year * 12 + d.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def month_span(first: dt.date) -> Span:
    """The calendar month of ``first``."""
    first = first.replace(day=1)
    return Span("month", first, _add_months(first, 1))


def year_span(year: int) -> Span:
    """A calendar year."""
    return Span("year", dt.date(year, 1, 1), dt.date(year + 1, 1, 1))


def _date(text: str, field: str, shape: str) -> dt.date:
    try:
        if shape == "YYYY":
            if len(text) != 4 or not text.isdigit():
                raise ValueError(text)
            d = dt.date(int(text), 1, 1)
        elif shape == "YYYY-MM":
            if len(text) != 7 or text[4] != "-":
                raise ValueError(text)
            d = dt.date(int(text[:4]), int(text[5:]), 1)
        else:
            if len(text) != 10:
                raise ValueError(text)
            d = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{field}: expected {shape} for this period, got {text[:40]!r}", field=field
        ) from None
    if not _FIRST <= d <= _LAST:
        raise InvalidInput(f"{field}: {text} lies outside 2000–2100", field=field)
    return d


def parse(
    period: str | None,
    start: str | None,
    end: str | None,
    *,
    default_day: dt.date,
    default_kind: str = "month",
) -> Span:
    """The period named by the query (``period``, ``start``, ``end``); without ``start``,
    the one holding ``default_day``. Refused (``InvalidInput``, the field named): an unknown
    period, a ``start`` not of the period's shape, an ``end`` with a period other than
    custom, a custom period without both days, reversed, or longer than three years."""
    kind = (period or default_kind).strip()
    if kind not in KINDS:
        raise InvalidInput(
            f"period: expected one of {', '.join(KINDS)}, got {kind[:40]!r}", field="period"
        )
    start = (start or "").strip() or None
    end = (end or "").strip() or None
    if end is not None and kind != "custom":
        raise InvalidInput("end: only a custom period takes an end day", field="end")
    if kind == "day":
        d = default_day if start is None else _date(start, "start", "YYYY-MM-DD")
        return Span("day", d, d + dt.timedelta(days=1))
    if kind == "week":
        d = default_day if start is None else _date(start, "start", "YYYY-MM-DD")
        monday = d - dt.timedelta(days=d.weekday())
        return Span("week", monday, monday + dt.timedelta(days=7))
    if kind == "month":
        return month_span(default_day if start is None else _date(start, "start", "YYYY-MM"))
    if kind == "year":
        year = default_day.year if start is None else _date(start, "start", "YYYY").year
        return year_span(year)
    if start is None or end is None:
        raise InvalidInput(
            "start, end: a custom period needs both days (YYYY-MM-DD)",
            field="start" if start is None else "end",
        )
    first, last = _date(start, "start", "YYYY-MM-DD"), _date(end, "end", "YYYY-MM-DD")
    if last < first:
        raise InvalidInput(f"end: {last} is before start {first}", field="end")
    if (last - first).days + 1 > MAX_CUSTOM_DAYS:
        raise InvalidInput(
            f"end: a custom period spans at most {MAX_CUSTOM_DAYS} days", field="end"
        )
    return Span("custom", first, last + dt.timedelta(days=1))
