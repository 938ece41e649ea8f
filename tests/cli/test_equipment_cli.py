"""``lingtan equipment add|list|efficiency|plan|plans|order|zone|schedule`` end to end on
SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from lingtan.cli import app
from tests.conftest import SMALL_PARK

runner = CliRunner()
PARK = (
    SMALL_PARK
    + """\
  - id: LT-road-1
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
"""
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINGTAN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COLUMNS", "300")
    park = tmp_path / "park.yaml"
    park.write_text(PARK, encoding="utf-8")
    assert runner.invoke(app, ["init", "--park", str(park)]).exit_code == 0
    return tmp_path


def _ok(args: list[str], code: int = 0) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    return result.output


def test_register_grade_inspect_and_light(env: Path) -> None:
    items = env / "equipment.yaml"
    items.write_text(
        """\
equipment:
  - {code: M-1, name: 循环泵电机, type: motor, power_point: E01-hvac,
     rated: {rated_kw: 0.75, poles: 4, efficiency_pct: 82.49}}
  - {code: M-2, name: 风机电机, type: motor, rated: {rated_kw: 0.75, poles: 4, efficiency_pct: 88.2},
     power_point: E01-main}
""",
        encoding="utf-8",
    )
    out = _ok(["equipment", "add", str(items), "--enterprise", "E01"])
    assert "M-1: graded below_3" in out and "M-2: graded 1" in out
    bad = env / "bad.yaml"
    bad.write_text("{code: X, name: x, type: motor, rated: {rated_kw: 1, poles: 5, "
                   "efficiency_pct: 90}}\n", encoding="utf-8")  # fmt: skip
    err = runner.invoke(app, ["equipment", "add", str(bad)])
    assert err.exit_code == 2 and "rated.poles" in err.output
    assert "M-1" in _ok(["equipment", "efficiency", "2025"])
    xlsx = env / "list.xlsx"
    _ok(["equipment", "efficiency", "2025", "--out", str(xlsx)])
    wb = load_workbook(xlsx)
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value)
    assert "设备能效清单" in text and "GB 18613-2020" in text and "低于3级" in text
    _ok(["equipment", "efficiency", "2025", "--out", str(xlsx), "--lang", "en"])
    wb = load_workbook(xlsx)
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value)
    assert "Equipment efficiency list" in text
    plan = env / "plan.yaml"
    plan.write_text("{code: CAL-1, name: 主表检定, kind: meter_calibration, point: E01-main, "
                    "interval_months: 12, first_due: '2025-03-01'}\n", encoding="utf-8")  # fmt: skip
    assert "next due 2025-03-01" in _ok(["equipment", "plan", str(plan), "--enterprise", "E01"])
    out = _ok(["equipment", "plans", "--on", "2025-03-04"])
    assert "CAL-1" in out and "3" in out
    assert "done" in _ok(["equipment", "order", "CAL-1", "--done", "2025-03-03"])
    assert "2026-03-03" in _ok(["equipment", "plans", "--on", "2025-03-04"])
    zone = env / "zone.yaml"
    zone.write_text("{code: RD-1, name: 主干道, kind: road, circuits: [LT-road-1], "
                    "latitude: 31.3, longitude: 120.6}\n", encoding="utf-8")  # fmt: skip
    _ok(["equipment", "zone", str(zone)])
    out = _ok(["equipment", "schedule", "RD-1", "2025-01-15"])
    assert "LT-road-1" in out and "sunset" in out
    # no control section: nothing is written, the command says why
    err = runner.invoke(app, ["equipment", "light", "RD-1", "--dry-run"])
    assert err.exit_code == 2 and "control" in err.output
    # a gateway nobody listens on: the write ends ``unavailable``, is stored and listed
    zone.write_text("{code: RD-2, name: 支路, kind: road, circuits: [LT-road-1], "
                    "latitude: 31.3, longitude: 120.6, control: {gateways: [{code: GW, "
                    "host: 127.0.0.1, port: 1, timeout_s: 1}], devices: [{device: LT-road-1, "
                    "gateway: GW, unit: 1, retries: 0, setpoint: {address: 40}}]}}\n",
                    encoding="utf-8")  # fmt: skip
    _ok(["equipment", "zone", str(zone)])
    out = _ok(["equipment", "light", "RD-2", "--at", "2025-01-16T12:00:00+08:00"])
    assert '"unavailable"' in out
    out = _ok(["equipment", "light-writes", "RD-2"])
    assert "LT-road-1" in out and "unavailable" in out and "off: sunrise" in out
