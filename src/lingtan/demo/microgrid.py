"""The demo park's microgrid declaration (合成 SYNTHETIC), built from the constants of
:mod:`lingtan.demo.park`: the park building's grid connection, the 8,000 kWp roof PV, the
10,000 kWh battery and the three 600 kW charging hubs."""

from __future__ import annotations

from typing import Any

from lingtan.demo import park as demo_park
from lingtan.dispatch import service as dispatch
from lingtan.identity.roles import SYSTEM
from lingtan.store import Store
from lingtan.tariffs import records

#: the demo's tariff record (its 基本电费 by maximum demand gives the demand price)
DEMO_TARIFF = "demo-js-synthetic"


def microgrid_spec(store: Store) -> dict[str, Any]:
    """The declaration of the demo park's own microgrid."""
    grid = store.registry.points_by_code()["PARK-grid"]
    tariff = records.find(DEMO_TARIFF)
    return {
        "source": "演示园区储能铭牌与并网协议（合成 SYNTHETIC，非真实设备）",
        "grid": {
            "import_point": "PARK-grid",
            "export_point": "PARK-export",
            # the grid meter's rated maximum (PARK-grid max_rate): the park building's
            # connection, not the enterprises' contract capacity (CONTRACT_KW)
            "import_limit_kw": grid.max_rate or demo_park.CONTRACT_KW,
            "export_limit_kw": demo_park.PARK_PV_KWP,
            # 0: no feed-in price is stored with a citable source here (the Jiangsu coal
            # benchmark price would have to be cited before it is used), so export earns 0
            "export_price": 0.0,
            "demand_price": tariff.demand_charge or 0.0,
        },
        "pv": [{"point": "PARK-pv", "curtailable": True}],
        "batteries": [
            {
                "code": "PARK-bess",
                "charge_point": "PARK-bess-charge",
                "discharge_point": "PARK-bess-discharge",
                "energy_kwh": demo_park.BATTERY_KWH,
                "charge_kw": demo_park.BATTERY_KWH / 2,
                "discharge_kw": demo_park.BATTERY_KWH / 2,
            }
        ],
        "chargers": [
            {"code": f"EV-{k}", "point": f"PARK-ev{k}", "max_kw": 600.0}
            for k in range(1, demo_park.EV_CHARGERS + 1)
        ],
        "step_minutes": 15,
    }


def store_microgrid_spec(store: Store) -> None:
    """Store the demo declaration (no plan is solved here: ``lingtan dispatch plan``)."""
    dispatch.set_spec(store, principal=SYSTEM, data=microgrid_spec(store))
