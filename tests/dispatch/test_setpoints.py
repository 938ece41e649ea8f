"""Setpoints written to devices over Modbus TCP (lingtan.dispatch.control) against the Modbus
connector's pymodbus simulator on loopback: write and read back, refusal outside the declared
limits, mismatch and timeout with bounded retries, tracking against the measured power, and the
``dispatch`` alarms. The plan is stored by hand (no solve), so every setpoint is known."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from lingtan.connectors.modbus.registers import DataType, RegisterSpec
from lingtan.connectors.modbus.sim import SimulatedDevice, SimulatedGateway
from lingtan.dispatch import control
from lingtan.dispatch import service as svc
from lingtan.dispatch.alarms import install_rules
from lingtan.dispatch.applier import SetpointApplier, next_step_start
from lingtan.errors import InvalidInput, NotFound, PermissionDenied
from lingtan.ingest.pipeline import ingest
from lingtan.readings import Reading
from lingtan.registry.parkfile import parse_park_text
from lingtan.store import Store, open_store
from lingtan.store.alarms_repo import AlarmFilter
from lingtan.store.dispatch_repo import DispatchRepo
from lingtan.store.query_repo import Tenant
from lingtan.tariffs import service as tariffs
from tests.dispatch.park import ADMIN, PARK, TZ, VIEWER, spec

DAY = dt.date(2025, 3, 12)
N = 96
#: the battery's power meter (+ discharge), a measurement in kW
PARK_KW = (
    PARK
    + "  - id: MG-bess-kw\n    carrier: storage_discharge\n    kind: measurement\n    unit: kW\n"
)

BESS_REG = RegisterSpec("sp", 100, DataType.INT32, scale=0.1)
EV_REG = RegisterSpec("sp", 10, DataType.UINT16)


def _alarms(store: Store, park_id: int) -> list[Any]:
    found, _ = store.alarms.search(
        tenant=Tenant.park_wide(), park_id=park_id, filters=AlarmFilter(), limit=50, offset=0
    )
    return found


def _at(hh: int, mm: int) -> dt.datetime:
    return dt.datetime(DAY.year, DAY.month, DAY.day, hh, mm, tzinfo=TZ)


def _plan(store: Store, park_id: int) -> int:
    """A stored day-ahead plan: the battery discharges 123.4 kW in step 40 (10:00–10:15) and
    41, charges 60 kW elsewhere; car-1 on EV-1 charges 80 kW all day."""
    dis = [0.0] * N
    dis[40] = dis[41] = 123.4
    ch = [0.0 if x else 60.0 for x in dis]
    steps = {
        "import_kw": [0.0] * N, "charge_kw": {"BESS-1": ch}, "discharge_kw": {"BESS-1": dis},
        "ev_kw": {"car-1": [80.0] * N}, "ev_charger": {"car-1": "EV-1"}, "flex_kw": {},
        "curtailed_kw": {}, "generator_kw": {},
    }  # fmt: skip
    return DispatchRepo(store).save_plan({
        "park_id": park_id, "day": DAY.isoformat(), "kind": "day_ahead", "from_step": 0,
        "step_minutes": 15, "status": "optimal", "created_at": 0, "created_by": "t",
        "objective": {}, "inputs": {}, "terms": {}, "violations": [], "steps": steps,
        "published_at": None, "publish": None,
    })  # fmt: skip


def _control(port: int, *, ev_max: float = 50.0, retries: int = 1) -> dict[str, Any]:
    return {
        "gateways": [{"code": "GW", "host": "127.0.0.1", "port": port, "timeout_s": 2}],
        "devices": [
            {"device": "BESS-1", "gateway": "GW", "unit": 1, "retries": retries,
             "setpoint": {"address": 100, "type": "int32", "scale": 0.1},
             "measured_point": "MG-bess-kw", "tolerance_kw": 5},
            {"device": "EV-1", "gateway": "GW", "unit": 2, "max_kw": ev_max,
             "setpoint": {"address": 10, "type": "uint16"}},
        ],
    }  # fmt: skip


def _site(control_: dict[str, Any]) -> dict[str, Any]:
    return spec(chargers=[{"code": "EV-1", "point": "MG-ev1", "max_kw": 300}], control=control_)


def _park(store: Store) -> int:
    store.registry.save_park(parse_park_text(PARK_KW))
    tariffs.assign(store, principal=ADMIN, tariff_id="demo-js-synthetic", effective_from="2025-01")
    return store.registry.park().id


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[SimulatedGateway, SimulatedDevice, SimulatedDevice]]:
    bess, ev = SimulatedDevice(1, [BESS_REG]), SimulatedDevice(2, [EV_REG])
    gw = SimulatedGateway([bess, ev])
    await gw.start()
    yield gw, bess, ev
    await gw.stop()


@pytest.fixture
def lite(sqlite_url: str) -> Iterator[Store]:
    s = open_store(sqlite_url)
    yield s
    s.close()


async def test_setpoints_written_read_back_refused_and_tracked(
    lite: Store, gateway: Any, caplog: pytest.LogCaptureFixture
) -> None:
    store = lite
    gw, bess, ev = gateway
    park_id = _park(store)
    svc.set_spec(store, principal=ADMIN, data=_site(_control(gw.port)))
    plan_id = _plan(store, park_id)
    assert install_rules(store, principal=ADMIN) == ["dispatch-setpoint", "dispatch-tracking"]

    # dry run at 10:07 (step 40): the registers, nothing written or stored
    dry = await svc.apply_setpoints_async(store, principal=ADMIN, now=_at(10, 7), dry_run=True)
    by = {d["device"]: d for d in dry["devices"]}
    assert (dry["plan_id"], dry["step"]) == (plan_id, 40)
    # +123.4 kW ÷ 0.1 = 1234 = 0x000004D2 as int32 ABCD: words 0x0000, 0x04D2
    assert by["BESS-1"]["registers"] == [0, 1234] and by["BESS-1"]["refused"] is None
    # 80 kW planned on EV-1, declared max 50 kW: refused
    assert (
        by["EV-1"]["registers"] is None and "outside the declared limits" in by["EV-1"]["refused"]
    )
    assert bess.writes == [] and DispatchRepo(store).writes(park_id=park_id) == []

    with pytest.raises(PermissionDenied):
        await svc.apply_setpoints_async(store, principal=VIEWER, now=_at(10, 7))
    with caplog.at_level(logging.ERROR, logger="lingtan.dispatch.control"):
        done = await svc.apply_setpoints_async(store, principal=ADMIN, now=_at(10, 7))
    res = {d["device"]: d for d in done["devices"]}
    assert res["BESS-1"]["status"] == "ok" and res["BESS-1"]["readback"] == pytest.approx(123.4)
    assert bess.writes == [(100, [0, 1234])] and bess.get("sp") == pytest.approx(123.4)
    assert res["EV-1"]["status"] == "refused" and ev.writes == []
    assert "EV-1: setpoint 80 kW outside the declared limits 0…50 kW" in caplog.text
    # the refusal raises the setpoint alarm
    assert done["alarms"] == {"raised": 1, "cleared": 0}
    (alarm,) = [a for a in _alarms(store, park_id) if a.active]
    assert alarm.rule_code == "dispatch-setpoint" and "EV-1 (refused)" in alarm.message

    # the battery meter during step 40 (10:00–10:15): mean (120 + 125) ÷ 2 = 122.5 kW, within
    # 5 kW of 123.4; during step 41: 90 kW, 33.4 kW off
    ingest(store, [Reading("MG-bess-kw", _at(10, m), v) for m, v in ((1, 120.0), (8, 125.0))])
    ingest(store, [Reading("MG-bess-kw", _at(10, 20), 90.0)])
    # step 41 (10:20); EV-1 no longer controlled: the setpoint alarm clears
    svc.set_spec(store, principal=ADMIN, data=_site(_control(gw.port, ev_max=300)))
    nxt = await svc.apply_setpoints_async(store, principal=ADMIN, now=_at(10, 20))
    assert {d["status"] for d in nxt["devices"]} == {"ok"} and nxt["tracked"] == 1
    assert ev.writes == [(10, [80])]
    assert nxt["alarms"] == {"raised": 0, "cleared": 1}
    last = await svc.apply_setpoints_async(store, principal=ADMIN, now=_at(10, 31))
    assert last["tracked"] == 1 and last["alarms"]["raised"] == 1
    rows = {(w.step, w.device): w for w in svc.writes(store, principal=VIEWER, plan_id=plan_id)}
    assert rows[(40, "BESS-1")].measured_kw == pytest.approx(122.5)
    assert rows[(40, "BESS-1")].tracking == "ok"
    assert rows[(41, "BESS-1")].measured_kw == pytest.approx(90.0)
    assert rows[(41, "BESS-1")].tracking == "off"
    assert rows[(40, "EV-1")].tracking is None  # no meter declared
    active = [a for a in _alarms(store, park_id) if a.active]
    assert [a.rule_code for a in active] == ["dispatch-tracking"]
    assert "BESS-1 90.0 kW against 123.4 kW" in active[0].message


async def test_mismatch_and_timeout_are_retried_a_bounded_number_of_times(
    lite: Store, gateway: Any
) -> None:
    gw, bess, _ev = gateway
    park_id = _park(lite)
    silent = await asyncio.start_server(_swallow, "127.0.0.1", 0)
    silent_port = int(silent.sockets[0].getsockname()[1])
    ctl = _control(gw.port, ev_max=300, retries=2)
    ctl["gateways"].append({"code": "MUTE", "host": "127.0.0.1", "port": silent_port,
                            "timeout_s": 0.2})  # fmt: skip
    ctl["devices"][1] = {**ctl["devices"][1], "gateway": "MUTE", "retries": 0}
    svc.set_spec(lite, principal=ADMIN, data=_site(ctl))
    plan_id = _plan(lite, park_id)
    bess.ignore_writes = True  # the device acknowledges and keeps its old value (0)
    try:
        done = await svc.apply_setpoints_async(lite, principal=ADMIN, now=_at(3, 0), delay_s=0.0)
    finally:
        silent.close()
    res = {d["device"]: d for d in done["devices"]}
    # step 12: charge 60 kW → −60 kW written three times (1 + 2 retries), read back 0 each time
    assert res["BESS-1"]["status"] == "mismatch" and res["BESS-1"]["readback"] == 0.0
    assert [a["status"] for a in res["BESS-1"]["attempts"]] == ["mismatch"] * 3
    assert "wrote -60, read back 0" in res["BESS-1"]["attempts"][0]["reason"]
    # −600 as int32 = 0xFFFFFDA8: words 0xFFFF, 0xFDA8
    assert bess.writes == [(100, [0xFFFF, 0xFDA8])] * 3
    assert res["EV-1"]["status"] == "timeout" and len(res["EV-1"]["attempts"]) == 1
    (stored,) = [
        w for w in svc.writes(lite, principal=ADMIN, plan_id=plan_id) if w.device == "EV-1"
    ]
    assert stored.status == "timeout" and stored.attempts[0]["reason"]


async def _swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A TCP peer that reads requests and never answers (a device that stopped responding)."""
    while await reader.read(1024):
        pass
    writer.close()


