"""Publishing a plan's setpoints to the real Mosquitto broker on 127.0.0.1:1883: one retained
message per device, and the acknowledgements recorded with the plan."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from typing import Any

import pytest

from lingtan.dispatch import service as svc
from lingtan.dispatch.publish import MqttPublisher
from lingtan.errors import PermissionDenied
from lingtan.store import Store
from tests.conftest import need_service
from tests.dispatch.park import ADMIN, VIEWER, flat_history, load_park, spec

pytestmark = pytest.mark.mqtt
HOST, PORT = "127.0.0.1", 1883
DAY = dt.date(2025, 3, 12)


def _retained(topic_filter: str, expected: int, timeout_s: float = 10.0) -> dict[str, Any]:
    """The retained messages on ``topic_filter`` a fresh subscriber receives."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    got: dict[str, Any] = {}
    done = threading.Event()

    def on_message(_c: Any, _u: Any, msg: Any) -> None:
        if msg.retain:
            got[msg.topic] = json.loads(msg.payload)
        if len(got) >= expected:
            done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}")
    client.on_message = on_message
    client.connect(HOST, PORT)
    client.subscribe(topic_filter, qos=1)
    client.loop_start()
    done.wait(timeout_s)
    client.loop_stop()
    client.disconnect()
    return got


def test_publish_sends_one_retained_message_per_device(store: Store) -> None:
    need_service("Mosquitto", HOST, PORT)
    code = f"mg-{uuid.uuid4().hex[:8]}"
    load_park(store, code=code)
    flat_history(store, dt.date(2025, 2, 12), 28)
    data = spec(
        pv=[{"point": "MG-pv"}],
        chargers=[{"code": "EV-1", "point": "MG-ev1", "max_kw": 300}],
    )
    svc.set_spec(store, principal=ADMIN, data=data)
    svc.import_sessions(
        store, principal=ADMIN, day=DAY,
        rows=[{"code": "car-1", "charger": "EV-1", "arrival": "08:00", "departure": "10:00",
               "energy_kwh": 100}],
    )  # fmt: skip
    plan = svc.plan_day(store, principal=ADMIN, day=DAY)
    with pytest.raises(PermissionDenied):
        svc.publish(store, principal=VIEWER, plan_id=plan.id, publisher=MqttPublisher(HOST, PORT))
    published = svc.publish(
        store, principal=ADMIN, plan_id=plan.id, publisher=MqttPublisher(HOST, PORT)
    )
    record = published.publish
    assert published.published_at is not None and record is not None
    # battery, the charger (its sessions summed) and the PV plant's curtailment
    topics = {f"lingtan/{code}/dispatch/{d}/setpoint" for d in ("BESS-1", "EV-1", "MG-pv")}
    assert {a["topic"] for a in record["acks"]} == topics
    assert record["messages"] == record["acknowledged"] == 3
    assert record["broker"] == f"mqtt://{HOST}:{PORT}"
    got = _retained(f"lingtan/{code}/dispatch/+/setpoint", 3)
    assert set(got) == topics
    battery = got[f"lingtan/{code}/dispatch/BESS-1/setpoint"]
    assert battery["plan_id"] == plan.id and battery["kind"] == "battery"
    assert battery["unit"] == "kW" and battery["step_minutes"] == 15
    assert len(battery["setpoints"]) == 96
    assert battery["setpoints"][0]["step_start"] == "2025-03-12T00:00:00+08:00"
    ev = got[f"lingtan/{code}/dispatch/EV-1/setpoint"]
    assert sum(p["setpoint_kw"] for p in ev["setpoints"]) * 0.25 == pytest.approx(100.0, abs=0.01)
    # leave no retained messages of this test's park on the broker
    MqttPublisher(HOST, PORT).send([(t, b"") for t in topics])
