"""``lingtan waste streams|movement|import|manifest|balance|exchange|rules|report`` end to end
on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from lingtan.cli import app
from tests.conftest import SMALL_PARK

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINGTAN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COLUMNS", "300")
    park = tmp_path / "park.yaml"
    park.write_text(SMALL_PARK, encoding="utf-8")
    assert runner.invoke(app, ["init", "--park", str(park)]).exit_code == 0
    return tmp_path


def _ok(args: list[str], code: int = 0) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    return result.output


def test_ledger_from_the_command_line(env: Path) -> None:
    out = _ok(["waste", "streams", "--add", "900-249-08", "--name", "废矿物油",
               "--enterprise", "E01", "--form", "液态", "--process", "设备维护"])  # fmt: skip
    assert "HW08" in out
    _ok(["waste", "movement", "1", "generated", "B1", "1200", "2025-03-01", "--unit", "kg"])
    ledger = env / "ledger.csv"
    ledger.write_text(
        "enterprise,stream,kind,batch,quantity,at\n"
        "E01,废矿物油,disposed,B1,1.2,2025-03-05\n"
        "E01,废矿物油,generated,B2,-1,2025-03-06\n",
        encoding="utf-8",
    )
    out = _ok(["waste", "import", str(ledger)], code=3)
    assert "stored 1" in out and "line 3" in out
    # generated 1.2 t (1200 kg), disposed on site 1.2 t: residual 0
    out = _ok(["waste", "balance", "2025"])
    assert "2025-03" in out and "1.200" in out
    assert "created 7" in _ok(["waste", "rules"])
    _ok(["waste", "exchange", "listings"])
    _ok(["waste", "manifest"])
    xlsx = env / "report.xlsx"
    _ok(["waste", "report", "2025", "--out", str(xlsx)])
    wb = load_workbook(xlsx)
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert "危险废物年度管理报告" in cells and "HW08" in cells


def test_cross_province_approvals_from_the_command_line(env: Path) -> None:
    add = ["waste", "approvals", "--add", "苏固移〔2025〕17号", "--enterprise", "E01",
           "--codes", "HW08, HW49", "--quantity", "1500", "--unit", "kg",
           "--from", "2025-01-01", "--to", "2025-12-31"]  # fmt: skip
    # the destination is missing: named, nothing recorded
    assert "--destination" in _ok(add, code=2)
    # the park's own province (江苏) needs no cross-province approval
    assert "own province" in _ok([*add, "--destination", "江苏省"], code=2)
    out = _ok([*add, "--destination", "浙江省"])
    assert "苏固移〔2025〕17号" in out and "浙江省" in out
    listed = _ok(["waste", "approvals"])
    # 1500 kg = 1.500 t, both categories, the validity
    assert "E01" in listed and "HW08,HW49" in listed and "1.500" in listed
    assert "2025-01-01…2025-12-31" in listed
    # the same number again is a conflict
    _ok([*add, "--destination", "浙江省"], code=4)


def test_storage_extensions_from_the_command_line(env: Path) -> None:
    import dataclasses

    from lingtan.identity.roles import SYSTEM
    from lingtan.store import open_store
    from lingtan.waste import service

    _ok(["waste", "streams", "--add", "900-039-49", "--name", "废活性炭", "--enterprise", "E01"])
    store = open_store(f"sqlite:///{env / 'cli.db'}")  # no facility command: the service
    try:
        system = dataclasses.replace(SYSTEM, park_id=store.registry.park().id)
        e01 = next(e.id for e in store.registry.enterprises(system.park_id) if e.code == "E01")
        service.add_facility(store, principal=system, enterprise_id=e01, code="WH-1", name="暂存间",
                             location="", capacity=5, unit="t")  # fmt: skip
    finally:
        store.close()
    _ok(["waste", "movement", "1", "generated", "B1", "1", "2025-03-01"])
    _ok(["waste", "movement", "1", "stored", "B1", "1", "2025-03-01", "--facility", "1"])
    add = ["waste", "extensions", "--add", "苏环危贮延〔2026〕3号", "--stream", "1", "--batch", "B1",
           "--authority", "苏州市生态环境局", "--approved", "2026-02-10"]  # fmt: skip
    assert "--until" in _ok(add, code=2)
    # 2026-02-28 is not after the statutory limit 2026-03-01 (stored 2025-03-01): refused
    assert "statutory limit 2026-03-01" in _ok([*add, "--until", "2026-02-28"], code=2)
    assert "until 2026-06-30" in _ok([*add, "--until", "2026-06-30"])
    listed = _ok(["waste", "extensions"])
    assert "苏环危贮延〔2026〕3号" in listed and "2026-06-30" in listed and "E01" in listed
    # the storage table of the balance shows the extended deadline and the approval
    out = _ok(["waste", "balance", "2025"])
    assert "2026-06-30" in out and "苏环危贮延〔2026〕3号" in out
