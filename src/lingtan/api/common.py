"""Shared API building blocks: constrained types, pagination, time formatting."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Path, Query
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from lingtan.errors import InvalidInput
from lingtan.timeutil import from_us, to_us

#: ids are 64-bit in the store; anything larger cannot name a row
MAX_ID = 2**53
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="numeric id")]
#: registry identifiers (park-file ids): letters, digits, _ . : - (64 at most)
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
CodePath = Annotated[
    str, Path(pattern=CODE_PATTERN, max_length=64, description="metering point id (code)")
]


def _printable(value: str) -> str:
    """Refuse control characters and lone surrogates (they cannot be stored as text)."""
    for ch in value:
        o = ord(ch)
        if (o < 32 and ch not in "\t\n\r") or 0xD800 <= o <= 0xDFFF or o == 0x7F:
            raise ValueError("control characters are not allowed")
    return value


#: free text from users (names, notes): printable, bounded
SafeText = Annotated[str, StringConstraints(max_length=500), AfterValidator(_printable)]
ShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(_printable)
]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int = Field(description="number of items matching, over all pages")
    limit: int
    offset: int


class PageParams(BaseModel):
    """``limit`` and ``offset`` of a list request."""

    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=1000, description="items per page")] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")] = 0,
) -> PageParams:
    """Pagination query parameters."""
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]


def iso(us: int | None, tz: dt.tzinfo) -> str | None:
    """ISO 8601 text of an instant in ``tz`` (None stays None)."""
    return None if us is None else from_us(us, tz).isoformat()


def parse_instant(text: str, tz: dt.tzinfo, *, field: str) -> int:
    """Epoch µs of ``YYYY-MM-DD`` (local midnight in ``tz``) or an ISO 8601 instant with an
    offset."""
    text = text.strip()
    try:
        if len(text) == 10:
            d = dt.date.fromisoformat(text)
            return to_us(dt.datetime(d.year, d.month, d.day, tzinfo=tz))
        value = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise InvalidInput(
            f"{field}: use YYYY-MM-DD or an ISO 8601 time with an offset", field=field
        ) from err
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{field}: the time needs an offset (Z or +08:00)", field=field)
    if (
        not dt.datetime(1970, 1, 2, tzinfo=dt.UTC)
        <= value
        <= dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
    ):
        raise InvalidInput(f"{field}: out of range", field=field)
    return to_us(value)


TimeQuery = Annotated[
    str | None,
    Query(
        max_length=40,
        pattern=r"^[0-9T:.+\-Z ]+$",
        description="YYYY-MM-DD (park local midnight) or ISO 8601 with offset",
    ),
]
YearQuery = Annotated[int, Query(ge=2000, le=2100, description="calendar year")]
