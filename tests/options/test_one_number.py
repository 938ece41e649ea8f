"""One number, one truth: the demo year through the CLI, the API, the dashboard's overview and
the park report gives the same park emissions and 单位能耗碳排放, because every path reads the
park's one stored options version — and all of them move together when the options change."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from lingtan.api import create_app
from lingtan.cli import app as cli_app
from lingtan.config import Settings
from lingtan.demo.run import run
from lingtan.identity import service as identity
from lingtan.identity.roles import SYSTEM
from lingtan.store import Store

runner = CliRunner()


def _cli(args: list[str], url: str) -> str:
    result = runner.invoke(cli_app, args, env={"LINGTAN_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return result.output


def _summary(xlsx: bytes) -> dict[str, object]:
    """Label → value of the park report's summary block (first sheet, columns A and B)."""
    ws = load_workbook(io.BytesIO(xlsx)).worksheets[0]
    return {
        str(row[0].value): row[1].value
        for row in ws.iter_rows(min_col=1, max_col=2)
        if row[0].value is not None
    }


def _every_path(store: Store, client: TestClient, headers: dict[str, str], tmp: Path) -> dict:
    """(total tCO2, intensity, options version) by path."""
    url = store.url
    out: dict[str, tuple[float, float, int]] = {}
    cli = json.loads(_cli(["account", "--park", "--year", "2025", "--json", "--no-save"], url))
    out["cli account"] = (
        cli["emissions_tco2"]["total"],
        cli["intensity_tco2_per_tce"],
        cli["park_options"]["park_options_version"],
    )
    ev = json.loads(_cli(["indicators", "--year", "2025", "--json"], url))
    core = next(i for i in ev["indicators"] if i["id"] == "carbon_per_energy")
    out["cli indicators"] = (
        core["inputs"]["emissions_tco2"],
        core["value"],
        core["options"]["park_options_version"],
    )
    api = client.get("/api/v1/accounting/park", params={"year": 2025}, headers=headers).json()
    out["api accounting"] = (
        api["emissions_tco2"]["total"],
        api["intensity_tco2_per_tce"],
        api["park_options"]["park_options_version"],
    )
    ind = client.get("/api/v1/indicators", params={"year": 2025}, headers=headers).json()
    core = next(i for i in ind["indicators"] if i["id"] == "carbon_per_energy")
    out["api indicators"] = (
        core["inputs"]["emissions_tco2"],
        core["value"],
        core["options"]["park_options_version"],
    )
    overview = client.get("/api/v1/overview", headers=headers).json()  # as of the last data day
    assert overview["as_of"].startswith("2025-"), overview
    year = overview["carbon"]["year"]
    out["dashboard overview"] = (
        year["total_tco2"],
        year["intensity_tco2_per_tce"],
        year["park_options_version"],
    )
    report = tmp / "park.xlsx"
    _cli(["report", "park", "--year", "2025", "--out", str(report)], url)
    summary = _summary(report.read_bytes())
    version = str(summary["核算选项"])
    out["report"] = (
        float(summary["E园区 tCO2"]),  # type: ignore[arg-type]
        float(summary["单位能耗碳排放 tCO2/tce"]),  # type: ignore[arg-type]
        int(version.removeprefix("园区选项第 ").split(" ")[0]),
    )
    return out


def _same(values: dict[str, tuple[float, float, int]]) -> tuple[float, float, int]:
    first = next(iter(values.values()))
    for path, v in values.items():
        assert v[0] == pytest.approx(first[0], rel=1e-12), (path, values)
        assert v[1] == pytest.approx(first[1], rel=1e-12), (path, values)
        assert v[2] == first[2], (path, values)
    return first


@pytest.mark.slow
def test_the_demo_year_is_one_number_on_every_path(store: Store, tmp_path: Path) -> None:
    run(store, months=2, enterprises=4)
    identity.create_user(
        store, actor=SYSTEM, username="admin", password="correct horse battery",
        role="park_admin",
    )  # fmt: skip
    app = create_app(Settings(environment="test", database_url=store.url), store=store)
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": "admin", "password": "correct horse battery"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        before = _same(_every_path(store, client, headers, tmp_path))
        assert before[2] == 0  # the defaults: nothing stored yet
        # the demo park's battery sends electricity out after sunset: counting every exported
        # kWh as non-fossil (nothing deducted) must raise the emissions on every path at once
        r = client.put(
            "/api/v1/options",
            json={"changes": {"export_kind": "non_fossil"}, "reason": "test"},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        assert r.json()["version"] == 1
        after = _same(_every_path(store, client, headers, tmp_path))
        assert after[2] == 1
        assert after[0] > before[0]
        # the enterprise report names the version too
        out = tmp_path / "e01.xlsx"
        _cli(
            ["report", "enterprise", "--enterprise", "E01", "--year", "2025", "--out", str(out)],
            store.url,
        )
        assert str(_summary(out.read_bytes())["核算选项"]).startswith("园区选项第 1 版")
