"""IEC 104 clock synchronisation (C_CS_NA_1) over loopback: the connector sets the simulated
RTU's clock at connect and again every interval, and the RTU's later time tags follow it; a
refusal is counted and the session goes on; without ``clock_sync`` nothing is sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lingtan.connectors.collector.config import build_connector, parse_config
from lingtan.connectors.iec104.client import Iec104Connector
from lingtan.connectors.iec104.sim import POWER, SimulatedRtu, free_port
from tests.connectors.conftest import connector_running, wait_until
from tests.connectors.iec104.test_loopback import config

#: the controlling station's (injected) time: 2025-03-01 08:30:15.250 Beijing time, far from
#: the machine's clock, so an RTU clock that took it cannot have been right by chance
MASTER = dt.datetime(2025, 3, 1, 0, 30, 15, 250_000, tzinfo=dt.UTC)
#: how far apart two clocks may be in these tests: the loopback's latency and a loaded
#: machine, far below the years between MASTER and the machine's clock
TOLERANCE = dt.timedelta(seconds=30)


def connector(port: int, **over: Any) -> Iec104Connector:
    entry = config(port, time_zone="Asia/Shanghai", counter_interrogation_interval_s=0, **over)
    built = build_connector(parse_config(entry).connectors[0])
    assert isinstance(built, Iec104Connector)
    return built


async def test_the_rtu_clock_takes_the_master_time_at_connect_and_again() -> None:
    port = free_port()
    sim = SimulatedRtu(port=port, time_zone="Asia/Shanghai")
    await sim.start()
    client = connector(port, clock_sync=True, clock_sync_interval_s=0.3)
    client.clock = lambda: MASTER
    async with connector_running(client, "rtu", "iec104", sim=sim) as recording:
        await wait_until(lambda: client.clock_syncs_confirmed >= 2, limit_s=10,
                         what="the sync at connect and a repeated one")  # fmt: skip
        # the RTU's clock now reads the master's time (plus the little time since)
        assert abs(sim.now() - MASTER) < TOLERANCE
        # a value set now carries the RTU's synchronised time in its tag
        sim.set_measured(POWER, 41.0)
        await wait_until(
            lambda: any(r.point == "S-power" and r.value == 41.0 for r in recording.readings),
            limit_s=10, what="the spontaneous value",
        )  # fmt: skip
    (tagged,) = [r for r in recording.readings if r.point == "S-power" and r.value == 41.0]
    assert not tagged.source.endswith(":rx")
    assert abs(tagged.ts - MASTER) < TOLERANCE
    # the sync (C_CS_NA_1, 103) went before the general interrogation (C_IC_NA_1, 100), both
    # confirmed in one session
    assert sim.commands[:2] == [103, 100]
    assert sim.clock_syncs >= 2 and client.sessions == 1 and client.interrogations >= 1
    counters = recording.ctx.stats.to_dict()["counters"]
    assert counters["clock_syncs_confirmed"] >= 2
    assert counters["clock_syncs_sent"] == client.clock_syncs_sent >= 2
    assert "clock_syncs_refused" not in counters


async def test_a_refused_sync_is_counted_and_the_session_goes_on() -> None:
    port = free_port()
    sim = SimulatedRtu(port=port, time_zone="Asia/Shanghai", refuse_clock_sync=True)
    await sim.start()
    client = connector(port, clock_sync=True)
    client.clock = lambda: MASTER
    async with connector_running(client, "rtu", "iec104", sim=sim) as recording:
        await wait_until(
            lambda: client.clock_syncs_refused == 1
            and any(r.point == "S-power" for r in recording.readings),
            limit_s=10, what="the refusal and the general interrogation's answer",
        )  # fmt: skip
    # refused once, not sent again, and the RTU kept its own clock
    assert (client.clock_syncs_sent, client.clock_syncs_confirmed) == (1, 0)
    assert sim.clock_sync_requests == 1 and sim.clock_syncs == 0
    assert abs(sim.now() - dt.datetime.now(tz=dt.UTC)) < TOLERANCE
    # the session went on: no reconnection, no comms_lost
    assert client.sessions == 1 and recording.events == []
    stats = recording.ctx.stats
    assert stats.counters == {"clock_syncs_sent": 1, "clock_syncs_refused": 1}
    assert "clock synchronisation of 1 refused (cause 7)" in stats.last_error


class _SilentRtu(SimulatedRtu):
    """An RTU that does not answer clock synchronisations."""

    def _clock_sync(self, link: Any, apdu: bytes) -> None:
        self.clock_sync_requests += 1


async def test_an_unanswered_sync_is_sent_again_then_the_session_ends() -> None:
    port = free_port()
    sim = _SilentRtu(port=port, time_zone="Asia/Shanghai")
    await sim.start()
    client = connector(port, clock_sync=True, timeout_s=0.5)
    async with connector_running(client, "rtu", "iec104", sim=sim) as recording:
        await wait_until(lambda: any(e.kind == "comms_lost" for e in recording.events),
                         limit_s=10, what="comms lost")  # fmt: skip
    lost = next(e for e in recording.events if e.kind == "comms_lost")
    assert "clock synchronisation of 1 not confirmed" in lost.detail
    # three attempts in the first session, as for an interrogation; no interrogation sent
    assert sim.commands[:3] == [103, 103, 103] and 100 not in sim.commands[:3]
    assert client.clock_syncs_confirmed == client.clock_syncs_refused == 0


async def test_no_sync_unless_asked() -> None:
    port = free_port()
    sim = SimulatedRtu(port=port, time_zone="Asia/Shanghai")
    await sim.start()
    client = connector(port)
    assert client.cfg.clock_sync is False and client.cfg.clock_sync_interval_s == 3600
    async with connector_running(client, "rtu", "iec104", sim=sim) as recording:
        await wait_until(lambda: any(r.point == "S-power" for r in recording.readings),
                         limit_s=10, what="the general interrogation's answer")  # fmt: skip
    assert sim.clock_sync_requests == 0 and client.clock_syncs_sent == 0
    assert 103 not in sim.commands and 100 in sim.commands
    assert recording.ctx.stats.counters == {}
