"""Setpoints written to devices over Modbus TCP, read back, and checked against what the
device's power meter measured (设定值下发、回读与跟踪核验).

The declaration's ``control`` section (:class:`lingtan.dispatch.config.ControlSpec`) maps each
controllable asset to a gateway, a unit id and a holding register. For one step of a plan,
:func:`apply_step` writes each device's planned setpoint (function 16), reads the register (or
its ``readback_address``) back (function 3) and compares the two; the registers are encoded
and decoded by the Modbus connector's own code (:func:`lingtan.connectors.modbus.registers.
encode` / :func:`~lingtan.connectors.modbus.registers.decode`). Each device and step ends in
one outcome:

``ok``            the value read back equals the value written (within half a register step);
``mismatch``      the device answered with another value (it ignored or clamped the setpoint);
``timeout``       the device did not answer in the gateway's ``timeout_s``;
``unavailable``   the gateway could not be reached;
``device_error``  the device answered with a Modbus exception (e.g. 0x02 illegal address);
``refused``       the value lies outside the device's declared limits: nothing was written.

A failed attempt is retried at most ``retries`` times (the device's declaration), every attempt
kept with its reason; then the outcome stands and the alarm rule of kind ``dispatch`` raises
(:mod:`lingtan.dispatch.alarms`). Nothing is retried after that: the next step writes anew.

Tracking (:func:`track`): once a step is over, the mean of the readings of the device's
``measured_point`` (a power measurement) within the step, against the setpoint: ``ok`` within
``tolerance_kw``, ``off`` outside it, ``no_data`` without a reading in the step.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from lingtan import units
from lingtan.connectors.modbus.poller import ModbusDeviceError, ModbusReader
from lingtan.connectors.modbus.registers import Block, RegisterSpec, data_type, decode, encode
from lingtan.dispatch.config import DeviceControlSpec, MicrogridSpec, limits
from lingtan.errors import InvalidInput, Unavailable

log = logging.getLogger(__name__)

OUTCOMES: Final = ("ok", "mismatch", "timeout", "unavailable", "device_error", "refused")
TRACKING: Final = ("ok", "off", "no_data")


class Client(Protocol):
    """What the writer needs of a Modbus TCP client (:class:`ModbusReader` is one)."""

    async def write(self, unit: int, address: int, registers: list[int]) -> None: ...

    async def read(self, unit: int, block: Block) -> list[int]: ...

    def close(self) -> None: ...


#: gateway spec → client (tests may wrap or replace it)
ClientFactory = Callable[[Any], Client]


def modbus_client(gateway: Any) -> Client:
    """The Modbus connector's TCP client for a declared gateway."""
    return ModbusReader(gateway.host, gateway.port, timeout_s=gateway.timeout_s)


@dataclass(frozen=True, slots=True)
class Target:
    """One device's setpoint for one step, as it will be written."""

    control: DeviceControlSpec
    kind: str
    setpoint_kw: float
    #: the engineering value written: kW (mode power) or 1/0 (mode enable)
    value: float
    low_kw: float
    high_kw: float

    @property
    def register(self) -> RegisterSpec:
        r = self.control.setpoint
        return RegisterSpec(
            f"{self.control.device}.setpoint", r.address, data_type(r.type), 3, r.order,
            r.scale, r.offset,
        )  # fmt: skip

    @property
    def readback(self) -> RegisterSpec:
        r = self.control.setpoint
        address = r.address if r.readback_address is None else r.readback_address
        return RegisterSpec(
            f"{self.control.device}.readback", address, data_type(r.type), 3, r.order,
            r.scale, r.offset,
        )  # fmt: skip


def targets(
    spec: MicrogridSpec, planned: dict[str, tuple[str, list[float]]], k: int
) -> tuple[list[Target], list[str]]:
    """The targets of stored step ``k`` for every controlled device, and the controlled
    devices the plan does not cover (no setpoint: nothing is written to them)."""
    if spec.control is None:
        raise InvalidInput(
            "the microgrid declaration has no control section: lingtan writes to no device",
            field="control",
        )
    out, absent = [], []
    for d in spec.control.devices:
        if d.device not in planned:
            absent.append(d.device)
            continue
        kind, lo, hi = limits(spec, d)
        setpoint = float(planned[d.device][1][k])
        if d.mode == "enable":
            value = 1.0 if setpoint > d.enable_above_kw else 0.0
        else:
            value = setpoint
        out.append(Target(d, kind, round(setpoint, 3), value, lo, hi))
    return out, absent


