"""Who and when a store-backed service works on: the park, the caller's tenant scope, periods.

A service takes the caller's scope explicitly: ``enterprise_scope=None`` is a park-level caller
(sees the whole park), an enterprise id restricts it to that enterprise. An enterprise-scoped
caller asking for another enterprise, or for a site that is not its own (another enterprise's or
the park's), gets ``NotFound`` with a message that names nothing — the same answer as for one
that does not exist, so it cannot probe ids; asking for a park-level result or action gets
``PermissionDenied``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from lingtan.errors import InvalidInput, NotFound, PermissionDenied
from lingtan.greenpower.ledger import Month, Period
from lingtan.store import EnterpriseRecord, ParkRecord, SiteRecord, Store
from lingtan.timeutil import local_day_start_us, month_bounds_us, next_month, year_bounds_us

_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class ParkScope:
    """A park with its enterprises and sites, as services need them."""

    park: ParkRecord
    tz: ZoneInfo
    enterprises: dict[int, EnterpriseRecord]
    sites: dict[int, SiteRecord]

    def enterprise(self, enterprise_id: int) -> EnterpriseRecord:
        """One enterprise of the park; ``NotFound`` otherwise."""
        found = self.enterprises.get(enterprise_id)
        if found is None:
            raise NotFound(f"enterprise {enterprise_id} not found in park {self.park.code}")
        return found

    def site(self, site_id: int) -> SiteRecord:
        """One site of the park; ``NotFound`` otherwise."""
        found = self.sites.get(site_id)
        if found is None:
            raise NotFound(f"site {site_id} not found in park {self.park.code}")
        return found

    def enterprise_ids(self) -> dict[str, int]:
        """Enterprise code → id."""
        return {e.code: e.id for e in self.enterprises.values()}

    def owner_code(self, enterprise_key: int) -> str:
        """Code of a rollup owner: the enterprise's code, or the park's for key 0."""
        if enterprise_key == 0:
            return self.park.code
        e = self.enterprises.get(enterprise_key)
        return e.code if e is not None else f"enterprise#{enterprise_key}"


def park_scope(store: Store, park_id: int | None = None) -> ParkScope:
    """The park (the only one when ``park_id`` is None) with its enterprises and sites."""
    park = store.registry.park(park_id)
    return ParkScope(
        park=park,
        tz=ZoneInfo(park.timezone),
        enterprises={e.id: e for e in store.registry.enterprises(park.id)},
        sites={x.id: x for x in store.registry.sites(park.id)},
    )


def require_enterprise(
    scope: ParkScope, enterprise_id: int, enterprise_scope: int | None
) -> EnterpriseRecord:
    """The enterprise, if the caller's scope may see it (else ``NotFound``, the same whether
    the enterprise exists or not)."""
    if enterprise_scope is not None and enterprise_scope != enterprise_id:
        raise NotFound("enterprise not found")
    return scope.enterprise(enterprise_id)


def owner_in_scope(
    store: Store, park_id: int, enterprise_scope: int | None, enterprise_id: int | None
) -> int | None:
    """The enterprise a caller acts for: an enterprise-scoped caller's own (naming another is
    ``NotFound``), a park-level caller's choice (an enterprise outside the park is
    ``NotFound``; None: the park's own)."""
    if enterprise_scope is not None:
        if enterprise_id is not None and enterprise_id != enterprise_scope:
            raise NotFound("enterprise not found")
        return enterprise_scope
    if enterprise_id is not None and not any(
        e.id == enterprise_id for e in store.registry.enterprises(park_id)
    ):
        raise NotFound("enterprise not found")
    return enterprise_id


def require_site(scope: ParkScope, site_id: int, enterprise_scope: int | None) -> SiteRecord:
    """The site, if the caller's scope may see it: an enterprise-scoped caller sees its own
    enterprise's sites only — another enterprise's, the park's own and a missing one are the
    same ``NotFound``, so it cannot probe site ids."""
    if enterprise_scope is None:
        return scope.site(site_id)
    site = scope.sites.get(site_id)
    if site is None or site.enterprise_id != enterprise_scope:
        raise NotFound("site not found")
    return site


