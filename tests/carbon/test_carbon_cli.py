"""``lingtan account`` through typer's CliRunner, including error exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lingtan.cli.account import register

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "park-activity-2023.yaml"
runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Root (keeps ``account`` a sub-command even when it is the only one)."""

    register(app)
    return app


def test_account_json_has_the_issue_keys() -> None:
    """--json prints basis, year, emissions by term, energy, intensity, scope 2, offsets, factors."""
    result = runner.invoke(_app(), ["account", "--input", str(EXAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in (
        "basis",
        "year",
        "emissions_tco2",
        "energy_tce",
        "intensity_tco2_per_tce",
        "scope2_location_tco2",
        "scope2_market_tco2",
        "offsets_tco2",
        "factors",
        "electricity_conversion",
    ):
        assert key in data
    assert set(data["emissions_tco2"]) >= {
        "fuel",
        "conversion",
        "electricity",
        "heat",
        "process",
        "bunker",
        "total",
    }
    assert all({"id", "source"} <= set(f) for f in data["factors"])
    assert "explain" not in data


def test_account_json_explain_and_enterprise_basis() -> None:
    """--explain adds one line per term; --basis enterprise fills both scope 2 figures."""
    result = runner.invoke(
        _app(), ["account", "--input", str(EXAMPLE), "--json", "--explain", "--basis", "enterprise"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["basis"] == "enterprise"
    assert data["scope2_location_tco2"] > data["scope2_market_tco2"] > 0
    assert any(line["term"] == "scope2_market" and "×" in line["text"] for line in data["explain"])


@pytest.mark.parametrize(
    ("lang", "marker"), [("zh", "单位能耗碳排放"), ("en", "carbon intensity of energy")]
)
def test_account_table_in_both_languages(lang: str, marker: str) -> None:
    """The readable table is zh-CN by default and English with --lang en; it names the conversion."""
    result = runner.invoke(
        _app(), ["account", "--input", str(EXAMPLE), "--lang", lang, "--explain"]
    )
    assert result.exit_code == 0, result.output
    assert marker in result.output
    assert ("当量值" if lang == "zh" else "equivalent value") in result.output


def test_account_errors_exit_non_zero(tmp_path: Path) -> None:
    """Invalid files exit 2 naming the field; a missing file exits 3; a bad option exits 2."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "boundary: park\nname: x\nyear: 2023\nprovince: 江苏\n"
        "electricity: {received: [{kind: grid, kwh: 1}, {kind: green_certified, kwh: 2}]}\n",
        encoding="utf-8",
    )
    result = runner.invoke(_app(), ["account", "--input", str(bad)])
    assert result.exit_code == 2
    assert "electricity.received" in result.output
    result = runner.invoke(_app(), ["account", "--input", str(tmp_path / "none.yaml")])
    assert result.exit_code == 3
    result = runner.invoke(_app(), ["account", "--input", str(EXAMPLE), "--basis", "city"])
    assert result.exit_code == 2


def test_account_equal_value_without_a_factor_file() -> None:
    """--electricity-conversion equal_value works with the shipped records alone: the example's
    data year is 2023, the latest 供电标准煤耗 shipped is 2022's 300.7 gce/kWh (中电联), named in
    the notes. Electricity counted (80 000 000 + 45 000 000 − 2 000 000) kWh × 300.7 g
    = 36 986.1 tce; with natural gas 3 724, diesel 174.852, measured diesel 73.1907053 and heat
    6 824 tce (docs/activity-file.md) the energy is 47 782.1427053 tce."""
    result = runner.invoke(
        _app(),
        ["account", "--input", str(EXAMPLE), "--electricity-conversion", "equal_value", "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (record,) = [f for f in data["factors"] if f["id"] == "tce.cec.power_supply_coal.2022"]
    assert (record["value"], record["unit"], record["year"]) == (300.7, "gce/kWh", 2022)
    assert data["energy_parts"]["electricity_tce"] == pytest.approx(36_986.1)
    assert data["energy_tce"] == pytest.approx(47_782.1427053)
    assert any("data year 2022 used for 2023" in note for note in data["notes"])


def test_account_extra_factor_file(tmp_path: Path) -> None:
    """--factors appends a user 等价值 record; the result names it as unverified."""
    factors = tmp_path / "f.yaml"
    factors.write_text(
        "records:\n  - {id: user.eq.2023, kind: standard_coal, key: electricity, value: 0.3,\n"
        "     unit: kgce/kWh, year: 2023, scope: national, region: 全国, basis: equal_value,\n"
        "     source: 用户提供, url: null, url_note: test, confidence: U, verified: false}\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        _app(),
        [
            "account",
            "--input",
            str(EXAMPLE),
            "--json",
            "--factors",
            str(factors),
            "--electricity-conversion",
            "equal_value",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "user.eq.2023" in data["unverified_factors"]
    assert data["electricity_conversion"] == "equal_value"


def test_account_enterprise_table_prints_both_totals(tmp_path: Path) -> None:
    """GB/T 32150: the table prints the total under market-based scope 2 beside the location
    total (江苏 2023; worked in test_carbon_inventory.py: 850.6488809 and 633.7088809 tCO2)."""
    doc = tmp_path / "e.yaml"
    doc.write_text(
        "boundary: enterprise\nname: E\nyear: 2023\nprovince: 江苏\n"
        "fuels: [{fuel: natural_gas, use: terminal, amount: 100000, unit: m3}]\n"
        "electricity:\n  received: [{kind: grid, kwh: 1000000}, {kind: green_certified, "
        "kwh: 400000}, {kind: direct_non_fossil, kwh: 200000}]\n"
        "  sent: [{kind: fossil, kwh: 100000}]\n"
        "heat: {received: [{kind: fossil, gj: 1000}]}\n",
        encoding="utf-8",
    )
    for lang, name in (("zh", "排放总量（范围二基于市场）"), ("en", "total with market-based")):
        result = runner.invoke(_app(), ["account", "--input", str(doc), "--lang", lang])
        assert result.exit_code == 0, result.output
        assert name in result.output
        assert "633.7089 tCO2" in result.output and "850.6489 tCO2" in result.output


def test_account_steel_fuels_file() -> None:
    """An activity file with converter gas and the other steel-park fuels accounts (exit 0)."""
    steel = Path(__file__).parent / "data" / "steel-park-2023.yaml"
    result = runner.invoke(_app(), ["account", "--input", str(steel), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["emissions_tco2"]["fuel"] == pytest.approx(4420.8048904)
