"""``lingtan incidents list|show|open|entry|close|export`` end to end on SQLite, in Chinese by
default."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from lingtan.cli import app
from tests.conftest import SMALL_PARK
from tests.web.test_zh_wording import problems

runner = CliRunner()
#: what the user typed in these tests (names, codes), left out of the Chinese check
TYPED = frozenset({"E01", "B01", "张三", "cli", "测试园区", "甲电子有限公司"})


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINGTAN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COLUMNS", "300")
    park = tmp_path / "park.yaml"
    park.write_text(SMALL_PARK, encoding="utf-8")
    assert runner.invoke(app, ["init", "--park", str(park)]).exit_code == 0
    return tmp_path


def _ok(args: list[str], *typed: str) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    allowed = TYPED | set(typed)
    found = [p for line in result.output.splitlines() for p in problems(line, allowed)]
    assert not found, (args, found)
    return result.output


def test_an_incident_from_open_to_report(env: Path) -> None:
    out = _ok(
        [
            "incidents", "open", "--title", "配电室冒烟", "--kind", "production_safety_accident",
            "--level", "ordinary", "--enterprise", "E01", "--site", "B01",
            "--lat", "31.23", "--lon", "121.47", "--person", "张三|现场指挥",
            "--occurred-at", "2025-07-01T09:55:00+08:00",
        ]
    )  # fmt: skip
    assert "已登记事件 #1" in out
    _ok(["incidents", "entry", "1", "切断电源", "--at", "2025-07-01T10:00:00+08:00"])
    _ok(["incidents", "entry", "1", "明火扑灭", "--at", "2025-07-01T10:20:00+08:00"])
    _ok(["incidents", "entry", "1", "10:05 切断电源", "--corrects", "3"])
    listed = _ok(["incidents", "list"])
    assert "配电室冒烟" in listed and "安全生产事故" in listed and "一般" in listed
    shown = _ok(["incidents", "show", "1"])
    assert shown.index("切断电源") < shown.index("明火扑灭") < shown.index("更正记录 #3")
    assert "事故灾难" in shown and "甲电子有限公司" in shown
    refused = runner.invoke(app, ["incidents", "close", "1", "--report", " "])
    assert refused.exit_code == 2 and "report" in refused.output
    _ok(["incidents", "close", "1", "--report", "电缆老化，已更换。"])
    out_file = env / "incident.xlsx"
    _ok(["incidents", "export", "1", "--out", str(out_file)], str(out_file))
    wb = load_workbook(io.BytesIO(out_file.read_bytes()))
    dn = wb.defined_names["t_timeline"]
    ((sheet, ref),) = list(dn.destinations)
    rows = wb[sheet][ref.replace("$", "")]
    # in the order things happened: the two entries of 2025-07-01, then what was recorded now
    # (opening, responsible people, the correction of entry #3, closing) in recording order
    assert [row[4].value for row in rows[1:]] == [
        "切断电源",
        "明火扑灭",
        "登记事件：配电室冒烟",
        "责任人：张三",
        "更正记录 #3：10:05 切断电源",
        "结案",
    ]
    as_json = runner.invoke(app, ["incidents", "show", "1", "--json"])  # for machines: codes
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["state"] == "closed" and data["closing_report"] == "电缆老化，已更换。"
    english = runner.invoke(app, ["incidents", "list", "--lang", "en"])
    assert english.exit_code == 0 and "production-safety accident" in english.output


def test_bad_input_names_the_field(env: Path) -> None:
    r = runner.invoke(
        app, ["incidents", "open", "--title", "t", "--kind", "natural_disaster", "--lat", "91"]
    )
    assert r.exit_code == 2 and "latitude" in r.output
    r = runner.invoke(app, ["incidents", "show", "99"])
    assert r.exit_code == 3
