"""CSV and Excel files with a column mapping, preview, manual entry, the inbox connector."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from lingtan.connectors.files.inbox import FilesConnector
from lingtan.connectors.files.tabular import ColumnMapping, load, manual_reading, preview
from lingtan.errors import InvalidInput

from .conftest import Recorder, wait_until

SH = dt.timezone(dt.timedelta(hours=8))
EXAMPLES = Path(__file__).parents[2] / "docs" / "examples" / "connectors"


def test_files_long_csv_with_chinese_headers_in_gbk(tmp_path: Path) -> None:
    path = tmp_path / "抄表.csv"
    path.write_bytes(
        '表号,抄表时间,读数,单位\nE01-main,2026/05/01 08:00,"12,345.6",kWh\nE02-main,2026/05/01 08:05,88,度\n'.encode(
            "gbk"
        )
    )
    mapping = ColumnMapping.from_dict(
        yaml.safe_load((EXAMPLES / "files.yaml").read_text(encoding="utf-8"))["connectors"][0][
            "mapping"
        ]
    )
    got = load(path, mapping)
    first, second = got.readings
    assert (first.point, first.value, first.unit) == ("E01-main", 12345.6, "kWh")
    assert first.ts == dt.datetime(2026, 5, 1, 8, tzinfo=SH)
    assert second.unit == "度" and first.source == "file:抄表.csv:2"


def test_files_wide_xlsx_with_the_example_mapping(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["时间", "1#变压器", "2#变压器", "备注"])
    sheet.append([dt.datetime(2026, 5, 1, 0, 0), 100.5, 200, "x"])
    sheet.append([dt.datetime(2026, 5, 1, 1, 0), None, 201, ""])  # an empty cell is no reading
    path = tmp_path / "trend.xlsx"
    book.save(path)
    mapping = ColumnMapping.from_dict(
        yaml.safe_load((EXAMPLES / "mapping-wide.yaml").read_text(encoding="utf-8"))["mapping"]
    )
    got = load(path, mapping)
    assert [(r.point, r.value) for r in got.readings] == [
        ("E01-main", 100.5),
        ("E02-main", 200),
        ("E02-main", 201),
    ]
    assert all(r.unit == "kWh" for r in got.readings)
    assert got.readings[0].ts == dt.datetime(2026, 5, 1, tzinfo=SH)


def test_files_naive_time_without_timezone_stays_naive_for_ingest_to_reject(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("point_id,timestamp,value\nP,2026-05-01 08:00,1\n", encoding="utf-8")
    (r,) = load(path, ColumnMapping()).readings
    assert r.ts == "2026-05-01T08:00:00" and r.raw == "P,2026-05-01 08:00,1"


def test_files_text_values_pass_through_with_the_line_as_raw(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "point_id,timestamp,value\nP,2026-05-01T08:00+08:00,坏表\n,2026-05-01T08:00+08:00,1\n",
        encoding="utf-8",
    )
    got = load(path, ColumnMapping())
    bad_value, no_point = got.readings
    assert bad_value.value == "坏表" and bad_value.raw is not None
    # a row without a point id is kept for the pipeline to quarantine (missing_point)
    assert no_point.point == "" and no_point.raw == ",2026-05-01T08:00+08:00,1"


def test_files_preview_shows_the_first_rows_raw_and_converted(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    rows = "".join(f"P,2026-05-01T{h:02d}:00+08:00,{h}\n" for h in range(24))
    path.write_text("point_id,timestamp,value\n" + rows, encoding="utf-8")
    got = preview(path, ColumnMapping(), rows=5)
    assert got.header == ["point_id", "timestamp", "value"]
    assert len(got.rows) == 5 and [r.value for r in got.readings] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_files_mapping_errors_name_the_column(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        load(path, ColumnMapping())
    assert "timestamp" in str(err.value) and "['a', 'b']" in str(err.value)
    with pytest.raises(InvalidInput):
        ColumnMapping.from_dict({"layot": "wide"})
    with pytest.raises(InvalidInput):
        load(tmp_path / "a.json", ColumnMapping())
    bad = tmp_path / "b.csv"
    bad.write_bytes("point_id,timestamp,value\n表,1,2\n".encode("gbk"))
    with pytest.raises(InvalidInput) as err:
        load(bad, ColumnMapping())
    assert err.value.field == "encoding"


def test_files_manual_entry_of_an_offline_meter() -> None:
    r = manual_reading(
        "E03-water",
        "1532.8",
        "2026-05-01 09:30",
        unit="m3",
        operator="王工",
        timezone="Asia/Shanghai",
    )
    assert (r.point, r.value, r.unit, r.source) == ("E03-water", 1532.8, "m3", "manual:王工")
    assert r.ts == dt.datetime(2026, 5, 1, 9, 30, tzinfo=SH)
    with pytest.raises(InvalidInput):
        manual_reading("E03-water", 1, "2026-05-01 09:30")  # naive, no zone: refused, not guessed
    with pytest.raises(InvalidInput):
        manual_reading("E03-water", "abc", "2026-05-01T09:30+08:00")


async def test_files_inbox_moves_a_file_to_done_after_commit(
    tmp_path: Path, recorder: Recorder
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "m1.csv").write_text(
        "point_id,timestamp,value\nP,2026-05-01T08:00+08:00,1\n", encoding="utf-8"
    )
    (inbox / "broken.csv").write_text("nothing,useful\n1,2\n", encoding="utf-8")
    connector = FilesConnector("inbox", inbox, ColumnMapping(), interval_s=0.05)
    task = asyncio.ensure_future(connector.run(recorder.ctx))
    try:
        await wait_until(lambda: (inbox / "done" / "m1.csv").exists(), what="moved to done")
        assert (inbox / "failed" / "broken.csv").exists()
        assert "ts" in (inbox / "failed" / "broken.csv.error.txt").read_text(encoding="utf-8")
        assert [r.value for r in recorder.readings] == [1.0]
        assert recorder.rejects and recorder.rejects[0][1] == "file_unreadable"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