def test_control_declaration_is_checked(lite: Store) -> None:
    _park(lite)
    bad_device = _control(502)
    bad_device["devices"][0] = {**bad_device["devices"][0], "device": "BESS-9"}
    with pytest.raises(InvalidInput, match=r"BESS-9.*not a declared battery"):
        svc.set_spec(lite, principal=ADMIN, data=_site(bad_device))
    wide = _control(502, ev_max=400)  # the charger's nameplate is 300 kW
    with pytest.raises(InvalidInput, match="EV-1: limits 0…400 kW exceed the nameplate 0…300"):
        svc.set_spec(lite, principal=ADMIN, data=_site(wide))
    energy = _control(502)
    energy["devices"][0] = {**energy["devices"][0], "measured_point": "MG-bess-discharge"}
    with pytest.raises(InvalidInput, match=r"control.devices\[0\].measured_point.*not a power"):
        svc.set_spec(lite, principal=ADMIN, data=_site(energy))
    no_gw = _control(502)
    no_gw["devices"][1] = {**no_gw["devices"][1], "gateway": "NOPE"}
    with pytest.raises(InvalidInput, match="gateway 'NOPE' is not declared"):
        svc.set_spec(lite, principal=ADMIN, data=_site(no_gw))
    # no plan of the day: nothing to write
    svc.set_spec(lite, principal=ADMIN, data=_site(_control(502)))
    with pytest.raises(NotFound, match="no plan of 2025-03-12"):
        svc.apply_setpoints(lite, principal=ADMIN, now=_at(9, 0), dry_run=True)


