"""A small microgrid park for the dispatch service tests: a grid meter, an export meter, PV,
a battery with charge/discharge meters, one EV charger and an enterprise's meter."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import delete

from lingtan.identity.roles import Principal, Role
from lingtan.registry.parkfile import parse_park_text
from lingtan.store import Store, schema
from lingtan.store.bulk_stats import insert_hours
from lingtan.tariffs import service as tariffs

TZ = ZoneInfo("Asia/Shanghai")
H = 3_600_000_000
ADMIN = Principal("admin", Role.PARK_ADMIN, None, user_id=1)
VIEWER = Principal("viewer", Role.PARK_VIEWER, None, user_id=2)


def _point(code: str, carrier: str, extra: str = "") -> str:
    return (
        f"  - id: {code}\n    carrier: {carrier}\n    kind: total_increasing\n"
        f"    unit: kWh\n    level: 1\n{extra}"
    )


PARK = (
    "park:\n  id: mg-park\n  name: 微电网测试园区\n  province: 江苏\n"
    'enterprises:\n  - id: E01\n    name: 甲电子有限公司\n    uscc: "914403001922038216"\n'
    "sites: []\npoints:\n"
    + _point("MG-grid", "electricity_grid_import")
    + _point("MG-export", "electricity_export")
    + _point("MG-pv", "pv_generation")
    + _point("MG-bess-charge", "storage_charge")
    + _point("MG-bess-discharge", "storage_discharge")
    + "  - id: MG-ev1\n    carrier: ev_charging\n    kind: total_increasing\n    unit: kWh\n"
    "    level: 2\n    parent: MG-grid\n"
    + _point("E01-main", "electricity_grid_import", "    enterprise: E01\n")
)


def enterprise_user(store: Store, role: Role = Role.ENTERPRISE_ADMIN) -> Principal:
    ents = {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}
    return Principal("e01", role, ents["E01"], user_id=7)


def spec(**over: Any) -> dict[str, Any]:
    """A battery of 1,000 kWh / 250 kW with lossless conversion."""
    base: dict[str, Any] = {
        "source": "测试铭牌（合成）",
        "grid": {"import_point": "MG-grid", "import_limit_kw": 2000},
        "batteries": [
            {
                "code": "BESS-1",
                "charge_point": "MG-bess-charge",
                "discharge_point": "MG-bess-discharge",
                "energy_kwh": 1000,
                "charge_kw": 250,
                "discharge_kw": 250,
                "charge_efficiency": 1.0,
                "discharge_efficiency": 1.0,
                # a token cost per kWh discharged, so a lossless battery does not charge and
                # discharge in the same step (the plan is otherwise the same)
                "degradation_cost": 0.001,
            }
        ],
        "objective": {"demand": 0},
    }
    base.update(over)
    return base


def fill(store: Store, code: str, first: dt.date, days: int, hourly: Any) -> None:
    """(Replace) the same 24 hourly quantities on each of ``days`` days from ``first``."""
    pid = store.registry.points_by_code()[code].id
    start = int(dt.datetime(first.year, first.month, first.day, tzinfo=TZ).timestamp()) * 10**6
    v = np.tile(np.asarray(hourly, np.float64) * np.ones(24), days)
    n = v.size
    hours = start + np.arange(n, dtype=np.int64) * H
    with store.begin() as conn:
        # a later fill of the same hours replaces the earlier one
        t = schema.stat_hour
        conn.execute(
            delete(t).where(
                t.c.point_id == pid, t.c.hour >= int(hours[0]), t.c.hour <= int(hours[-1])
            )
        )
        insert_hours(
            store, conn, point_ids=np.full(n, pid, np.int64), hours=hours, values=v,
            measured_s=np.full(n, 3600.0), estimated_s=np.zeros(n), missing_s=np.zeros(n),
            flags=np.zeros(n, np.int64), n=np.full(n, 4, np.int64), computed_at=0,
        )  # fmt: skip


def load_park(store: Store, *, tariff: str = "demo-js-synthetic", code: str = "mg-park") -> Store:
    store.registry.save_park(parse_park_text(PARK.replace("id: mg-park", f"id: {code}")))
    tariffs.assign(store, principal=ADMIN, tariff_id=tariff, effective_from="2025-01")
    return store


def flat_history(store: Store, first: dt.date, days: int, *, load_kw: float = 500.0) -> None:
    """A flat park load of ``load_kw`` through the grid meter; the other meters zero."""
    fill(store, "MG-grid", first, days, load_kw)
    for code in ("MG-export", "MG-pv", "MG-bess-charge", "MG-bess-discharge", "MG-ev1"):
        fill(store, code, first, days, 0.0)
