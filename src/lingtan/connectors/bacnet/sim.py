"""A simulated BACnet/IP device for trying a configuration and for the tests.

One bacpypes3 application with a device object and three objects:

* ``analog-input,1`` "power" [kW]: a REAL that varies around ``power_kw``;
* ``accumulator,1`` "energy": an Unsigned count of 0.1 kWh steps (Scale float-scale 0.1,
  Units kilowatt-hours) that grows with the power on every update;
* ``binary-input,1`` "run-status": ``active``.

``SimulatedDevice.update`` moves the values (called every ``interval_s`` by ``run``); the
objects answer Who-Is, ReadProperty, ReadPropertyMultiple and SubscribeCOV (analog and binary
inputs) through bacpypes3. ``set_flags`` sets an object's Reliability and
Out_Of_Service, from which its Status_Flags follow (fault, out-of-service), to try how flagged
values are refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from typing import Any

from lingtan.connectors.bacnet.client import local_address, make_application

#: the object identifiers of the simulator
POWER = "analog-input,1"
ENERGY = "accumulator,1"
STATUS = "binary-input,1"
#: the accumulator's Scale: one count is 0.1 kWh
ENERGY_SCALE = 0.1


def _accumulator_class() -> type:
    from bacpypes3.local.object import Object
    from bacpypes3.object import AccumulatorObject

    class LocalAccumulator(Object, AccumulatorObject):  # type: ignore[misc]
        """bacpypes3 has no local accumulator: the generic local object with its properties."""

    return LocalAccumulator


class SimulatedDevice:
    """A BACnet device on ``interface:port`` (e.g. ``127.0.0.1/8``, 47809)."""

    def __init__(
        self,
        instance: int = 1001,
        *,
        interface: str = "127.0.0.1/8",
        port: int = 47809,
        power_kw: float = 42.5,
        energy_counts: int = 123_450,
    ) -> None:
        self.instance = instance
        self.interface = interface
        self.port = port
        self.base_power_kw = power_kw
        self.energy_counts = energy_counts
        self.step = 0
        self.app: Any = None
        self.objects: dict[str, Any] = {}
        self._residual = 0.0

    def start(self) -> None:
        """Bind the application (on the running event loop)."""
        from bacpypes3.basetypes import Scale
        from bacpypes3.local.analog import AnalogInputObject
        from bacpypes3.local.binary import BinaryInputObject

        power = AnalogInputObject(
            objectIdentifier=POWER,
            objectName="power",
            presentValue=self.base_power_kw,
            units="kilowatts",
            reliability="no-fault-detected",
            outOfService=False,
            covIncrement=0.01,
        )
        energy = _accumulator_class()(
            objectIdentifier=ENERGY,
            objectName="energy",
            presentValue=self.energy_counts,
            scale=Scale(floatScale=ENERGY_SCALE),
            units="kilowattHours",
            reliability="no-fault-detected",
            outOfService=False,
            maxPresValue=4_294_967_295,
        )
        status = BinaryInputObject(
            objectIdentifier=STATUS,
            objectName="run-status",
            presentValue="active",
            reliability="no-fault-detected",
            outOfService=False,
        )
        self.objects = {POWER: power, ENERGY: energy, STATUS: status}
        self.app = make_application(
            local_address(self.interface, self.port),
            self.instance,
            objects=list(self.objects.values()),
            name=f"lingtan-sim-{self.instance}",
        )

    def update(self, seconds: float = 1.0) -> None:
        """One step: the power moves, the energy grows by power × time."""
        self.step += 1
        power = round(self.base_power_kw + 2.0 * math.sin(self.step / 5.0), 3)
        self.objects[POWER].presentValue = power
        self._residual += power * seconds / 3600.0 / ENERGY_SCALE
        whole = int(self._residual)
        self._residual -= whole
        self.energy_counts += max(1, whole)  # at least one count: a visible increase
        self.objects[ENERGY].presentValue = self.energy_counts

    def set_flags(self, key: str, *, fault: bool = False, out_of_service: bool = False) -> None:
        """Flag an object as faulty (Reliability unreliable-other) or out of service."""
        # a bacpypes3 local object derives Status_Flags from Reliability and Out_Of_Service
        obj = self.objects[key]
        obj.reliability = "unreliable-other" if fault else "no-fault-detected"
        obj.outOfService = out_of_service

    async def run(self, interval_s: float = 1.0) -> None:
        """Update every ``interval_s`` until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            self.update(interval_s)

    def stop(self) -> None:
        """Release the UDP port."""
        if self.app is not None:
            with contextlib.suppress(Exception):
                self.app.close()
            self.app = None
