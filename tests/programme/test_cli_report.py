"""``lingtan programme`` on the golden park, and the plan workbook in zh-CN and English."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.store import open_store
from tests.indicators.golden_park import load

runner = CliRunner()


def test_plan_measure_verify_progress_and_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with open_store(url) as store:
        load(store)
    monkeypatch.setenv("LINGTAN_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({
        "enterprise": "A", "year": 2025, "title": "甲企业节能计划",
        "targets": {"energy_tce_max": 240, "savings_tce": 1},
    }, allow_unicode=True), "utf-8")  # fmt: skip
    r = runner.invoke(app, ["programme", "add-plan", str(plan)])
    assert r.exit_code == 0, r.output
    plan_id = int(r.output.split()[1].split("：")[0])
    measure = tmp_path / "m.yaml"
    base = [{"period": f"2024-{k:02d}", "energy": 10_000 + 400 * o, "drivers": {"output": o}}
            for k, o in enumerate((50, 60, 70, 80), 1)]  # fmt: skip
    measure.write_text(yaml.safe_dump({
        "plan_id": plan_id, "code": "M1", "name": "电机变频", "owner": "李工",
        "schedule": {"start": "2024-10-01", "end": "2024-12-31"}, "points": ["A-line"],
        "expected_tce": 0.5,
        "verification": {"drivers": ["output"], "baseline": base,
                         "reporting": [{"period": "2025-01", "drivers": {"output": 100}}],
                         "tce_factor": {"value": 0.0001229, "unit": "tce/kWh",
                                        "record": "GB/T 2589-2020"}},
    }, allow_unicode=True), "utf-8")  # fmt: skip
    r = runner.invoke(app, ["programme", "add-measure", str(measure)])
    assert r.exit_code == 0, r.output
    measure_id = int(r.output.split()[1].split("：")[0])
    r = runner.invoke(app, ["programme", "verify", str(measure_id), "--json"])
    assert r.exit_code == 0, r.output
    # output 100 → 10 000 + 40 000 = 50 000 kWh adjusted; A-line metered 60 × 744 = 44 640
    assert json.loads(r.output)["verification"]["savings"] == pytest.approx(5360)
    out = tmp_path / "plan.xlsx"
    r = runner.invoke(app, ["programme", "progress", str(plan_id), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "符合进度" in r.output  # energy 15.087204 ≤ 240 / 12 = 20
    book = load_workbook(io.BytesIO(out.read_bytes()))
    assert book.sheetnames == ["计划", "月度进度", "节能措施"]
    rows = list(book["计划"].iter_rows(values_only=True))
    energy = next(x for x in rows if x[0] == "能源消费总量上限")
    assert energy[3] == pytest.approx(15.087204) and energy[7] == "符合进度"
    saving = next(x for x in rows if x[0] == "节能量目标")
    # 5 360 × 0.0001229 = 0.658744 tce < 1 → off track
    assert saving[3] == pytest.approx(0.658744) and saving[7] == "未达进度"
    months = list(book["月度进度"].iter_rows(values_only=True))
    assert months[1][1] == pytest.approx(15.087204) and months[2][1] == "无数据"
    measures = list(book["节能措施"].iter_rows(values_only=True))
    assert measures[1][0] == "M1" and measures[1][7] == pytest.approx(5360)
    en = tmp_path / "plan-en.xlsx"
    r = runner.invoke(app, ["programme", "progress", str(plan_id), "--out", str(en),
                            "--lang", "en"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert load_workbook(io.BytesIO(en.read_bytes())).sheetnames == [
        "Plan",
        "Monthly progress",
        "Measures",
    ]
    rec = tmp_path / "r.yaml"
    rec.write_text(yaml.safe_dump({
        "enterprise": "A", "kind": "significant_use", "title": "生产线", "body": {"name": "生产线"},
        "cites": {"points": ["A-line"], "period_start": "2025-01-01", "period_end": "2025-01-31"},
    }, allow_unicode=True), "utf-8")  # fmt: skip
    r = runner.invoke(app, ["programme", "add-record", str(rec)])
    assert r.exit_code == 0, r.output
    record_id = int(r.output.split()[1].split("：")[0])
    r = runner.invoke(app, ["programme", "record", str(record_id)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["result"]["cited_kwh"] == pytest.approx(44_640)  # 60 × 744
    r = runner.invoke(app, ["programme", "records"])
    assert r.exit_code == 0 and "生产线" in r.output
    r = runner.invoke(app, ["programme", "standards"])
    assert r.exit_code == 0 and "GB/T 28750-2012" in r.output


def test_bad_document_names_the_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with open_store(url) as store:
        load(store)
    monkeypatch.setenv("LINGTAN_DATABASE_URL", url)
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({"year": 2025, "title": "x", "targets": {"savings_tce": -1}}))
    r = runner.invoke(app, ["programme", "add-plan", str(plan)])
    assert r.exit_code != 0
    assert "targets.savings_tce" in r.output
