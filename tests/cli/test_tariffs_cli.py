"""``lingtan tariff list|show|assign|cost|bill-import|bill-check`` end to end on SQLite, in
Chinese."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.normalize.hourly import HourlyStats
from lingtan.store import open_store
from lingtan.store.query_repo import QueryRepo, Tenant
from lingtan.store.stats_repo import StatsRepo
from tests.conftest import SMALL_PARK
from tests.web.test_zh_wording import problems

runner = CliRunner()
TYPED = frozenset({"E01", "E01-main", "E02-main", "demo-js-synthetic", "demo-js-synthetic@1"})


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LINGTAN_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "300")
    park = tmp_path / "park.yaml"
    park.write_text(SMALL_PARK, encoding="utf-8")
    assert runner.invoke(app, ["init", "--park", str(park)]).exit_code == 0
    # E01-main: 100 kWh in each hour of 1 July 2025 (local)
    start = int(dt.datetime(2025, 7, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp())
    hours = np.arange(24, dtype=np.int64) * 3_600_000_000 + start * 1_000_000
    nan = np.full(24, np.nan)
    stats = HourlyStats(
        hours=hours, value=np.full(24, 100.0), mean=nan, min=nan, max=nan,
        measured_s=np.full(24, 3600.0), estimated_s=np.zeros(24), missing_s=np.zeros(24),
        flags=np.zeros(24, np.int64), n=np.ones(24, np.int64),
    )  # fmt: skip
    with open_store(url) as store:
        point = QueryRepo(store).point(tenant=Tenant.park_wide(), code="E01-main")
        with store.begin() as conn:
            StatsRepo(store).write_hours(conn, point.id, stats, now=0)
    return url


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    found = [p for line in result.output.splitlines() for p in problems(line, TYPED)]
    assert not found, (args, found)
    return result.output


def test_tariffs_are_listed_and_shown(env: str) -> None:
    out = runner.invoke(app, ["tariff", "list"]).output
    assert "江苏" in out and "广东" in out and "浙江" in out
    shown = runner.invoke(app, ["tariff", "show", "cn-gd-industry-commerce"]).output
    assert "粤发改价格〔2021〕331号" in shown and "confidence: M" in shown
    missing = runner.invoke(app, ["tariff", "show", "no-such"])
    assert missing.exit_code != 0


def test_cost_and_bill_check_of_a_july_day(env: str, tmp_path: Path) -> None:
    refused = runner.invoke(app, ["tariff", "cost", "--from", "2025-07", "--enterprise", "E01"])
    assert refused.exit_code != 0 and "未指定电价" in refused.output
    _ok(["tariff", "assign", "demo-js-synthetic", "--basis", "demand", "--from", "2025-01"])
    # 1 July: 低谷 8 h, 高峰 7 h (08-10, 17-22), 尖峰 1 h (10-11), 平段 8 h, 100 kWh each hour
    # = 800×0.3 + 700×1.0 + 100×1.25 + 800×0.6 = 240 + 700 + 125 + 480 = 1545 元;
    # the other 30 days of July are missing (720 h); demand 100 kW × 40 = 4000 元
    out = _ok(["tariff", "cost", "--from", "2025-07", "--enterprise", "E01"])
    assert "1,545.00" in out and "4,000.00" in out and "720" in out
    bills = tmp_path / "bills.csv"
    bills.write_text(
        "month,enterprise,kwh_尖峰,kwh_高峰,kwh_平段,kwh_低谷,total_amount,reference\n"
        "2025-07,E01,100,700,800,800,1545,JS-1\n",
        encoding="utf-8",
    )
    assert "账单 #1" in _ok(["tariff", "bill-import", str(bills)])
    # the month is incomplete (720 h missing): every energy line says so, none is zero
    check = runner.invoke(app, ["tariff", "bill-check", "1"])
    assert check.exit_code == 0, check.output
    assert "无计量数据" in check.output and "不完整" in check.output
    again = runner.invoke(app, ["tariff", "bill-import", str(bills)])
    assert again.exit_code != 0 and "already imported" in again.output
