"""Setpoints of a plan per device and step, and their publication over MQTT.

Each device gets one retained JSON message (QoS 1) on
``lingtan/<park code>/dispatch/<device>/setpoint`` holding its whole schedule, so a
controller that (re)connects reads the current plan at once. lingtan writes to no device
otherwise; what the broker acknowledged is recorded with the plan (docs/dispatch.md).

Sign of ``setpoint_kw``: battery + discharge, − charge; ev: the charger's total charging
power; flex: the flexible load's planned consumption; pv_curtail: the PV power to curtail;
generator: its output.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import numpy as np

from lingtan.errors import InvalidInput, Unavailable
from lingtan.store.dispatch_repo import PlanRow

#: characters a device code may not carry into a topic level
_TOPIC_UNSAFE = re.compile(r"[/+#\s]")


class Publisher(Protocol):
    """Sends retained messages and reports the broker's acknowledgement of each."""

    broker: str

    def send(self, messages: list[tuple[str, bytes]]) -> list[dict[str, Any]]: ...


def _start(row: PlanRow, tz: ZoneInfo, k: int) -> dt.datetime:
    day = dt.date.fromisoformat(row.day)
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=tz)
    return midnight + dt.timedelta(minutes=(row.from_step + k) * row.step_minutes)


def devices(row: PlanRow) -> dict[str, tuple[str, list[float]]]:
    """(kind, setpoint per stored step [kW]) of each device of a plan."""
    s = row.steps
    n = len(s["import_kw"])
    out: dict[str, tuple[str, list[float]]] = {}
    for code, ch in s["charge_kw"].items():
        dis = s["discharge_kw"][code]
        out[code] = ("battery", [d - c for c, d in zip(ch, dis, strict=True)])
    chargers: dict[str, Any] = {}
    for session, values in s["ev_kw"].items():
        charger = s.get("ev_charger", {}).get(session, session)
        chargers[charger] = chargers.get(charger, np.zeros(n)) + np.asarray(values)
    for code, values in chargers.items():
        out[code] = ("ev", list(values))
    for code, values in s["flex_kw"].items():
        out[code] = ("flex", list(values))
    for code, values in s["curtailed_kw"].items():
        out[code] = ("pv_curtail", list(values))
    for code, values in s["generator_kw"].items():
        out[code] = ("generator", list(values))
    return out


def setpoints(row: PlanRow, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Per device per step: ``{device, kind, step_start, step_minutes, setpoint_kw}``."""
    return [
        {
            "device": code,
            "kind": kind,
            "step_start": _start(row, tz, k).isoformat(),
            "step_minutes": row.step_minutes,
            "setpoint_kw": round(float(v), 3),
        }
        for code, (kind, values) in sorted(devices(row).items())
        for k, v in enumerate(values)
    ]


def messages(row: PlanRow, tz: ZoneInfo, park_code: str) -> list[tuple[str, bytes]]:
    """One (topic, JSON payload) per device."""
    out = []
    for code, (kind, values) in sorted(devices(row).items()):
        if _TOPIC_UNSAFE.search(code) or _TOPIC_UNSAFE.search(park_code):
            raise InvalidInput(f"device code {code!r} cannot be an MQTT topic level", field=code)
        payload = {
            "park": park_code,
            "plan_id": row.id,
            "day": row.day,
            "plan_kind": row.kind,
            "device": code,
            "kind": kind,
            "unit": "kW",
            "step_minutes": row.step_minutes,
            "setpoints": [
                {"step_start": _start(row, tz, k).isoformat(), "setpoint_kw": round(float(v), 3)}
                for k, v in enumerate(values)
            ],
        }
        topic = f"lingtan/{park_code}/dispatch/{code}/setpoint"
        out.append((topic, json.dumps(payload, ensure_ascii=False).encode()))
    return out


class MqttPublisher:
    """Publishes retained QoS 1 messages with paho-mqtt and waits for each PUBACK."""

    def __init__(
        self,
        host: str,
        port: int = 1883,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.timeout_s = timeout_s
        self.broker = f"mqtt://{host}:{port}"

    def send(self, messages: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"lingtan-dispatch-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv311,
        )
        if self.username:
            client.username_pw_set(self.username, self.password)
        try:
            client.connect(self.host, self.port, keepalive=30)
        except OSError as err:
            raise Unavailable(f"MQTT broker {self.broker} unreachable: {err}") from err
        client.loop_start()
        try:
            infos = [(t, client.publish(t, p, qos=1, retain=True)) for t, p in messages]
            acks = []
            for topic, info in infos:
                try:
                    info.wait_for_publish(self.timeout_s)
                except (RuntimeError, ValueError):
                    pass
                acks.append(
                    {
                        "topic": topic,
                        "mid": info.mid,
                        "rc": int(info.rc),
                        "acknowledged": info.is_published(),
                    }
                )
            return acks
        finally:
            client.disconnect()
            client.loop_stop()
