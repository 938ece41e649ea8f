"""Lighting levels written to circuits (lingtan.equipment.lighting_apply) against the Modbus
connector's simulator on loopback: every outcome stored, a refused level alarmed through the
``dispatch`` rule's ``lighting`` check, and the applier of ``serve`` driven by an injected clock
(switch-on written once at sunset, the level in force written after a restart, a level the
circuit did not take written again)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from lingtan.connectors.modbus.registers import DataType, RegisterSpec
from lingtan.connectors.modbus.sim import SimulatedDevice, SimulatedGateway
from lingtan.equipment import service
from lingtan.equipment.alarms import install_rules
from lingtan.equipment.applier import LightingApplier
from lingtan.equipment.lighting import night, parse_zone
from lingtan.equipment.lighting_apply import apply_lighting, lighting_writes
from lingtan.errors import NotFound, PermissionDenied
from lingtan.identity.roles import SYSTEM, Principal, Role
from lingtan.registry import parse_park_text
from lingtan.store import Store, open_store
from lingtan.store.alarms_repo import AlarmFilter
from lingtan.store.query_repo import Tenant
from tests.conftest import SMALL_PARK
from tests.equipment.test_lighting import SH, ZONE, noaa_sun_times

DAY = dt.date(2025, 1, 15)
LEVEL = RegisterSpec("lvl", 40, DataType.UINT16)


def _at(day: int, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    return dt.datetime(2025, 1, day, hh, mm, ss, tzinfo=SH)


def _control(port: int, *, c2_max: float | None = 30) -> dict[str, Any]:
    devices: list[dict[str, Any]] = [
        {"device": "C1", "gateway": "GW", "unit": 1, "retries": 0,
         "setpoint": {"address": 40, "type": "uint16"}},
        {"device": "C2", "gateway": "GW", "unit": 2, "retries": 0,
         "setpoint": {"address": 40, "type": "uint16"}},
    ]  # fmt: skip
    if c2_max is not None:
        devices[1]["max_kw"] = c2_max  # read as the allowed range in %: 0…30
    return {"gateways": [{"code": "GW", "host": "127.0.0.1", "port": port, "timeout_s": 2}],
            "devices": devices}  # fmt: skip


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[int, SimulatedDevice, SimulatedDevice]]:
    dev1, dev2 = SimulatedDevice(1, [LEVEL]), SimulatedDevice(2, [LEVEL])
    gw = SimulatedGateway([dev1, dev2])
    port = await gw.start()
    yield port, dev1, dev2
    await gw.stop()


@pytest.fixture
def lite(store_url: str) -> Iterator[Store]:
    s = open_store(store_url)
    s.registry.save_park(parse_park_text(SMALL_PARK + (
        "  - {id: C1, carrier: electricity_grid_import, kind: total_increasing, unit: kWh}\n"
        "  - {id: C2, carrier: electricity_grid_import, kind: total_increasing, unit: kWh}\n"
    )))  # fmt: skip
    yield s
    s.close()


def _alarms(store: Store) -> list[Any]:
    found, _ = store.alarms.search(
        tenant=Tenant.park_wide(), park_id=store.registry.park().id, filters=AlarmFilter(),
        limit=50, offset=0,
    )  # fmt: skip
    return found


async def test_each_write_is_stored_and_a_refused_level_alarmed(lite: Store, gateway: Any) -> None:
    port, dev1, dev2 = gateway
    assert install_rules(lite, principal=SYSTEM) == ["inspection-overdue", "lighting-setpoint"]
    service.put_zone(lite, principal=SYSTEM, data={**ZONE, "control": _control(port)})
    # 00:30 on 16 January lies in the 23:00–05:00 window of the night of the 15th: 50 %
    done = await apply_lighting(lite, principal=SYSTEM, code="RD-1", now=_at(16, 0, 30))
    assert done["level_pct"] == 50.0 and done["alarms"] == {"raised": 1, "cleared": 0}
    rows = lighting_writes(lite, principal=SYSTEM, code="RD-1")
    by = {w["device"]: w for w in rows}
    c1, c2 = by["C1"], by["C2"]
    # the level took effect at the window's start, 23:00 local on the 15th
    assert (c1["at"], c1["level_pct"], c1["reason"]) == (
        "2025-01-15T23:00:00+08:00",
        50.0,
        "dim 23:00–05:00",
    )
    assert (c1["status"], c1["readback"], c1["error"]) == ("ok", 50.0, None)
    assert c1["written_by"] == "cli" and dev1.writes == [(40, [50])]
    # C2 takes 0…30 %: 50 % refused, nothing sent, the reason kept
    assert c2["status"] == "refused" and c2["readback"] is None and dev2.writes == []
    assert "outside the declared limits" in c2["error"]
    (alarm,) = _alarms(lite)
    assert alarm.rule_code == "lighting-setpoint" and "RD-1/C2 (refused)" in alarm.message
    # the range widened, the level goes through and the alarm clears by itself
    service.put_zone(lite, principal=SYSTEM, data={**ZONE, "control": _control(port, c2_max=None)})
    again = await apply_lighting(lite, principal=SYSTEM, code="RD-1", now=_at(16, 1, 0))
    assert again["alarms"] == {"raised": 0, "cleared": 1}
    assert dev2.writes == [(40, [50])]
    assert [w["status"] for w in lighting_writes(lite, principal=SYSTEM, code="RD-1")] == [
        "ok", "ok", "refused", "ok"
    ]  # fmt: skip
    # a dry run writes and stores nothing
    await apply_lighting(lite, principal=SYSTEM, code="RD-1", now=_at(16, 2, 0), dry_run=True)
    assert len(lighting_writes(lite, principal=SYSTEM, code="RD-1")) == 4


def test_writes_are_the_parks(lite: Store) -> None:
    service.put_zone(lite, principal=SYSTEM, data={**ZONE, "control": _control(1)})
    ent = lite.registry.enterprises(lite.registry.park().id)[0]
    user = Principal(subject="e", role=Role.ENTERPRISE_ADMIN, enterprise_id=ent.id)
    viewer = Principal(subject="v", role=Role.PARK_VIEWER, enterprise_id=None)
    # an enterprise's user: the zone does not exist for it, as an unknown zone
    with pytest.raises(NotFound):
        lighting_writes(lite, principal=user, code="RD-1")
    with pytest.raises(NotFound):
        lighting_writes(lite, principal=SYSTEM, code="RD-9")
    assert lighting_writes(lite, principal=viewer, code="RD-1") == []
    for who in (user, viewer):
        with pytest.raises(PermissionDenied):
            asyncio.run(apply_lighting(lite, principal=who, code="RD-1", now=_at(16, 0, 30)))


async def test_the_applier_switches_on_once_and_restores_the_level_after_a_restart(
    lite: Store, gateway: Any
) -> None:
    port, dev1, _ = gateway
    control = _control(port)
    control["devices"] = control["devices"][:1]
    zone = {**ZONE, "circuits": ["C1"], "control": control}
    service.put_zone(lite, principal=SYSTEM, data=zone)
    n = night(parse_zone(zone), DAY, SH)
    # switch-on is sunset + 10 min; the sunset agrees with the NOAA equations within 2 min
    _rise, sunset = noaa_sun_times(DAY, 31.30, 120.60, 8.0)
    on_min = n.on_at.hour * 60 + n.on_at.minute + n.on_at.second / 60
    assert abs(on_min - (sunset + 10)) < 2
    applier = LightingApplier(lite, recheck_s=86_400)

    async def run(at: dt.datetime, app: LightingApplier = applier) -> dict[str, Any]:
        (result,) = await asyncio.to_thread(app.run_once, at)
        return result

    # started by day: the level in force (0 since this morning's switch-off) goes out once
    r = await run(_at(15, 16, 0))
    assert (r["level_pct"], r["reason"]) == (0.0, "off: sunrise") and dev1.writes == [(40, [0])]
    r = await run(_at(15, 16, 5))
    assert r["devices"] == [] and r["already_set"] == ["C1"] and len(dev1.writes) == 1
    # it sleeps until just after switch-on …
    wait = applier.wait_s(_at(15, 16, 5))
    assert wait == pytest.approx((n.on_at - _at(15, 16, 5)).total_seconds() + 1.0)
    # … writes 100 % then, once
    t = n.on_at + dt.timedelta(seconds=1)
    r = await run(t)
    assert (r["level_pct"], r["reason"], r["devices"][0]["status"]) == (100.0, "on: sunset", "ok")
    assert dev1.writes[-1] == (40, [100])
    await run(t + dt.timedelta(minutes=1))
    assert len(dev1.writes) == 2
    # the next switching is the dimming at 23:00
    assert applier.wait_s(t) == pytest.approx((_at(15, 23, 0) - t).total_seconds() + 1.0)
    # serve restarted at 00:30: its thread writes the dimmed level in force at once
    restarted = LightingApplier(lite, recheck_s=86_400, clock=lambda: _at(16, 0, 30))
    restarted.start()
    for _ in range(400):
        if restarted.runs:
            break
        await asyncio.sleep(0.05)
    await asyncio.to_thread(restarted.stop)
    assert restarted.runs >= 1 and dev1.writes[-1] == (40, [50]) and len(dev1.writes) == 3
    # a level the circuit does not take (05:00: the dimming ends) is written again next run
    dev1.ignore_writes = True
    assert (await run(_at(16, 5, 0, 1)))["devices"][0]["status"] == "mismatch"
    assert (await run(_at(16, 5, 15)))["devices"][0]["status"] == "mismatch"
    dev1.ignore_writes = False
    assert (await run(_at(16, 5, 30)))["devices"][0]["status"] == "ok"
    assert (await run(_at(16, 5, 45)))["devices"] == []
    stored = lighting_writes(lite, principal=SYSTEM, code="RD-1")
    assert [(w["level_pct"], w["status"]) for w in stored] == [
        (100.0, "ok"), (100.0, "mismatch"), (100.0, "mismatch"), (50.0, "ok"), (100.0, "ok"),
        (0.0, "ok"),
    ]  # fmt: skip
    assert stored[3]["written_by"] == "serve:lighting"
