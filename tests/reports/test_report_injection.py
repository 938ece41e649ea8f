"""Reports cannot be turned against their reader: an enterprise renamed through the park file
to a spreadsheet formula appears in every Excel report as text, never as a live formula
(CWE-1236). Every cell of every sheet of every report kind, in both languages, is read back."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import yaml
from openpyxl import load_workbook

from lingtan.demo.park import build_park
from lingtan.demo.run import run
from lingtan.registry.parkfile import parse_park_text
from lingtan.reports import KINDS, build_report
from lingtan.reports.model import Column, KeyValues, Paragraph, Report, Section, Table
from lingtan.reports.xlsx import write_xlsx
from lingtan.store import Store, open_store

#: the classic DDE payload: Excel would start calc.exe if this were a formula
EVIL = "=cmd|' /C calc'!A0"
#: the park report names the park, not the enterprises: the park is renamed too
EVIL_PARK = '=HYPERLINK("http://example.invalid/","零碳园区")'


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The shrunk demo park, then E01 and the park renamed by loading an edited park file."""
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('evil') / 'demo.db'}")
    run(store, months=1, enterprises=3)
    data = build_park(3).model_dump(mode="json", exclude_none=True)
    (e01,) = [e for e in data["enterprises"] if e["id"] == "E01"]
    e01["name"] = EVIL
    data["park"]["name"] = EVIL_PARK
    store.registry.save_park(parse_park_text(yaml.safe_dump(data, allow_unicode=True)), actor="t")
    yield store
    store.close()


def _e01(store: Store) -> int:
    ((eid,),) = [
        (e.id,) for e in store.registry.enterprises(store.registry.park().id) if e.code == "E01"
    ]
    return eid


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_string_cell_of_every_report_is_text(renamed: Store, kind: str, lang: str) -> None:
    assert {e.name for e in renamed.registry.enterprises(renamed.registry.park().id)} >= {EVIL}
    scope = {} if kind == "park" else {"enterprise_id": _e01(renamed)}
    book = load_workbook(
        io.BytesIO(
            build_report(renamed, kind=kind, year=2025, month=1, fmt="xlsx", lang=lang, **scope)  # type: ignore[arg-type]
        )
    )
    strings, named = 0, []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    strings += 1
                    assert cell.data_type == "s", f"{ws.title}!{cell.coordinate}"
                    if EVIL in cell.value or EVIL_PARK in cell.value:
                        named.append(f"{ws.title}!{cell.coordinate}")
    assert strings > 0
    assert named, "the renamed enterprise (or park) should appear in the report, as text"


def test_text_that_starts_like_a_formula_is_written_as_text() -> None:
    """Every writer path: title, meta, key-values, table headers and cells, paragraphs; and
    ``&`` in the footer, which Excel would read as a field code, is doubled."""
    cases = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", '=HYPERLINK("http://x","y")']
    doc = Report(
        title="=TITLE()&more",
        subtitle="=SUB()",
        lang="en",
        meta=[("=k", "=v")],
        sections=[
            Section(
                "=section",
                [
                    KeyValues([(c, c, "text") for c in cases], title="=kv"),
                    Table(
                        "t",
                        [Column("a", "=A"), Column("b", "=B")],
                        [{"a": c, "b": 1.5} for c in cases],
                    ),
                    Paragraph("=para"),
                ],
            )
        ],
    )
    book = load_workbook(io.BytesIO(write_xlsx(doc)))
    ws = book.worksheets[0]
    values = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert {c.value for c in values} >= {*cases, "=A", "=B", "=para", "=kv", "=section"}
    assert all(c.data_type == "s" for c in values if isinstance(c.value, str))
    assert all(c.data_type == "n" for c in values if isinstance(c.value, float))
    assert ws.oddFooter.left.text == "=TITLE()&&more"