def require_park_level(enterprise_scope: int | None, what: str) -> None:
    """Refuse a park-level action to an enterprise-scoped caller."""
    if enterprise_scope is not None:
        raise PermissionDenied(f"{what} is a park-level action; an enterprise user cannot do it")


def check_period(year: int, month: int | None) -> None:
    """``InvalidInput`` for a month outside 1..12 or an implausible year."""
    if not 1990 <= year <= 2100:
        raise InvalidInput(f"year {year} is outside 1990..2100", field="year")
    if month is not None and not 1 <= month <= 12:
        raise InvalidInput(f"month {month} is outside 1..12", field="month")


def period_bounds_us(tz: ZoneInfo, year: int, month: int | None) -> tuple[int, int]:
    """[start, end) of a local year or month, epoch µs."""
    check_period(year, month)
    return year_bounds_us(year, tz) if month is None else month_bounds_us(year, month, tz)


def months_bounds_us(tz: ZoneInfo, period: Period) -> tuple[int, int]:
    """[start, end) of a run of whole local months, epoch µs."""
    first = period.start.first_day()
    after = next_month(period.end.first_day())
    return local_day_start_us(first, tz), local_day_start_us(after, tz)


def period_of(year: int, month: int | None) -> Period:
    """The ledger period of a year or a month."""
    if month is None:
        return Period(Month(year, 1), Month(year, 12))
    return Period(Month(year, month), Month(year, month))


SpanKind = Literal["year", "month", "ytd"]


@dataclass(frozen=True, slots=True)
class Span:
    """The months a store-backed result covers: a calendar year, one month, or January through
    a month (year-to-date), all in one year (附件4 accounts a calendar year)."""

    year: int
    first: int
    last: int
    kind: SpanKind

    @property
    def month(self) -> int | None:
        """The month a monthly or year-to-date result is filed under (None for the year)."""
        return None if self.kind == "year" else self.last

    @property
    def months(self) -> int:
        """Number of months covered."""
        return self.last - self.first + 1

    @property
    def ledger_period(self) -> Period:
        """The months as a ledger period."""
        return Period(Month(self.year, self.first), Month(self.year, self.last))

    def bounds_us(self, tz: ZoneInfo) -> tuple[int, int]:
        """[start, end) in epoch µs (park local months)."""
        return months_bounds_us(tz, self.ledger_period)

    @property
    def label(self) -> str:
        """``2025``, ``2025-03`` or ``2025-01…03``."""
        if self.kind == "year":
            return str(self.year)
        if self.kind == "month":
            return f"{self.year}-{self.last:02d}"
        return f"{self.year}-01…{self.last:02d}"


def span_of(year: int, month: int | None, ytd: bool = False) -> Span:
    """The span of a year, of one month, or (``ytd``) of January through ``month``."""
    check_period(year, month)
    if month is None:
        if ytd:
            raise InvalidInput("year-to-date needs the last month", field="month")
        return Span(year, 1, 12, "year")
    if ytd:
        return Span(year, 1, month, "ytd")
    return Span(year, month, month, "month")


def local_day_numbers(year: int, month: int | None) -> tuple[int, int]:
    """[first, end) of the local day numbers (days since 1970-01-01) of a year or month."""
    check_period(year, month)
    first = dt.date(year, month or 1, 1)
    after = dt.date(year + 1, 1, 1) if month is None else next_month(first)
    return first.toordinal() - _EPOCH_ORDINAL, after.toordinal() - _EPOCH_ORDINAL


__all__ = [
    "ParkScope",
    "Span",
    "SpanKind",
    "check_period",
    "local_day_numbers",
    "months_bounds_us",
    "park_scope",
    "period_bounds_us",
    "period_of",
    "require_enterprise",
    "require_park_level",
    "require_site",
    "span_of",
]
