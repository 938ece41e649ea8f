"""Names of the GHG layer's codes and records in the user's language (zh-CN by default).

The account speaks in codes (``undetermined``, ``steel_flux``, ``calculated``), English reasons
(``a month is missing: the year cannot be tested``, ``meter E01-grid: no statistics for
2025-02``) and record ids (``gwp.ar5.ch4``, ``steel.flux.limestone.ef``). The page ``/ghg``, the
annual report and the CBAM communication show them through the project's wording table
(``lingtan/wording/zh-CN.yaml``: the groups ``ghg_*``, ``gwp_report``, ``cbam_*`` and the
messages of ``lingtan.ghg``); record ids keep their id and get the Chinese name the record
itself carries (its standard's title and table, the IPCC report's name).
"""

from __future__ import annotations

import functools
import re
from typing import Any, Final

from lingtan.ghg import records
from lingtan.wording import Wording, table

#: the standard and its title at the head of a record's document:
#: ``GB/T 32151.5-2015《…钢铁生产企业》`` or ``《…铝冶炼行业》(征求意见稿, 2024)``
_TITLE: Final = re.compile(r"^(.*?《[^》]+》(?:\([^)]*[\u4e00-\u9fff][^)]*\))?)")
_CJK: Final = re.compile(r"[\u4e00-\u9fff]")


def zh(lang: str) -> bool:
    """Whether ``lang`` is Chinese."""
    return lang in ("zh", "zh-CN")


def _zh_name(code: str, group: str) -> str:
    return table().groups[group].get(code, (code, code))[0]


def _title(document: str) -> str | None:
    m = _TITLE.match(document.strip())
    return m.group(1).strip() if m else None


def _param_label(rec: records.ParamRecord) -> str:
    title = _title(rec.document)
    if title is not None:  # a Chinese standard or guideline: its table and title
        return f"{rec.table}（{title}）"
    parts = rec.id.split(".")
    what = ""
    for n in range(len(parts), 0, -1):  # the longest id prefix the wording names
        prefix = ".".join(parts[:n])
        if prefix in table().groups["ghg_record"] and n > 1:
            what = _zh_name(prefix, "ghg_record")
            break
    # a Chinese aside at the end of an English table name: ``(CaMg(CO3)2 白云石)``
    aside = rec.table.split(" (", 1)[1].rstrip()[:-1] if " (" in rec.table else ""
    tech = parts[-1] if parts[-1] in table().groups["al_technology"] else None
    if _CJK.search(aside):
        detail = aside
    else:
        detail = _zh_name(tech, "al_technology") if tech else ""
    source = _zh_name(parts[0], "ghg_record") if parts[0] in table().groups["ghg_record"] else ""
    table_no = re.match(r"Table ([\d.]+)", rec.table)
    where = f"{source} 表 {table_no.group(1)}" if source and table_no else source
    name = f"{what}（{detail}）" if what and detail else what or detail
    return f"{name}（{where}）" if where else name


@functools.cache
def record_labels() -> dict[str, str]:
    """Chinese names of the GHG records (GWP, sector defaults, market threshold, CBAM mark-ups
    and documents), by id."""
    out: dict[str, str] = {}
    for g in records.gwp_records():
        out[g.id] = f"{_zh_name(g.report, 'gwp_report')} {g.gas} 全球变暖潜势（100 年）"
    for p in records.param_records().values():
        out[p.id] = _param_label(p)
    threshold, _ = records.market()
    title = _title(threshold.document) or threshold.document
    out[threshold.id] = f"{_zh_name('cets.threshold', 'ghg_record')}（{title}）"
    meta = records.cbam_meta()
    for doc_id in meta["documents"]:
        if doc_id in table().groups["cbam_document"]:
            out[doc_id] = _zh_name(doc_id, "cbam_document")
    for m in meta["markups"]:
        sectors = "、".join(_zh_name(s, "cbam_sector") for s in m.sectors)
        out[m.id] = f"CBAM 缺省值加成 {m.year} 年（{sectors}）"
    return out


@functools.cache
def standard_titles() -> dict[str, str]:
    """The Chinese titles of the sector standards, by number (``GB/T 32151.5-2015`` →
    ``《温室气体排放核算与报告要求 第5部分：钢铁生产企业》``), as the sector records' documents
    give them."""
    out: dict[str, str] = {}
    for p in records.param_records().values():
        title = _title(p.document)
        if title is None or "《" not in title:
            continue
        number, rest = title.split("《", 1)
        if number.strip():
            out.setdefault(number.strip(), "《" + rest)
    return out


def wording(lang: str) -> Wording:
    """The wording of ``lang`` with the shipped names (the GHG records' among them) known."""
    from lingtan.reports.localise import wording as shipped

    return shipped(lang)


class Words:
    """The GHG layer's texts in one language (zh-CN or English)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.zh = zh(lang)
        self.w = wording(lang)

    def code(self, code: Any, group: str) -> str:
        """A code of one group of the wording table (``ghg_coverage``, ``ghg_method`` …)."""
        return self.w.code(str(code), group)

    def text(self, value: Any) -> str:
        """A reason or a remark from the services (English) in the language."""
        if value is None or value == "":
            return ""
        return str(self.w.text(str(value)))

    def record(self, record_id: str) -> str:
        """A record's name (zh-CN: its Chinese name, '' when it has none; English: '')."""
        if not self.zh:
            return ""
        label = self.w.labels.get(record_id)
        return "" if label is None else str(label)

    def standard(self, clause: str) -> str:
        """The Chinese title of the standard a clause cites first (zh-CN; '' otherwise)."""
        if not self.zh:
            return ""
        for number, title in standard_titles().items():
            if clause.startswith(number):
                return f"{number}{title}"
        return ""

    def record_line(self, record_id: str) -> str:
        """``id name`` in zh-CN where the record has a name; the id otherwise."""
        name = self.record(record_id)
        return f"{record_id} {name}" if name else record_id


__all__ = ["Words", "record_labels", "standard_titles", "wording", "zh"]