def test_read_back_compares_with_what_the_register_can_hold() -> None:
    reg = RegisterSpec("sp", 0, DataType.INT16, scale=0.1)
    # 12.34 kW ÷ 0.1 = 123.4 → 123 on the wire → 12.3 kW read back is a match
    assert control.matches(reg, 12.34, 12.3)
    assert not control.matches(reg, 12.34, 12.5)
    assert not control.matches(reg, 12.34, None)
    assert control.tracking_of(100.0, 104.0, 5.0) == "ok"
    assert control.tracking_of(100.0, 94.0, 5.0) == "off"
    assert control.tracking_of(100.0, None, 5.0) == "no_data"
    # 2 readings of 500 W and 1,500 W on a meter with a ×2 multiplier, reporting charge as +:
    # −2 × 1 kW = −2 kW
    assert control.mean_kw([(0, 500.0), (1, 1500.0)], "W", 2.0, -1) == pytest.approx(-2.0)


def test_the_next_step_starts_on_the_local_grid_of_steps() -> None:
    step = 15
    # 10:07 local → 10:15; exactly 10:15 → 10:30 (the step that has just begun is not next);
    # 23:50 → 00:00 of the next day
    assert next_step_start(_at(10, 7), TZ, step) == _at(10, 15)
    assert next_step_start(_at(10, 15), TZ, step) == _at(10, 30)
    assert next_step_start(_at(23, 50), TZ, step) == _at(0, 0) + dt.timedelta(days=1)
    # an instant given in UTC: 02:07Z is 10:07 in UTC+8
    utc = dt.datetime(DAY.year, DAY.month, DAY.day, 2, 7, tzinfo=dt.UTC)
    assert next_step_start(utc, TZ, step) == _at(10, 15)