def refusal(t: Target) -> str | None:
    """Why ``t`` must not be written (a setpoint outside the device's declared limits)."""
    tol = 1e-6 * max(1.0, abs(t.setpoint_kw))
    if t.setpoint_kw < t.low_kw - tol or t.setpoint_kw > t.high_kw + tol:
        return (
            f"{t.control.device}: setpoint {t.setpoint_kw:g} kW outside the declared limits "
            f"{t.low_kw:g}…{t.high_kw:g} kW — not written"
        )
    return None


def matches(spec: RegisterSpec, written: float, read: float | None) -> bool:
    """The value read back equals the value written, as the register can hold it (the
    written value quantised by the register's type and scale), within half a register step."""
    if read is None or not math.isfinite(read):
        return False
    expected = decode(spec, encode(spec, written)).value
    assert expected is not None
    return abs(read - expected) <= abs(spec.scale) / 2 * 1.000001 + 1e-9 * abs(expected)


def _classify(err: Exception) -> str:
    if isinstance(err, ModbusDeviceError):
        return "device_error"
    if isinstance(err, Unavailable) and str(err).startswith("cannot connect"):
        return "unavailable"
    return "timeout"


async def write_one(client: Client, t: Target, *, delay_s: float | None = None) -> dict[str, Any]:
    """Write ``t``, read it back; up to ``retries`` further attempts after a failure. The
    outcome: ``{status, written, readback, attempts: [{attempt, status, reason, readback}]}``."""
    reason = refusal(t)
    if reason is not None:
        log.error("dispatch setpoint refused: %s", reason)
        return {
            "status": "refused", "written": None, "readback": None,
            "attempts": [{"attempt": 0, "status": "refused", "reason": reason}],
        }  # fmt: skip
    d = t.control
    spec, back = t.register, t.readback
    registers = encode(spec, t.value)
    attempts: list[dict[str, Any]] = []
    readback: float | None = None
    status = "timeout"
    for n in range(1, d.retries + 2):
        if n > 1:
            await asyncio.sleep(d.retry_delay_s if delay_s is None else delay_s)
        try:
            await client.write(d.unit, spec.address, registers)
            got = await client.read(d.unit, Block(3, back.address, back.count, (back,)))
        except (Unavailable, ModbusDeviceError) as err:
            status = _classify(err)
            attempts.append({"attempt": n, "status": status, "reason": str(err)})
            continue
        decoded = decode(back, got)
        readback = decoded.value
        if matches(spec, t.value, readback):
            status = "ok"
            attempts.append({"attempt": n, "status": "ok", "readback": readback})
            break
        status = "mismatch"
        attempts.append({
            "attempt": n, "status": "mismatch", "readback": readback,
            "reason": f"wrote {t.value:g}, read back {readback if readback is not None else decoded.error}"
                      f" (registers {decoded.raw})",
        })  # fmt: skip
    if status != "ok":
        log.warning(
            "dispatch setpoint of %s not confirmed after %d attempt(s): %s",
            d.device, len(attempts), attempts[-1].get("reason"),
        )  # fmt: skip
    return {"status": status, "written": t.value, "readback": readback, "attempts": attempts}


async def apply(
    spec: MicrogridSpec,
    items: list[Target],
    *,
    client_factory: ClientFactory = modbus_client,
    delay_s: float | None = None,
) -> list[dict[str, Any]]:
    """Write every target (one connection per gateway, devices of a gateway in turn, gateways
    side by side); the outcome of each, in the order given."""
    assert spec.control is not None
    gateways = {g.code: g for g in spec.control.gateways}
    by_gateway: dict[str, list[int]] = {}
    for i, t in enumerate(items):
        by_gateway.setdefault(t.control.gateway, []).append(i)
    results: list[dict[str, Any]] = [{} for _ in items]

    async def run(code: str, idx: list[int]) -> None:
        client = client_factory(gateways[code])
        try:
            for i in idx:
                results[i] = await write_one(client, items[i], delay_s=delay_s)
        finally:
            client.close()

    await asyncio.gather(*(run(code, idx) for code, idx in by_gateway.items()))
    return results


def mean_kw(readings: list[tuple[int, float]], unit: str, multiplier: float, sign: int) -> float:
    """The mean of a power point's readings in a step, in kW, with the point's multiplier and
    the declared sign applied."""
    values = [v for _, v in readings if math.isfinite(v)]
    return sign * multiplier * units.convert(sum(values) / len(values), unit, "kW")


def tracking_of(setpoint_kw: float, measured: float | None, tolerance_kw: float) -> str:
    """``ok`` when the measured mean lies within ``tolerance_kw`` of the setpoint."""
    if measured is None:
        return "no_data"
    return "ok" if abs(measured - setpoint_kw) <= tolerance_kw + 1e-9 else "off"
