"""``lingtan demo``: build the synthetic park, generate 2025, ingest it, normalise, summarise.

The year 2025 (the base year of the national programme) of 15-minute register readings goes
through the same ingest pipeline and normaliser as real data, with realistic faults:

- a communication gap (E07 main meter, 2025-03-10 00:00 to 03-12 06:00 local);
- a meter replacement (E11 main meter restarts from zero on 2025-07-15 10:30), declared as a
  replacement event with the old register's final value, so no energy is lost across it;
- a spike (E04 main meter reads ×100 once on 2025-09-03 14:15);
- a register rollover (E14 water meter wraps at 100,000 m³);
- late, out-of-order data (E02 main meter 2025-11-20 to 11-23 arrives after the rest);
- readings the pipeline must reject (a gateway error string, a naive timestamp, an unknown
  point, a conflicting re-send), which end up in quarantine with their reasons.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lingtan.alarms import service as alarm_service
from lingtan.alarms.engine import Engine
from lingtan.demo import environment as demo_environment
from lingtan.demo import park as demo_park
from lingtan.demo import series
from lingtan.environment import service as environment_service
from lingtan.environment.stations import STATION_TAG
from lingtan.identity.roles import SYSTEM
from lingtan.indicators.records import import_records
from lingtan.ingest import IngestAck, ingest, ingest_columns
from lingtan.normalize.service import NormaliseReport, normalise_pending
from lingtan.readings import Reading
from lingtan.registry import ParkModel
from lingtan.registry.model import MeterReplacement
from lingtan.registry.replacements import record_replacements
from lingtan.store import Store
from lingtan.store.alarms_repo import AlarmFilter
from lingtan.store.query_repo import Tenant
from lingtan.tariffs import service as tariff_service
from lingtan.timeutil import SECOND_US, to_us

YEAR = 2025
#: the demo's non-metered statistics (clearly labelled synthetic in every row)
STATISTICS_FILE = "synthetic_statistics_2025.csv"
TZ = "Asia/Shanghai"
#: the tariff record the demo park is costed with (tariffs/data/demo_jiangsu_synthetic.yaml)
DEMO_TARIFF = "demo-js-synthetic"
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


@dataclass(slots=True)
class DemoResult:
    """What the demo did, for the summary."""

    points: int = 0
    readings_sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    normalise: list[NormaliseReport] = field(default_factory=list)
    #: alarms the year raised (the engine streaming the readings, the scheduler replayed)
    alarms: int = 0
    #: incidents of the emergency register (one, made from an alarm)
    incidents: int = 0

    def add(self, ack: IngestAck, sent: int) -> None:
        self.readings_sent += sent
        self.accepted += ack.accepted
        self.duplicates += ack.duplicates
        self.rejected += ack.rejected
        for k, v in ack.reasons.items():
            self.reasons[k] = self.reasons.get(k, 0) + v


def _local_us(text: str) -> int:
    return to_us(dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone(dt.timedelta(hours=8))))


def generate(
    model: ParkModel, *, months: int = 12
) -> tuple[dict[str, tuple[I64, F64]], list[MeterReplacement]]:
    """Readings (epoch µs, value) per physical point for the first ``months`` of the demo year
    (registers include the reading at 00:00 on 1 January that opens the first interval), and
    the meter replacements that happened in them."""
    # profiles are shaped over the whole year, then cut, so a short demo keeps the same rates
    index = series.timeline(YEAR, TZ)
    cut = int(
        np.searchsorted(
            index,
            pd.Timestamp(year=YEAR, month=1, day=1, tz=TZ) + pd.DateOffset(months=months),
            side="right",
        )
    )
    ends = index.as_unit("us").asi8.astype(np.int64)[:cut]
    start_us = to_us(pd.Timestamp(year=YEAR, month=1, day=1, tz=TZ).to_pydatetime())
    stamps = np.concatenate(([start_us], ends))
    rng = np.random.default_rng(2025)
    energy: dict[str, F64] = {}
    lat, lon = demo_park.LATITUDE, demo_park.LONGITUDE
    declared = {p.id for p in model.points}
    for n, e in enumerate(demo_park.ENTERPRISES):
        if f"{e.code}-grid" not in declared:
            continue
        seed = 1000 + 10 * n
        load = series.consumption(index, e.electricity_gwh * 1e6, e.profile, seed)
        green = load * e.direct_green_share
        pv = np.zeros_like(load)
        if e.pv_kwp:
            pv = np.minimum(
                series.pv_generation(index, e.pv_kwp, lat, lon, seed + 1), (load - green) * 0.95
            )
            energy[f"{e.code}-pv"] = pv
        grid = load - green - pv
        energy[f"{e.code}-grid"] = grid
        energy[f"{e.code}-line"] = grid * 0.55 * rng.normal(1.0, 0.02, len(grid)).clip(0.9, 1.1)
        energy[f"{e.code}-hvac"] = grid * 0.25 * rng.normal(1.0, 0.02, len(grid)).clip(0.9, 1.1)
        energy[f"{e.code}-water"] = series.consumption(
            index, e.water_10k_m3 * 1e4, e.profile, seed + 2
        )
        if e.direct_green_share:
            energy[f"{e.code}-green"] = green
        if e.gas_10k_m3:
            energy[f"{e.code}-gas"] = series.consumption(
                index, e.gas_10k_m3 * 1e4, "heating", seed + 3
            )
        if e.steam_tj:
            energy[f"{e.code}-steam"] = series.consumption(
                index, e.steam_tj * 1e3, "process", seed + 4
            )
    office = series.consumption(index, demo_park.PARK_OFFICE_GWH * 1e6, "office", 7)
    ev = [
        series.ev_charging(index, demo_park.EV_DAILY_KWH, 70 + k)
        for k in range(demo_park.EV_CHARGERS)
    ]
    charge, discharge = series.battery(index, demo_park.BATTERY_KWH)
    pv_park = series.pv_generation(index, demo_park.PARK_PV_KWP, lat, lon, 77)
    net = office + sum(ev) + charge - pv_park - discharge
    energy["PARK-grid"] = np.maximum(net, 0.0)
    energy["PARK-export"] = np.maximum(-net, 0.0)
    energy["PARK-pv"] = pv_park
    energy["PARK-bess-charge"] = charge
    energy["PARK-bess-discharge"] = discharge
    energy["PARK-water"] = series.consumption(index, 8_000.0, "office", 8)
    for k, e_k in enumerate(ev, start=1):
        energy[f"PARK-ev{k}"] = e_k

    energy = {code: e[:cut] for code, e in energy.items()}
    out: dict[str, tuple[I64, F64]] = {}
    for p in model.points:
        if p.formula is not None or STATION_TAG in p.tags:
            continue  # monitoring stations: demo/environment.py
        if p.kind == "measurement":
            source = (
                energy["E15-grid"] + energy["E15-green"]
                if p.id == "E15-power"
                else energy["PARK-pv"]
            )
            out[p.id] = (ends, np.round(source / series.STEP_H, 1))
            continue
        start = 99_000.0 if p.id == "E14-water" else float(np.round(rng.uniform(1e4, 9e5), 2))
        values = series.register(start, energy[p.id])
        out[p.id] = (stamps, np.concatenate(([start], values)))
    events = _inject_faults(out)
    return out, events


def _inject_faults(data: dict[str, tuple[I64, F64]]) -> list[MeterReplacement]:
    """Apply each fault whose meter and date are part of the generated data; the meter
    replacements among them."""
    end = max(int(t[-1]) for t, _ in data.values())

    def has(code: str, when: str) -> bool:
        return code in data and _local_us(when) < end

    if has("E07-grid", "2025-03-12T06:00"):
        _gap(data)
    events = []
    if has(REPLACED_POINT, REPLACED_AT):
        events.append(_replacement(data))
    if has("E04-grid", "2025-09-03T14:15"):
        _spike(data)
    if "E14-water" in data:
        ts, v = data["E14-water"]  # six-digit register wraps at 100,000 m³
        data["E14-water"] = (ts, np.asarray(np.round(np.mod(v, 100_000.0), 2), np.float64))
    return events


def _gap(data: dict[str, tuple[I64, F64]]) -> None:
    ts, v = data["E07-grid"]  # communication gap
    keep = (ts < _local_us("2025-03-10T00:00")) | (ts > _local_us("2025-03-12T06:00"))
    data["E07-grid"] = (ts[keep], v[keep])


#: the E11 main meter is replaced at 10:30 local time: the fitter reads the old register as
#: it comes out (the work order's final value), and the new register starts from zero; the
#: gateway's reading at 10:30 is the new meter's
REPLACED_POINT, REPLACED_AT = "E11-grid", "2025-07-15T10:30"


def _replacement(data: dict[str, tuple[I64, F64]]) -> MeterReplacement:
    ts, v = data[REPLACED_POINT]
    at = int(np.searchsorted(ts, _local_us(REPLACED_AT)))
    old_final = float(v[at])  # the old register when it was removed
    v = v.copy()
    v[at:] = np.round(v[at:] - old_final, 2)
    data[REPLACED_POINT] = (ts, v)
    return MeterReplacement(
        point=REPLACED_POINT,
        at=dt.datetime.fromisoformat(REPLACED_AT).replace(
            tzinfo=dt.timezone(dt.timedelta(hours=8))
        ),
        old_final=old_final,
        new_initial=0.0,
        note="换表工单（合成 SYNTHETIC）",
    )


def _spike(data: dict[str, tuple[I64, F64]]) -> None:
    ts, v = data["E04-grid"]  # one implausible reading
    v = v.copy()
    v[int(np.searchsorted(ts, _local_us("2025-09-03T14:15")))] *= 100
    data["E04-grid"] = (ts, v)


LATE_POINT = "E02-grid"
LATE_FROM, LATE_TO = "2025-11-20T00:00", "2025-11-23T00:00"


def run(
    store: Store,
    *,
    on_step: Callable[[str, int, int], None] | None = None,
    now: dt.datetime | None = None,
    months: int = 12,
    enterprises: int | None = None,
) -> DemoResult:
    """Load the demo park into ``store`` and push the demo year through the pipeline.

    ``months`` and ``enterprises`` shrink the demo for tests (the first months of 2025, the
    first enterprises); faults whose meter or date falls outside are skipped.
    """
    step = on_step or (lambda _name, _done, _total: None)
    model = demo_park.build_park(enterprises)
    report = store.registry.save_park(model, actor="demo")
    points = store.registry.points_by_code(refresh=True)
    result = DemoResult(points=len(points))
    # the alarm engine watches the year as it streams in, on a clock that follows the data
    alarm_service.apply_park_file(store, park_id=report.park_id, section=model.alarms, actor="demo")
    environment_service.apply_park_file(store, park_id=report.park_id, model=model, actor="demo")
    sim = {"now": 0}
    engine = Engine(store, clock=lambda: sim["now"])
    engine.attach()
    step("generate", 0, 1)
    data, replaced = generate(model, months=months)
    if replaced:
        # the replacement work order is on file before the readings arrive, so the first
        # normalisation already counts each meter against its own register
        record_replacements(store, replaced, actor="demo", source="demo", now=now)
    step("generate", 1, 1)

    late_lo, late_hi = _local_us(LATE_FROM), _local_us(LATE_TO)
    late: list[Reading] = []
    ts, v = data[LATE_POINT]
    held = (ts >= late_lo) & (ts < late_hi)
    late = [
        Reading(
            LATE_POINT,
            dt.datetime.fromtimestamp(t / SECOND_US, dt.UTC),
            float(x),
            source="late:gw-E02",
        )
        for t, x in zip(ts[held].tolist(), v[held].tolist(), strict=True)
    ]
    data[LATE_POINT] = (ts[~held], v[~held])

    week = 7 * 86_400 * SECOND_US
    first = min(int(t[0]) for t, _ in data.values())
    last = max(int(t[-1]) for t, _ in data.values())
    bounds = list(range(first, last + week, week))
    ids = {code: points[code].id for code in data}
    for k, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        pid_parts, ts_parts, val_parts = [], [], []
        for code, (t, vals) in data.items():
            a, b = np.searchsorted(t, [lo, hi])
            if b > a:
                pid_parts.append(np.full(b - a, ids[code], np.int64))
                ts_parts.append(t[a:b])
                val_parts.append(vals[a:b])
        pids = np.concatenate(pid_parts)
        sim["now"] = hi
        ack = ingest_columns(
            store,
            pids,
            np.concatenate(ts_parts),
            np.concatenate(val_parts),
            source=f"demo:week{k + 1}",
            now=now,
        )
        result.add(ack, len(pids))
        step("ingest", k + 1, len(bounds) - 1)

    if model.environment is not None:
        _ingest_stations(store, model, first, last, result, now=now)

    result.normalise.append(normalise_pending(store, progress=lambda d, t: step("normalise", d, t)))

    # late data from a gateway that was offline, and what a real park also sends: junk
    t_bad = dt.datetime(2025, min(months, 12), 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    resend = next(code for code in ("E03-grid", "E01-grid", "PARK-grid") if code in data)
    ts3, v3 = data[resend]
    resend_at = len(ts3) // 2
    junk = [
        Reading(resend, t_bad, "ERR", source="mqtt:gw-05", raw=f'{{"point":"{resend}","v":"ERR"}}'),
        Reading(resend, t_bad.replace(tzinfo=None), 1.0, source="file:manual.csv:12",
                raw=f"{resend},{t_bad:%Y-%m-%d %H:%M},1.0"),
        Reading("E99-grid", t_bad, 12.5, source="mqtt:gw-09", raw='{"point":"E99-grid","v":12.5}'),
        Reading(resend, dt.datetime.fromtimestamp(int(ts3[resend_at]) / SECOND_US, dt.UTC),
                float(v3[resend_at]) + 7.0, source="modbus:gw-3"),
    ]  # fmt: skip
    sim["now"] = last
    ack = ingest(store, [*late, *junk], source="demo:late", now=now)
    result.add(ack, len(late) + len(junk))
    step("late data", 1, 1)
    result.normalise.append(
        normalise_pending(store, progress=lambda d, t: step("renormalise", d, t))
    )
    result.alarms = replay_alarms(store, engine, first, last, on_step=step)
    engine.detach()
    result.incidents = demo_incident(store)
    # the demo park's electricity is costed with the synthetic Jiangsu tariff (its periods are
    # those of the Jiangsu record; its prices are invented and labelled so)
    tariff_service.assign(
        store, principal=SYSTEM, tariff_id=DEMO_TARIFF, basic_basis="demand",
        effective_from=f"{YEAR}-01",
    )  # fmt: skip
    # the park's own microgrid (battery, PV, chargers) for dispatch planning
    from lingtan.demo.microgrid import store_microgrid_spec

    store_microgrid_spec(store)
    # non-metered statistics (solid waste, waste heat, water reuse, product output): a synthetic
    # file, imported like any statistics file for the enterprises and months generated above
    step("statistics", 0, 1)
    import_records(
        store,
        content=resources.files("lingtan.demo").joinpath(STATISTICS_FILE).read_bytes(),
        filename=STATISTICS_FILE,
        entered_by="demo",
        only_enterprises=["", *(e.id for e in model.enterprises)],
        through=(
            pd.Timestamp(year=YEAR, month=min(months, 12), day=1) + pd.offsets.MonthEnd(0)
        ).date(),
        now=now,
    )
    step("statistics", 1, 1)
    return result


def _ingest_stations(
    store: Store,
    model: ParkModel,
    first: int,
    last: int,
    result: DemoResult,
    *,
    now: dt.datetime | None,
) -> None:
    """The monitoring stations' synthetic hourly values over the demo period, in one batch."""
    assert model.environment is not None
    spec = [s.model_dump(mode="json") for s in model.environment.stations]
    data = demo_environment.series(spec, first, last)
    points = store.registry.points_by_code(refresh=True)
    pids = np.concatenate([np.full(len(t), points[c].id, np.int64) for c, (t, _) in data.items()])
    ts = np.concatenate([t for t, _ in data.values()])
    values = np.concatenate([v for _, v in data.values()])
    ack = ingest_columns(store, pids, ts, values, source=demo_environment.SOURCE, now=now)
    result.add(ack, len(pids))


