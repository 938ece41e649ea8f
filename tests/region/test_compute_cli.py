"""``lingtan region-compute restate|results`` end to end: park aggregate files → a local
cluster of one worker process → stored results; a bad file is refused naming itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from lingtan.cli import app

runner = CliRunner()
GRID = "electricity_grid_import"


def write_park(folder: Path, code: str, kwh_per_hour: float) -> None:
    meta = {
        "park": code,
        "name": f"园区 {code}",
        "province": "江苏",
        "year": 2024,
        "start": "2024-01-01T00:00:00+08:00",
        "units": {GRID: "kWh"},
    }
    arrays: dict[str, Any] = {
        "meta": np.array(json.dumps(meta, ensure_ascii=False)),
        f"|{GRID}": np.full(48, kwh_per_hour),
        f"E1|{GRID}": np.full((2, 48), kwh_per_hour),
    }
    np.savez(folder / f"{code}.npz", **arrays)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINGTAN_DATABASE_URL", f"sqlite:///{tmp_path / 'region.db'}")
    (tmp_path / "parks").mkdir()
    return tmp_path


def test_restate_stores_once_and_lists(env: Path) -> None:
    write_park(env / "parks", "P1", 1.0)
    write_park(env / "parks", "P2", 2.0)
    args = ["region-compute", "restate", "--aggregates", str(env / "parks"), "--workers", "1"]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    # P2: 48 h × (2 + 2 × 2) kWh = 288 kWh × 0.8325 kgCO2/kWh (附件4) = 239.76 kg = 0.240 t
    assert "0.240" in out.output
    assert "stored 2" in out.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "stored 0, already stored 2" in again.output
    listed = runner.invoke(app, ["region-compute", "results", "--kind", "restate", "--json"])
    rows = json.loads(listed.output)
    assert sorted(r["park"] for r in rows) == ["P1", "P2"]
    p1 = next(r for r in rows if r["park"] == "P1")
    # P1: 48 h × 3 kWh = 144 kWh × 0.8325 kgCO2/kWh = 119.88 kg
    assert p1["result"]["park_inventory"]["emissions_tco2"]["total"] == pytest.approx(0.11988)


def test_a_bad_file_is_named(env: Path) -> None:
    (env / "parks" / "broken.npz").write_bytes(b"not an npz")
    out = runner.invoke(app, ["region-compute", "restate", "--aggregates", str(env / "parks")])
    assert out.exit_code != 0 and "broken.npz" in out.output


def test_a_file_without_meta_or_with_a_bad_entry_is_refused(env: Path) -> None:
    from lingtan.cli.region_compute import read_park
    from lingtan.errors import InvalidInput

    arrays: dict[str, Any] = {f"|{GRID}": np.ones(3)}
    np.savez(env / "nometa.npz", **arrays)
    with pytest.raises(InvalidInput, match="no 'meta'"):
        read_park(env / "nometa.npz")
    write_park(env, "P3", 1.0)
    with np.load(env / "P3.npz") as data:
        arrays = {k: data[k] for k in data.files}  # the valid meta of P3
    np.savez(env / "bad.npz", meta=arrays["meta"], grid=np.ones(48))
    with pytest.raises(InvalidInput, match=r"'grid' is not ENTERPRISE\|CARRIER"):
        read_park(env / "bad.npz")
