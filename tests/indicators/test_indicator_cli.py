"""``lingtan indicators``, ``lingtan records`` and ``lingtan report`` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from lingtan.cli import indicators as cli_indicators
from lingtan.cli import report as cli_report
from lingtan.store import open_store
from tests.indicators.golden_park import load

runner = CliRunner()
DATA = Path(__file__).parent / "data"


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Root."""

    cli_indicators.register(app)
    cli_report.register(app)
    return app


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    with open_store(url) as store:
        load(store)
    monkeypatch.setenv("LINGTAN_DATABASE_URL", url)
    return url


def test_indicators_json_lists_the_six_indicators(db: str) -> None:
    result = runner.invoke(_app(), ["indicators", "--year", "2025", "--month", "1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [i["id"] for i in data["indicators"]] == [
        "carbon_per_energy",
        "clean_energy_share",
        "product_unit_energy",
        "solid_waste_utilisation",
        "waste_heat_utilisation",
        "water_reuse",
    ]
    core = data["indicators"][0]
    assert core["name_zh"] == "单位能耗碳排放" and core["unit"] == "tCO2/tce"
    assert core["options"]["electricity_conversion"] == "equivalent"
    assert data["indicators"][4]["status"] == "not_assessable"  # no waste heat records yet


def test_records_import_then_indicators_use_them(db: str, tmp_path: Path) -> None:
    csv = tmp_path / "heat.csv"
    csv.write_text(
        "企业,类别,项目,期间,数量,单位,来源文件\nB,waste_heat,available,2025-01,400,GJ,余热台账\n"
        "B,waste_heat,utilised,2025-01,220,GJ,余热台账\n",
        encoding="utf-8",
    )
    imported = runner.invoke(_app(), ["records", "import", str(csv), "--by", "张三"])
    assert imported.exit_code == 0, imported.output
    assert "2 created" in imported.output
    listed = runner.invoke(_app(), ["records", "list", "--category", "waste_heat", "--json"])
    rows = json.loads(listed.output)["records"]
    assert [(r["item"], r["entered_by"]) for r in rows] == [
        ("available", "张三"),
        ("utilised", "张三"),
    ]
    corrected = runner.invoke(
        _app(),
        [
            "records",
            "correct",
            str(rows[1]["id"]),
            "--quantity",
            "240",
            "--source",
            "余热台账（更正）",
            "--by",
            "李四",
        ],
    )
    assert corrected.exit_code == 0, corrected.output
    history = runner.invoke(_app(), ["records", "history", str(rows[1]["id"]), "--json"])
    assert [r["quantity"] for r in json.loads(history.output)["records"]] == [220.0, 240.0]
    result = runner.invoke(
        _app(), ["indicators", "--year", "2025", "--month", "1", "--json", "--lang", "en"]
    )
    heat = json.loads(result.output)["indicators"][4]
    assert heat["value"] == pytest.approx(240 / 400) and heat["status"] == "meets"


def test_indicators_table_and_ranking(db: str) -> None:
    table = runner.invoke(
        _app(),
        [
            "indicators",
            "--year",
            "2025",
            "--month",
            "1",
            "--targets",
            str(DATA / "park_plan_golden.yaml"),
        ],
    )
    assert table.exit_code == 0, table.output
    assert "单位能耗碳排放" in table.output and "达标" in table.output
    ranked = runner.invoke(
        _app(), ["indicators", "--year", "2025", "--month", "1", "--rank", "--json"]
    )
    assert [r["code"] for r in json.loads(ranked.output)["ranking"]] == ["B", "A"]


def test_report_command_writes_excel_and_html(db: str, tmp_path: Path) -> None:
    out = tmp_path / "energy.xlsx"
    result = runner.invoke(
        _app(), ["report", "energy", "--year", "2025", "--month", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "t_carriers" in load_workbook(out).defined_names
    page = tmp_path / "ent.html"
    result = runner.invoke(
        _app(),
        [
            "report",
            "enterprise",
            "--year",
            "2025",
            "--month",
            "1",
            "--enterprise",
            "B",
            "--out",
            str(page),
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "greenhouse gas inventory" in page.read_text("utf-8")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["report", "energy", "--year", "2025", "--out", "x.pdf"], 2),
        (["report", "enterprise", "--year", "2025", "--out", "x.xlsx"], 2),
        (["report", "energy", "--year", "2025", "--enterprise", "Z", "--out", "x.xlsx"], 3),
        (["indicators", "--year", "2025", "--ytd"], 2),
        (["indicators", "--year", "2025", "--targets", "atlantis"], 3),
    ],
)
def test_errors_exit_with_their_codes(db: str, args: list[str], code: int) -> None:
    result = runner.invoke(_app(), args)
    assert result.exit_code == code, result.output


def test_indicators_equal_value_on_a_fresh_store(db: str) -> None:
    """``--conversion equal_value`` needs no factor file: January 2025 takes the latest shipped
    供电标准煤耗, 2022's 300.7 gce/kWh (中电联), and says so. Denominator: electricity
    (223 200 + 37 200 + 14 880 − 3 720) = 271 560 kWh × 300.7 g = 81.658092 tce; natural gas
    22 320 m³ × 1.3300 kgce/m³ = 29.6856 tce; steam 1 488 GJ × 0.03412 = 50.77056 tce; total
    162.114252 tce (data/README.md)."""
    result = runner.invoke(
        _app(),
        ["indicators", "--year", "2025", "--month", "1", "--conversion", "equal_value", "--json"],
    )
    assert result.exit_code == 0, result.output
    core = json.loads(result.output)["indicators"][0]
    assert core["options"]["electricity_conversion"] == "equal_value"
    assert core["inputs"]["energy_tce"] == pytest.approx(162.114252)
    (record,) = [e for e in core["evidence"] if e.get("id") == "tce.cec.power_supply_coal.2022"]
    assert (record["value"], record["unit"], record["year"]) == (300.7, "gce/kWh", 2022)
    notes = [e["text"] for e in core["evidence"] if e["kind"] == "note"]
    assert any("data year 2022 used for 2025" in n for n in notes)


def test_account_park_equal_value_on_a_fresh_store(db: str) -> None:
    """``lingtan account --park --electricity-conversion equal_value`` on the golden park with
    no factor file: the same 162.114252 tce as the indicator's denominator, from the shipped
    2022 record."""
    from lingtan.cli import account as cli_account

    app = _app()
    cli_account.register(app)
    result = runner.invoke(
        app,
        [
            "account",
            "--park",
            "--year",
            "2025",
            "--month",
            "1",
            "--electricity-conversion",
            "equal_value",
            "--json",
            "--no-save",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["energy_tce"] == pytest.approx(162.114252)
    assert "tce.cec.power_supply_coal.2022" in [f["id"] for f in data["factors"]]