async def test_serve_applies_each_controlled_parks_step(lite: Store, gateway: Any) -> None:
    store = lite
    gw, bess, ev = gateway
    park_id = _park(store)
    applier = SetpointApplier(store, clock=lambda: _at(10, 7))
    # no declaration, or one that controls nothing: nothing to apply, look again in a minute
    assert await asyncio.to_thread(applier.run_once) == []
    assert applier._wait_s(_at(10, 7)) == 60.0
    svc.set_spec(store, principal=ADMIN, data=_site(_control(gw.port, ev_max=300)))
    # no plan for the step yet: skipped, nothing written
    assert await asyncio.to_thread(applier.run_once) == []
    # controlled: the wait runs to 10:15 plus the offset, 8 min + 5 s = 485 s
    assert applier._wait_s(_at(10, 7)) == pytest.approx(485.0)
    plan_id = _plan(store, park_id)
    (done,) = await asyncio.to_thread(applier.run_once)
    assert (done["plan_id"], done["step"]) == (plan_id, 40)
    assert {d["device"]: d["status"] for d in done["devices"]} == {"BESS-1": "ok", "EV-1": "ok"}
    assert bess.writes == [(100, [0, 1234])] and ev.writes == [(10, [80])]
    rows = svc.writes(store, principal=VIEWER, plan_id=plan_id)
    assert {w.written_by for w in rows} == {"serve:dispatch"}
