"""The stored documents, the tenant scope, the CLI: a handful of small checks."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from lingtan.cli import app


def test_cli_accounts_a_document_and_writes_the_report(
    tmp_path: Path, smelter: dict[str, Any]
) -> None:
    doc = tmp_path / "smelter.json"
    doc.write_text(json.dumps(smelter, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(app, ["ghg", "account", str(doc), "--xlsx", str(out)])
    assert result.exit_code == 0, result.output
    # zh-CN by default: the status worded (ghg_coverage.covered), the English one not printed
    assert "重点排放单位判定：纳入（重点排放单位）" in result.output
    assert "covered-unit test" not in result.output
    english = CliRunner().invoke(app, ["ghg", "account", str(doc), "--lang", "en"])
    assert "covered-unit test: covered (key emitting unit)" in english.output
    wb = load_workbook(io.BytesIO(out.read_bytes()))
    assert wb["表2 排放量汇总"]["B1"].value == pytest.approx(173_107.066)


def test_cli_refuses_an_unknown_cn_code(tmp_path: Path) -> None:
    f = tmp_path / "inst.yaml"
    f.write_text(
        "name: x\nyear: 2026\nprocesses:\n- {id: p, cn_code: '9999 99 99', output: 1}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["ghg", "cbam", str(f)])
    assert result.exit_code != 0
    assert "processes.0.cn_code" in result.output


@pytest.fixture
def park_store(sqlite_url: str, small_park: Any) -> Any:
    """The small park on SQLite (the GHG queries are plain SQL: one dialect suffices)."""
    from lingtan.store import open_store

    s = open_store(sqlite_url)
    s.registry.save_park(small_park)
    try:
        yield s
    finally:
        s.close()


def test_documents_are_tenant_scoped_and_audited(park_store: Any, smelter: dict[str, Any]) -> None:
    from lingtan.errors import NotFound
    from lingtan.ghg import service
    from lingtan.identity.roles import SYSTEM, Role
    from lingtan.store.query_repo import QueryRepo
    from tests.waste.conftest import enterprise_admin

    e01 = enterprise_admin(park_store, "E01")
    e02 = enterprise_admin(park_store, "E02")
    stored = service.submit(park_store, principal=e01, enterprise_id=None, document=smelter)
    # E02 sees nothing of E01's, and naming E01 is the same NotFound as naming nothing
    assert service.documents(park_store, principal=e02, year=2025, enterprise_id=None) == []
    with pytest.raises(NotFound):
        service.result(park_store, principal=e02, enterprise_id=e01.enterprise_id, year=2025)
    # the park sees E01's covered-unit test
    covered = service.covered_units(park_store, principal=SYSTEM, year=2025)
    assert [(c["enterprise_id"], c["status"]) for c in covered] == [(e01.enterprise_id, "covered")]
    _, result = service.result(park_store, principal=e01, enterprise_id=None, year=2025)
    assert result.market().value == pytest.approx(173_107.066)
    viewer = enterprise_admin(park_store, "E01", Role.ENTERPRISE_VIEWER)
    from lingtan.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        service.submit(park_store, principal=viewer, enterprise_id=None, document=smelter)
    # the enterprise report's section 8 reads the same document in force
    from lingtan.reports.service import _ghg_result

    park_id = park_store.registry.park().id
    in_force = _ghg_result(park_store, park_id, e01.enterprise_id, 2025)
    assert in_force is not None and in_force.market().value == pytest.approx(173_107.066)
    assert _ghg_result(park_store, park_id, e02.enterprise_id, 2025) is None
    entries, _ = QueryRepo(park_store).audit(entity="ghg_document", actor=None, limit=5, offset=0)
    assert entries[0]["entity_id"] == str(stored.id)
