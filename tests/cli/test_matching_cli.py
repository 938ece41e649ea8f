"""``lingtan matching import-grid-factors|run|show`` end to end on SQLite (the hand-made park
of tests/accounting/parks.py): a bad CSV is refused naming its line; the imported series is
the basis of the hours it covers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.store import open_store
from tests.accounting.parks import load_january

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LINGTAN_DATABASE_URL", url)
    with open_store(url) as store:
        load_january(store)
    return tmp_path


def test_import_then_run(env: Path) -> None:
    bad = env / "bad.csv"
    bad.write_text("hour,value\n2025-01-01T00:00:00+08:00,0.9\n2025-01-01T05:00:00+08:00,1\n")
    args = ["--id", "js.test.2025", "--region", "江苏", "--year", "2025",
            "--source", "synthetic test series", "--confidence", "L"]  # fmt: skip
    out = runner.invoke(app, ["matching", "import-grid-factors", str(bad), *args])
    assert out.exit_code != 0 and "line 3" in out.output
    good = env / "good.csv"
    good.write_text("hour,value\n2025-01-01T00:00:00+08:00,0.9\n2025-01-01T01:00:00+08:00,0.1\n")
    out = runner.invoke(app, ["matching", "import-grid-factors", str(good), *args])
    assert out.exit_code != 0 and "url_note" in out.output
    args += ["--url-note", "synthetic values for a test"]
    out = runner.invoke(app, ["matching", "import-grid-factors", str(good), *args])
    assert out.exit_code == 0, out.output
    assert "2 hours" in out.output
    out = runner.invoke(app, ["matching", "run", "--year", "2025", "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output[out.output.index("{") :])
    assert report["factors"]["location_and_hourly"]["hours_hourly"] == 2
    # 660 of 3 860 kWh matched (hand balance in tests/greenpower/test_matching_service.py)
    assert report["park_total"]["cfe_hourly"] == pytest.approx(660 / 3860)
    out = runner.invoke(app, ["matching", "show", "--year", "2025", "--enterprise", "E01"])
    assert out.exit_code == 0, out.output
    assert "missing_input" in out.output and "E01 2025" in out.output
    # January: 1.6 MWh consumed, and 31.2 % self-consumed direct supply (500 / 1 600 kWh)
    assert "1.6" in out.output and "31.2 %" in out.output


def test_store_list_and_compare_runs(env: Path) -> None:
    out = runner.invoke(app, ["matching", "store", "--year", "2025", "--note", "published"])
    assert out.exit_code == 0, out.output
    assert "run 1 stored" in out.output
    out = runner.invoke(app, ["matching", "store", "--year", "2025"])
    assert out.exit_code == 0 and "superseded [1]" in out.output, out.output
    out = runner.invoke(app, ["matching", "runs"])
    assert out.exit_code == 0 and "superseded" in out.output and "published" in out.output
    out = runner.invoke(app, ["matching", "compare", "1", "--json"])
    assert out.exit_code == 0, out.output
    diff = json.loads(out.output[out.output.index("{") :])
    assert diff["inputs_changed"] == []
    out = runner.invoke(app, ["matching", "compare", "99"])
    assert out.exit_code != 0 and "99" in out.output
