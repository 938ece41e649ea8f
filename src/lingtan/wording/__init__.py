"""Chinese wording of the codes and English texts the services produce (pure: no I/O beyond
reading the package's own table).

The services speak in codes (``unknown_point``, ``gap``, ``natural_gas_clean``) and, for
provenance and notes, in English sentences. The dashboard and the reports show them to people:
in zh-CN every one needs its Chinese wording, while English stays as it is. The wording is data,
``zh-CN.yaml`` beside this file:

* ``codes`` — a code shown alone (a reason, a flag, an option, a column key) → [中文, English];
* ``messages`` — a whole English text, as a regular expression with named groups → a Chinese
  template; ``{name}`` inserts a group as it is, ``{name|text}`` inserts it translated;
* ``fragments`` — a regular expression for a part of a longer text (a provenance remark, a
  ``(key=value)`` aside) → its Chinese replacement.

:class:`Wording` applies them, together with labels of record ids (factor records, targets)
that the caller knows from the records themselves.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from lingtan.shipped import load_yaml

TABLE: Final = Path(__file__).parent / "zh-CN.yaml"
#: an id-like token: letters, digits and ``_ . : -``, starting with a letter
_TOKEN: Final = re.compile(r"(?<![\w.:-])[A-Za-z][\w.:-]*[\w](?![\w.:-])")
_CODE: Final = re.compile(r"[._:\d-]")
_FIELD: Final = re.compile(r"\{(\w+)(?:\|(\w+))?\}")


@dataclass(frozen=True)
class Table:
    """The parsed wording table."""

    #: every code of every group (the first group that words a code wins)
    codes: Mapping[str, tuple[str, str]]
    #: group → code → wording
    groups: Mapping[str, Mapping[str, tuple[str, str]]]
    messages: tuple[tuple[re.Pattern[str], str], ...]
    fragments: tuple[tuple[re.Pattern[str], str], ...]


@functools.cache
def table() -> Table:
    """The shipped wording table (read once)."""
    raw: dict[str, Any] = load_yaml(TABLE.read_text(encoding="utf-8"))
    groups = {
        name: {str(code): (str(zh), str(en)) for code, (zh, en) in group.items()}
        for name, group in raw["codes"].items()
    }
    codes: dict[str, tuple[str, str]] = {}
    for group in groups.values():
        for code, words in group.items():
            codes.setdefault(code, words)
    messages = tuple((re.compile(m["en"]), str(m["zh"])) for m in raw["messages"])
    fragments = tuple((re.compile(f["en"]), str(f["zh"])) for f in raw["fragments"])
    return Table(codes, groups, messages, fragments)


@dataclass(frozen=True)
class Wording:
    """Texts in one language: zh-CN gets the Chinese wording, English is left as it is.

    ``labels``: record ids (factor records, targets, target sets) and other codes known only at
    run time (carriers, fuels, products) → their Chinese names.
    """

    lang: str
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def zh(self) -> bool:
        """Whether texts are put into Chinese."""
        return self.lang in ("zh", "zh-CN")

    def code(self, code: str, group: str | None = None) -> str:
        """A code shown alone, in the language (the code itself when it has no wording);
        ``group`` picks the wording of one group of the table (a code may mean different things
        in two groups: ``heat`` the emission term and ``heat`` the kind of factor)."""
        words = table().codes if group is None else table().groups[group]
        if not self.zh:
            return words.get(code, (code, code))[1]
        if group is None and code in self.labels:
            return self.labels[code]
        return words.get(code, (code, code))[0]

    def known(self, code: str) -> bool:
        """Whether ``code`` has a wording."""
        return code in self.labels or code in table().codes

    def text(self, value: Any) -> Any:
        """A text from a service, in the language; anything but a string is returned as is."""
        if not isinstance(value, str) or not self.zh or not value:
            return value
        stripped = value.strip()
        if self.known(stripped):
            return self.code(stripped)
        for pattern, template in table().messages:
            found = pattern.fullmatch(stripped)
            if found is not None:
                groups = found.groupdict()
                return self._fill(template, groups)
        return self._ids(self._fragments(value))

    def _fill(self, template: str, groups: Mapping[str, str | None]) -> str:
        def one(m: re.Match[str]) -> str:
            raw = groups.get(m.group(1)) or ""
            return str(self.text(raw)) if m.group(2) == "text" else raw

        return _FIELD.sub(one, template)

    def _fragments(self, value: str) -> str:
        for pattern, replacement in table().fragments:
            value = pattern.sub(replacement, value)
        return value

    def _ids(self, value: str) -> str:
        """Record ids and codes inside a longer text replaced by their names."""

        def one(m: re.Match[str]) -> str:
            token = m.group(0)
            # a record id, or a code that cannot be an English word (natural_gas_clean); a
            # plain word ("standard") is left for the messages and fragments to word
            if token in self.labels or (token in table().codes and _CODE.search(token)):
                return self.code(token)
            return token

        return _TOKEN.sub(one, value)


__all__ = ["TABLE", "Table", "Wording", "table"]