def replay_alarms(
    store: Store,
    engine: Engine,
    first: int,
    last: int,
    *,
    on_step: Callable[[str, int, int], None],
) -> int:
    """Run the alarm scheduler over the demo year as it would have run live — once a day
    (hourly statistics, budgets, escalation, automatic close) — then put the comms-loss
    rule in a maintenance window from the end of the synthetic year: it has no live data, and
    every meter would otherwise report as silent. Returns the alarms raised."""
    day_us = 86_400 * SECOND_US
    # the window opens first: the last ticks run after the data ends
    alarm_service.add_suppression(
        store, principal=SYSTEM, starts=last + SECOND_US, ends=last + 100 * 365 * day_us,
        reason="合成数据：演示年度结束，之后没有实时读数 (synthetic data: the demo year has ended)",
        rule_code="comms-loss",
    )  # fmt: skip
    # the same for the stations' generated comms-loss rules (lingtan.environment.rules)
    for row in store.alarms.rules():
        if row.kind == "environment" and row.spec.get("check") == "comms_loss":
            alarm_service.add_suppression(
                store, principal=SYSTEM, starts=last + SECOND_US, ends=last + 100 * 365 * day_us,
                reason="合成数据：演示年度结束 (synthetic data: the demo year has ended)",
                rule_code=row.code,
            )  # fmt: skip
    days = range(first + day_us, last + 2 * day_us, day_us)
    for k, now in enumerate(days):
        engine.tick(now=now, shared=False)
        on_step("alarms", k + 1, len(days))
    total = store.alarms.search(
        tenant=Tenant(None), park_id=None, filters=AlarmFilter(), limit=1, offset=0
    )[1]
    return total


