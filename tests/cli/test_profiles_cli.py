"""``lingtan profiles store|list|show``: a park's own indicator profile stored from a file,
validated as the API validates it (errors name the line), versioned, and read back."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lingtan.cli import app as cli_app
from lingtan.registry.parkfile import parse_park_text
from lingtan.store import open_store
from tests.conftest import SMALL_PARK
from tests.indicators.test_profiles import GOOD

runner = CliRunner()


def test_store_list_show_and_a_refused_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    with open_store(url) as store:
        store.registry.save_park(parse_park_text(SMALL_PARK))
    env = {"LINGTAN_DATABASE_URL": url, "COLUMNS": "200"}
    f = tmp_path / "my-park.yaml"
    f.write_text(GOOD, encoding="utf-8")

    ok = runner.invoke(cli_app, ["profiles", "store", str(f), "--reason", "方案 v1"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "my-park" in ok.output and "version 1" in ok.output

    # the same version again: a revision is a new version (Conflict), nothing stored
    again = runner.invoke(cli_app, ["profiles", "store", str(f)], env=env)
    assert again.exit_code != 0 and "version: 2 or later" in again.output

    # a definition over an unknown quantity: the error names the file's line 17
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("energy_tce\n", "fuel_tce\n"), encoding="utf-8")
    refused = runner.invoke(cli_app, ["profiles", "store", str(bad), "--id", "my-park"], env=env)
    assert refused.exit_code != 0 and "my-park.yaml:17:" in refused.output

    v2 = tmp_path / "v2.yaml"
    v2.write_text(GOOD.replace("version: 1", "version: 2"), encoding="utf-8")
    ok2 = runner.invoke(
        cli_app, ["profiles", "store", str(v2), "--id", "my-park", "--json"], env=env
    )
    assert ok2.exit_code == 0, ok2.output
    assert json.loads(ok2.output)["stored"]["version"] == 2

    listed = json.loads(runner.invoke(cli_app, ["profiles", "list", "--json"], env=env).output)
    mine = [r for r in listed if r["stored"] is not None]
    assert [(r["id"], r["version"], r["stored"]["reason"]) for r in mine] == [("my-park", 2, None)]
    assert "national" in {r["id"] for r in listed if r["stored"] is None}

    shown = json.loads(runner.invoke(cli_app, ["profiles", "show", "my-park"], env=env).output)
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    assert shown["versions"][0]["reason"] == "方案 v1"
    text = runner.invoke(
        cli_app, ["profiles", "show", "my-park", "--version", "1", "--yaml"], env=env
    ).output
    assert text == GOOD
