"""Time helpers. lingtan stores instants as integer epoch microseconds in UTC.

Microseconds are Python's own datetime resolution, so every timezone-aware ``datetime`` a
connector produces round-trips exactly (no rounding of a reading's timestamp). Naive datetimes
are rejected everywhere: a meter timestamp without an offset is ambiguous.

Days and months are taken in the park's local time (Asia/Shanghai by default). Hourly
statistics are kept per UTC hour; a local day is a whole number of UTC hours only when the
park's UTC offset is a whole number of hours, which :func:`require_whole_hour_offset` checks.
"""

from __future__ import annotations

import datetime as dt
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lingtan.errors import InvalidInput

SECOND_US: Final = 1_000_000
MINUTE_US: Final = 60 * SECOND_US
HOUR_US: Final = 3600 * SECOND_US
DAY_US: Final = 24 * HOUR_US
UTC: Final = dt.UTC
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
DEFAULT_TIMEZONE: Final = "Asia/Shanghai"


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware (UTC)."""
    return dt.datetime.now(tz=dt.UTC)


def require_aware(value: dt.datetime, field: str = "timestamp") -> dt.datetime:
    """Return ``value`` if it carries a UTC offset, else raise ``InvalidInput``."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidInput(f"{field} {value.isoformat()} has no UTC offset (naive)", field=field)
    return value


def parse_timestamp(text: str, field: str = "timestamp") -> dt.datetime:
    """Parse an ISO 8601 timestamp that carries an offset (``Z`` or ``+08:00``)."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError as err:
        raise InvalidInput(f"{field} {text!r} is not an ISO 8601 timestamp", field=field) from err
    return require_aware(value, field)


def to_us(value: dt.datetime) -> int:
    """Epoch microseconds of an aware datetime."""
    delta = require_aware(value) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * SECOND_US + delta.microseconds


def from_us(us: int, tz: dt.tzinfo = dt.UTC) -> dt.datetime:
    """The aware datetime of epoch microseconds ``us`` (in ``tz``, UTC by default)."""
    return (_EPOCH + dt.timedelta(microseconds=int(us))).astimezone(tz)


def floor_hour(us: int) -> int:
    """Start of the UTC hour that contains ``us``."""
    return us - us % HOUR_US


def ceil_hour(us: int) -> int:
    """Smallest hour start that is >= ``us``."""
    return -((-us) // HOUR_US) * HOUR_US


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ``InvalidInput`` if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InvalidInput(f"unknown time zone {name!r}", field="timezone") from err


def require_whole_hour_offset(name: str) -> ZoneInfo:
    """Return the zone if its UTC offset is a whole number of hours all year, else raise.

    Local days are summed from UTC hours; a half-hour offset would split an hour between days.
    """
    tz = zone(name)
    for month in range(1, 13):
        offset = dt.datetime(2025, month, 1, tzinfo=tz).utcoffset()
        if offset is None or offset.total_seconds() % 3600:
            raise InvalidInput(
                f"time zone {name} has an offset of {offset}; lingtan needs whole-hour offsets",
                field="timezone",
            )
    return tz


def local_day_start_us(day: dt.date, tz: dt.tzinfo) -> int:
    """Epoch microseconds of local midnight starting ``day`` in ``tz``."""
    return to_us(dt.datetime(day.year, day.month, day.day, tzinfo=tz))


def local_date(us: int, tz: dt.tzinfo) -> dt.date:
    """The local calendar date of instant ``us`` in ``tz``."""
    return from_us(us, tz).date()


def month_start(day: dt.date) -> dt.date:
    """First day of the month of ``day``."""
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    """First day of the month after the month of ``day``."""
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def year_bounds_us(year: int, tz: dt.tzinfo) -> tuple[int, int]:
    """[start, end) of a local calendar year, in epoch microseconds."""
    return local_day_start_us(dt.date(year, 1, 1), tz), local_day_start_us(
        dt.date(year + 1, 1, 1), tz
    )


def month_bounds_us(year: int, month: int, tz: dt.tzinfo) -> tuple[int, int]:
    """[start, end) of a local calendar month, in epoch microseconds."""
    first = dt.date(year, month, 1)
    return local_day_start_us(first, tz), local_day_start_us(next_month(first), tz)
