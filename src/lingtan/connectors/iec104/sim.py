"""A simulated IEC 104 outstation (RTU) on loopback, for trying a configuration and the tests.

A ``c104`` server with one station (common address 1 by default) and four objects whose
values the caller sets:

* IOA 1001 ``M_ME_TF_1`` — active power [kW], short float with a CP56Time2a time tag;
* IOA 1002 ``M_ME_NC_1`` — bus voltage [kV], short float without time tag;
* IOA 2001 ``M_IT_NA_1`` — active energy, integrated total in counts (0.01 kWh a count in the
  example configuration), answered to a counter interrogation;
* IOA 3001 ``M_SP_NA_1`` — breaker position (single point, 1 closed).

Every change set with ``transmit=True`` is sent spontaneously (COT 3); a general
interrogation answers with the three monitored values, a counter interrogation with the
counter. The time tags are written in UTC: ``c104`` reads a datetime as the computer's local
time and writes it as UTC, so :meth:`set_measured` hands it the local wall time of the instant.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import socket
from typing import Any, Final

POWER: Final = 1001
VOLTAGE: Final = 1002
ENERGY: Final = 2001
BREAKER: Final = 3001

_QUALITY: Final = {"IV": "Invalid", "NT": "NonTopical", "SB": "Substituted", "BL": "Blocked",
                   "OV": "Overflow"}  # fmt: skip
_COUNTER_QUALITY: Final = {"IV": "Invalid", "CY": "Carry", "CA": "Adjusted"}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _local_wall(at: dt.datetime) -> dt.datetime:
    """The naive local wall time of an aware instant (what ``c104`` takes, module docstring)."""
    return at.astimezone().replace(tzinfo=None)


class SimulatedRtu:
    """A ``c104`` server with the objects of the module docstring."""

    def __init__(
        self,
        *,
        port: int = 2404,
        host: str = "127.0.0.1",
        common_address: int = 1,
        power_kw: float = 42.5,
        voltage_kv: float = 10.5,
        energy_counts: int = 123_450,
    ) -> None:
        import c104

        self.host = host
        self.port = port
        self.common_address = common_address
        self.server = c104.Server(ip=host, port=port, tick_rate_ms=50)
        station = self.server.add_station(common_address=common_address)
        if station is None:
            raise ValueError(f"common address {common_address} refused by c104")
        self._points: dict[int, Any] = {
            POWER: station.add_point(io_address=POWER, type=c104.Type.M_ME_TF_1),
            VOLTAGE: station.add_point(io_address=VOLTAGE, type=c104.Type.M_ME_NC_1),
            ENERGY: station.add_point(io_address=ENERGY, type=c104.Type.M_IT_NA_1),
            BREAKER: station.add_point(io_address=BREAKER, type=c104.Type.M_SP_NA_1),
        }
        self.energy = energy_counts
        self.power = power_kw
        self.set_measured(POWER, power_kw, transmit=False)
        self.set_measured(VOLTAGE, voltage_kv, transmit=False)
        self.set_counter(ENERGY, energy_counts, transmit=False)
        self.set_single(BREAKER, True, transmit=False)

    def start(self) -> None:
        """Listen (returns at once; the library serves on its own thread)."""
        self.server.start()

    def stop(self) -> None:
        """Close every connection and stop listening."""
        self.server.stop()

    @property
    def connections(self) -> int:
        """Clients connected now."""
        return int(self.server.active_connection_count)

    def set_measured(
        self,
        ioa: int,
        value: float,
        *,
        at: dt.datetime | None = None,
        quality: tuple[str, ...] = (),
        transmit: bool = True,
    ) -> None:
        """Set a short float (and the instant of its time tag, for ``M_ME_TF_1``; default
        now) with the named quality bits (``IV``, ``NT``, ``SB``, ``BL``, ``OV``)."""
        import c104

        point = self._points[ioa]
        when = at or dt.datetime.now(tz=dt.UTC)
        point.info = c104.ShortInfo(
            actual=value, quality=self._quality(quality), recorded_at=_local_wall(when)
        )
        if transmit:
            point.transmit(cause=c104.Cot.SPONTANEOUS)

    def set_counter(
        self, ioa: int, counter: int, *, quality: tuple[str, ...] = (), transmit: bool = False
    ) -> None:
        """Set an integrated total (read by the next counter interrogation, or sent now)."""
        import c104

        bits = c104.BinaryCounterQuality()
        for name in quality:
            bits = bits | getattr(c104.BinaryCounterQuality, _COUNTER_QUALITY[name])
        self._points[ioa].info = c104.BinaryCounterInfo(
            counter=counter, sequence=c104.UInt5(0), quality=bits
        )
        if transmit:
            self._points[ioa].transmit(cause=c104.Cot.SPONTANEOUS)

    def set_single(self, ioa: int, on: bool, *, transmit: bool = True) -> None:
        """Set a single point."""
        import c104

        self._points[ioa].info = c104.SingleInfo(on=on)
        if transmit:
            self._points[ioa].transmit(cause=c104.Cot.SPONTANEOUS)

    @staticmethod
    def _quality(names: tuple[str, ...]) -> Any:
        import c104

        bits = c104.Quality()
        for name in names:
            bits = bits | getattr(c104.Quality, _QUALITY[name])
        return bits

    async def run(self, tick_s: float = 1.0) -> None:
        """Every tick: the power moves on a slow sine (± 2 kW), the energy counter grows by
        power × time (counts of 0.01 kWh) and the power is sent spontaneously."""
        k = 0
        base = self.power
        counted = 0.0
        while True:
            await asyncio.sleep(tick_s)
            k += 1
            self.power = round(base + 2.0 * math.sin(k / 10.0), 3)
            # kW × s / 3600 = kWh; 100 counts a kWh; the counter shows the whole counts
            counted += self.power * tick_s / 36.0
            self.set_measured(POWER, self.power)
            self.set_counter(ENERGY, self.energy + math.floor(counted))


__all__ = ["BREAKER", "ENERGY", "POWER", "VOLTAGE", "SimulatedRtu", "free_port"]