#: the demo's incident: the March gap of E07's gateway, written up as the storm that caused it
#: (synthetic, like everything in the demo park)
INCIDENT_POINT = "E07-grid"


def demo_incident(store: Store) -> int:
    """One incident of the emergency register (8.2.6), made from the comms-loss alarm of the
    E07 gap and taken through its time line to a closing report — clearly synthetic. None when
    the shrunk demo has no such alarm."""
    from lingtan.alarms.incidents import service as incidents
    from lingtan.alarms.incidents.model import Person

    found, _ = store.alarms.search(
        tenant=Tenant(None), park_id=None,
        filters=AlarmFilter(rule_code="comms-loss", subject_code=INCIDENT_POINT), limit=1,
        offset=0,
    )  # fmt: skip
    if not found:
        return 0
    alarm = found[0]
    evidence = alarm_service.evidence(store, principal=SYSTEM, alarm_ids=[alarm.id])
    hour = 3600 * SECOND_US
    opened = incidents.open(
        store, principal=SYSTEM,
        title="E07 厂区暴雨积水，配电室通信网关停运（合成 SYNTHETIC）",
        kind="natural_disaster", level="ordinary", occurred_at=alarm.first_at,
        summary="合成演示数据：暴雨导致配电室进水，进线表网关断电约两天，期间读数缺失。",
        responsible=[Person(name="园区应急值班员（合成）", duty="现场处置")],
        evidence=evidence, now=alarm.first_at + hour,
    )  # fmt: skip
    incident_id = opened.incident.id
    incidents.respond(
        store, principal=SYSTEM, incident_id=incident_id, note="值班员到场，配电室断电排水",
        now=alarm.first_at + 2 * hour,
    )  # fmt: skip
    incidents.add_entry(
        store, principal=SYSTEM, incident_id=incident_id,
        text="网关恢复供电，表计读数恢复上报；缺失时段的电量按规则估算并标注",
        at=alarm.last_at, now=alarm.last_at + hour,
    )  # fmt: skip
    incidents.close(
        store, principal=SYSTEM, incident_id=incident_id,
        report="合成演示：积水已排除，网关移至高处并加装防水箱；无人员伤亡，缺失读数已标注估算。",
        now=alarm.last_at + 24 * hour,
    )  # fmt: skip
    return 1
