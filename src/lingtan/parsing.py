"""Reading untrusted text (request bodies, uploaded files): JSON, CSV lines, YAML and TOML.

Every failure is an :class:`~lingtan.errors.InvalidInput` that names the problem — never a
parser's internal error that would surface as a server error. The classes of failure handled
here are the ones a body can provoke in Python's own parsers:

* nesting deeper than the parser's recursion allows (``[[[[…`` 100,000 levels deep): the C JSON
  decoder, PyYAML's composer and ``tomllib`` raise ``RecursionError``;
* integers longer than ``sys.get_int_max_str_digits()`` (4,300 digits by default, the limit
  CPython sets against quadratic-time conversion, CVE-2020-10735): ``int()`` raises
  ``ValueError``;
* CSV: Python's ``csv`` module reads a quoted field across line ends, so one unbalanced quote
  swallows every following line, and it raises ``_csv.Error`` on a carriage return inside an
  unquoted field. :func:`csv_lines` reads one physical line at a time instead (a line ends at
  CR LF, LF or a bare CR) and reports a line that is not a valid CSV record with its number,
  leaving the next line untouched. A quoted field therefore cannot span lines.

Pure: no I/O, no store, no web framework.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from lingtan.errors import InvalidInput

T = TypeVar("T")


def _digits_limit() -> int:
    return sys.get_int_max_str_digits()


def _too_many_digits(what: str, digits: int | None = None) -> InvalidInput:
    count = f" has {digits} digits" if digits is not None else " has too many digits"
    return InvalidInput(
        f"{what}: a number{count}; at most {_digits_limit()} digits are read", field="body"
    )


def _too_deep(what: str, field: str) -> InvalidInput:
    return InvalidInput(f"{what} is nested too deeply to be read", field=field)


def guarded(parse: Callable[[], T], *, what: str, field: str = "body") -> T:
    """``parse()`` with the failures of deep nesting and over-long integers (see the module
    docstring) turned into :class:`InvalidInput` naming ``what``."""
    try:
        return parse()
    except RecursionError:
        raise _too_deep(what, field) from None
    except ValueError as err:
        if str(err).startswith("Exceeds the limit"):
            raise _too_many_digits(what) from None
        raise


def json_loads(text: str, *, what: str = "the body", field: str = "body") -> Any:
    """JSON text → Python values; :class:`InvalidInput` naming the problem on any failure."""
    limit = _digits_limit()

    def whole_number(digits: str) -> int:
        # json.loads hands every integer literal here; refusing before int() names the problem
        if limit and len(digits.lstrip("-")) > limit:
            raise _too_many_digits(what, len(digits.lstrip("-")))
        return int(digits)

    try:
        return json.loads(text, parse_int=whole_number)
    except json.JSONDecodeError as err:
        raise InvalidInput(
            f"{what}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}",
            field=field,
        ) from err
    except RecursionError:
        raise _too_deep(what, field) from None


@dataclass(frozen=True, slots=True)
class CsvLine:
    """One physical line of CSV text: its number, its text and its cells, or why it has none."""

    number: int
    text: str
    cells: list[str] | None
    problem: str | None = None


def fields_text(count: int) -> str:
    """``"1 field"``, ``"4 fields"``."""
    return f"{count} field" if count == 1 else f"{count} fields"


def physical_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(number, line)`` for every line of ``text``; a line ends at CR LF, LF or a bare CR
    (the universal-newline rule of the ``csv`` module's documentation), numbered from 1."""
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        yield number, line[:-1] if line.endswith("\n") else line


def split_line(line: str, delimiter: str = ",") -> list[str]:
    """The cells of one CSV line (RFC 4180 quoting within the line); ``ValueError`` naming
    the fault when the line is not a CSV record."""
    if '"' not in line:
        return line.split(delimiter)  # no quoting: exactly what the csv module would return
    try:
        return next(csv.reader((line,), delimiter=delimiter, strict=True), [])
    except csv.Error as err:
        if str(err) == "unexpected end of data":
            raise ValueError(
                'unbalanced quote: a field opened with " is not closed on this line'
            ) from None
        raise ValueError(f"not a CSV record: {err}") from None


def csv_lines(text: str, *, delimiter: str = ",", fields: int | None = None) -> Iterator[CsvLine]:
    """Every line of CSV ``text``; a line that is not a CSV record, or (with ``fields``) that
    does not have that many cells, comes with its ``problem`` instead of cells."""
    for number, line in physical_lines(text):
        try:
            cells = split_line(line, delimiter)
        except ValueError as err:
            yield CsvLine(number, line, None, f"line {number}: {err}")
            continue
        if fields is not None and len(cells) != fields and any(c.strip() for c in cells):
            problem = (
                f"line {number}: {fields_text(len(cells))} where the header has {fields} "
                f"(a missing or extra field, or a delimiter other than {delimiter!r})"
            )
            yield CsvLine(number, line, None, problem)
            continue
        yield CsvLine(number, line, cells)


def hourly_csv(text: str, *, field: str = "file") -> Iterator[tuple[int, dt.datetime, float]]:
    """The rows of an ``hour,value`` CSV series (a weather series, an hourly grid factor):
    (line number, the hour as an aware datetime, the value), blank lines skipped. The header
    must be ``hour,value``; each hour is ISO 8601 with its UTC offset and each value a finite
    number, or :class:`InvalidInput` names the line. What the hours must be beyond that
    (consecutive, whole, unique) is the caller's rule."""
    lines = csv_lines(text)
    header = next(lines, None)
    cells = header.cells if header is not None else None
    if cells is None or [c.strip().lower() for c in cells[:2]] != ["hour", "value"]:
        raise InvalidInput("the CSV must start with the header 'hour,value'", field=field)
    for line in lines:
        if line.cells is None:
            raise InvalidInput(line.problem or f"line {line.number}: unreadable", field=field)
        if not "".join(line.cells).strip():
            continue
        if len(line.cells) < 2:
            raise InvalidInput(f"line {line.number}: two columns expected", field=field)
        try:
            at = dt.datetime.fromisoformat(line.cells[0].strip())
            value = float(line.cells[1])
        except ValueError as err:
            raise InvalidInput(f"line {line.number}: {err}", field=field) from err
        if at.tzinfo is None:
            raise InvalidInput(f"line {line.number}: the hour needs its UTC offset", field=field)
        if not math.isfinite(value):
            raise InvalidInput(f"line {line.number}: the value is not a number", field=field)
        yield line.number, at, value
