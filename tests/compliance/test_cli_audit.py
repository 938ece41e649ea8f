"""The audit summary by hand; the file-based commands through the CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.compliance.audit import parse_audit, summary, workbook
from lingtan.errors import InvalidInput

AUDIT = {
    "enterprise": "E1",
    "period": "2025",
    "carriers": [
        {"carrier": "电力", "use": "窑线", "quantity": 1e6, "unit": "kWh", "tce": 122.9},
        {"carrier": "煤", "use": "窑线", "quantity": 140, "unit": "t", "tce": 100.0},
        {"carrier": "电力", "use": "办公", "quantity": 1e5, "unit": "kWh", "tce": 12.29},
    ],
    "products": [{"product": "cement_clinker", "output": 2000, "energy": 210000, "unit": "kgce/t"}],
    "savings": [{"measure": "余热发电", "saving_tce": 23.519, "investment_cny": 1e6}],
}


def test_audit_summary_by_hand() -> None:
    s = summary(parse_audit(AUDIT))
    assert s["total_tce"] == pytest.approx(235.19)  # 122.9 + 100 + 12.29
    assert s["by_use"]["窑线"] == pytest.approx(222.9)
    assert s["savings_share"] == pytest.approx(0.1)  # 23.519 / 235.19
    clinker = s["products"][0]
    # 210 000 kgce / 2 000 t = 105 kgce/t: GB 16780-2021 表2 2级 (≤107); clinker has no
    # sourced 723号 标杆/基准 record, so no efficiency class
    assert clinker["value"] == pytest.approx(105.0)
    assert clinker["level"] == 2 and clinker["efficiency"] is None
    book = load_workbook(io.BytesIO(workbook(parse_audit(AUDIT))))
    assert book.sheetnames == ["能源消费", "能源消费结构", "单位产品能耗", "节能潜力"]
    with pytest.raises(InvalidInput, match="carriers"):
        parse_audit({**AUDIT, "carriers": []})


def test_cli_enpi_and_water_balance(tmp_path: Path) -> None:
    runner = CliRunner()
    f = tmp_path / "enpi.yaml"
    f.write_text(json.dumps({"energy": [1, 3, 3, 5], "drivers": {"output": [0, 1, 2, 3]}}))
    r = runner.invoke(app, ["compliance", "enpi", str(f)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["r2"] == pytest.approx(0.9)  # see test_enpi_water
    w = tmp_path / "water.yaml"
    w.write_text(json.dumps({"intake_m3": 100, "leakage_m3": 0, "units": [
        {"name": "u", "fresh_m3": 100, "reused_m3": 0, "consumed_m3": 10, "discharged_m3": 90}]}))  # fmt: skip
    r = runner.invoke(
        app, ["compliance", "water-balance", str(w), "--out", str(tmp_path / "w.xlsx")]
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "w.xlsx").stat().st_size > 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(json.dumps({"intake_m3": 0, "units": []}))
    r = runner.invoke(app, ["compliance", "water-balance", str(bad)])
    assert r.exit_code != 0 and "intake_m3" in r.output
