"""Chinese command-line output names things: no record ids, codes or English sentences in
``lingtan indicators`` and ``lingtan account`` (zh, the default)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from lingtan.cli import app as cli_app
from lingtan.demo.run import run
from lingtan.store import open_store
from tests.web.test_zh_wording import problems

runner = CliRunner()


def test_indicators_and_account_speak_chinese(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'zh.db'}"
    with open_store(url) as store:
        run(store, months=1, enterprises=3)
        typed = {p.code for p in store.registry.points_by_code().values()}
        park = store.registry.park()
        typed |= {park.code, park.name} | {e.code for e in store.registry.enterprises(park.id)}
    env = {"LINGTAN_DATABASE_URL": url, "COLUMNS": "400"}
    for args in (
        ["indicators", "--year", "2025"],
        ["account", "--park", "--year", "2025", "--no-save", "--explain"],
    ):
        result = runner.invoke(cli_app, args, env=env)
        assert result.exit_code == 0, result.output
        found = [p for line in result.output.splitlines() for p in problems(line, frozenset(typed))]
        assert not found, (args, found)
