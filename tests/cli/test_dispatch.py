"""``lingtan dispatch`` end to end on the small microgrid park: declaration, EV sessions, a
plan, showing it (zh and en) and a declaration refused naming its field."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.store import open_store
from lingtan.tariffs import service as tariffs
from tests.dispatch.park import ADMIN, PARK, flat_history, spec

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LINGTAN_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    park = tmp_path / "park.yaml"
    park.write_text(PARK, encoding="utf-8")
    assert runner.invoke(app, ["init", "--park", str(park)]).exit_code == 0
    store = open_store(url)
    tariffs.assign(store, principal=ADMIN, tariff_id="demo-js-synthetic", effective_from="2025-01")
    flat_history(store, dt.date(2025, 2, 12), 28)
    store.close()
    return tmp_path


def test_site_plan_show(env: Path) -> None:
    f = env / "site.json"
    f.write_text(
        json.dumps(spec(chargers=[{"code": "EV-1", "point": "MG-ev1", "max_kw": 300}])),
        encoding="utf-8",
    )
    r = runner.invoke(app, ["dispatch", "site", "set", str(f)])
    assert r.exit_code == 0, r.output
    assert "1 battery" in r.output
    shown = runner.invoke(app, ["dispatch", "site", "show"])
    assert shown.exit_code == 0 and "MG-bess-charge" in shown.output
    csv = env / "sessions.csv"
    csv.write_text(
        "day,code,charger,arrival,departure,energy_kwh\n2025-03-12,car-1,EV-1,08:00,10:00,100\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["dispatch", "sessions-import", str(csv)])
    assert r.exit_code == 0, r.output
    assert "1 sessions on 1 days" in r.output
    r = runner.invoke(
        app, ["dispatch", "plan", "--day", "2025-03-12", "--dr-window", "18:00-20:00",
              "--dr-reduction", "10", "--carbon-price", "80"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "调度计划 #1" in r.output and "电费" in r.output
    assert "imported: 1 sessions" in r.output
    r = runner.invoke(app, ["dispatch", "show", "1", "--steps", "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert "Plan #1" in r.output and "energy cost" in r.output and "00:00" in r.output
    # the call of 12 March 18:00–20:00: that day was never metered, so it is not assessed
    r = runner.invoke(app, ["dispatch", "demand-response", "1", "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert "not assessed" in r.output and "18:00, 19:00" in r.output
    r = runner.invoke(app, ["dispatch", "demand-response", "1", "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    assert got["status"] == "not_assessed" and got["missing_hours"] == ["18:00", "19:00"]
    assert got["window"]["steps"] == [72, 80] and got["delivered_kw"] is None
    r = runner.invoke(app, ["dispatch", "plan", "--day", "2025-03-12", "--intraday",
                            "--at", "06:10"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "intraday" in r.output


def test_a_bad_declaration_names_the_field(env: Path) -> None:
    bad = spec(pv=[{"point": "MG-grid"}])
    f = env / "site.yaml"
    f.write_text(json.dumps(bad), encoding="utf-8")
    r = runner.invoke(app, ["dispatch", "site", "set", str(f)])
    assert r.exit_code != 0
    assert "pv[0].point" in r.output


def test_publish_without_a_broker_says_what_to_set(env: Path) -> None:
    r = runner.invoke(app, ["dispatch", "publish", "1"])
    assert r.exit_code != 0 and "LINGTAN_DISPATCH_MQTT_HOST" in r.output


def test_apply_dry_run_shows_the_registers_of_the_current_step(env: Path) -> None:
    control = {
        "gateways": [{"code": "GW", "host": "127.0.0.1", "port": 1502}],
        "devices": [{"device": "BESS-1", "gateway": "GW", "unit": 1,
                     "setpoint": {"address": 100, "type": "int32", "scale": 0.1}}],
    }  # fmt: skip
    f = env / "site.json"
    f.write_text(json.dumps(spec(control=control)), encoding="utf-8")
    assert runner.invoke(app, ["dispatch", "site", "set", str(f)]).exit_code == 0
    assert runner.invoke(app, ["dispatch", "plan", "--day", "2025-03-12"]).exit_code == 0
    r = runner.invoke(app, ["dispatch", "apply", "--at", "2025-03-12T10:07"])
    assert r.exit_code != 0 and "UTC offset" in r.output
    r = runner.invoke(
        app, ["dispatch", "apply", "--at", "2025-03-12T10:07:00+08:00", "--dry-run", "--json"]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    # 10:07 lies in the 15-minute step 40 (10 × 4); the plan's battery setpoint, ÷ 0.1 as int32
    assert out["step"] == 40 and out["dry_run"] is True
    (bess,) = out["devices"]
    raw = round(bess["setpoint_kw"] / 0.1)
    assert bess["registers"] == [(raw >> 16) & 0xFFFF, raw & 0xFFFF]
    assert bess["limits_kw"] == [-250.0, 250.0]
    shown = runner.invoke(
        app, ["dispatch", "apply", "--at", "2025-03-12T10:07:00+08:00", "--dry-run", "--lang", "en"]
    )
    assert shown.exit_code == 0 and "dry run: nothing written" in shown.output
    rules = runner.invoke(app, ["dispatch", "alarm-rules"])
    assert rules.exit_code == 0 and "dispatch-setpoint, dispatch-tracking" in rules.output
